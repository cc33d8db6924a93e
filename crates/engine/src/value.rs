//! Values a session holds, their types, and how answers typed by people become values.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Slot;

/// The static type of a field, a flag or an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Number,
    Text,
    Bool,
    Date,
    /// The values of the choice field declared in this slot.
    Choice(Slot),
    /// The ticked values of the checklist (`choices(...)`) declared in this slot.
    Choices(Slot),
}

impl Type {
    /// How the type is named in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Type::Number => "a number",
            Type::Text => "text",
            Type::Bool => "yes/no",
            Type::Date => "a date",
            Type::Choice(_) => "a choice",
            Type::Choices(_) => "a checklist",
        }
    }
}

/// A calendar date, kept as year, month and day so it sorts and prints without a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Reads `YYYY-MM-DD`, checking that the day exists in that month.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month_text = parts.next()?;
        let day_text = parts.next()?;
        if month_text.len() != 2 || day_text.len() != 2 || !(1000..=9999).contains(&year) {
            return None;
        }
        let month: u8 = month_text.parse().ok()?;
        let day: u8 = day_text.parse().ok()?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
    /// days-from-civil), for hosts that turn dates into timestamps.
    pub fn days_since_epoch(self) -> i64 {
        let (year, month, day) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date a count of days since 1970-01-01 falls on (Hinnant's civil-from-days, the
    /// inverse of `days_since_epoch`); `None` outside the years 1000 to 9999 that dates keep.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        if !(1000..=9999).contains(&year) {
            return None;
        }
        Some(Date {
            year: i32::try_from(year).ok()?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A value held by a session. `Unset` is a field nobody has answered (yet).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Unset,
    Number(f64),
    Text(String),
    Bool(bool),
    Date(Date),
    /// The index of a value in its choice field's list.
    Choice(u16),
    /// The indexes of a checklist's ticked values, ascending and without repeats.
    Checked(Vec<u16>),
}

impl Value {
    /// Whether the field has an answer. A checklist with nothing ticked has none, which is
    /// what makes `required` mean "at least one ticked".
    pub fn is_set(&self) -> bool {
        match self {
            Value::Unset => false,
            Value::Checked(ticked) => !ticked.is_empty(),
            _ => true,
        }
    }
}

/// Numbers show as people write them: `3`, not `3.0`; `12.5`, not `12.500000001`.
pub fn format_number(value: f64) -> String {
    if let Some(whole) = whole_number(value) {
        let mut text = String::with_capacity(20);
        push_whole_number(&mut text, whole);
        text
    } else {
        let text = format!("{value:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The number as a whole number when it is one that prints without an exponent, which is
/// how [`format_number`] decides to print it without a fraction (`fract() == 0.0`, asked
/// without `fract`, which is a call to the C library's `trunc` on every placeholder).
pub(crate) fn whole_number(value: f64) -> Option<i64> {
    if value.is_nan() || value.abs() >= 1e15 {
        return None;
    }
    // Below 1e15 the conversion truncates toward zero and is exact, so it gives the number
    // back exactly when there was nothing after the point.
    let whole = value as i64;
    (whole as f64 == value).then_some(whole)
}

/// Appends a whole number's decimal digits, as `write!(out, "{number}")` would: templates
/// print numbers on every step, and the formatting machinery was a tenth of a step's time.
pub(crate) fn push_whole_number(out: &mut String, number: i64) {
    if number < 0 {
        out.push('-');
    }
    let mut rest = number.unsigned_abs();
    // 20 digits hold any u64; they are written from the last.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `rest % 10` is below 10, so the cast keeps it whole.
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_print_as_the_formatter_prints_them() {
        for number in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            99,
            100,
            123_456_789,
            999_999_999_999_999,
            -999_999_999_999_999,
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = String::from("x");
            push_whole_number(&mut out, number);
            assert_eq!(out, format!("x{number}"));
        }
        for value in [
            0.0_f64,
            -0.0,
            3.0,
            -3.0,
            12.5,
            0.5,
            -0.5,
            1e15,
            -1e15,
            1e15 - 1.0,
            999_999_999_999_999.5,
            1e14,
            -7.25,
            0.1,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let expected = if value.fract() == 0.0 && value.abs() < 1e15 {
                format!("{}", value as i64)
            } else {
                let text = format!("{value:.6}");
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            };
            assert_eq!(format_number(value), expected, "{value}");
        }
    }

    #[test]
    fn dates_count_days_from_the_epoch() {
        for (text, days) in [
            ("1970-01-01", 0),
            ("2000-02-29", 11_016),
            ("2026-11-23", 20_780),
            ("1969-12-31", -1),
        ] {
            assert_eq!(
                Date::parse(text).map(Date::days_since_epoch),
                Some(days),
                "{text}"
            );
        }
        assert_eq!(Date::parse("2026-02-29"), None);
    }
}
