//! The website: pages, forms, sessions and CSRF through the router (on
//! SQLite and PostgreSQL alike), and the same in a real headless Chromium.

mod browser;
mod forms;
mod pages;
mod timing;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use playerbase::domain::Username;
use playerbase::store::{ImportedPlayer, ImportedStat};
use tower::ServiceExt;

use crate::database::FreshDatabase;
use crate::support::TestApp;

/// A page as a browser got it.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The value of the first `name="csrf"` field.
    pub fn csrf(&self) -> String {
        let at = self.html.find("name=\"csrf\" value=\"").expect("the page has a form with a CSRF token");
        let rest = &self.html[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The `Set-Cookie` header that sets `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

/// Someone with a browser: keeps the cookies the site sets.
pub struct Visitor<'a> {
    t: &'a TestApp,
    cookies: Vec<(String, String)>,
}

impl<'a> Visitor<'a> {
    pub fn new(t: &'a TestApp) -> Self {
        Self { t, cookies: Vec::new() }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    async fn send(&mut self, method: Method, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        let body = match form {
            Some(fields) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(url_encoded(fields))
            }
            None => Body::empty(),
        };
        let response = self.t.app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let html = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        Page { status, headers, html }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(fields)).await
    }

    /// Logs in through the form, as a browser would: the form first, for its token.
    pub async fn log_in(&mut self, username: &str, password: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        self.post("/login", &[("username", username), ("password", password), ("csrf", &csrf)]).await
    }
}

fn url_encoded(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// An app whose database holds `count` players `p1`, `p2`, … without
/// passwords, where `pN` has `N * 10` meleeAtkXp (so `p{count}` leads).
/// Imported before the app starts, as `import-flask` would: thousands in seconds.
pub async fn app_with_players(count: usize) -> TestApp {
    app_with_players_in(count, playerbase::Config::default()).await
}

/// [`app_with_players`] with `config`.
pub async fn app_with_players_in(count: usize, config: playerbase::Config) -> TestApp {
    let fresh = FreshDatabase::new().await;
    let store = playerbase::store::open(&fresh.database).await.unwrap();
    let players: Vec<ImportedPlayer> = (1..=count as i64)
        .map(|id| ImportedPlayer {
            id,
            username: Username::parse(&format!("p{id}")).unwrap(),
            email: None,
            password_hash: None,
            created_at: 1_796_412_602,
            stats: vec![ImportedStat { stat: "meleeAtkXp".into(), amount: id * 10, value: id * 10 }],
        })
        .collect();
    for chunk in players.chunks(10_000) {
        store.import_players(chunk, "test players", 1_796_412_602).await.unwrap();
    }
    store.close().await;
    TestApp::on_with(fresh, config).await
}
