//! What the app remembers between runs: theme, text size, window size, the last folder and
//! mode. The library owns the values and the menu that changes them; the binary stores them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Editing trees.
    #[default]
    Author,
    /// Taking calls.
    Agent,
    /// What happened on calls: KPIs, charts and the traffic on each step.
    Insights,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub theme: Theme,
    /// 1.0 is the normal text size.
    pub text_scale: f32,
    pub window_size: Option<[f32; 2]>,
    pub last_folder: Option<String>,
    pub mode: Mode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: Theme::System,
            text_scale: 1.0,
            window_size: None,
            last_folder: None,
            mode: Mode::Author,
        }
    }
}

/// The smallest and largest text scale offered.
pub const TEXT_SCALES: (f32, f32) = (0.6, 2.5);

impl Settings {
    /// Reads settings, falling back to the defaults for anything missing or unreadable: a
    /// damaged settings file must never keep the app from starting.
    pub fn from_json(text: &str) -> Settings {
        let mut settings: Settings = serde_json::from_str(text).unwrap_or_default();
        if !settings.text_scale.is_finite() {
            settings.text_scale = 1.0;
        }
        settings.text_scale = settings.text_scale.clamp(TEXT_SCALES.0, TEXT_SCALES.1);
        settings
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Puts the theme and text size into effect.
    pub fn apply(&self, ctx: &egui::Context) {
        ctx.set_theme(match self.theme {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        });
        if (ctx.zoom_factor() - self.text_scale).abs() > 0.001 {
            ctx.set_zoom_factor(self.text_scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_round_trip_and_damage_falls_back_to_defaults() {
        let settings = Settings {
            theme: Theme::Dark,
            text_scale: 1.4,
            window_size: Some([1200.0, 800.0]),
            last_folder: Some("/home/ana/trees".into()),
            mode: Mode::Agent,
        };
        assert_eq!(Settings::from_json(&settings.to_json()), settings);
        assert_eq!(Settings::from_json("{not json"), Settings::default());
        let partial = Settings::from_json(r#"{"theme":"light","text_scale":99}"#);
        assert_eq!(partial.theme, Theme::Light);
        assert_eq!(partial.text_scale, TEXT_SCALES.1);
        assert_eq!(partial.mode, Mode::Author);
    }
}
