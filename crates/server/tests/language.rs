//! The pages speak the customer's language (issue 20): chosen from `Accept-Language` or the
//! switcher, kept by the session from start to end, marked with `lang` and `dir`, with the
//! server's own words in French too. In process, as a browser would send the requests.

#![allow(
    clippy::unwrap_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calltree_server::{AppState, Settings, Trees, router};
use calltree_store::Store;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

const TREE: &str = r#"tree parcel "Where is my parcel?"
  audience: customer
  start: ask_number

field tracking: text "Tracking number" required pattern "[0-9]{6}" "the 6 digits on your receipt"

node ask_number "Your parcel"
  customer "Enter the tracking number from your receipt."
  ask tracking
  -> found

node found "On its way"
  customer "Parcel {tracking} is on its way."
  option "Thanks" -> done
  option "It is late" -> late

node done "All good"
  customer "Have a nice day."
  end resolved

node late "Late parcel"
  customer "We will look into it."
  end escalated "Deliveries"
"#;

const FRENCH: &str = r#"msgid ""
msgstr ""
"Language: fr\n"

msgctxt "parcel.heading"
msgid "Where is my parcel?"
msgstr "Où est mon colis ?"

msgctxt "tracking.label"
msgid "Tracking number"
msgstr "Numéro de suivi"

msgctxt "tracking.hint"
msgid "the 6 digits on your receipt"
msgstr "les 6 chiffres de votre reçu"

msgctxt "ask_number.title"
msgid "Your parcel"
msgstr "Votre colis"

msgctxt "ask_number.customer.1"
msgid "Enter the tracking number from your receipt."
msgstr "Saisissez le numéro de suivi de votre reçu."

msgctxt "found.title"
msgid "On its way"
msgstr "En route"

msgctxt "found.customer.1"
msgid "Parcel {tracking} is on its way."
msgstr "Le colis {tracking} est en route."

msgctxt "found.option.1"
msgid "Thanks"
msgstr "Merci"

msgctxt "found.option.2"
msgid "It is late"
msgstr "Il est en retard"

msgctxt "done.title"
msgid "All good"
msgstr "Tout va bien"

msgctxt "done.customer.1"
msgid "Have a nice day."
msgstr "Bonne journée."

msgctxt "late.title"
msgid "Late parcel"
msgstr "Colis en retard"

msgctxt "late.customer.1"
msgid "We will look into it."
msgstr ""
"#;

/// One Arabic text, enough to offer the language and check the page's direction.
const ARABIC: &str =
    "msgctxt \"parcel.heading\"\nmsgid \"Where is my parcel?\"\nmsgstr \"أين طردي؟\"\n";

struct Site {
    _dir: tempfile::TempDir,
    store: Store,
    app: axum::Router,
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

impl Site {
    fn new() -> Site {
        Site::with(&[])
    }

    /// The parcel tree with its translations, and `more` files beside it.
    fn with(more: &[(&str, &str)]) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let trees = dir.path().join("trees");
        std::fs::create_dir(&trees).unwrap();
        std::fs::write(trees.join("parcel.tree"), TREE).unwrap();
        std::fs::write(trees.join("parcel.fr.po"), FRENCH).unwrap();
        std::fs::write(trees.join("parcel.ar.po"), ARABIC).unwrap();
        for (name, text) in more {
            std::fs::write(trees.join(name), text).unwrap();
        }
        let store = Store::open(dir.path().join("sessions.db")).unwrap();
        let state = Arc::new(AppState::new(
            Trees::open(&trees, store.clone()).unwrap(),
            store.clone(),
            None,
            Settings::default(),
        ));
        Site {
            _dir: dir,
            store,
            app: router(state),
        }
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location: headers
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            cookie: headers
                .get(header::SET_COOKIE)
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned()),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, cookie: &str, accept: &str) -> Reply {
        let request = Request::get(path)
            .header(header::HOST, "help.example")
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT_LANGUAGE, accept);
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, path: &str, cookie: &str, accept: &str, body: String) -> Reply {
        let request = Request::post(path)
            .header(header::HOST, "help.example")
            .header(header::ORIGIN, "http://help.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT_LANGUAGE, accept);
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Posts a step from the page as it is now.
    async fn submit(&self, path: &str, cookie: &str, accept: &str, fields: &str) -> Reply {
        let page = self.get(path, cookie, accept).await;
        let body = format!(
            "csrf={}&seq={}&{fields}",
            hidden(&page.body, "csrf"),
            hidden(&page.body, "seq")
        );
        self.post(path, cookie, accept, body).await
    }
}

#[tokio::test]
async fn the_home_page_follows_the_browser_and_the_switcher() {
    let site = Site::new();
    let french = site.get("/", "", "fr-CA,fr;q=0.9,en;q=0.5").await;
    assert_eq!(french.status, StatusCode::OK);
    let page = &french.body;
    assert!(page.contains("<html lang=\"fr\" dir=\"ltr\">"), "{page}");
    assert!(
        page.contains("<h1>Comment pouvons-nous vous aider ?</h1>"),
        "{page}"
    );
    assert!(page.contains(">Où est mon colis ?</button>"), "{page}");
    assert!(page.contains("<button type=\"submit\" class=\"primary\">Rechercher</button>"));
    // The switcher offers every language, each named in itself, the current one marked.
    assert!(
        page.contains("<a href=\"/?lang=en\" lang=\"en\" hreflang=\"en\">English</a>"),
        "{page}"
    );
    assert!(
        page.contains("<strong lang=\"fr\" aria-current=\"true\">Français</strong>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"/?lang=ar\" lang=\"ar\" hreflang=\"ar\">العربية</a>"),
        "{page}"
    );
    let english = site.get("/", "", "de, en;q=0.8").await;
    assert!(english.body.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(english.body.contains(">Where is my parcel?</button>"));
    // The switcher's choice wins over the browser's and is remembered in a cookie.
    let chosen = site.get("/?lang=en", "", "fr").await;
    assert!(chosen.body.contains("<h1>How can we help?</h1>"));
    assert_eq!(chosen.cookie.as_deref(), Some("calltree_lang=en"));
    let remembered = site.get("/", "calltree_lang=en", "fr").await;
    assert!(remembered.body.contains("<h1>How can we help?</h1>"));
    // Right to left, by the language's script.
    let arabic = site.get("/?lang=ar", "", "").await;
    assert!(
        arabic.body.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{}",
        arabic.body
    );
    assert!(arabic.body.contains(">أين طردي؟</button>"));
}

#[tokio::test]
async fn a_session_keeps_the_language_it_started_in_to_its_end() {
    let site = Site::new();
    let started = site.post("/start/parcel", "", "fr", String::new()).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let (path, owner) = (started.location.unwrap(), started.cookie.unwrap());
    // Later requests say English; the session stays French.
    let first = site.get(&path, &owner, "en").await;
    let page = &first.body;
    assert!(page.contains("<html lang=\"fr\" dir=\"ltr\">"), "{page}");
    assert!(page.contains("<h1>Votre colis</h1>"), "{page}");
    assert!(page.contains("Saisissez le numéro de suivi de votre reçu."));
    assert!(page.contains("Numéro de suivi"));
    assert!(page.contains(" (obligatoire)"));
    assert!(
        page.contains("Saisissez les 6 chiffres de votre reçu."),
        "{page}"
    );
    assert!(page.contains(">Continuer</button>"));
    assert!(page.contains(">Parler à une personne</button>"));
    // A problem is announced in French around the engine's words.
    let refused = site.submit(&path, &owner, "en", "go=continue").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("Il y a un problème"),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("<title>Erreur : Votre colis · Où est mon colis ?</title>"),
        "{}",
        refused.body
    );
    // The engine's reason for refusing an answer is French too, around the tree's words.
    let wrong = site
        .submit(&path, &owner, "en", "tracking=12ab&go=continue")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .body
            .contains("Merci de saisir les 6 chiffres de votre reçu."),
        "{}",
        wrong.body
    );
    assert!(!wrong.body.contains("lease enter"), "{}", wrong.body);
    let next = site
        .submit(&path, &owner, "en", "tracking=123456&go=continue")
        .await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);
    let found = site.get(&path, &owner, "en").await;
    assert!(
        found.body.contains("Le colis 123456 est en route."),
        "{}",
        found.body
    );
    assert!(found.body.contains(">Il est en retard</button>"));
    // An untranslated text shows in its own words on a customer's page (check warns).
    let late = site.submit(&path, &owner, "en", "choose=1").await;
    assert_eq!(late.status, StatusCode::SEE_OTHER, "{}", late.body);
    let end = site.get(&path, &owner, "en").await;
    assert!(end.body.contains("We will look into it."), "{}", end.body);
    assert!(!end.body.contains("[untranslated]"));
    assert!(
        end.body
            .contains("Nous transmettons votre demande à notre équipe Deliveries."),
        "{}",
        end.body
    );
    assert!(end.body.contains("Votre code de référence est"));
    // The session's language is in its first event, for the agent who takes it over; the
    // chosen option is stored by its source words.
    let id = path.trim_start_matches("/s/");
    let events = site.store.events(id).unwrap();
    assert!(
        matches!(&events[0], calltree_engine::Event::Started { locale: Some(l), .. } if l.as_str() == "fr")
    );
    assert!(events.iter().any(
        |e| matches!(e, calltree_engine::Event::Chose { label, .. } if label == "It is late")
    ));
}

#[tokio::test]
async fn a_session_in_the_trees_own_language_stores_no_locale() {
    let site = Site::new();
    let started = site.post("/start/parcel", "", "en-GB", String::new()).await;
    let (path, owner) = (started.location.unwrap(), started.cookie.unwrap());
    let page = site.get(&path, &owner, "fr").await;
    assert!(page.body.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(page.body.contains("<h1>Your parcel</h1>"));
    let events = site.store.events(path.trim_start_matches("/s/")).unwrap();
    assert!(matches!(
        &events[0],
        calltree_engine::Event::Started { locale: None, .. }
    ));
}

/// Found by looking at the page: a French visitor starting a tree that has no French got
/// French buttons around English words ("Saisissez the 8 digits…"). A session takes only a
/// language its own tree is translated into.
#[tokio::test]
async fn a_tree_without_the_visitors_language_runs_wholly_in_its_own_words() {
    let hours = "tree hours \"Opening hours\"\n  audience: customer\n  start: ask\n\n\
        field day: text \"Day\" required\n\n\
        node ask \"Which day\"\n  customer \"Which day do you want to visit?\"\n  ask day\n  -> open\n\n\
        node open \"Open\"\n  customer \"We are open 9 to 5.\"\n  end resolved\n";
    let site = Site::with(&[("hours.tree", hours)]);
    let started = site.post("/start/hours", "", "fr", String::new()).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let (path, owner) = (started.location.unwrap(), started.cookie.unwrap());
    let page = site.get(&path, &owner, "fr").await.body;
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"), "{page}");
    assert!(page.contains(">Continue</button>"), "{page}");
    assert!(!page.contains("Continuer"), "{page}");
    let events = site.store.events(path.trim_start_matches("/s/")).unwrap();
    assert!(matches!(
        &events[0],
        calltree_engine::Event::Started { locale: None, .. }
    ));
    // The translated tree still starts in French for the same visitor.
    let parcel = site.post("/start/parcel", "", "fr", String::new()).await;
    let (path, owner) = (parcel.location.unwrap(), parcel.cookie.unwrap());
    let page = site.get(&path, &owner, "fr").await.body;
    assert!(page.contains("<html lang=\"fr\" dir=\"ltr\">"), "{page}");
}

/// A refusal speaks the visitor's language too: the server's own pages (a session that is
/// not there) and the ones it makes in place of the framework's (a method a route does not
/// take), in French for a French browser, in English otherwise. They were English for all.
#[tokio::test]
async fn refusals_are_in_the_visitors_language() {
    let site = Site::new();
    let missing = site.get("/s/nosuchsession", "", "fr-FR,fr;q=0.9").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains("<html lang=\"fr\" dir=\"ltr\">"),
        "{}",
        missing.body
    );
    assert!(
        missing.body.contains("<h1>Page introuvable</h1>"),
        "{}",
        missing.body
    );
    assert!(
        missing.body.contains("Retour aux sujets d'aide"),
        "{}",
        missing.body
    );

    let wrong_method = Request::delete("/")
        .header(header::HOST, "help.example")
        .header(header::ACCEPT_LANGUAGE, "fr")
        .body(Body::empty())
        .unwrap();
    let refused = site.send(wrong_method).await;
    assert_eq!(refused.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        refused.body.contains("<h1>Cela ne fonctionne pas ici</h1>"),
        "{}",
        refused.body
    );

    // The switcher's choice counts here as on every page; a language the server's own words
    // are not written in gets English.
    let chosen = site.get("/s/nosuchsession", "calltree_lang=en", "fr").await;
    assert!(
        chosen.body.contains("<h1>Page not found</h1>"),
        "{}",
        chosen.body
    );
    let arabic = site.get("/s/nosuchsession", "", "ar").await;
    assert!(
        arabic.body.contains("<html lang=\"en\" dir=\"ltr\">"),
        "{}",
        arabic.body
    );
    assert!(
        arabic.body.contains("<h1>Page not found</h1>"),
        "{}",
        arabic.body
    );
}
