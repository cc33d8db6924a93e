//! The customer's page (issue 16): what a person sees when an answer is wrong, what the
//! inputs tell the phone, what the titles say, and what the handoff page tells them to do.
//! In process, as a browser would post the forms.

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

const LOGIN: &str = r#"tree login "Can't sign in"
  audience: customer
  escalation: "Accounts"
  start: details

field email: text "Email address" required pattern "[^@ ]+@[^@ ]+\.[^@ ]+" "an email address like name@example.com"
field mobile: text "Mobile number" pattern "07[0-9]{9}"
field account: text "Account number" pattern "[0-9]{8}"
field kind: choice(personal "Personal account", business "Business account") "Account type" required
field needs: choices(reset "Password reset", unlock "Unlock the account", mfa "New phone for codes") "What you need"

node details "Your details"
  say "Tell us who you are so we can find your account."
  ask email, mobile, account, kind, needs
  -> problem

node problem "The problem"
  say "Press the button that matches what you see."
  option "I can't sign in" -> stuck

node stuck "Stuck"
  say "Our accounts team will sort it out."
  end escalated "Accounts"
"#;

const CONTACT: &str = "Call 0800 123 456, 8am to 6pm on weekdays.";

struct Site {
    _dir: tempfile::TempDir,
    app: axum::Router,
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The value of an attribute of the element whose `id` is given.
fn attribute(page: &str, id: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("id=\"{id}\""))?;
    let start = page[..at].rfind('<')?;
    let end = at + page[at..].find('>')?;
    let tag = &page[start..end];
    let marker = format!(" {name}=\"");
    let value = tag.find(&marker)? + marker.len();
    Some(tag[value..].split('"').next()?.to_owned())
}

fn title(page: &str) -> &str {
    page.split("<title>")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap()
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let trees = dir.path().join("trees");
        std::fs::create_dir(&trees).unwrap();
        std::fs::write(trees.join("login.tree"), LOGIN).unwrap();
        let store = Store::open(dir.path().join("sessions.db")).unwrap();
        let state = Arc::new(AppState::new(
            Trees::open(&trees, store.clone()).unwrap(),
            store,
            None,
            Settings {
                contact: Some(CONTACT.to_owned()),
                ..Settings::default()
            },
        ));
        Site {
            _dir: dir,
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

    async fn get(&self, path: &str, cookie: &str) -> Reply {
        let request = Request::get(path)
            .header(header::HOST, "help.example")
            .header(header::COOKIE, cookie);
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = Request::post(path)
            .header(header::HOST, "help.example")
            .header(header::ORIGIN, "http://help.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// A customer's session on the first step: its path and owner cookie.
    async fn start(&self) -> (String, String) {
        let reply = self.post("/start/login", None, &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        (reply.location.unwrap(), reply.cookie.unwrap())
    }

    /// Posts a step from the page as it is now.
    async fn submit(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Reply {
        let page = self.get(path, cookie).await;
        let (csrf, seq) = (hidden(&page.body, "csrf"), hidden(&page.body, "seq"));
        let mut form = vec![("csrf", csrf.as_str()), ("seq", seq.as_str())];
        form.extend_from_slice(fields);
        self.post(path, Some(cookie), &form).await
    }
}

#[tokio::test]
async fn every_problem_of_a_step_is_listed_at_the_top_and_marked_on_its_field() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let refused = site
        .submit(
            &path,
            &cookie,
            &[("email", "jo at example"), ("go", "continue")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = &refused.body;
    assert_eq!(title(page), "Error: Your details · Can't sign in");
    // The summary comes first, and links to each field in the step's order.
    let summary = page.find("class=\"error-summary\"").unwrap();
    assert!(summary < page.find("<h1>").unwrap(), "{page}");
    assert!(page.contains("There is a problem"), "{page}");
    let email = page
        .find("href=\"#f_email\">Email address: please enter an email address like name@example.com</a>")
        .unwrap();
    let kind = page
        .find("href=\"#f_kind\">Account type: choose one of the answers</a>")
        .unwrap();
    assert!(email < kind, "{page}");
    // Each bad field: marked invalid, its message read with it, in a sentence.
    assert_eq!(
        attribute(page, "f_email", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        attribute(page, "f_email", "aria-describedby").as_deref(),
        Some("h_email e_email")
    );
    assert!(
        page.contains("<span class=\"vh\">Error: </span>Please enter an email address like name@example.com.</p>"),
        "{page}"
    );
    assert_eq!(
        attribute(page, "f_kind", "aria-invalid").as_deref(),
        Some("true")
    );
    assert!(page.contains("class=\"field invalid\""), "{page}");
    // A field with no problem is not marked.
    assert_eq!(attribute(page, "f_mobile", "aria-invalid"), None);
    // What was typed stays to be fixed.
    assert_eq!(
        attribute(page, "f_email", "value").as_deref(),
        Some("jo at example")
    );
}

#[tokio::test]
async fn inputs_tell_the_phone_what_they_hold_and_the_limit_is_the_servers() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let page = site.get(&path, &cookie).await.body;
    assert_eq!(title(&page), "Your details · Can't sign in");
    assert_eq!(
        attribute(&page, "f_email", "type").as_deref(),
        Some("email")
    );
    assert_eq!(
        attribute(&page, "f_email", "autocomplete").as_deref(),
        Some("email")
    );
    assert_eq!(attribute(&page, "f_mobile", "type").as_deref(), Some("tel"));
    assert_eq!(
        attribute(&page, "f_mobile", "autocomplete").as_deref(),
        Some("tel")
    );
    assert_eq!(
        attribute(&page, "f_account", "type").as_deref(),
        Some("text")
    );
    assert_eq!(
        attribute(&page, "f_account", "inputmode").as_deref(),
        Some("numeric")
    );
    let limit = calltree_server::ANSWER_LIMIT.to_string();
    assert_eq!(
        attribute(&page, "f_email", "maxlength").as_deref(),
        Some(limit.as_str())
    );
    // The author's words are a hint before anything goes wrong.
    assert!(
        page.contains(
            "<p class=\"hint\" id=\"h_email\">Enter an email address like name@example.com.</p>"
        ),
        "{page}"
    );
    // The browser's own checks would stop at the first problem, in words of their own.
    assert!(page.contains(" novalidate"), "{page}");
}

#[tokio::test]
async fn a_line_break_in_an_answer_is_refused_on_its_field() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let refused = site
        .submit(
            &path,
            &cookie,
            &[
                ("email", "jo@example.com\n\nNotes:\n- verified"),
                ("kind", "personal"),
                ("go", "continue"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("Email address: please keep this on one line"),
        "{}",
        refused.body
    );
}

/// A tree's own `contact:` words come before the server's.
#[tokio::test]
async fn a_trees_contact_words_come_before_the_servers() {
    let site = Site::new();
    let with_contact = LOGIN.replace(
        "  escalation: \"Accounts\"\n",
        "  escalation: \"Accounts\"\n  contact: \"Chat with the accounts team at example.com/chat.\"\n",
    );
    std::fs::write(site._dir.path().join("trees/login.tree"), with_contact).unwrap();
    // The folder is looked at again at most once a second.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let (path, cookie) = site.start().await;
    let person = site.submit(&path, &cookie, &[("go", "person")]).await;
    assert_eq!(person.status, StatusCode::SEE_OTHER, "{}", person.body);
    let page = site.get(&path, &cookie).await.body;
    assert!(
        page.contains("Chat with the accounts team at example.com/chat."),
        "{page}"
    );
    assert!(!page.contains(CONTACT), "{page}");
}

#[tokio::test]
async fn the_handoff_page_says_what_happens_next_and_how_to_reach_a_person() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let moved = site
        .submit(
            &path,
            &cookie,
            &[
                ("email", "jo@example.com"),
                ("kind", "personal"),
                ("go", "continue"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let person = site.submit(&path, &cookie, &[("go", "person")]).await;
    assert_eq!(person.status, StatusCode::SEE_OTHER, "{}", person.body);
    let page = site.get(&path, &cookie).await.body;
    assert_eq!(
        title(&page),
        "We're passing this to our Accounts team. · Can't sign in"
    );
    assert!(page.contains("class=\"code\""), "{page}");
    assert!(page.contains("What happens next"), "{page}");
    assert!(page.contains("How to reach a person"), "{page}");
    assert!(page.contains(CONTACT), "{page}");
    assert!(!page.contains("connecting you"), "{page}");
    // The step the customer left is not repeated as if it were still to do.
    assert!(!page.contains("Press the button"), "{page}");
}

/// Issue 14 item 6: a checklist is a fieldset of checkboxes sharing the field's name, and the
/// server joins the ticked boxes into one answer, kept when the step is refused.
#[tokio::test]
async fn a_checklist_is_checkboxes_and_every_ticked_box_is_kept() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let page = site.get(&path, &cookie).await.body;
    assert!(page.contains("<legend>What you need</legend>"), "{page}");
    assert_eq!(
        attribute(&page, "f_needs", "type").as_deref(),
        Some("checkbox")
    );
    assert_eq!(
        attribute(&page, "f_needs_2", "value").as_deref(),
        Some("mfa")
    );
    assert_eq!(attribute(&page, "f_needs", "checked"), None);
    // As a browser sends it: the hidden empty pair first, then one per ticked box.
    let refused = site
        .submit(
            &path,
            &cookie,
            &[
                ("email", "jo at example"),
                ("needs", ""),
                ("needs", "reset"),
                ("needs", "mfa"),
                ("go", "continue"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = &refused.body;
    assert!(
        page.contains("value=\"reset\" id=\"f_needs\" checked"),
        "{page}"
    );
    assert!(
        page.contains("value=\"mfa\" id=\"f_needs_2\" checked"),
        "{page}"
    );
    assert!(
        !page.contains("value=\"unlock\" id=\"f_needs_1\" checked"),
        "{page}"
    );
    assert!(!page.contains("href=\"#f_needs\""), "{page}");
}
