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
    /// The `calltree serve` hub agents' calls are sent to (`--server URL`), if any.
    pub server: Option<String>,
    /// This agent's token for the hub (`--token`, from `calltree agents add`). The settings
    /// file is the agent's own, like a browser's saved sign-in.
    pub server_token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: Theme::System,
            text_scale: 1.0,
            window_size: None,
            last_folder: None,
            mode: Mode::Author,
            server: None,
            server_token: None,
        }
    }
}

/// The smallest and largest text scale offered.
pub const TEXT_SCALES: (f32, f32) = (0.6, 2.5);

/// The window's size the first time, in the window system's logical pixels.
pub const DEFAULT_WINDOW_SIZE: [f32; 2] = [1280.0, 800.0];
/// The smallest window the app opens, in logical pixels: below it the panels overlap.
pub const MIN_WINDOW_SIZE: [f32; 2] = [640.0, 420.0];

/// The window size to remember, in the window system's logical pixels (the unit the window
/// is opened with), from egui's report of it in points.
///
/// A point is `pixels_per_point` physical pixels and a logical pixel is
/// `native_pixels_per_point` of them; the two differ by the text size (egui's zoom). Storing
/// points and opening the window with them shrank it by the text size at every start
/// (1280×800 at 130 % became 985×615, and smaller again at each start after). `None` for a
/// size that is no size at all (a minimised window, a scale of zero).
pub fn window_size_from_points(
    points: egui::Vec2,
    pixels_per_point: f32,
    native_pixels_per_point: f32,
) -> Option<[f32; 2]> {
    let scale = pixels_per_point / native_pixels_per_point;
    let size = points * scale;
    let usable = |v: f32| v.is_finite() && v > 0.0;
    (usable(scale) && usable(size.x) && usable(size.y)).then(|| [size.x.round(), size.y.round()])
}

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

    /// The size to open the window at, in logical pixels: the remembered size, else the
    /// default, and never smaller than the smallest usable window. The window is created
    /// before the text size is applied, so these are the points `with_inner_size` takes.
    pub fn window_size_to_open(&self) -> [f32; 2] {
        match self.window_size {
            Some([width, height]) if width.is_finite() && height.is_finite() => [
                width.max(MIN_WINDOW_SIZE[0]),
                height.max(MIN_WINDOW_SIZE[1]),
            ],
            _ => DEFAULT_WINDOW_SIZE,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Puts the theme into effect. The text size is egui's zoom, which needs
    /// [`TextSizeSync`] to follow.
    pub fn apply(&self, ctx: &egui::Context) {
        ctx.set_theme(match self.theme {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        });
    }
}

/// Keeps egui's zoom and the remembered text size in step, both ways: the size chosen in the
/// menu (or remembered) is asked of egui, and a zoom the author made with egui's own
/// Ctrl+plus and Ctrl+minus is remembered.
///
/// egui applies a zoom one frame after it is asked for. Comparing the zoom with the settings
/// took the old zoom, not yet replaced, for the author's choice: the settings went back to
/// it, the next frame asked for it again, and the text size flipped every frame, never
/// settled, and was stored wrong (so the window size stored with it was too). Only a zoom
/// that differs from the last one asked for (or seen) is the author's.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextSizeSync {
    /// The zoom asked for last frame, or seen if nothing was asked.
    expected: Option<f32>,
}

impl TextSizeSync {
    /// One frame, with the zoom in effect in it. Returns the zoom to ask egui for, if any, and
    /// whether `text_scale` was changed to what the author chose with the keyboard.
    pub fn step(&mut self, text_scale: &mut f32, zoom: f32) -> (Option<f32>, bool) {
        let differs = |a: f32, b: f32| (a - b).abs() > 0.001;
        let mut chosen = false;
        if let Some(expected) = self.expected
            && differs(zoom, expected)
            && zoom.is_finite()
        {
            *text_scale = zoom.clamp(TEXT_SCALES.0, TEXT_SCALES.1);
            chosen = true;
        }
        let ask = differs(zoom, *text_scale).then_some(*text_scale);
        self.expected = Some(ask.unwrap_or(zoom));
        (ask, chosen)
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
            server: Some("http://hub.internal:8080".into()),
            server_token: Some("ct_0123".into()),
        };
        assert_eq!(Settings::from_json(&settings.to_json()), settings);
        assert_eq!(Settings::from_json("{not json"), Settings::default());
        let partial = Settings::from_json(r#"{"theme":"light","text_scale":99}"#);
        assert_eq!(partial.theme, Theme::Light);
        assert_eq!(partial.text_scale, TEXT_SCALES.1);
        assert_eq!(partial.mode, Mode::Author);
    }

    /// Frames of egui's zoom, which takes effect one frame after it is asked for.
    fn frames(
        sync: &mut TextSizeSync,
        text_scale: &mut f32,
        zoom: &mut f32,
        count: usize,
    ) -> usize {
        let mut asks = 0;
        for _ in 0..count {
            let (ask, _) = sync.step(text_scale, *zoom);
            if let Some(ask) = ask {
                *zoom = ask;
                asks += 1;
            }
        }
        asks
    }

    #[test]
    fn the_text_size_is_asked_for_once_and_kept_and_a_keyboard_zoom_is_remembered() {
        let mut sync = TextSizeSync::default();
        let (mut text_scale, mut zoom) = (1.3, 1.0);
        assert_eq!(frames(&mut sync, &mut text_scale, &mut zoom, 10), 1);
        assert_eq!((text_scale, zoom), (1.3, 1.3));
        // Ctrl+plus: egui zooms by itself; the settings follow and nothing is asked.
        zoom = 1.4;
        assert_eq!(sync.step(&mut text_scale, zoom), (None, true));
        assert_eq!(text_scale, 1.4);
        assert_eq!(frames(&mut sync, &mut text_scale, &mut zoom, 10), 0);
        // The menu: the settings change; egui is asked once.
        text_scale = 0.9;
        assert_eq!(frames(&mut sync, &mut text_scale, &mut zoom, 10), 1);
        assert_eq!((text_scale, zoom), (0.9, 0.9));
        // A keyboard zoom past the largest size is brought back to it.
        zoom = 3.0;
        assert_eq!(
            sync.step(&mut text_scale, zoom),
            (Some(TEXT_SCALES.1), true)
        );
        zoom = TEXT_SCALES.1;
        assert_eq!(frames(&mut sync, &mut text_scale, &mut zoom, 10), 0);
        assert_eq!(text_scale, TEXT_SCALES.1);
    }

    /// One start of the app: open the window at the remembered size, let egui report it in
    /// points at the text size, and remember what it reports.
    fn restart(settings: &mut Settings, native_pixels_per_point: f32) {
        let opened = settings.window_size_to_open();
        // The window system makes the window `opened` logical pixels wide, that is
        // `opened × native` physical pixels, which egui reports as physical / (native × zoom).
        let pixels_per_point = native_pixels_per_point * settings.text_scale;
        let physical = egui::vec2(opened[0], opened[1]) * native_pixels_per_point;
        let points = physical / pixels_per_point;
        settings.window_size =
            window_size_from_points(points, pixels_per_point, native_pixels_per_point);
    }

    #[test]
    fn the_window_keeps_its_size_across_restarts_at_any_text_size() {
        for (text_scale, native) in [(1.3, 1.0), (1.3, 2.0), (0.8, 1.0), (2.5, 1.25), (1.0, 1.0)] {
            let mut settings = Settings {
                text_scale,
                window_size: Some([1280.0, 800.0]),
                ..Settings::default()
            };
            for start in 1..=3 {
                restart(&mut settings, native);
                assert_eq!(
                    settings.window_size,
                    Some([1280.0, 800.0]),
                    "start {start} at text size {text_scale}, scale {native}"
                );
            }
        }
    }

    #[test]
    fn a_size_that_is_no_size_is_not_remembered_and_a_bad_one_not_opened() {
        assert_eq!(
            window_size_from_points(egui::vec2(800.0, 600.0), 1.0, 0.0),
            None
        );
        assert_eq!(
            window_size_from_points(egui::vec2(0.0, 600.0), 1.0, 1.0),
            None
        );
        assert_eq!(
            window_size_from_points(egui::vec2(f32::NAN, 600.0), 1.0, 1.0),
            None
        );
        let tiny = Settings {
            window_size: Some([10.0, 10.0]),
            ..Settings::default()
        };
        assert_eq!(tiny.window_size_to_open(), MIN_WINDOW_SIZE);
        let broken = Settings {
            window_size: Some([f32::INFINITY, 10.0]),
            ..Settings::default()
        };
        assert_eq!(broken.window_size_to_open(), DEFAULT_WINDOW_SIZE);
    }
}
