//! The app's colours, one palette per theme, chosen so that every text and every input border
//! passes WCAG AA contrast (4.5:1 for text, 3:1 for the borders of inputs) on the background
//! it is drawn on. egui's own themes draw normal text mid-grey and inputs without borders;
//! an agent reading aloud on a call needs the opposite.
//!
//! The palette is put into both of egui's themes once (`apply`); views ask for the colours egui
//! has no name for (the line to say, agent guidance) with [`Palette::of`].

use egui::{Color32, Stroke, Theme};

/// The colours of one theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Panels and windows.
    pub background: Color32,
    /// Text boxes.
    pub input: Color32,
    /// The border of text boxes, buttons and other controls.
    pub border: Color32,
    /// Body text: labels, lists, buttons.
    pub text: Color32,
    /// Hints, times, secondary facts.
    pub weak: Color32,
    /// The line an agent reads aloud: the strongest text on screen.
    pub say: Color32,
    /// Agent guidance: a callout that stands out from the line to say.
    pub guidance_fill: Color32,
    pub guidance_border: Color32,
    pub guidance_text: Color32,
    pub error: Color32,
    pub warning: Color32,
    /// A confirmation ("Copied", "Saved").
    pub good: Color32,
}

impl Palette {
    pub const DARK: Palette = Palette {
        background: Color32::from_rgb(0x1e, 0x1f, 0x22),
        input: Color32::from_rgb(0x12, 0x13, 0x15),
        border: Color32::from_rgb(0x8b, 0x8f, 0x96),
        text: Color32::from_rgb(0xe3, 0xe3, 0xe3),
        weak: Color32::from_rgb(0xa9, 0xab, 0xb0),
        say: Color32::WHITE,
        guidance_fill: Color32::from_rgb(0x3a, 0x2f, 0x12),
        guidance_border: Color32::from_rgb(0xe0, 0xa5, 0x26),
        guidance_text: Color32::from_rgb(0xff, 0xe7, 0xa8),
        error: Color32::from_rgb(0xff, 0x8a, 0x80),
        warning: Color32::from_rgb(0xf5, 0xc2, 0x4c),
        good: Color32::from_rgb(0x8b, 0xd9, 0x8f),
    };

    pub const LIGHT: Palette = Palette {
        background: Color32::from_rgb(0xf7, 0xf7, 0xf8),
        input: Color32::WHITE,
        border: Color32::from_rgb(0x6e, 0x73, 0x7a),
        text: Color32::from_rgb(0x1a, 0x1a, 0x1a),
        weak: Color32::from_rgb(0x55, 0x5a, 0x60),
        say: Color32::BLACK,
        guidance_fill: Color32::from_rgb(0xff, 0xf4, 0xd6),
        guidance_border: Color32::from_rgb(0xb0, 0x7a, 0x00),
        guidance_text: Color32::from_rgb(0x4a, 0x35, 0x00),
        error: Color32::from_rgb(0xb3, 0x26, 0x1e),
        warning: Color32::from_rgb(0x8a, 0x5a, 0x00),
        good: Color32::from_rgb(0x1b, 0x6e, 0x2a),
    };

    /// The palette of the theme a view is drawn in.
    pub fn of(ui: &egui::Ui) -> Palette {
        if ui.visuals().dark_mode {
            Palette::DARK
        } else {
            Palette::LIGHT
        }
    }

    fn visuals(self, mut visuals: egui::Visuals) -> egui::Visuals {
        visuals.panel_fill = self.background;
        visuals.window_fill = self.background;
        visuals.extreme_bg_color = self.input;
        visuals.text_edit_bg_color = Some(self.input);
        visuals.weak_text_color = Some(self.weak);
        visuals.error_fg_color = self.error;
        visuals.warn_fg_color = self.warning;
        let widgets = &mut visuals.widgets;
        widgets.noninteractive.fg_stroke.color = self.text;
        widgets.inactive.fg_stroke.color = self.text;
        // Every control gets a border a person can see: a text box was invisible on a light
        // panel without one.
        widgets.inactive.bg_stroke = Stroke::new(1.0, self.border);
        widgets.hovered.bg_stroke = Stroke::new(1.5, self.text);
        visuals
    }
}

/// Puts the palettes into both of egui's themes.
pub fn apply(ctx: &egui::Context) {
    ctx.set_visuals_of(Theme::Dark, Palette::DARK.visuals(egui::Visuals::dark()));
    ctx.set_visuals_of(Theme::Light, Palette::LIGHT.visuals(egui::Visuals::light()));
}

/// The relative luminance of a colour (WCAG 2.x).
fn luminance(color: Color32) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(color.r()) + 0.7152 * channel(color.g()) + 0.0722 * channel(color.b())
}

/// The WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white).
pub fn contrast(a: Color32, b: Color32) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_the_wcag_ratio() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::WHITE, Color32::WHITE) - 1.0).abs() < 0.01);
        // #767676 on white is the well-known 4.54:1.
        assert!((contrast(Color32::from_gray(0x76), Color32::WHITE) - 4.54).abs() < 0.01);
    }

    #[test]
    fn every_text_and_border_of_both_palettes_passes_aa() {
        for palette in [Palette::DARK, Palette::LIGHT] {
            for text in [
                palette.text,
                palette.weak,
                palette.say,
                palette.error,
                palette.warning,
                palette.good,
            ] {
                assert!(contrast(text, palette.background) >= 4.5, "{text:?}");
            }
            assert!(contrast(palette.text, palette.input) >= 4.5);
            assert!(contrast(palette.guidance_text, palette.guidance_fill) >= 4.5);
            assert!(contrast(palette.border, palette.background) >= 3.0);
            assert!(contrast(palette.border, palette.input) >= 3.0);
            assert!(contrast(palette.guidance_border, palette.background) >= 3.0);
        }
    }
}
