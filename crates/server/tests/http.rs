//! Every route over HTTP, in process: what a customer's browser sends and gets back, and
//! what a stranger, another site or a broken request gets instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test whose setup fails should fail loudly"
)]

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calltree_engine::Event;
use calltree_server::{AppState, Settings, Trees, router};
use calltree_store::Store;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

const WIFI: &str = r#"tree wifi "Wi-Fi not working"
  description: "Get your home Wi-Fi back"
  tags: internet, wifi
  audience: agent, customer
  escalation: "Broadband desk"
  start: hello

field postcode: text "Postcode" required pattern "[A-Z0-9 ]{5,8}"

node hello "Hello"
  say "Let's get you back online."
  option "My Wi-Fi is down" -> router_lights

node router_lights "Router lights"
  say "Are the lights on your router green? <b>Look closely</b>."
  ask postcode
  option "All green" -> fixed
  option "Red light" -> engineer
  option "Agent check" -> fixed agent-only

node fixed "Working again"
  say "Great, you're back online."
  end resolved

node engineer "Engineer needed"
  say "We'll send an engineer."
  end escalated "Field engineers"
"#;

const PHONE: &str = r#"tree phone_setup "Phone set-up"
  audience: agent
  start: hello

node hello "Hello"
  say "Agents only."
  end resolved
"#;

struct Site {
    _dir: tempfile::TempDir,
    trees: std::path::PathBuf,
    db: std::path::PathBuf,
    app: axum::Router,
    state: Arc<AppState>,
    api_token: Option<String>,
    settings: Settings,
}

fn state(trees: &Path, db: &Path, api_token: Option<String>, settings: Settings) -> Arc<AppState> {
    let store = Store::open(db).unwrap();
    Arc::new(AppState::new(
        Trees::open(trees, store.clone()).unwrap(),
        store,
        api_token,
        settings,
    ))
}

impl Site {
    fn new() -> Site {
        Site::with(Settings::default())
    }

    fn with(settings: Settings) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let trees = dir.path().join("trees");
        std::fs::create_dir(&trees).unwrap();
        std::fs::write(trees.join("wifi.tree"), WIFI).unwrap();
        std::fs::write(trees.join("phone.tree"), PHONE).unwrap();
        let db = dir.path().join("sessions.db");
        let api_token = Some("reports-token".to_owned());
        let state = state(&trees, &db, api_token.clone(), settings.clone());
        let app = router(Arc::clone(&state));
        Site {
            _dir: dir,
            trees,
            db,
            app,
            state,
            api_token,
            settings,
        }
    }

    /// The same database and trees behind a fresh server: a restart.
    fn restart(&mut self) {
        self.state = state(
            &self.trees,
            &self.db,
            self.api_token.clone(),
            self.settings.clone(),
        );
        self.app = router(Arc::clone(&self.state));
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers: headers.clone(),
            location: headers
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            cookie: headers
                .get(header::SET_COOKIE)
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned()),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(path).header(header::HOST, "help.example");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
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

    /// Starts the Wi-Fi tree as a customer and passes the greeting: the session's path and
    /// its owner cookie.
    async fn start(&self) -> (String, String) {
        let reply = self.post("/start/wifi", None, &[]).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        let (path, cookie) = (reply.location.unwrap(), reply.cookie.unwrap());
        let (csrf, seq) = self.form(&path, &cookie).await;
        let moved = self
            .post(
                &path,
                Some(&cookie),
                &[("csrf", &csrf), ("seq", &seq), ("choose", "0")],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER);
        (path, cookie)
    }

    /// The hidden form values of a step page.
    async fn form(&self, path: &str, cookie: &str) -> (String, String) {
        let page = self.get(path, Some(cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        (hidden(&page.body, "csrf"), hidden(&page.body, "seq"))
    }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("the hidden field is on the page") + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_home_page_lists_customer_trees_and_searches_them() {
    let site = Site::new();
    let home = site.get("/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Wi-Fi not working"));
    assert!(
        !home.body.contains("Phone set-up"),
        "agent-only trees are not offered"
    );
    let found = site.get("/?q=wifi", None).await;
    assert!(found.body.contains("Wi-Fi not working"));
    let none = site.get("/?q=printer", None).await;
    assert!(none.body.contains("No help topic matches"));
}

#[tokio::test]
async fn a_customer_walks_to_a_resolution_with_validation_and_back() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    assert_eq!(path.len(), "/s/".len() + 32);
    let page = site.get(&path, Some(&cookie)).await;
    assert!(page.body.contains("Router lights"));
    assert!(
        page.body.contains("&lt;b&gt;Look closely&lt;/b&gt;"),
        "tree text is escaped"
    );
    assert!(
        !page.body.contains("Agent check"),
        "agent-only options are hidden"
    );

    // A refused answer: the page says why, and nothing is stored.
    let (csrf, seq) = site.form(&path, &cookie).await;
    let refused = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &seq),
                ("postcode", "?!"),
                ("choose", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Postcode"), "{}", refused.body);
    assert!(
        refused.body.contains("value=\"?!\""),
        "what was typed stays in the box"
    );

    let moved = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &seq),
                ("postcode", "SW1A 1AA"),
                ("choose", "0"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let end = site.get(&path, Some(&cookie)).await;
    assert!(end.body.contains("Solved"), "{}", end.body);
    assert!(end.body.contains("back online"));
    // Issue 14 item 9: the end page lists what the customer answered and chose, step by step.
    assert!(end.body.contains("What you told us"), "{}", end.body);
    assert!(
        end.body.contains("<li>Hello — chose My Wi-Fi is down</li>"),
        "{}",
        end.body
    );
    assert!(
        end.body
            .contains("<li>Router lights — Postcode: SW1A 1AA — chose All green</li>"),
        "{}",
        end.body
    );
}

#[tokio::test]
async fn back_reopens_the_previous_step_and_a_stale_page_changes_nothing() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let (csrf, seq) = site.form(&path, &cookie).await;
    let back = site
        .post(
            &path,
            Some(&cookie),
            &[("csrf", &csrf), ("seq", &seq), ("go", "back")],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let page = site.get(&path, Some(&cookie)).await;
    assert!(page.body.contains("<h1>Hello</h1>"), "{}", page.body);
    let (csrf, seq) = site.form(&path, &cookie).await;
    site.post(
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("seq", &seq), ("choose", "0")],
    )
    .await;
    let (csrf, seq) = site.form(&path, &cookie).await;
    site.post(
        &path,
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("seq", &seq),
            ("postcode", "SW1A 1AA"),
            ("choose", "1"),
        ],
    )
    .await;
    // The same (now old) page posted again, as from a second tab or the back button.
    let stale = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &seq),
                ("postcode", "SW1A 1AA"),
                ("choose", "0"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    assert_eq!(
        stale.location.as_deref(),
        Some(format!("{path}?stale=1").as_str())
    );
    let end = site.get(&path, Some(&cookie)).await;
    assert!(
        end.body.contains("Field engineers"),
        "the first post stands: {}",
        end.body
    );
}

#[tokio::test]
async fn an_escalation_gives_a_handoff_code_that_finds_the_session() {
    let site = Site::with(Settings {
        handoff_lifetime: std::time::Duration::from_secs(2 * 3600),
        ..Settings::default()
    });
    let (path, cookie) = site.start().await;
    let (csrf, seq) = site.form(&path, &cookie).await;
    site.post(
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("seq", &seq), ("go", "person")],
    )
    .await;
    let end = site.get(&path, Some(&cookie)).await;
    assert!(end.body.contains("Your reference code is"), "{}", end.body);
    let code = end.body.split("class=\"code\"").nth(1).unwrap();
    let code = code
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .trim();
    let store = Store::open(&site.db).unwrap();
    let id = path.trim_start_matches("/s/");
    assert_eq!(store.find_handoff(code).unwrap().as_deref(), Some(id));
    let events = store.events(id).unwrap();
    assert!(
        matches!(events.last(), Some(Event::Escalated { reason, .. }) if reason == "customer asked for a person")
    );
    let info = store.session(id).unwrap().unwrap();
    assert_eq!(
        info.handoff_expires,
        Some(events.last().unwrap().at() + 2 * 3600 * 1000),
        "the server's --handoff-hours"
    );
}

#[tokio::test]
async fn a_session_continues_after_a_restart_and_after_the_tree_is_edited() {
    let mut site = Site::new();
    let (path, cookie) = site.start().await;
    std::fs::write(
        site.trees.join("wifi.tree"),
        WIFI.replace("Router lights", "Your router's lights"),
    )
    .unwrap();
    site.restart();
    let page = site.get(&path, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Router lights</h1>"),
        "the session stays on the version it started on: {}",
        page.body
    );
    let (fresh, fresh_cookie) = site.start().await;
    let page = site.get(&fresh, Some(&fresh_cookie)).await;
    assert!(
        page.body.contains("Your router&#39;s lights")
            || page.body.contains("Your router's lights")
    );
}

#[tokio::test]
async fn strangers_other_sites_and_broken_requests_are_refused_with_4xx() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    // Without the owner's cookie the session does not exist.
    assert_eq!(site.get(&path, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        site.get(&path, Some("calltree_x=y")).await.status,
        StatusCode::NOT_FOUND
    );
    let id = path.trim_start_matches("/s/");
    let wrong = format!("calltree_{id}=00000000000000000000000000000000");
    assert_eq!(
        site.get(&path, Some(&wrong)).await.status,
        StatusCode::NOT_FOUND
    );
    // A form with the wrong token, or from another site, changes nothing.
    let (csrf, seq) = site.form(&path, &cookie).await;
    let forged = site
        .post(
            &path,
            Some(&cookie),
            &[("csrf", "forged"), ("seq", &seq), ("go", "person")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let request = Request::post(&path)
        .header(header::HOST, "help.example")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}&seq={seq}&go=person")))
        .unwrap();
    assert_eq!(site.send(request).await.status, StatusCode::FORBIDDEN);
    // Broken forms and bodies.
    let missing = site.post(&path, Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let bad_choice = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &seq),
                ("postcode", "SW1A 1AA"),
                ("choose", "99"),
            ],
        )
        .await;
    assert_eq!(bad_choice.status, StatusCode::BAD_REQUEST);
    let long = "A".repeat(2_500);
    let too_long = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &seq),
                ("postcode", &long),
                ("choose", "0"),
            ],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long
            .body
            .contains("please keep this under 2000 characters")
    );
    let huge = "x".repeat(64 * 1024);
    let too_big = site
        .post(
            &path,
            Some(&cookie),
            &[("csrf", &csrf), ("seq", &seq), ("postcode", &huge)],
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        site.get("/s/..%2F..", Some(&cookie)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/nowhere", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.post("/start/phone_setup", None, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    // The session is untouched by all of that: its start and the greeting's choice.
    let store = Store::open(&site.db).unwrap();
    assert_eq!(store.events(id).unwrap().len(), 2);
}

#[tokio::test]
async fn the_json_api_wants_its_token() {
    let site = Site::new();
    let (path, _) = site.start().await;
    let id = path.trim_start_matches("/s/");
    assert_eq!(
        site.get("/api/sessions", None).await.status,
        StatusCode::FORBIDDEN
    );
    let request = |token: &str| {
        Request::get(format!("/api/sessions/{id}/events"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        site.send(request("wrong")).await.status,
        StatusCode::FORBIDDEN
    );
    let events = site.send(request("reports-token")).await;
    assert_eq!(events.status, StatusCode::OK);
    assert!(
        events.body.contains("\"event\":\"started\""),
        "{}",
        events.body
    );
    let list = site
        .send(
            Request::get("/api/sessions?tree=wifi")
                .header(header::AUTHORIZATION, "Bearer reports-token")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(list.body.contains(id), "{}", list.body);
}

#[tokio::test]
async fn feedback_ratings_and_comments_are_stored_with_the_session() {
    let site = Site::new();
    let survey = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../trees/csat_survey.tree"),
    )
    .unwrap();
    std::fs::write(site.trees.join("csat_survey.tree"), survey).unwrap();
    // The server notices new trees at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let started = site.post("/start/csat_survey", None, &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let (path, cookie) = (started.location.unwrap(), started.cookie.unwrap());
    let (csrf, seq) = site.form(&path, &cookie).await;
    site.post(
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("seq", &seq), ("choose", "0")],
    )
    .await;
    let page = site.get(&path, Some(&cookie)).await;
    assert!(
        page.body
            .contains("type=\"radio\" name=\"score\" value=\"5\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("<textarea"), "{}", page.body);
    let (csrf, seq) = site.form(&path, &cookie).await;
    let sent = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &seq),
                ("score", "4"),
                ("reason_comment", "Quick & friendly <3"),
                ("choose", "0"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let store = Store::open(&site.db).unwrap();
    let events = store.events(path.trim_start_matches("/s/")).unwrap();
    let answers: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Answered { field, value, .. } => Some((field.clone(), value.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        answers,
        [
            ("score".to_owned(), "4".to_owned()),
            (
                "reason_comment".to_owned(),
                "Quick & friendly <3".to_owned()
            )
        ]
    );
}

#[tokio::test]
async fn after_an_agent_takes_over_the_customer_page_says_so_and_changes_nothing() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let (csrf, seq) = site.form(&path, &cookie).await;
    site.post(
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("seq", &seq), ("go", "person")],
    )
    .await;
    let id = path.trim_start_matches("/s/");
    assert_eq!(
        site.state.folded_sessions(),
        (1, 3),
        "the session is kept folded after the post"
    );
    // Another program (the agent's) adds to it: the kept fold is out of date.
    let store = Store::open(&site.db).unwrap();
    let count = store.events(id).unwrap().len();
    store
        .append(id, count, &Event::TakenOver { at: 99 })
        .unwrap();

    let page = site.get(&path, Some(&cookie)).await;
    assert!(
        page.body.contains("An agent has your case"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Agent check"),
        "no agent-only option for the customer"
    );
    // An old form from before the take-over is refused, and the agent's session is intact.
    let late = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &(count + 1).to_string()),
                ("choose", "2"),
            ],
        )
        .await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    assert_eq!(store.events(id).unwrap().len(), count + 1);
}

#[tokio::test]
async fn behind_a_tls_proxy_forms_are_accepted_and_the_cookie_is_secure() {
    let proxied = || {
        Request::post("/start/wifi")
            .header(header::HOST, "127.0.0.1:8080")
            .header("x-forwarded-host", "help.example")
            .header("x-forwarded-proto", "https")
            .header(header::ORIGIN, "https://help.example")
            .body(Body::empty())
            .unwrap()
    };
    let site = Site::with(Settings {
        trusted_proxy: true,
        ..Settings::default()
    });
    let response = site.app.clone().oneshot(proxied()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    // Without --trusted-proxy anybody could send those headers: they count for nothing, so
    // the Origin names another host than the request's.
    let site = Site::new();
    let response = site.app.clone().oneshot(proxied()).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let mut same_host = proxied();
    same_host
        .headers_mut()
        .insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
    let response = site.app.clone().oneshot(same_host).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

/// The sentence of the site's own refusal page, which every refusal must be.
fn assert_own_page(reply: &Reply, status: StatusCode, sentence: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(
        reply.body.starts_with("<!DOCTYPE html>") && reply.body.contains(sentence),
        "{status}: {}",
        reply.body
    );
}

#[tokio::test]
async fn every_refusal_is_the_sites_own_page_and_ownership_comes_before_the_body() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let (csrf, seq) = site.form(&path, &cookie).await;
    let raw = |method: &str, path: &str, kind: &str, body: &'static [u8], cookie: Option<&str>| {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "help.example")
            .header(header::CONTENT_TYPE, kind);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::from(body)).unwrap()
    };
    let form = "application/x-www-form-urlencoded";

    // 405, with the methods that do work.
    let reply = site
        .send(raw("DELETE", &path, form, b"", Some(&cookie)))
        .await;
    assert_own_page(
        &reply,
        StatusCode::METHOD_NOT_ALLOWED,
        "cannot be used that way",
    );
    assert!(
        reply.headers[header::ALLOW]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    // 415 for the owner; a stranger's JSON body is not even looked at: 404.
    let reply = site
        .send(raw("POST", &path, "application/json", b"{}", Some(&cookie)))
        .await;
    assert_own_page(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "only takes its own forms",
    );
    let reply = site
        .send(raw("POST", &path, "application/json", b"{}", None))
        .await;
    assert_own_page(&reply, StatusCode::NOT_FOUND, "There is nothing here");
    let huge: &'static [u8] = Vec::leak(vec![b'x'; 100 * 1024]);
    let reply = site.send(raw("POST", &path, form, huge, None)).await;
    assert_own_page(&reply, StatusCode::NOT_FOUND, "There is nothing here");
    // 413 for the owner.
    let reply = site
        .send(raw("POST", &path, form, huge, Some(&cookie)))
        .await;
    assert_own_page(
        &reply,
        StatusCode::PAYLOAD_TOO_LARGE,
        "longer than this site accepts",
    );
    // 400 for a query the framework cannot read.
    let reply = site.get(&format!("{path}?stale=lots"), Some(&cookie)).await;
    assert_own_page(&reply, StatusCode::BAD_REQUEST, "could not read");
    let reply = site.get("/%FF", None).await;
    assert!(reply.status.is_client_error());
    assert!(reply.body.starts_with("<!DOCTYPE html>"), "{}", reply.body);

    // The bug: a postcode that was not UTF-8 became U+FFFD and was stored. Now it is the
    // step again, with a sentence, and nothing is stored.
    let body: &'static [u8] =
        Vec::leak(format!("csrf={csrf}&seq={seq}&postcode=SW1%FF+1AA&choose=0").into_bytes());
    let reply = site
        .send(raw("POST", &path, form, body, Some(&cookie)))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body.contains("could not be read as text"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("name=\"postcode\""),
        "the step is shown again"
    );
    let store = Store::open(&site.db).unwrap();
    assert_eq!(
        store.events(path.trim_start_matches("/s/")).unwrap().len(),
        2
    );

    // The API answers in JSON.
    let request = Request::get("/api/sessions?limit=many")
        .header(header::AUTHORIZATION, "Bearer reports-token")
        .body(Body::empty())
        .unwrap();
    let reply = site.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert!(json["error"].as_str().unwrap().contains("could not read"));
    let request = Request::get("/api/sessions/nope/events")
        .header(header::AUTHORIZATION, "Bearer reports-token")
        .body(Body::empty())
        .unwrap();
    let reply = site.send(request).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(serde_json::from_str::<serde_json::Value>(&reply.body).is_ok());
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let pages = [
        site.get("/", None).await,
        site.get(&path, Some(&cookie)).await,
        site.get("/nowhere", None).await,
        site.post("/start/wifi", None, &[]).await,
    ];
    for page in &pages {
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("script-src"),
            "{csp}"
        );
        assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(page.headers[header::REFERRER_POLICY], "same-origin");
        assert_eq!(page.headers[header::X_FRAME_OPTIONS], "DENY");
        assert!(page.headers.contains_key(header::CACHE_CONTROL));
        // The page's own style block is allowed by its hash, and nothing else is.
        if let Some(style) = page.body.split("<style>").nth(1) {
            let style = style.split("</style>").next().unwrap();
            let hash = sha256_base64(style.as_bytes());
            assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        }
    }
}

fn sha256_base64(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = String::new();
    for byte in digest {
        bits.push_str(&format!("{byte:08b}"));
    }
    while !bits.len().is_multiple_of(6) {
        bits.push('0');
    }
    let mut out: String = bits
        .as_bytes()
        .chunks(6)
        .map(|six| {
            alphabet[usize::from_str_radix(std::str::from_utf8(six).unwrap(), 2).unwrap()] as char
        })
        .collect();
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

#[tokio::test]
async fn reading_a_handed_off_end_page_writes_nothing() {
    let site = Site::new();
    let (path, cookie) = site.start().await;
    let (csrf, seq) = site.form(&path, &cookie).await;
    site.post(
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("seq", &seq), ("go", "person")],
    )
    .await;
    let first = site.get(&path, Some(&cookie)).await;
    assert!(first.body.contains("class=\"code\""), "{}", first.body);
    let before = site.state.store.writes();
    for _ in 0..3 {
        let again = site.get(&path, Some(&cookie)).await;
        assert_eq!(again.body, first.body);
    }
    assert_eq!(site.state.store.writes(), before, "a GET asked for a write");
}

#[tokio::test]
async fn one_client_cannot_start_or_post_without_limit() {
    let site = Site::with(Settings {
        starts_per_minute: 3,
        posts_per_minute: 4,
        ..Settings::default()
    });
    let (path, cookie) = site.start().await; // one start, one post
    for _ in 0..2 {
        let started = site.post("/start/wifi", None, &[]).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER);
    }
    let refused = site.post("/start/wifi", None, &[]).await;
    assert_own_page(&refused, StatusCode::TOO_MANY_REQUESTS, "wait a minute");
    let wait: u64 = refused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");

    let id = path.trim_start_matches("/s/");
    let store = Store::open(&site.db).unwrap();
    let before = store.events(id).unwrap().len();
    let (csrf, seq) = site.form(&path, &cookie).await;
    for _ in 0..3 {
        site.post(
            &path,
            Some(&cookie),
            &[("csrf", &csrf), ("seq", &seq), ("postcode", "SW1A 1AA")],
        )
        .await;
    }
    let refused = site
        .post(
            &path,
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("seq", &seq),
                ("postcode", "SW1A 1AA"),
                ("choose", "0"),
            ],
        )
        .await;
    assert_own_page(&refused, StatusCode::TOO_MANY_REQUESTS, "wait a minute");
    assert_eq!(store.events(id).unwrap().len(), before, "nothing stored");
    assert_eq!(
        site.get(&path, Some(&cookie)).await.status,
        StatusCode::OK,
        "reading is not limited"
    );
}

#[tokio::test]
async fn a_session_stops_at_its_event_cap_and_its_age() {
    let site = Site::with(Settings {
        max_events: 3,
        ..Settings::default()
    });
    let (path, cookie) = site.start().await; // started, chose
    let (csrf, seq) = site.form(&path, &cookie).await;
    let back = site
        .post(
            &path,
            Some(&cookie),
            &[("csrf", &csrf), ("seq", &seq), ("go", "back")],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let (csrf, seq) = site.form(&path, &cookie).await;
    let capped = site
        .post(
            &path,
            Some(&cookie),
            &[("csrf", &csrf), ("seq", &seq), ("choose", "0")],
        )
        .await;
    assert_own_page(&capped, StatusCode::GONE, "too long to continue here");
    let store = Store::open(&site.db).unwrap();
    assert_eq!(
        store.events(path.trim_start_matches("/s/")).unwrap().len(),
        3
    );

    let site = Site::with(Settings {
        max_session_age: std::time::Duration::ZERO,
        ..Settings::default()
    });
    let reply = site.post("/start/wifi", None, &[]).await;
    let (path, cookie) = (reply.location.unwrap(), reply.cookie.unwrap());
    std::thread::sleep(std::time::Duration::from_millis(5));
    let (csrf, seq) = site.form(&path, &cookie).await;
    let old = site
        .post(
            &path,
            Some(&cookie),
            &[("csrf", &csrf), ("seq", &seq), ("choose", "0")],
        )
        .await;
    assert_own_page(&old, StatusCode::GONE, "started too long ago");
}

const LINKED: &str = r#"tree linked "Linked from the account page"
  audience: customer
  start: check_postcode

field postcode: text "Postcode" given pattern "[A-Z0-9 ]{5,8}"
field tier: text "Tier" given

node check_postcode "Your postcode"
  say "Please check your postcode."
  ask postcode
  -> done

node done "Done"
  say "Thanks."
  end resolved
"#;

/// Issue 14, item 10: a link hands values in through the query of `/start/TREE`, but only
/// for `given` fields the tree asks anyway, and each is checked like an answer.
#[tokio::test]
async fn a_start_link_fills_in_given_fields_the_customer_is_asked_anyway() {
    let mut site = Site::new();
    std::fs::write(site.trees.join("linked.tree"), LINKED).unwrap();
    site.restart();

    let started = site
        .post("/start/linked?postcode=SW1A%201AA", None, &[])
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let page = site
        .get(&started.location.unwrap(), started.cookie.as_deref())
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"value="SW1A 1AA""#), "{}", page.body);

    // `tier` is given but never asked: a visitor must not be able to set it from a link.
    let forged = site.post("/start/linked?tier=gold", None, &[]).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(
        forged
            .body
            .contains("which this page does not take from a link"),
        "{}",
        forged.body
    );
    let wrong = site.post("/start/linked?postcode=%3Cb%3E", None, &[]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("Postcode"), "{}", wrong.body);
    assert!(!wrong.body.contains("<b>"), "escaped: {}", wrong.body);
    // A tree without given fields takes nothing from a link either.
    let other = site
        .post("/start/wifi?postcode=SW1A%201AA", None, &[])
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    // Listed on the home page while the postcode is optional; once a link must hand it in,
    // the search no longer offers a button that could only be refused.
    assert!(
        site.get("/", None)
            .await
            .body
            .contains("Linked from the account page")
    );
    std::fs::write(
        site.trees.join("linked.tree"),
        LINKED.replace("given pattern", "required given pattern"),
    )
    .unwrap();
    site.restart();
    assert!(
        !site
            .get("/", None)
            .await
            .body
            .contains("Linked from the account page")
    );
    let without = site.post("/start/linked", None, &[]).await;
    assert_eq!(without.status, StatusCode::BAD_REQUEST);
    assert!(
        without.body.contains("must be handed in"),
        "{}",
        without.body
    );
    let with = site
        .post("/start/linked?postcode=SW1A%201AA", None, &[])
        .await;
    assert_eq!(with.status, StatusCode::SEE_OTHER);
}

/// The API's 405 and 413 are JSON like its other refusals, with sentences for whoever calls
/// the API: the method refused and the ones taken, the size allowed and how to keep under it
/// (before, they reused the customer pages' words about links and shortening answers).
#[tokio::test]
async fn the_apis_405_and_413_say_what_was_refused_in_json() {
    let site = Site::new();
    let request = Request::delete("/api/v1/trees")
        .header(header::AUTHORIZATION, "Bearer nobody")
        .body(Body::empty())
        .unwrap();
    let reply = site.send(request).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(json["status"], 405);
    let sentence = json["error"].as_str().unwrap();
    assert_eq!(
        sentence,
        "This API address does not take DELETE requests, so nothing was done. The methods it takes are in this answer's Allow header."
    );
    let allow = reply.headers[header::ALLOW].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    let huge: &'static [u8] = Vec::leak(vec![b'x'; 9 * 1024 * 1024]);
    let request = Request::post("/api/v1/sessions/abc/events")
        .header(header::AUTHORIZATION, "Bearer nobody")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(huge))
        .unwrap();
    let reply = site.send(request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(json["status"], 413);
    assert_eq!(
        json["error"],
        "The request's body is larger than the API takes (8 MB at most), so nothing was stored. Send a backlog in parts of at most 1000 events, or publish a smaller project."
    );
}
