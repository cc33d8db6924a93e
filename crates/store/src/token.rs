//! Random ids and secrets, their hashes, and handoff codes.
//!
//! Everything random comes straight from the operating system (`getrandom`): ids and tokens
//! must be unguessable, and a seeded generator in the process would be one more secret to keep.

use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// 128 bits: guessing an id or token is hopeless, and a collision is never seen in practice.
const TOKEN_BYTES: usize = 16;

/// Crockford's base32 alphabet: digits and capitals without I, L, O and U, so a code read out
/// over the phone has no look-alike letters.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Symbols in a handoff code: 40 bits, a trillion codes, for agents who are signed in anyway.
pub(crate) const HANDOFF_LEN: usize = 8;

/// 128 random bits as 32 lowercase hex digits.
pub(crate) fn random_hex() -> Result<String, StoreError> {
    let mut bytes = [0_u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(StoreError::Random)?;
    Ok(hex(&bytes))
}

/// An agent's token: 256 random bits as 64 hex digits behind `ct_`, a prefix by which a
/// leaked one can be recognised (in a log, a chat, a repository) for what it is.
pub(crate) fn random_agent_token() -> Result<String, StoreError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(StoreError::Random)?;
    Ok(format!("ct_{}", hex(&bytes)))
}

/// The SHA-256 of a token as 64 lowercase hex digits: what is stored instead of the token.
pub(crate) fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths, so that a caller cannot
/// learn a stored hash byte by byte from how long a refusal takes.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y));
    // `black_box` keeps the optimiser from turning the fold back into an early exit.
    std::hint::black_box(difference) == 0
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// A fresh handoff code in its stored form: eight symbols, no dash.
pub(crate) fn random_handoff() -> Result<String, StoreError> {
    let mut bytes = [0_u8; 8];
    // Five bytes are exactly eight 5-bit symbols.
    getrandom::fill(&mut bytes[3..]).map_err(StoreError::Random)?;
    let bits = u64::from_be_bytes(bytes);
    Ok((0..HANDOFF_LEN)
        .rev()
        .map(|i| char::from(CROCKFORD[((bits >> (5 * i)) & 0x1f) as usize]))
        .collect())
}

/// A stored code as people see it: `ABCD-EFGH`.
pub(crate) fn show_handoff(code: &str) -> String {
    match (code.get(..HANDOFF_LEN / 2), code.get(HANDOFF_LEN / 2..)) {
        (Some(first), Some(second)) => format!("{first}-{second}"),
        _ => code.to_owned(),
    }
}

/// What someone typed, in stored form, or `None` if it cannot be a code. Case, dashes and
/// spaces do not matter, and the look-alikes Crockford excludes are read as what they look
/// like (O as zero, I and L as one).
pub(crate) fn normalise_handoff(typed: &str) -> Option<String> {
    let mut code = String::with_capacity(HANDOFF_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && CROCKFORD.contains(&(c as u8)) => c,
            _ => return None,
        };
        code.push(c);
    }
    (code.len() == HANDOFF_LEN).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_complete() {
        assert_eq!(hex(&[0x00, 0x9f, 0xff]), "009fff");
    }

    #[test]
    fn handoff_codes_use_the_alphabet_and_show_with_a_dash() {
        let Ok(code) = random_handoff() else {
            panic!("the OS random number generator failed");
        };
        assert_eq!(code.len(), HANDOFF_LEN);
        assert!(code.bytes().all(|b| CROCKFORD.contains(&b)));
        let shown = show_handoff(&code);
        assert_eq!(shown.len(), HANDOFF_LEN + 1);
        assert_eq!(normalise_handoff(&shown).as_deref(), Some(code.as_str()));
    }

    #[test]
    fn typed_codes_are_forgiving_but_not_sloppy() {
        assert_eq!(normalise_handoff("ab12-cd34").as_deref(), Some("AB12CD34"));
        assert_eq!(
            normalise_handoff(" ab12 cd34 ").as_deref(),
            Some("AB12CD34")
        );
        assert_eq!(normalise_handoff("oIl0-0000").as_deref(), Some("01100000"));
        assert_eq!(normalise_handoff("AB12-CD3"), None);
        assert_eq!(normalise_handoff("AB12-CD345"), None);
        assert_eq!(normalise_handoff("UB12-CD34"), None);
        assert_eq!(normalise_handoff("ÄB12-CD34"), None);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert_eq!(hash_token("x").len(), 64);
    }
}
