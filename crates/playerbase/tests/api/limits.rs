//! `[limits]`: 429 with Retry-After for password guessing, sign-up floods
//! and award floods, without locking an account's owner out.

use axum::http::{Method, StatusCode};
use playerbase::Config;
use playerbase::domain::Scope;
use serde_json::json;

use crate::support::{Reply, TestApp, basic};
use crate::v1_accounts::{PASSWORD, api_key};

fn config(edit: impl FnOnce(&mut playerbase::config::LimitsConfig)) -> Config {
    let mut config = Config::default();
    config.limits.trust_forwarded_for = true;
    edit(&mut config.limits);
    config
}

async fn login_from(t: &TestApp, ip: &str, username: &str, password: &str) -> Reply {
    let body = json!({"username": username, "password": password}).to_string().into_bytes();
    t.send_with(Method::POST, "/api/v1/auth/login", &[("x-forwarded-for", ip)], Some(body)).await
}

fn retry_after(reply: &Reply) -> i64 {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", reply.body);
    assert_eq!(reply.code(), "rate_limited");
    reply.header("retry-after").parse().unwrap()
}

#[tokio::test]
async fn password_attempts_are_limited_per_address() {
    let t = TestApp::with_config(config(|limits| limits.login_per_ip = 3)).await;
    t.state.clock.pause();
    t.register("kicksent", PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(login_from(&t, "203.0.113.1", "nobody", "wrong-guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let refused = login_from(&t, "203.0.113.1", "kicksent", PASSWORD).await;
    assert!((1..=60).contains(&retry_after(&refused)), "{:?}", refused.headers);
    assert_eq!(login_from(&t, "203.0.113.2", "kicksent", PASSWORD).await.status, StatusCode::OK);
    t.state.clock.advance(60);
    assert_eq!(login_from(&t, "203.0.113.1", "kicksent", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_thousand_guesses_from_many_addresses_are_throttled_and_the_owner_still_logs_in() {
    let t = TestApp::with_config(config(|_| {})).await;
    t.state.clock.pause();
    t.register("victim", PASSWORD).await;
    assert_eq!(login_from(&t, "198.51.100.7", "victim", PASSWORD).await.status, StatusCode::OK);

    let (mut guessed, mut throttled) = (0, 0);
    for n in 0..1000 {
        let ip = format!("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256);
        match login_from(&t, &ip, "victim", &format!("guess{n:04}")).await.status {
            StatusCode::UNAUTHORIZED => guessed += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("guess {n}: {other}"),
        }
    }
    // Ten failures are allowed; after them each guess waits twice as long as the last,
    // and with the clock stopped no wait ever ends.
    assert_eq!((guessed, throttled), (10, 990));

    assert_eq!(login_from(&t, "198.51.100.7", "victim", PASSWORD).await.status, StatusCode::OK, "the owner's address");
    let elsewhere = login_from(&t, "192.0.2.50", "victim", PASSWORD).await;
    let wait = retry_after(&elsewhere);
    assert!(wait <= 15 * 60, "the back-off is capped, never a lockout: {wait}");
    t.state.clock.advance(wait);
    assert_eq!(login_from(&t, "192.0.2.50", "victim", PASSWORD).await.status, StatusCode::OK, "after the wait");
}

#[tokio::test]
async fn the_owners_addresses_stay_known_after_a_restart() {
    let t = TestApp::with_config(config(|limits| limits.login_failures_per_account = 2)).await;
    t.register("victim", PASSWORD).await;
    assert_eq!(login_from(&t, "198.51.100.7", "victim", PASSWORD).await.status, StatusCode::OK);
    assert_eq!(login_from(&t, "2001:db8:1:2::aaaa", "Victim", PASSWORD).await.status, StatusCode::OK);

    // A new process on the same database: no failures, no addresses in memory.
    let restarted = t.another_instance().await;
    restarted.state.clock.pause();
    for n in 0..2 {
        let guess = login_from(&restarted, &format!("10.0.0.{n}"), "victim", "wrong-guess").await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    retry_after(&login_from(&restarted, "192.0.2.50", "victim", PASSWORD).await);
    let owner = login_from(&restarted, "198.51.100.7", "victim", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "the owner's address is known from the database: {}", owner.body);
    let same_network = login_from(&restarted, "2001:db8:1:2::bbbb", "VICTIM", PASSWORD).await;
    assert_eq!(same_network.status, StatusCode::OK, "an IPv6 address is known by its /64: {}", same_network.body);
    retry_after(&login_from(&restarted, "2001:db8:1:3::aaaa", "victim", PASSWORD).await);
    drop(restarted);
}

#[tokio::test]
async fn guessing_the_current_password_with_a_stolen_token_is_limited_too() {
    let t = TestApp::with_config(config(|limits| limits.login_failures_per_account = 2)).await;
    t.state.clock.pause();
    t.register("victim", PASSWORD).await;
    let token = t.token("victim", PASSWORD).await;
    let mut statuses = Vec::new();
    for guess in ["guess-one", "guess-two", "guess-three"] {
        let body = json!({"current_password": guess, "email": "new@example.com"}).to_string().into_bytes();
        let auth = format!("Bearer {token}");
        let headers = [("authorization", auth.as_str()), ("x-forwarded-for", "203.0.113.9")];
        statuses.push(t.send_with(Method::PATCH, "/api/v1/me", &headers, Some(body)).await.status);
    }
    assert_eq!(statuses, [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS]);
}

#[tokio::test]
async fn sign_ups_are_limited_per_address_but_not_for_api_keys() {
    let t = TestApp::with_config(config(|limits| limits.register_per_ip = 2)).await;
    let sign_up = |name: &str| {
        let body = json!({"username": name, "password": PASSWORD}).to_string().into_bytes();
        let t = &t;
        async move { t.send_with(Method::POST, "/api/users", &[("x-forwarded-for", "203.0.113.3")], Some(body)).await }
    };
    assert_eq!(sign_up("first").await.status, StatusCode::CREATED);
    assert_eq!(sign_up("second").await.status, StatusCode::CREATED);
    let refused = sign_up("third").await;
    assert!(retry_after(&refused) > 60, "an hour's allowance refills slowly");
    let v1 = json!({"username": "third", "password": PASSWORD}).to_string().into_bytes();
    let again = t.send_with(Method::POST, "/api/v1/players", &[("x-forwarded-for", "203.0.113.3")], Some(v1)).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS, "both sign-up routes share the allowance");

    let key = api_key(&t, "bot", &[Scope::PlayersWrite]).await;
    let auth = format!("Bearer {key}");
    for n in 0..5 {
        let body = json!({"username": format!("viewer{n}")}).to_string().into_bytes();
        let headers = [("authorization", auth.as_str()), ("x-forwarded-for", "203.0.113.3")];
        assert_eq!(
            t.send_with(Method::POST, "/api/v1/players", &headers, Some(body)).await.status,
            StatusCode::CREATED
        );
    }
}

#[tokio::test]
async fn sign_ups_refused_before_a_hash_cost_nothing_but_a_taken_email_counts() {
    let t = TestApp::with_config(config(|limits| limits.register_per_ip = 2)).await;
    t.state.clock.pause();
    let sign_up = |name: &str, email: &str| {
        let body = json!({"username": name, "password": PASSWORD, "email": email}).to_string().into_bytes();
        let t = &t;
        async move { t.send_with(Method::POST, "/api/users", &[("x-forwarded-for", "203.0.113.4")], Some(body)).await }
    };
    assert_eq!(sign_up("kicksent", "k@example.com").await.status, StatusCode::CREATED);
    for _ in 0..5 {
        assert_eq!(sign_up("KickSent", "other@example.com").await.status, StatusCode::CONFLICT, "a taken name");
        assert_eq!(sign_up("has space", "other@example.com").await.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(sign_up("fresh_name", "k@example.com").await.status, StatusCode::CONFLICT, "a taken email counts");
    retry_after(&sign_up("another", "another@example.com").await);
}

#[tokio::test]
async fn a_client_sending_its_password_with_every_request_is_checked_once_in_a_while() {
    let t = TestApp::with_config(config(|limits| limits.login_per_ip = 3)).await;
    t.state.clock.pause();
    t.register("kicksent", PASSWORD).await;
    // The Flask API's clients send their password with every request.
    let resource = |auth: String| {
        let t = &t;
        async move {
            let headers = [("authorization", auth.as_str()), ("x-forwarded-for", "203.0.113.5")];
            t.send_with(Method::GET, "/api/resource", &headers, None).await
        }
    };
    for n in 0..20 {
        let reply = resource(basic("kicksent", PASSWORD)).await;
        assert_eq!(reply.status, StatusCode::OK, "request {n}: {}", reply.body);
    }
    // One attempt was counted, for the first: two are left, for guesses.
    for _ in 0..2 {
        assert_eq!(resource(basic("kicksent", "wrong-guess")).await.status, StatusCode::UNAUTHORIZED);
    }
    retry_after(&resource(basic("kicksent", "wrong-guess")).await);
    assert_eq!(resource(basic("kicksent", PASSWORD)).await.status, StatusCode::OK, "the known credential still works");
    // A login always checks in full, and counts.
    retry_after(&login_from(&t, "203.0.113.5", "kicksent", PASSWORD).await);
    // Past the minutes a credential is remembered, it is checked (and counted) again.
    t.state.clock.advance(playerbase::auth::recent_logins::REMEMBERED_FOR);
    assert_eq!(resource(basic("kicksent", PASSWORD)).await.status, StatusCode::OK, "the allowance refilled meanwhile");
    for _ in 0..2 {
        assert_eq!(resource(basic("kicksent", "wrong-guess")).await.status, StatusCode::UNAUTHORIZED);
    }
    retry_after(&resource(basic("kicksent", "wrong-guess")).await);
}

#[tokio::test]
async fn a_new_password_through_another_instance_ends_an_addresses_exemption() {
    let t = TestApp::with_config(config(|limits| limits.login_failures_per_account = 2)).await;
    t.register("victim", PASSWORD).await;
    let session = login_from(&t, "198.51.100.7", "victim", PASSWORD).await;
    assert_eq!(session.status, StatusCode::OK);
    // The password changes through another server: this one's memory is not told.
    let other = t.another_instance().await;
    let new_password = "another-long-pw";
    let auth = crate::support::bearer(session.body["access_token"].as_str().unwrap());
    let change = json!({"current_password": PASSWORD, "new_password": new_password}).to_string().into_bytes();
    assert_eq!(other.send(Method::PATCH, "/api/v1/me", Some(&auth), Some(change)).await.status, StatusCode::OK);
    t.state.clock.pause();
    for n in 0..2 {
        let guess = login_from(&t, &format!("10.0.0.{n}"), "victim", "wrong-guess").await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    // Whoever logged in from there before knew the old password only.
    retry_after(&login_from(&t, "198.51.100.7", "victim", new_password).await);
    drop(other);
}

#[tokio::test]
async fn awards_per_key_count_awards_not_requests() {
    let t = TestApp::with_config(config(|limits| limits.awards_per_key = 2000)).await;
    t.state.clock.pause();
    let player = t.register("kicksent", PASSWORD).await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    let other_key = api_key(&t, "other", &[Scope::AwardsWrite]).await;
    let batch = |n: usize| {
        let awards: Vec<_> = (0..n).map(|_| json!({"player_id": player, "stat": "speedXp", "amount": 1})).collect();
        json!({"awards": awards}).to_string().into_bytes()
    };
    let send = |key: &str, body: Vec<u8>| {
        let auth = format!("Bearer {key}");
        let t = &t;
        async move { t.send_with(Method::POST, "/api/v1/awards", &[("authorization", auth.as_str())], Some(body)).await }
    };
    // Ten seconds of the rate (20,000) is the burst.
    for _ in 0..2 {
        assert_eq!(send(&key, batch(10_000)).await.status, StatusCode::OK);
    }
    let refused = send(&key, batch(3)).await;
    assert_eq!(retry_after(&refused), 1);
    assert_eq!(send(&other_key, batch(3)).await.status, StatusCode::OK, "each key has its own allowance");
    t.state.clock.advance(1);
    assert_eq!(send(&key, batch(3)).await.status, StatusCode::OK);
    let profile = t.get(&format!("/api/v1/players/{player}")).await;
    assert_eq!(profile.body["stats"]["speedXp"], 20_006, "the refused request applied nothing");
}

/// A game server retrying an award it already got an answer for (the answer
/// was lost on the way) gets that answer again, even over its allowance.
#[tokio::test]
async fn a_retry_over_the_award_limit_gets_its_first_answer() {
    let t = TestApp::with_config(config(|limits| limits.awards_per_key = 100)).await;
    t.state.clock.pause();
    let player = t.register("kicksent", PASSWORD).await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    let auth = format!("Bearer {key}");
    let batch = |n: usize| {
        let awards: Vec<_> = (0..n).map(|_| json!({"player_id": player, "stat": "speedXp", "amount": 1})).collect();
        json!({"awards": awards}).to_string().into_bytes()
    };
    let send = |idempotency: &'static str, body: Vec<u8>| {
        let headers = [("authorization", auth.as_str()), ("idempotency-key", idempotency)];
        let t = &t;
        async move { t.send_with(Method::POST, "/api/v1/awards", &headers, Some(body)).await }
    };
    // The allowance holds at least one full batch; this one takes it all.
    let first = send("retry-1", batch(10_000)).await;
    assert_eq!((first.status, &first.body), (StatusCode::OK, &json!({"applied": 10_000})));

    let retried = send("retry-1", batch(10_000)).await;
    assert_eq!((retried.status, &retried.body), (StatusCode::OK, &json!({"applied": 10_000})), "the first answer");
    let other_body = send("retry-1", batch(3)).await;
    assert_eq!(
        (other_body.status, other_body.code()),
        (StatusCode::CONFLICT, "idempotency_key_reused"),
        "over the limit too"
    );
    assert!(retry_after(&send("retry-2", batch(3)).await) >= 1, "a new request is still limited");
    let profile = t.get(&format!("/api/v1/players/{player}")).await;
    assert_eq!(profile.body["stats"]["speedXp"], 10_000, "applied once");
}
