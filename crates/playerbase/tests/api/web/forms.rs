//! Forms, sessions and CSRF through the router.

use axum::http::StatusCode;
use playerbase::Config;
use playerbase::config::Registration;
use serde_json::json;

use super::Visitor;
use crate::support::{TestApp, basic, bearer};

const PASSWORD: &str = "python3x";

async fn signed_up(t: &TestApp, name: &str) -> i64 {
    t.register(name, PASSWORD).await
}

/// An API login's access token.
async fn api_login(t: &TestApp, name: &str, password: &str) -> String {
    let reply = t.post("/api/v1/auth/login", json!({"username": name, "password": password})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn forms_without_this_browsers_csrf_token_are_refused() {
    let t = TestApp::new().await;
    signed_up(&t, "kicksent").await;

    // Before logging in: no token, a made-up token, and another browser's token.
    let mut stranger = Visitor::new(&t);
    let no_token = stranger.post("/login", &[("username", "kicksent"), ("password", PASSWORD)]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.html.contains("This form has expired"), "{}", no_token.html);
    assert!(no_token.set_cookie("pb_session").is_none());
    stranger.get("/login").await;
    let made_up = stranger.post("/login", &[("username", "kicksent"), ("password", PASSWORD), ("csrf", "x")]).await;
    assert_eq!(made_up.status, StatusCode::FORBIDDEN);
    let mut other = Visitor::new(&t);
    let others_token = other.get("/login").await.csrf();
    let borrowed =
        stranger.post("/login", &[("username", "kicksent"), ("password", PASSWORD), ("csrf", &others_token)]).await;
    assert_eq!(borrowed.status, StatusCode::FORBIDDEN);
    let sign_up =
        stranger.post("/register", &[("username", "mallory"), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
    assert_eq!(sign_up.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/players/by-name/mallory").await.status, StatusCode::NOT_FOUND);

    // Logged in: the account forms and logout need this session's token.
    let mut me = Visitor::new(&t);
    assert_eq!(me.log_in("kicksent", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let change = [("current_password", PASSWORD), ("new_password", "n3w-secret"), ("confirm", "n3w-secret")];
    let refused = me.post("/account/password", &change).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let with_others = [&change[..], &[("csrf", others_token.as_str())]].concat();
    assert_eq!(me.post("/account/password", &with_others).await.status, StatusCode::FORBIDDEN);
    assert_eq!(me.post("/account/delete", &[("current_password", PASSWORD)]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(me.post("/logout", &[]).await.status, StatusCode::FORBIDDEN);
    // Nothing changed: the old password still works and the session is alive.
    api_login(&t, "kicksent", PASSWORD).await;
    assert_eq!(me.get("/account").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_login_sets_a_safe_cookie_and_logout_ends_the_session_in_the_store() {
    let t = TestApp::new().await;
    signed_up(&t, "kicksent").await;
    let mut me = Visitor::new(&t);
    let wrong = me.log_in("kicksent", "not-it-at-all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("Wrong username or password."));
    let login = me.log_in("kicksent", PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(login.location(), "/players/kicksent");
    let cookie = login.set_cookie("pb_session").expect("a session cookie");
    assert!(cookie.starts_with("pb_session=pbw_"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "http sites cannot keep Secure cookies: {cookie}");
    let stolen = me.cookie("pb_session").unwrap().to_owned();

    let account = me.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.html.contains("Logged in as"));
    let error_page = me.get("/players/nobody").await;
    assert_eq!(error_page.status, StatusCode::NOT_FOUND);
    assert!(!error_page.html.contains("Log in"), "a logged-in player is offered a login: {}", error_page.html);
    let logout = me.post("/logout", &[("csrf", &account.csrf())]).await;
    assert_eq!((logout.status, logout.location()), (StatusCode::SEE_OTHER, "/"));
    assert!(logout.set_cookie("pb_session").unwrap().contains("Max-Age=0"));

    // The cookie's session is over on the server too: a copy of it is worthless.
    let mut thief = Visitor::new(&t);
    thief.set_cookie("pb_session", &stolen);
    let refused = thief.get("/account").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location(), "/login?next=/account");
}

#[tokio::test]
async fn logging_in_over_a_login_ends_the_browsers_previous_session() {
    let t = TestApp::new().await;
    signed_up(&t, "kicksent").await;
    signed_up(&t, "other").await;
    let mut me = Visitor::new(&t);
    // A second tab's login form, opened before the first login.
    let second_tab = me.get("/login").await.csrf();
    me.log_in("kicksent", PASSWORD).await;
    let first = me.cookie("pb_session").unwrap().to_owned();
    let again = me.post("/login", &[("username", "other"), ("password", PASSWORD), ("csrf", &second_tab)]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.html);
    assert_ne!(me.cookie("pb_session").unwrap(), first);
    assert!(me.get("/account").await.html.contains("Logged in as"));
    let mut copy = Visitor::new(&t);
    copy.set_cookie("pb_session", &first);
    assert_eq!(copy.get("/account").await.location(), "/login?next=/account", "not left valid, unseen");
}

#[tokio::test]
async fn https_sites_get_secure_host_only_cookies() {
    let config = Config { public_url: "https://game.example".into(), ..Config::default() };
    let t = TestApp::with_config(config).await;
    signed_up(&t, "kicksent").await;
    let mut me = Visitor::new(&t);
    let form = me.get("/login").await;
    let form_cookie = form.set_cookie("__Host-pb_form").expect("a form cookie");
    assert!(form_cookie.contains("; Secure") && form_cookie.contains("HttpOnly"), "{form_cookie}");
    let login = me.post("/login", &[("username", "kicksent"), ("password", PASSWORD), ("csrf", &form.csrf())]).await;
    let cookie = login.set_cookie("__Host-pb_session").expect("a session cookie");
    assert!(cookie.contains("; Secure") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(me.get("/account").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_web_and_api() {
    let t = TestApp::new().await;
    signed_up(&t, "kicksent").await;
    let mut here = Visitor::new(&t);
    let mut elsewhere = Visitor::new(&t);
    here.log_in("kicksent", PASSWORD).await;
    elsewhere.log_in("kicksent", PASSWORD).await;
    let game = api_login(&t, "kicksent", PASSWORD).await;

    let csrf = here.get("/account").await.csrf();
    let short = [("current_password", PASSWORD), ("new_password", "short"), ("confirm", "short"), ("csrf", &csrf)];
    let refused = here.post("/account/password", &short).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.html.contains("at least 8"), "the API's rule and message: {}", refused.html);
    assert_eq!(invalid_inputs(&refused.html), marked("new-password", "new-password-hint password-error"));
    assert!(refused.html.contains("id=\"password-error\""));
    let wrong = [("current_password", "nope-nope"), ("new_password", "n3w-secret"), ("confirm", "n3w-secret")];
    let wrong = here.post("/account/password", &[&wrong[..], &[("csrf", csrf.as_str())]].concat()).await;
    assert!(wrong.html.contains("The current password is wrong."));
    assert_eq!(invalid_inputs(&wrong.html), marked("current-password", "password-error"));
    let differ = [("current_password", PASSWORD), ("new_password", "n3w-secret"), ("confirm", "n3w-secreT")];
    let differ = here.post("/account/password", &[&differ[..], &[("csrf", csrf.as_str())]].concat()).await;
    assert_eq!(invalid_inputs(&differ.html), marked("confirm-password", "password-error"));

    let change = [("current_password", PASSWORD), ("new_password", "n3w-secret"), ("confirm", "n3w-secret")];
    let changed = here.post("/account/password", &[&change[..], &[("csrf", csrf.as_str())]].concat()).await;
    assert_eq!((changed.status, changed.location()), (StatusCode::SEE_OTHER, "/account?done=password"));
    assert!(here.get("/account?done=password").await.html.contains("Your password is changed."));
    assert_eq!(elsewhere.get("/account").await.status, StatusCode::SEE_OTHER, "the other browser is logged out");
    assert_eq!(t.get_as("/api/v1/me", &bearer(&game)).await.status, StatusCode::UNAUTHORIZED);

    // And the other way round: a new password through the API ends website sessions.
    let game = api_login(&t, "kicksent", "n3w-secret").await;
    let body = json!({"current_password": "n3w-secret", "new_password": "third-one!"});
    let patch = t
        .send(axum::http::Method::PATCH, "/api/v1/me", Some(&bearer(&game)), Some(body.to_string().into_bytes()))
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.body);
    assert_eq!(here.get("/account").await.status, StatusCode::SEE_OTHER);
}

/// Each input marked `aria-invalid`, by id, with its `aria-describedby`.
fn invalid_inputs(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_owned())
    };
    html.split("<input")
        .skip(1)
        .filter_map(|input| {
            let tag = &input[..input.find('>')?];
            if !tag.contains(" aria-invalid=\"true\"") {
                return None;
            }
            Some((attribute(tag, "id")?, attribute(tag, "aria-describedby")?))
        })
        .collect()
}

fn marked(id: &str, described_by: &str) -> Vec<(String, String)> {
    vec![(id.to_owned(), described_by.to_owned())]
}

fn sign_up_form<'a>(name: &'a str, password: &'a str, confirm: &'a str, csrf: &'a str) -> [(&'a str, &'a str); 5] {
    [("username", name), ("email", ""), ("password", password), ("confirm", confirm), ("csrf", csrf)]
}

#[tokio::test]
async fn sign_up_follows_the_api_rules_and_logs_in() {
    let t = TestApp::new().await;
    signed_up(&t, "kicksent").await;
    let mut me = Visitor::new(&t);
    let csrf = me.get("/register").await.csrf();
    let taken = me.post("/register", &sign_up_form("KICKSENT", PASSWORD, PASSWORD, &csrf)).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.html.contains("That username is already taken."), "{}", taken.html);
    assert!(taken.html.contains("value=\"KICKSENT\""), "the form keeps what was typed");
    assert!(taken.html.contains("<p class=\"error\" role=\"alert\" id=\"form-error\">"));
    assert_eq!(invalid_inputs(&taken.html), marked("username", "username-hint form-error"));
    let short = me.post("/register", &sign_up_form("alice", "short", "short", &csrf)).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_inputs(&short.html), marked("password", "password-hint form-error"));
    let differ = me.post("/register", &sign_up_form("alice", PASSWORD, "python3y", &csrf)).await;
    assert!(differ.html.contains("The two passwords differ."));
    assert_eq!(invalid_inputs(&differ.html), marked("confirm", "form-error"));
    let bad_name = me.post("/register", &sign_up_form("al ice", PASSWORD, PASSWORD, &csrf)).await;
    assert_eq!(bad_name.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_inputs(&bad_name.html), marked("username", "username-hint form-error"));
    let bad_email = [("username", "alice"), ("email", "nope"), ("password", PASSWORD), ("confirm", PASSWORD)];
    let bad_email = me.post("/register", &[&bad_email[..], &[("csrf", csrf.as_str())]].concat()).await;
    assert_eq!(invalid_inputs(&bad_email.html), marked("email", "form-error"));
    assert!(invalid_inputs(&me.get("/register").await.html).is_empty(), "a fresh form marks nothing");

    let created = me.post("/register", &sign_up_form("alice", PASSWORD, PASSWORD, &csrf)).await;
    assert_eq!((created.status, created.location()), (StatusCode::SEE_OTHER, "/players/alice"));
    assert!(me.get("/players/alice").await.html.contains("<a href=\"/account\">Account</a>"), "logged in");
    assert_eq!(t.get("/api/v1/players/by-name/alice").await.status, StatusCode::OK);
}

#[tokio::test]
async fn closed_registration_closes_the_form() {
    let mut config = Config::default();
    config.auth.registration = Registration::Closed;
    let t = TestApp::with_config(config).await;
    let mut me = Visitor::new(&t);
    let page = me.get("/register").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("Sign-up is closed"));
    assert!(!me.get("/login").await.html.contains("href=\"/register\""), "no sign-up link");
    // A valid form token (the login form's: the same browser cookie), and still no sign-up.
    let csrf = me.get("/login").await.csrf();
    let fields = [("username", "alice"), ("password", PASSWORD), ("confirm", PASSWORD), ("csrf", &csrf)];
    assert_eq!(me.post("/register", &fields).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/api/v1/players/by-name/alice").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_twitch_link_shows_only_when_twitch_is_configured() {
    let t = TestApp::new().await;
    assert!(!Visitor::new(&t).get("/login").await.html.contains("/auth/twitch"));
    let mut config = Config::default();
    config.twitch.client_id = "abc123".into();
    let t = TestApp::with_config(config).await;
    assert!(Visitor::new(&t).get("/login").await.html.contains("href=\"/auth/twitch\">Log in with Twitch"));
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_logs_out() {
    let t = TestApp::new().await;
    signed_up(&t, "kicksent").await;
    let mut me = Visitor::new(&t);
    me.log_in("kicksent", PASSWORD).await;
    let csrf = me.get("/account").await.csrf();
    let wrong = me.post("/account/delete", &[("current_password", "nope-nope"), ("csrf", &csrf)]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_inputs(&wrong.html), marked("delete-password", "delete-error"));
    assert_eq!(t.get("/api/v1/players/by-name/kicksent").await.status, StatusCode::OK);
    let deleted = me.post("/account/delete", &[("current_password", PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(deleted.html.contains("Account deleted"));
    assert!(deleted.set_cookie("pb_session").unwrap().contains("Max-Age=0"));
    assert_eq!(t.get("/api/v1/players/by-name/kicksent").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_email_is_changed_with_the_password_and_stays_private() {
    let t = TestApp::new().await;
    signed_up(&t, "kicksent").await;
    let mut me = Visitor::new(&t);
    me.log_in("kicksent", PASSWORD).await;
    let csrf = me.get("/account").await.csrf();
    let bad =
        me.post("/account/email", &[("email", "not-an-email"), ("current_password", PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid_inputs(&bad.html), marked("email", "email-error"));
    let wrong = [("email", "kick@example.com"), ("current_password", "nope-nope"), ("csrf", &csrf)];
    assert_eq!(invalid_inputs(&me.post("/account/email", &wrong).await.html), marked("email-password", "email-error"));
    let emptied = [("email", " "), ("current_password", PASSWORD), ("csrf", &csrf)];
    assert_eq!(me.post("/account/email", &emptied).await.location(), "/account", "no email, none to remove");
    let fields = [("email", "kick@example.com"), ("current_password", PASSWORD), ("csrf", &csrf)];
    assert_eq!(me.post("/account/email", &fields).await.location(), "/account?done=email");
    assert!(me.get("/account").await.html.contains("value=\"kick@example.com\""));
    assert!(!Visitor::new(&t).get("/players/kicksent").await.html.contains("kick@example.com"));
    let without_field = [("current_password", PASSWORD), ("csrf", &csrf)];
    assert_eq!(me.post("/account/email", &without_field).await.location(), "/account");
    assert!(me.get("/account").await.html.contains("value=\"kick@example.com\""), "no field is no change");

    assert_eq!(me.post("/account/email", &emptied).await.location(), "/account?done=email-removed");
    let page = me.get("/account?done=email-removed").await.html;
    assert!(page.contains("Your email is removed.") && !page.contains("kick@example.com"), "{page}");
    let private = t.get_as("/api/resource", &basic("kicksent", PASSWORD)).await;
    assert_eq!(private.body["email"], serde_json::Value::Null, "{}", private.body);
}

#[tokio::test]
async fn website_logins_and_sign_ups_share_the_apis_rate_limits() {
    let mut config = Config::default();
    config.limits.login_per_ip = 2;
    config.limits.register_per_ip = 1;
    let t = TestApp::with_config(config).await;
    signed_up(&t, "kicksent").await; // the API's sign-up spends this address's one
    let mut me = Visitor::new(&t);
    let csrf = me.get("/register").await.csrf();
    let sign_up = me.post("/register", &sign_up_form("alice", PASSWORD, PASSWORD, &csrf)).await;
    assert_eq!(sign_up.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sign_up.headers.contains_key("retry-after"), "kept when the page is drawn for the visitor");
    assert!(sign_up.html.contains("href=\"/login\""), "drawn for the visitor");
    assert_eq!(t.get("/api/v1/players/by-name/alice").await.status, StatusCode::NOT_FOUND);

    api_login(&t, "kicksent", PASSWORD).await; // one of the two attempts a minute
    assert_eq!(me.log_in("kicksent", "wrong-one!").await.status, StatusCode::UNAUTHORIZED);
    let limited = me.log_in("kicksent", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.html.contains("Try again in"), "{}", limited.html);
    assert!(limited.set_cookie("pb_session").is_none());
}
