//! The call's header: the script, the path so far on one line (the oldest steps give way
//! first, each earlier step a way back to it), how long the call has lasted, and a warning
//! while events wait in memory because the disk failed; and, for a call in another language
//! than the tree's own, which one (the customer's, when taken over from the web).

use egui::RichText;

use super::call_screen::{Intent, Shown};
use super::rtl;
use crate::look::Palette;

/// How many of the latest steps the path shows before "…".
const CRUMBS: usize = 5;

/// The language a call is in, when it is not the tree's own.
pub(super) struct Language {
    pub tag: String,
    /// The customer started it on the web and an agent took it over.
    pub from_web: bool,
}

impl Language {
    pub fn of(session: &calltree_engine::Session) -> Option<Language> {
        let tag = session.locale()?.to_owned();
        let from_web = session
            .log()
            .iter()
            .any(|e| matches!(e, calltree_engine::Event::TakenOver { .. }));
        Some(Language { tag, from_web })
    }

    /// What the header says: the language by its English name (the agent's words) and tag.
    pub fn line(&self) -> String {
        let name = language_name(&self.tag);
        let named = match name {
            Some(name) => format!("{name} ({})", self.tag),
            None => self.tag.clone(),
        };
        if self.from_web {
            format!("The customer used {named} on the web: continue in it")
        } else {
            format!("Call in {named}")
        }
    }
}

/// English names of the languages agents most often meet, by primary subtag; others show
/// by their tag.
pub(super) fn language_name(tag: &str) -> Option<&'static str> {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    Some(match primary.as_str() {
        "en" => "English",
        "fr" => "French",
        "de" => "German",
        "es" => "Spanish",
        "it" => "Italian",
        "pt" => "Portuguese",
        "nl" => "Dutch",
        "pl" => "Polish",
        "ar" => "Arabic",
        "he" => "Hebrew",
        "fa" => "Persian",
        "ru" => "Russian",
        "uk" => "Ukrainian",
        "el" => "Greek",
        "tr" => "Turkish",
        "zh" => "Chinese",
        "ja" => "Japanese",
        "ko" => "Korean",
        "hi" => "Hindi",
        "vi" => "Vietnamese",
        _ => return None,
    })
}

pub(super) fn ui(
    ui: &mut egui::Ui,
    shown: &Shown,
    now: i64,
    unsaved: usize,
    language: Option<&Language>,
) -> Option<Intent> {
    let mut intent = None;
    let palette = Palette::of(ui);
    let rtl = language.is_some_and(|l| calltree_engine::translation::is_right_to_left(&l.tag));
    egui::Panel::top("call_header").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let title = &shown.summary.title;
            if rtl && rtl::has_right_to_left(title) {
                // Its words in the order a right-to-left reader reads them; the header's row
                // itself stays the agent's, left to right.
                let font = egui::FontId::proportional(17.0);
                let job = rtl::visual_line(ui, title, font, ui.visuals().strong_text_color());
                logical(ui.label(job), true, egui::Role::Label, title);
            } else {
                ui.label(RichText::new(title).size(17.0).strong());
            }
            // A finished call's length stops with its last event.
            let finished = shown.view.ended.is_some();
            let end = if finished { shown.summary.last_at } else { now };
            let lasted = (end - shown.summary.started_at).max(0) / 1_000;
            ui.label(
                RichText::new(format!("{}:{:02}", lasted / 60, lasted % 60))
                    .monospace()
                    .color(palette.weak),
            )
            .on_hover_text("how long the call has lasted");
            if let Some(language) = language {
                ui.label(
                    RichText::new(language.line())
                        .strong()
                        .color(palette.text),
                )
                .on_hover_text(
                    "what the customer hears and sees is in this language; your guidance stays in the script's own",
                );
            }
            if unsaved > 0 {
                ui.label(
                    RichText::new(format!(
                        "Warning: {unsaved} step(s) not saved to disk yet, retrying"
                    ))
                    .strong()
                    .color(palette.error),
                );
            }
        });
        let crumbs = &shown.view.breadcrumb;
        // A finished call cannot go back: its path is shown, not offered.
        let can_go_back = shown.view.ended.is_none();
        let steps = crumbs.len();
        ui.horizontal(|ui| {
            let first = steps.saturating_sub(CRUMBS);
            if first > 0 {
                ui.label(RichText::new("…").color(palette.weak))
                    .on_hover_text(format!("{first} earlier steps"));
            }
            for (index, crumb) in crumbs.iter().enumerate().skip(first) {
                if index > first {
                    ui.label(RichText::new(">").color(palette.weak));
                }
                let title = crumb.title.as_str();
                let flip = rtl && rtl::has_right_to_left(title);
                let body = egui::TextStyle::Body.resolve(ui.style());
                let visual = |ui: &egui::Ui, color| -> egui::WidgetText {
                    if flip {
                        rtl::visual_line(ui, title, body.clone(), color).into()
                    } else {
                        title.into()
                    }
                };
                if index + 1 == steps {
                    let text = if flip {
                        visual(ui, ui.visuals().strong_text_color())
                    } else {
                        RichText::new(title).strong().into()
                    };
                    let response = ui.add(egui::Label::new(text).truncate());
                    logical(response, flip, egui::Role::Label, title);
                } else if !can_go_back {
                    let response = ui.label(visual(ui, ui.visuals().text_color()));
                    logical(response, flip, egui::Role::Label, title);
                } else if logical(
                    ui.add(egui::Link::new(visual(ui, ui.visuals().hyperlink_color))),
                    flip,
                    egui::Role::Link,
                    title,
                )
                    .on_hover_text("go back to this step")
                    .clicked()
                {
                    intent = Some(Intent::Back(steps - index - 1));
                }
            }
        });
        ui.add_space(2.0);
    });
    intent
}

/// A widget whose text may be drawn in visual order keeps the logical text as its label, for
/// screen readers and for tests that find it by its words.
fn logical(
    response: egui::Response,
    reordered: bool,
    role: egui::Role,
    text: &str,
) -> egui::Response {
    if reordered {
        let enabled = response.enabled();
        response.widget_info(|| egui::WidgetInfo::labeled(role, enabled, text));
    }
    response
}
