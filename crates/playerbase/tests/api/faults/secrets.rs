//! The real binary at its most verbose (`RUST_LOG=debug`, then `trace`)
//! through every way a secret reaches it — sign-up, logins good and bad,
//! tokens, refreshes, Basic auth, API keys, password and email changes — and
//! not one password, token, key or email in what it logged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::binary::create_api_key;
use crate::database::FreshDatabase;
use crate::process::Server;

#[tokio::test]
async fn debug_logs_hold_no_secret() {
    logs_hold_no_secret("debug").await;
}

#[tokio::test]
async fn trace_logs_hold_no_secret() {
    logs_hold_no_secret("trace").await;
}

/// Every secret the client sent or was given, collected as it goes.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    fn keep(&mut self, secret: &str) -> String {
        self.0.push(secret.to_owned());
        secret.to_owned()
    }

    /// A Basic credential: the pair in the clear and as it goes over the wire.
    fn basic(&mut self, user: &str, password: &str) -> (String, String) {
        self.0.push(STANDARD.encode(format!("{user}:{password}")));
        (user.to_owned(), password.to_owned())
    }
}

async fn logs_hold_no_secret(level: &str) {
    let fresh = FreshDatabase::new().await;
    let mut secrets = Secrets::default();
    let api_key = secrets.keep(&create_api_key(&fresh.database, "leak-test", &["awards:write"]));
    let server = Server::start_on(fresh, &[("RUST_LOG", level)]);
    let http = reqwest::Client::new();
    let url = |path: &str| server.url(path);
    let password = secrets.keep(&format!("first-Sekret-{level}-pw"));
    let email = secrets.keep(&format!("leaky.{level}@mail.example"));

    let created =
        http.post(url("/api/users")).json(&json!({"username": "leaky", "password": password, "email": email})).send();
    let created = created.await.unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // The seed's token, by Basic with the password, then as Bearer and as a Basic username.
    let (user, pass) = secrets.basic("leaky", &password);
    let grant: Value =
        http.get(url("/api/token/")).basic_auth(user, Some(pass)).send().await.unwrap().json().await.unwrap();
    let legacy = secrets.keep(grant["token"].as_str().unwrap());
    assert_eq!(http.get(url("/api/resource/")).bearer_auth(&legacy).send().await.unwrap().status(), 200);
    let (user, pass) = secrets.basic(&legacy, "anything");
    assert_eq!(http.get(url("/api/resource/")).basic_auth(user, Some(pass)).send().await.unwrap().status(), 200);

    // Wrong passwords, on both login routes.
    let wrong = secrets.keep(&format!("wrong-Guess-{level}-pw"));
    let (user, pass) = secrets.basic("leaky", &wrong);
    let refused = http.get(url("/api/token/")).basic_auth(user, Some(pass)).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let refused =
        http.post(url("/api/v1/auth/login")).json(&json!({"username": "leaky", "password": wrong})).send().await;
    assert_eq!(refused.unwrap().status(), 401);

    // v1 login, refresh (and a spent refresh token presented again), me.
    let pair: Value = http
        .post(url("/api/v1/auth/login"))
        .json(&json!({"username": "leaky", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.keep(pair["access_token"].as_str().unwrap());
    let refresh = secrets.keep(pair["refresh_token"].as_str().unwrap());
    let pair: Value = http
        .post(url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = secrets.keep(pair["access_token"].as_str().unwrap());
    let newer_refresh = secrets.keep(pair["refresh_token"].as_str().unwrap());
    assert_eq!(http.get(url("/api/v1/me")).bearer_auth(&access).send().await.unwrap().status(), 200);

    // A new password and email through PATCH /me; the seed's update route too.
    let new_password = secrets.keep(&format!("second-Sekret-{level}-pw"));
    let new_email = secrets.keep(&format!("leaky.new.{level}@mail.example"));
    let patched = http
        .patch(url("/api/v1/me"))
        .bearer_auth(&access)
        .json(&json!({"current_password": password, "new_password": new_password, "email": new_email}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());
    let third_password = secrets.keep(&format!("third-Sekret-{level}-pw"));
    let third_email = secrets.keep(&format!("leaky.third.{level}@mail.example"));
    let updated = http
        .post(url("/api/users/update/"))
        .json(&json!({"username": "leaky", "password": new_password, "new_password": third_password, "email": third_email}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200, "{}", updated.text().await.unwrap());
    let ended = http.post(url("/api/v1/auth/refresh")).json(&json!({"refresh_token": newer_refresh})).send().await;
    assert_eq!(ended.unwrap().status(), 401, "a new password ended the session");

    // A v1 sign-up with an email, an API key's award, and a key that does not exist.
    let other_password = secrets.keep(&format!("other-Sekret-{level}-pw"));
    let other_email = secrets.keep(&format!("other.{level}@mail.example"));
    let other = http
        .post(url("/api/v1/players"))
        .json(&json!({"username": "other", "password": other_password, "email": other_email}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 201);
    let award = http
        .post(url(&format!("/api/v1/players/{id}/awards")))
        .bearer_auth(&api_key)
        .header("idempotency-key", "leak-test-1")
        .json(&json!({"stats": {"meleeAtkXp": 5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(award.status(), 200);
    let forged = secrets.keep(&format!("pbk_{}", "Z".repeat(43)));
    let refused = http.post(url("/api/v1/awards")).bearer_auth(&forged).json(&json!({"awards": []})).send().await;
    assert_eq!(refused.unwrap().status(), StatusCode::UNAUTHORIZED);

    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    // Nothing in today's build logs at TRACE (hyper and tokio have their
    // tracing features off); the trace run guards against a dependency that will.
    assert!(log.contains(" DEBUG "), "RUST_LOG={level} took effect: {log}");
    for secret in &secrets.0 {
        let lines: Vec<&str> = log.lines().filter(|line| line.contains(secret.as_str())).collect();
        assert!(lines.is_empty(), "RUST_LOG={level}: the log holds the secret {secret}:\n{}", lines.join("\n"));
    }
}
