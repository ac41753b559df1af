use axum::http::StatusCode;
use playerbase::domain::Scope;
use serde_json::json;

use super::*;
use crate::support::bearer;
use crate::support::fake_twitch::CLIENT_ID;
use crate::v1_accounts::{api_key, create_player};

#[tokio::test]
async fn twitch_login_sends_the_browser_to_twitch_with_a_fresh_state() {
    let (fake, t) = app().await;
    let reply = t.get("/auth/twitch").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.header("location");
    assert!(location.starts_with(&format!("{}/oauth2/authorize?", fake.base)), "{location}");
    let params = params(location);
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["response_type", "client_id", "redirect_uri", "scope", "state"]);
    assert_eq!(param(location, "response_type").unwrap(), "code");
    assert_eq!(param(location, "client_id").unwrap(), CLIENT_ID);
    assert_eq!(param(location, "redirect_uri").unwrap(), CALLBACK);
    assert_eq!(param(location, "scope").unwrap(), "");
    let state = param(location, "state").unwrap();
    assert!(state.len() >= 40, "{state}");
    let again = t.get("/auth/twitch").await;
    assert_ne!(param(again.header("location"), "state").unwrap(), state, "every login has its own state");
    // Nothing asked of Twitch yet: the browser goes there.
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn twitch_login_asks_for_scopes_only_when_told() {
    let (_fake, t) = app().await;
    let reply = t.get("/auth/twitch?scope=moderator:read:followers%20bits:read").await;
    assert_eq!(param(reply.header("location"), "scope").unwrap(), "moderator:read:followers bits:read");
    let reply = t.get("/api/v1/auth/twitch?scope=%3Cscript%3E").await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_scope"));
}

#[tokio::test]
async fn twitch_login_creates_the_player_and_answers_with_tokens() {
    let (fake, t) = app().await;
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    assert_eq!(reply.header("referrer-policy"), "no-referrer");
    let access = reply.body["access_token"].as_str().unwrap();
    assert!(access.starts_with("pba_") && reply.body["refresh_token"].as_str().unwrap().starts_with("pbr_"));
    let me = t.get_as("/api/v1/me", &bearer(access)).await;
    assert_eq!(me.body["username"], VIEWER_LOGIN);
    assert_eq!(me.body["twitch"], json!({"user_id": VIEWER_ID, "login": VIEWER_LOGIN}));
    // The code was traded with the registered redirect URI, then the token validated.
    let exchange = &fake.requests_to("/oauth2/token")[0];
    assert_eq!(exchange.body["grant_type"], "authorization_code");
    assert_eq!(exchange.body["redirect_uri"], CALLBACK);
    assert_eq!(fake.requests_to("/oauth2/validate").len(), 1);
    // A second login is the same player.
    let again = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    let me_again = t.get_as("/api/v1/me", &bearer(again.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me_again.body["id"], me.body["id"]);
}

#[tokio::test]
async fn twitch_login_logs_the_viewer_into_the_player_made_from_their_events() {
    let (fake, t) = app().await;
    // The player EventSub would have made from the viewer's first chat message.
    let key = api_key(&t, "bot", &[Scope::PlayersWrite]).await;
    let made =
        create_player(&t, Some(&bearer(&key)), json!({"username": "chatter", "twitch_user_id": VIEWER_ID})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    // The viewer has renamed themselves on Twitch since.
    let reply = log_in(&fake, &t, VIEWER_ID, "newname").await;
    let me = t.get_as("/api/v1/me", &bearer(reply.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["id"], made.body["id"]);
    assert_eq!(me.body["username"], "chatter");
    assert_eq!(me.body["twitch"], json!({"user_id": VIEWER_ID, "login": "newname"}));
    assert_eq!(t.get("/api/users/").await.body["users"], json!(["chatter"]), "no second player");
}

#[tokio::test]
async fn twitch_login_makes_the_username_unique() {
    let (fake, t) = app().await;
    t.register(VIEWER_LOGIN, "python3x").await;
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    let me = t.get_as("/api/v1/me", &bearer(reply.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["username"], "twitchdev_2");
    assert_eq!(me.body["twitch"]["user_id"], VIEWER_ID);
}

#[tokio::test]
async fn twitch_login_refuses_a_wrong_or_missing_state() {
    let (fake, t) = app().await;
    let started = start(&t, "").await;
    let code = fake.consent(VIEWER_ID, VIEWER_LOGIN);
    for wrong in ["pbs_wrong", "x", &format!("{started}x")] {
        let reply = t.get(&format!("/auth/twitch/callback?code={code}&state={wrong}")).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_state"), "{wrong}");
    }
    let reply = t.get(&format!("/auth/twitch/callback?code={code}")).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "missing_state"));
    assert!(fake.requests().is_empty(), "a code under a bad state is never traded");
    assert_eq!(t.get("/api/users/").await.body["users"], json!([]));
}

#[tokio::test]
async fn twitch_login_refuses_a_reused_state() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    let first = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((again.status, again.code()), (StatusCode::BAD_REQUEST, "invalid_state"));
}

#[tokio::test]
async fn twitch_login_state_is_taken_once_even_by_racing_callbacks() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    let (a, b) = tokio::join!(
        consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN),
        consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
}

#[tokio::test]
async fn twitch_login_state_expires_after_ten_minutes() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    t.state.clock.advance(601);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_state"));
}

#[tokio::test]
async fn twitch_login_reports_a_denied_consent() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    let denied =
        format!("/auth/twitch/callback?error=access_denied&error_description=The+user+denied+you+access&state={state}");
    let reply = t.get(&denied).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::FORBIDDEN, "twitch_access_denied"), "{}", reply.body);
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("declined"));
    assert!(fake.requests().is_empty());
    // The state is spent: a late code under it is refused.
    let late = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(late.code(), "invalid_state");
}

#[tokio::test]
async fn twitch_login_reports_a_token_exchange_failure() {
    let (fake, t) = app().await;
    fake.fail_token_exchange();
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "twitch_login_failed"), "{}", reply.body);
    assert!(fake.requests_to("/oauth2/validate").is_empty());
    assert_eq!(t.get("/api/users/").await.body["users"], json!([]), "no player made");
}

#[tokio::test]
async fn twitch_login_reports_a_validation_failure() {
    let (fake, t) = app().await;
    fake.fail_validate();
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "twitch_login_failed"), "{}", reply.body);
    fake.validate_as_client("anotherapp");
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.code(), "twitch_login_failed");
    assert_eq!(t.get("/api/users/").await.body["users"], json!([]));
}

#[tokio::test]
async fn twitch_login_without_credentials_configured_is_unavailable() {
    let t = TestApp::new().await;
    let reply = t.get("/api/v1/auth/twitch").await;
    assert_eq!((reply.status, reply.code()), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"));
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("twitch.client_id"));
    let page = t.get("/auth/twitch").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = String::from_utf8_lossy(&page.raw);
    assert!(html.contains("Log in with Twitch is not set up on this server"), "the website's start is a page: {html}");
}

#[tokio::test]
async fn twitch_login_callback_without_code_or_error_is_refused() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    let reply = t.get(&format!("/auth/twitch/callback?state={state}")).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "missing_code"));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn twitch_login_expired_states_are_swept() {
    let (_fake, t) = app().await;
    start(&t, "").await;
    start(&t, "").await;
    let store = &t.state.store;
    assert_eq!(store.delete_expired_twitch_logins(t.state.clock.now()).await.unwrap(), 0, "live ones stay");
    t.state.clock.advance(601);
    assert_eq!(store.delete_expired_twitch_logins(t.state.clock.now()).await.unwrap(), 2);
}

/// The `name=value` of a `Set-Cookie` header.
fn cookie_of(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn twitch_login_started_in_a_browser_finishes_only_in_that_browser() {
    let (fake, t) = app().await;
    let started = t.get("/auth/twitch").await;
    let set_cookie = started.header("set-cookie").to_owned();
    assert!(set_cookie.starts_with("playerbase_twitch_login="), "{set_cookie}");
    for attribute in ["Path=/auth/twitch", "Max-Age=600", "HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(set_cookie.contains(attribute), "{attribute} missing: {set_cookie}");
    }
    let state = param(started.header("location"), "state").unwrap();
    let callback = |code: String| format!("/auth/twitch/callback?code={code}&state={state}");

    // Someone else's browser (no cookie, or another one) cannot finish it: login CSRF.
    let elsewhere = t.get(&callback(fake.consent(VIEWER_ID, VIEWER_LOGIN))).await;
    assert_eq!((elsewhere.status, elsewhere.code()), (StatusCode::BAD_REQUEST, "invalid_state"));
    assert!(elsewhere.body["error"]["message"].as_str().unwrap().contains("another browser"));

    let started = t.get("/auth/twitch").await;
    let cookie = cookie_of(started.header("set-cookie")).to_owned();
    let state = param(started.header("location"), "state").unwrap();
    let path = format!("/auth/twitch/callback?code={}&state={state}", fake.consent(VIEWER_ID, VIEWER_LOGIN));
    let other = t.send_with(axum::http::Method::GET, &path, &[("cookie", "playerbase_twitch_login=other")], None).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert!(other.header("content-type").starts_with("text/html"), "a browser gets a page");
    assert!(String::from_utf8_lossy(&other.raw).contains("This Twitch login has expired"));

    let started = t.get("/auth/twitch").await;
    let cookie_header = format!("theme=dark; {}", cookie_of(started.header("set-cookie")));
    assert_ne!(cookie_header, cookie, "a cookie per login");
    let state = param(started.header("location"), "state").unwrap();
    let path = format!("/auth/twitch/callback?code={}&state={state}", fake.consent(VIEWER_ID, VIEWER_LOGIN));
    let same = t.send_with(axum::http::Method::GET, &path, &[("cookie", &cookie_header)], None).await;
    // The website's login: a website session, then the account page.
    assert_eq!(same.status, StatusCode::SEE_OTHER, "{}", same.body);
    assert_eq!(same.header("location"), "/account");
    let set: Vec<&str> = same.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert!(
        set.iter().any(|c| c.starts_with("playerbase_twitch_login=;") && c.contains("Max-Age=0")),
        "the binding cookie is cleared: {set:?}"
    );
    let session = set.iter().find(|c| !c.starts_with("playerbase_twitch_login=")).expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    let account = t.send_with(axum::http::Method::GET, "/account", &[("cookie", cookie_of(session))], None).await;
    assert_eq!(account.status, StatusCode::OK);
    let page = String::from_utf8(account.raw).unwrap();
    assert!(page.contains(VIEWER_LOGIN), "the account page of the Twitch account's player");
}

#[tokio::test]
async fn a_website_twitch_login_that_fails_ends_on_a_page_not_json() {
    let (fake, t) = app().await;
    let started = t.get("/auth/twitch").await;
    let cookie = cookie_of(started.header("set-cookie")).to_owned();
    let state = param(started.header("location"), "state").unwrap();
    let cancelled = format!("/auth/twitch/callback?error=access_denied&state={state}");
    let page = t.send_with(axum::http::Method::GET, &cancelled, &[("cookie", &cookie)], None).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.header("content-type").starts_with("text/html"), "{:?}", page.headers);
    let text = String::from_utf8_lossy(&page.raw);
    assert!(text.contains("Twitch login cancelled") && text.contains("try Twitch again"), "{text}");

    // Used once: the same state again, from a browser asking for a page.
    let path = format!("/auth/twitch/callback?code={}&state={state}", fake.consent(VIEWER_ID, VIEWER_LOGIN));
    let again = t.send_with(axum::http::Method::GET, &path, &[("accept", "text/html,*/*;q=0.8")], None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&again.raw).contains("Start it again from the login page"));
    // A game's client asking for JSON still gets the API's error shape.
    let api = t.get(&path).await;
    assert_eq!(api.code(), "invalid_state");
}

#[tokio::test]
async fn a_failed_website_twitch_login_page_shows_who_is_logged_in() {
    let (fake, t) = app().await;
    t.register("kicksent", "python3x").await;
    let mut me = crate::web::Visitor::new(&t);
    assert_eq!(me.log_in("kicksent", "python3x").await.status, StatusCode::SEE_OTHER);
    let started = me.get("/auth/twitch").await;
    let state = param(started.headers["location"].to_str().unwrap(), "state").unwrap();
    let cancelled = me.get(&format!("/auth/twitch/callback?error=access_denied&state={state}")).await;
    assert_eq!(cancelled.status, StatusCode::FORBIDDEN);
    assert!(cancelled.html.contains("Twitch login cancelled"), "{}", cancelled.html);
    assert!(cancelled.html.contains("<a href=\"/players/kicksent\">kicksent</a>"), "{}", cancelled.html);
    assert!(cancelled.html.contains("Log out"), "{}", cancelled.html);
    let started = me.get("/auth/twitch").await;
    let state = param(started.headers["location"].to_str().unwrap(), "state").unwrap();
    fake.fail_token_exchange();
    let code = fake.consent(VIEWER_ID, VIEWER_LOGIN);
    let failed = me.get(&format!("/auth/twitch/callback?code={code}&state={state}")).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "Twitch failed, not the database: {}", failed.html);
    assert!(failed.html.contains("<a href=\"/players/kicksent\">kicksent</a>"), "{}", failed.html);
    let refused = me.get("/auth/twitch?redirect=https://elsewhere.example/").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.html.contains("<a href=\"/players/kicksent\">kicksent</a>"), "{}", refused.html);
}
