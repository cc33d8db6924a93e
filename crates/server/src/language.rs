//! The language of a page: which one a visitor gets (their choice on the switcher, else
//! their browser's `Accept-Language`), how the page is marked (`lang`, `dir`), and the
//! server's own words (buttons, headings, messages) in English and French.
//!
//! The trees' words come from their translation files (the engine's `Project::in_locale`);
//! only the words the server itself writes are here. A customer's session keeps the
//! language it started in (its `Started` event says which), whatever the switcher says later.

use calltree_engine::translation::{best_locale, is_bcp47, is_right_to_left};

/// The cookie that remembers the switcher's choice.
pub const COOKIE: &str = "calltree_lang";

/// The language the trees are written in, which needs no translation file.
pub const SOURCE: &str = "en";

/// The tags of the languages the server's own words are written in (see [`Ui`]): what a
/// page with no tree words of its own (a refusal) is chosen among.
pub const UI_LOCALES: &[&str] = &[SOURCE, "fr"];

/// The languages the server's own words are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ui {
    English,
    French,
}

/// A page's language: its BCP 47 tag and the server's words for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    pub tag: String,
    pub ui: Ui,
}

impl Language {
    /// The trees' own language.
    pub fn source() -> Language {
        Language::of(SOURCE)
    }

    pub fn of(tag: &str) -> Language {
        let primary = tag.split('-').next().unwrap_or(tag);
        let ui = if primary.eq_ignore_ascii_case("fr") {
            Ui::French
        } else {
            Ui::English
        };
        Language {
            tag: tag.to_owned(),
            ui,
        }
    }

    /// `rtl` for scripts written right to left (Arabic, Hebrew...), else `ltr`.
    pub fn dir(&self) -> &'static str {
        if is_right_to_left(&self.tag) {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// Whether this is the trees' own language (no translation needed).
    pub fn is_source(&self) -> bool {
        self.tag.eq_ignore_ascii_case(SOURCE)
    }

    /// The server's words for `english` in this language. Keyed by the English words, as
    /// gettext is: an English string without a French entry is shown in English, never
    /// blank (`every_french_word_is_translated` checks the list is complete).
    pub fn t(&self, english: &'static str) -> &'static str {
        match self.ui {
            Ui::English => english,
            Ui::French => french(english).unwrap_or(english),
        }
    }
}

/// The name of a language in that language, for the switcher.
pub fn name(tag: &str) -> String {
    match tag
        .split('-')
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase()
        .as_str()
    {
        "en" => "English".to_owned(),
        "fr" => "Français".to_owned(),
        "de" => "Deutsch".to_owned(),
        "es" => "Español".to_owned(),
        "ar" => "العربية".to_owned(),
        "he" => "עברית".to_owned(),
        _ => tag.to_owned(),
    }
}

/// The languages a visitor can choose: the trees' own, then every locale a translation file
/// is for.
pub fn offered(locales: &[&str]) -> Vec<String> {
    let mut offered = vec![SOURCE.to_owned()];
    offered.extend(
        locales
            .iter()
            .filter(|l| !l.eq_ignore_ascii_case(SOURCE))
            .map(|l| (*l).to_owned()),
    );
    offered
}

/// The language for a visitor: the switcher's choice when it is offered, else the first of
/// the browser's preferences (by weight) that is, else the trees' own.
pub fn choose(chosen: Option<&str>, accept_language: Option<&str>, locales: &[&str]) -> Language {
    let offered = offered(locales);
    let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
    if let Some(chosen) = chosen.filter(|c| is_bcp47(c))
        && let Some(tag) = best_locale(&offered, chosen)
    {
        return Language::of(tag);
    }
    for wanted in preferences(accept_language.unwrap_or("")) {
        if let Some(tag) = best_locale(&offered, &wanted) {
            return Language::of(tag);
        }
    }
    Language::source()
}

/// The tags of an `Accept-Language` header, most wanted first; `*`, weight 0 and malformed
/// tags left out. A header can be anything a client sends, so at most 32 are read.
fn preferences(header: &str) -> Vec<String> {
    let mut weighted: Vec<(u16, usize, String)> = header
        .split(',')
        .take(32)
        .enumerate()
        .filter_map(|(order, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let weight =
                parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1000), |q| {
                        q.trim()
                            .parse::<f32>()
                            .ok()
                            .map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                    })?;
            (weight > 0 && tag != "*" && is_bcp47(tag)).then(|| (weight, order, tag.to_owned()))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, tag)| tag).collect()
}

/// Every English string of the server's pages that has a French one.
const FRENCH: &[(&str, &str)] = &[
    ("How can we help?", "Comment pouvons-nous vous aider ?"),
    (
        "Search the help topics",
        "Rechercher dans les sujets d'aide",
    ),
    ("Search", "Rechercher"),
    (
        "No help topic matches",
        "Aucun sujet d'aide ne correspond à",
    ),
    ("Back to the help topics", "Retour aux sujets d'aide"),
    ("Language", "Langue"),
    ("There is a problem", "Il y a un problème"),
    ("Step", "Étape"),
    ("Error: ", "Erreur : "),
    (
        "This step cannot go on: ",
        "Cette étape ne peut pas continuer : ",
    ),
    ("Continue", "Continuer"),
    ("Back", "Retour"),
    ("Talk to a person", "Parler à une personne"),
    (" (required)", " (obligatoire)"),
    ("Yes", "Oui"),
    ("No", "Non"),
    ("choose one of the answers", "choisissez une des réponses"),
    (
        "tick at least one of the answers",
        "cochez au moins une des réponses",
    ),
    ("please fill this in", "merci de remplir ce champ"),
    (
        "please keep this on one line",
        "merci de tout écrire sur une ligne",
    ),
    ("an answer is required", "une réponse est nécessaire"),
    ("enter ", "saisissez "),
    ("Your reference code is", "Votre code de référence est"),
    ("What happens next", "Et maintenant ?"),
    (
        "One of our team will call you back. They will have everything you told us here, so you won't need to repeat yourself. If you contact us first, give them this code.",
        "Un membre de notre équipe vous rappellera. Il aura tout ce que vous nous avez dit ici, vous n'aurez donc pas à vous répéter. Si vous nous contactez avant, donnez-lui ce code.",
    ),
    (
        "Contact us and give this code to the person who helps you. They will see everything you told us here, so you won't need to repeat yourself.",
        "Contactez-nous et donnez ce code à la personne qui vous aide. Elle verra tout ce que vous nous avez dit ici, vous n'aurez donc pas à vous répéter.",
    ),
    (
        "Write the code down or keep this page open: you will need it.",
        "Notez ce code ou gardez cette page ouverte : vous en aurez besoin.",
    ),
    ("How to reach a person", "Comment joindre une personne"),
    (
        "Call or message us the way you usually do, and give the code above.",
        "Appelez-nous ou écrivez-nous comme d'habitude, et donnez le code ci-dessus.",
    ),
    ("What you told us", "Ce que vous nous avez dit"),
    (
        "Solved. Glad we could help!",
        "C'est résolu. Ravis d'avoir pu vous aider !",
    ),
    (
        "We're passing this to a member of our team.",
        "Nous transmettons votre demande à un membre de notre équipe.",
    ),
    ("We'll call you back.", "Nous vous rappellerons."),
    (
        "The right place for this is another service.",
        "Un autre service est le mieux placé pour cela.",
    ),
    ("This session has ended.", "Cette session est terminée."),
    (
        "An agent has your case",
        "Un conseiller s'occupe de votre demande",
    ),
    (
        "An agent took this session over with your reference code and is handling it now, with everything you told us. There is nothing more to do here.",
        "Un conseiller a repris cette session avec votre code de référence et s'en occupe maintenant, avec tout ce que vous nous avez dit. Vous n'avez plus rien à faire ici.",
    ),
    (
        "That page was out of date (the session moved on in another tab), so nothing was changed. This is where it is now.",
        "Cette page n'était plus à jour (la session a avancé dans un autre onglet), donc rien n'a été modifié. Voici où elle en est.",
    ),
    ("Request not understood", "Demande incomprise"),
    (
        "Your browser sent something this site could not read, so nothing was changed. Go back, reload the page and try again.",
        "Votre navigateur a envoyé quelque chose que ce site n'a pas pu lire, donc rien n'a été modifié. Revenez en arrière, rechargez la page et réessayez.",
    ),
    ("Form refused", "Formulaire refusé"),
    (
        "That form did not come from this site, so nothing was changed. Reload the page and try again.",
        "Ce formulaire ne vient pas de ce site, donc rien n'a été modifié. Rechargez la page et réessayez.",
    ),
    ("Page not found", "Page introuvable"),
    (
        "There is nothing here. The link may be mistyped, or the session may belong to another browser.",
        "Il n'y a rien ici. Le lien est peut-être mal saisi, ou la session appartient à un autre navigateur.",
    ),
    ("That does not work here", "Cela ne fonctionne pas ici"),
    (
        "This address cannot be used that way, so nothing was changed. Go back and use the page's own links and buttons.",
        "Cette adresse ne s'utilise pas ainsi, donc rien n'a été modifié. Revenez en arrière et utilisez les liens et boutons de la page.",
    ),
    ("That took too long", "Cela a pris trop de temps"),
    (
        "Your request took too long to arrive, so nothing was changed. Check your connection and try again.",
        "Votre demande a mis trop de temps à arriver, donc rien n'a été modifié. Vérifiez votre connexion et réessayez.",
    ),
    ("Too much to send", "Trop de texte à envoyer"),
    (
        "What you sent is longer than this site accepts, so nothing was saved. Shorten your answers and try again.",
        "Ce que vous avez envoyé dépasse ce que ce site accepte, donc rien n'a été enregistré. Raccourcissez vos réponses et réessayez.",
    ),
    ("Form not understood", "Formulaire incompris"),
    (
        "This page only takes its own forms, so nothing was changed. Reload the page and use its buttons.",
        "Cette page n'accepte que ses propres formulaires, donc rien n'a été modifié. Rechargez la page et utilisez ses boutons.",
    ),
    (
        "Some answers need another look",
        "Certaines réponses sont à revoir",
    ),
    (
        "Some answers could not be accepted, so nothing was saved. Go back, check them and try again.",
        "Certaines réponses n'ont pas pu être acceptées, donc rien n'a été enregistré. Revenez en arrière, vérifiez-les et réessayez.",
    ),
    ("Too many requests", "Trop de demandes"),
    (
        "There were a lot of requests from your connection in a short time, so we are pausing for a moment. Your answers so far are saved: wait a minute and try again.",
        "Votre connexion a envoyé beaucoup de demandes en peu de temps, nous faisons donc une courte pause. Vos réponses sont enregistrées : attendez une minute et réessayez.",
    ),
    ("Request too large", "Demande trop volumineuse"),
    (
        "Your browser sent more than this site accepts with a request. Try again after clearing this site's cookies.",
        "Votre navigateur a envoyé plus que ce que ce site accepte pour une demande. Réessayez après avoir effacé les cookies de ce site.",
    ),
    (
        "Help is busy right now",
        "L'aide est très sollicitée en ce moment",
    ),
    (
        "So many people are using help right now that we could not take your request. Your answers so far are saved: please try again in a minute.",
        "Tant de personnes utilisent l'aide en ce moment que nous n'avons pas pu traiter votre demande. Vos réponses sont enregistrées : réessayez dans une minute.",
    ),
    (
        "Something went wrong on our side",
        "Un problème est survenu de notre côté",
    ),
    (
        "Your answers so far are saved. Please try again in a moment.",
        "Vos réponses sont enregistrées. Réessayez dans un instant.",
    ),
    ("Request refused", "Demande refusée"),
    (
        "This site could not do what was asked, so nothing was changed. Go back and try again.",
        "Ce site n'a pas pu faire ce qui était demandé, donc rien n'a été modifié. Revenez en arrière et réessayez.",
    ),
    (
        "This session cannot go on",
        "Cette session ne peut pas continuer",
    ),
    (
        "Some of what you typed could not be read",
        "Une partie de votre saisie n'a pas pu être lue",
    ),
    (
        "Part of what was sent is not text this site can read, so nothing was saved. Go back, type your answers again and send them.",
        "Une partie de l'envoi n'est pas du texte lisible par ce site, donc rien n'a été enregistré. Revenez en arrière, saisissez à nouveau vos réponses et envoyez-les.",
    ),
    ("Not signed in", "Non connecté"),
    ("Access revoked", "Accès révoqué"),
    (
        "This session has become too long to continue here. Please start again from the help topics, or call us and we will take it from there.",
        "Cette session est devenue trop longue pour continuer ici. Recommencez depuis les sujets d'aide, ou appelez-nous et nous reprendrons à partir de là.",
    ),
    (
        "This session was started too long ago to continue. Please start again from the help topics.",
        "Cette session a commencé il y a trop longtemps pour continuer. Recommencez depuis les sujets d'aide.",
    ),
];

/// A sentence worked out at run time (the engine's) in `lang`, when the list has it.
pub fn translated(lang: &Language, english: &str) -> String {
    match lang.ui {
        Ui::English => english.to_owned(),
        Ui::French => french(english).map_or_else(|| english.to_owned(), str::to_owned),
    }
}

/// The engine's reason an answer was refused, in `lang`: its fixed sentences from the list,
/// and the ones that quote the answer or the tree's words (`please enter {hint}`, `"x" is not
/// a number`) rebuilt around what they quote. One the list does not know stays English.
pub fn field_message(lang: &Language, english: &str) -> String {
    match lang.ui {
        Ui::English => english.to_owned(),
        Ui::French => french(english)
            .map(str::to_owned)
            .or_else(|| french_field_message(english))
            .unwrap_or_else(|| english.to_owned()),
    }
}

fn french_field_message(english: &str) -> Option<String> {
    if let Some(rest) = english.strip_prefix("please enter ") {
        return Some(format!("merci de saisir {rest}"));
    }
    if let Some(size) = english
        .strip_prefix("please keep this under ")
        .and_then(|rest| rest.strip_suffix(" characters"))
    {
        return Some(format!("merci de ne pas dépasser {size} caractères"));
    }
    if let Some(rest) = english.strip_prefix("this has a hidden character (")
        && let Some((code, _)) = rest.split_once(')')
    {
        return Some(format!(
            "ce texte contient un caractère invisible ({code}) qui ne peut pas être gardé ; merci de le taper plutôt que de le coller"
        ));
    }
    for (too, word) in [(" is too small: ", "petit"), (" is too big: ", "grand")] {
        if let Some((number, rest)) = english.split_once(too)
            && let Some((low, high)) = rest
                .strip_prefix("please enter a number from ")
                .and_then(|r| r.split_once(" to "))
        {
            return Some(format!(
                "{number} est trop {word} : saisissez un nombre de {low} à {high}"
            ));
        }
    }
    // `"what was typed" is not ...`: the quoted answer may hold anything, so it is cut at
    // the last `" is not `.
    let (quoted, what) = english.strip_prefix('"')?.rsplit_once("\" is not ")?;
    let said = match what {
        "a number" => "n'est pas un nombre".to_owned(),
        "yes or no" => "n'est ni oui ni non".to_owned(),
        "in the form this needs; please check it" => {
            "n'a pas la forme attendue ; merci de vérifier".to_owned()
        }
        _ => format!(
            "n'est pas une date comme {}",
            what.strip_prefix("a date like ")?
        ),
    };
    Some(format!("« {quoted} » {said}"))
}

fn french(english: &str) -> Option<&'static str> {
    FRENCH
        .iter()
        .find(|(en, _)| *en == english)
        .map(|(_, fr)| *fr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_s_preference_is_followed_by_weight() {
        let locales = ["fr"];
        let pick = |header: &str| choose(None, Some(header), &locales).tag;
        assert_eq!(pick("fr-CA,fr;q=0.9,en;q=0.8"), "fr");
        assert_eq!(pick("en-GB,en;q=0.9,fr;q=0.8"), "en");
        assert_eq!(pick("de;q=0.9,fr;q=0.5"), "fr");
        assert_eq!(pick("de,it"), "en");
        assert_eq!(pick("fr;q=0,en;q=0.1"), "en");
        assert_eq!(pick("*;q=1, garbage;;q=x, \u{0}"), "en");
        assert_eq!(choose(Some("en"), Some("fr"), &locales).tag, "en");
        assert_eq!(choose(Some("xx_YY"), Some("fr"), &locales).tag, "fr");
    }

    #[test]
    fn the_engines_reasons_for_refusing_an_answer_are_in_french() {
        let fr = Language::of("fr");
        for (english, french) in [
            (
                "please enter les 6 chiffres de votre reçu",
                "merci de saisir les 6 chiffres de votre reçu",
            ),
            ("please fill this in", "merci de remplir ce champ"),
            ("\"12ab\" is not a number", "« 12ab » n'est pas un nombre"),
            (
                "\"say \"hi\"\" is not a date like 2026-11-23",
                "« say \"hi\" » n'est pas une date comme 2026-11-23",
            ),
            (
                "\"peut-être\" is not yes or no",
                "« peut-être » n'est ni oui ni non",
            ),
            (
                "\"x\" is not in the form this needs; please check it",
                "« x » n'a pas la forme attendue ; merci de vérifier",
            ),
            (
                "150 is too big: please enter a number from 0 to 120",
                "150 est trop grand : saisissez un nombre de 0 à 120",
            ),
            (
                "please keep this under 2000 characters",
                "merci de ne pas dépasser 2000 caractères",
            ),
            ("something new", "something new"),
        ] {
            assert_eq!(field_message(&fr, english), french);
            assert_eq!(field_message(&Language::source(), english), english);
        }
    }

    #[test]
    fn right_to_left_languages_are_marked() {
        assert_eq!(Language::of("ar").dir(), "rtl");
        assert_eq!(Language::of("he-IL").dir(), "rtl");
        assert_eq!(Language::of("fr").dir(), "ltr");
    }

    #[test]
    fn every_french_word_is_translated() {
        let fr = Language::of("fr");
        for (english, french) in FRENCH {
            assert_eq!(fr.t(english), *french);
            assert!(!french.is_empty());
        }
        assert_eq!(Language::source().t("Continue"), "Continue");
    }
}
