//! The seed's routes through the real router: every route, every status
//! they can produce, and each of the seed's defects.

use std::time::Instant;

use axum::http::{Method, StatusCode};
use playerbase::Config;
use playerbase::config::Registration;
use serde_json::{Value, json};

use crate::support::{TestApp, basic, bearer};

const SEED_STATS: [&str; 10] = [
    "meleeAtkXp",
    "mageAtkXp",
    "rangeAtkXp",
    "healthXp",
    "shieldXp",
    "evasionXp",
    "sizeXp",
    "blockXp",
    "ResistXp",
    "speedXp",
];

#[tokio::test]
async fn create_user_answers_201_with_location_and_is_readable_back() {
    let t = TestApp::new().await;
    let reply = t.post("/api/users", json!({"username": "kicksent", "password": "python3x"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(reply.body, json!({"id": id, "username": "kicksent"}));
    assert_eq!(reply.header("location"), format!("/api/users/{id}"));

    let by_name = t.get("/api/users/kicksent").await;
    assert_eq!(by_name.status, StatusCode::OK);
    assert_eq!(by_name.body["id"], id);
    assert_eq!(by_name.body["username"], "kicksent");
    assert!(by_name.body["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(by_name.body["twitch"], Value::Null);
    let by_id = t.get(&format!("/api/users/{id}")).await;
    assert_eq!(by_id.body, by_name.body);
}

#[tokio::test]
async fn every_route_answers_with_and_without_trailing_slash() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    let auth = basic("kicksent", "python3x");
    for path in ["/api/users", "/api/users/kicksent", "/api/token", "/api/resource", "/healthz", "/readyz"] {
        for variant in [path.to_owned(), format!("{path}/")] {
            let reply = t.get_as(&variant, &auth).await;
            assert_eq!(reply.status, StatusCode::OK, "GET {variant}: {}", reply.body);
        }
    }
    let created = t.post("/api/users/", json!({"username": "second", "password": "python3x"})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let updated = t.post("/api/users/update", json!({"username": "second", "password": "python3x"})).await;
    assert_eq!(updated.status, StatusCode::OK);
}

#[tokio::test]
async fn defect_get_bodies_are_plain_objects_not_body_status_headers_arrays() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    for path in ["/api/users/", "/api/users/kicksent", "/api/users/1"] {
        let reply = t.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(reply.body.is_object(), "{path} answered {}", reply.body);
    }
    let resource = t.get_as("/api/resource/", &basic("kicksent", "python3x")).await;
    assert!(resource.body.is_object());
    let token = t.get_as("/api/token/", &basic("kicksent", "python3x")).await;
    assert!(token.body.is_object());
}

#[tokio::test]
async fn defect_resource_shows_the_username_not_a_greeting() {
    let t = TestApp::new().await;
    let id = t.register("kicksent", "python3x").await;
    let reply = t.get_as("/api/resource/", &basic("kicksent", "python3x")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["id"], id);
    assert_eq!(reply.body["username"], "kicksent");
    assert!(!String::from_utf8_lossy(&reply.raw).contains("Hello"));
}

#[tokio::test]
async fn defect_each_stat_reports_its_own_value() {
    let t = TestApp::new().await;
    let id = t.register("kicksent", "python3x").await;
    let db = t.db().await;
    // Every stat a different value, so any stat showing another's is caught.
    for (n, stat) in SEED_STATS.iter().enumerate() {
        sqlx::query("INSERT INTO player_stats (player_id, stat, value) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(stat)
            .bind((n as i64 + 1) * 100)
            .execute(&db)
            .await
            .unwrap();
    }
    for reply in [t.get("/api/users/kicksent").await, t.get_as("/api/resource", &basic("kicksent", "python3x")).await] {
        let stats = reply.body["stats"].as_object().unwrap();
        let keys: Vec<&str> = stats.keys().map(String::as_str).collect();
        assert_eq!(keys, SEED_STATS, "all ten stats, in the seed's order");
        for (n, stat) in SEED_STATS.iter().enumerate() {
            assert_eq!(stats[*stat], (n as i64 + 1) * 100, "{stat}");
        }
        assert_eq!(reply.body["stats"]["shieldXp"], 500);
        assert_eq!(reply.body["stats"]["healthXp"], 400);
        // Runescape curve: 100 XP is level 2, 1000 XP level 9 (969 to 1153).
        assert_eq!(reply.body["levels"]["meleeAtkXp"], 2);
        assert_eq!(reply.body["levels"]["speedXp"], 9);
    }
}

#[tokio::test]
async fn defect_unknown_user_is_404_and_empty_list_is_200() {
    let t = TestApp::new().await;
    let empty = t.get("/api/users/").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, json!({"users": [], "next": null}));
    for path in
        ["/api/users/nobody", "/api/users/12345", "/api/users/not-a-valid-name", "/api/users/99999999999999999999999"]
    {
        let reply = t.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), "player_not_found");
    }
}

#[tokio::test]
async fn defect_update_needs_the_right_password_and_applies_both_changes() {
    let t = TestApp::new().await;
    let id = t.register("kicksent", "python3x").await;

    let no_password = t.post("/api/users/update/", json!({"username": "kicksent", "email": "evil@example.com"})).await;
    assert_eq!(no_password.status, StatusCode::BAD_REQUEST, "the password field is required");
    let wrong = t
        .post(
            "/api/users/update/",
            json!({"username": "kicksent", "password": "wrong-one", "email": "evil@example.com"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.headers.contains_key("www-authenticate"));
    let me = t.get_as("/api/resource", &basic("kicksent", "python3x")).await;
    assert_eq!(me.body["email"], Value::Null, "a refused update changes nothing");

    let ok = t
        .post(
            "/api/users/update/",
            json!({"username": "kicksent", "password": "python3x", "new_password": "brand-new-pw", "email": "k@example.com"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body, json!({"id": id, "username": "kicksent"}));
    assert_eq!(t.get_as("/api/resource", &basic("kicksent", "python3x")).await.status, StatusCode::UNAUTHORIZED);
    let me = t.get_as("/api/resource", &basic("kicksent", "brand-new-pw")).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "k@example.com");

    // A Unity class serialised with JsonUtility sends "" for the fields it leaves unset.
    let email_only = t
        .post(
            "/api/users/update/",
            json!({"username": "kicksent", "password": "brand-new-pw", "new_password": "", "email": "kk@example.com"}),
        )
        .await;
    assert_eq!(email_only.status, StatusCode::OK, "{}", email_only.body);
    let me = t.get_as("/api/resource", &basic("kicksent", "brand-new-pw")).await;
    assert_eq!(me.body["email"], "kk@example.com", "the email changed, the password did not");
}

#[tokio::test]
async fn defect_no_signing_secret_tokens_are_random_and_stored_hashed() {
    let one = TestApp::new().await;
    let other = TestApp::new().await;
    one.register("kicksent", "python3x").await;
    other.register("kicksent", "python3x").await;
    let token = one.token("kicksent", "python3x").await;
    assert!(token.starts_with("pbt_"));
    assert_eq!(one.get_as("/api/resource", &bearer(&token)).await.status, StatusCode::OK);
    // A secret in the source would make a token from one server good on another.
    let elsewhere = other.get_as("/api/resource", &bearer(&token)).await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
    assert_ne!(token, one.token("kicksent", "python3x").await);

    let db = one.db().await;
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT hash FROM tokens").fetch_all(&db).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|hash| hash.len() == 32 && !token.as_bytes().windows(8).any(|w| hash.windows(8).any(|h| h == w)))
    );
}

#[tokio::test]
async fn defect_request_bodies_are_bounded() {
    let t = TestApp::new().await;
    let padding = "x".repeat(64 * 1024);
    let body = json!({"username": "kicksent", "password": "python3x", "email": padding}).to_string().into_bytes();
    let reply = t.send(Method::POST, "/api/users", None, Some(body)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "body_too_large");
    assert_eq!(t.get("/api/users").await.body["users"], json!([]), "nothing was created");
    let update = t.send(Method::POST, "/api/users/update", None, Some(vec![b' '; 70 * 1024])).await;
    assert_eq!(update.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn tokens_work_as_bearer_and_as_basic_username_and_expire() {
    let t = TestApp::new().await;
    t.state.clock.pause();
    t.register("kicksent", "python3x").await;
    let reply = t.get_as("/api/token/", &basic("kicksent", "python3x")).await;
    assert_eq!(reply.body["duration"], 600);
    let token = reply.body["token"].as_str().unwrap();
    assert_eq!(t.get_as("/api/resource", &bearer(token)).await.status, StatusCode::OK);
    assert_eq!(t.get_as("/api/resource", &basic(token, "anything")).await.status, StatusCode::OK);
    assert_eq!(t.get_as("/api/resource", &basic(token, "")).await.status, StatusCode::OK);

    t.state.clock.advance(599);
    assert_eq!(t.get_as("/api/resource", &bearer(token)).await.status, StatusCode::OK);
    t.state.clock.advance(1);
    let expired = t.get_as("/api/resource", &bearer(token)).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.code(), "unauthorized");
}

#[tokio::test]
async fn token_duration_follows_the_configuration() {
    let mut config = Config::default();
    config.auth.token_seconds = 42;
    let t = TestApp::with_config(config).await;
    t.register("kicksent", "python3x").await;
    let token = t.token("kicksent", "python3x").await;
    assert_eq!(t.get_as("/api/token", &basic("kicksent", "python3x")).await.body["duration"], 42);
    t.state.clock.advance(42);
    assert_eq!(t.get_as("/api/resource", &bearer(&token)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_new_password_ends_every_token_at_once() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    let first = t.token("kicksent", "python3x").await;
    let second = t.token("kicksent", "python3x").await;
    let email_only =
        t.post("/api/users/update", json!({"username": "kicksent", "password": "python3x", "email": "a@b.co"})).await;
    assert_eq!(email_only.status, StatusCode::OK);
    assert_eq!(t.get_as("/api/resource", &bearer(&first)).await.status, StatusCode::OK, "an email change keeps tokens");

    let changed = t
        .post(
            "/api/users/update",
            json!({"username": "kicksent", "password": "python3x", "new_password": "another-pw"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    for token in [&first, &second] {
        assert_eq!(t.get_as("/api/resource", &bearer(token)).await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_token_cannot_mint_another_token() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    let token = t.token("kicksent", "python3x").await;
    for auth in [bearer(&token), basic(&token, "x")] {
        let reply = t.get_as("/api/token", &auth).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "expiry would mean nothing otherwise");
    }
}

#[tokio::test]
async fn credentials_failures_are_401_with_www_authenticate() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    let cases = [
        None,
        Some(basic("kicksent", "wrong-pass")),
        Some(basic("nobody", "python3x")),
        Some(basic("not a name!", "python3x")),
        Some(bearer("pbt_not-a-real-token-at-all-000000000000000")),
        Some("Bearer".to_owned()),
        Some("Basic %%%".to_owned()),
        Some("Digest username=kicksent".to_owned()),
    ];
    for auth in cases {
        for path in ["/api/resource", "/api/token"] {
            let reply = t.send(Method::GET, path, auth.as_deref(), None).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path} with {auth:?}");
            assert_eq!(reply.code(), "unauthorized");
            let challenges: Vec<_> = reply.headers.get_all("www-authenticate").iter().collect();
            assert!(challenges.iter().any(|c| c.to_str().unwrap().starts_with("Basic")), "{path} with {auth:?}");
        }
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_cost_the_same() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    // The fastest of several tries: the least disturbed by other load on the machine.
    async fn fastest_ms(t: &TestApp, user: &str) -> f64 {
        let mut times = Vec::new();
        for _ in 0..9 {
            let started = Instant::now();
            let reply = t.get_as("/api/resource", &basic(user, "wrong-password")).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.into_iter().fold(f64::INFINITY, f64::min)
    }
    let wrong_password = fastest_ms(&t, "kicksent").await;
    let unknown_user = fastest_ms(&t, "nobody_here").await;
    // Without the dummy hash an unknown user answers in well under a millisecond.
    assert!(unknown_user > wrong_password * 0.5, "unknown {unknown_user:.1} ms vs wrong {wrong_password:.1} ms");
    assert!(wrong_password > 1.0, "a real argon2 hash takes time: {wrong_password:.1} ms");
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM players").fetch_one(&t.db().await).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(!hash.contains("python3x"));
}

#[tokio::test]
async fn invalid_input_is_400_with_a_code_and_creates_nothing() {
    let t = TestApp::new().await;
    let long_name = "a".repeat(33);
    let long_password = "p".repeat(257);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"password": "python3x"}), "invalid_body"),
        (json!({"username": "kicksent"}), "invalid_body"),
        (json!({"username": 7, "password": "python3x"}), "invalid_body"),
        (json!({"username": "", "password": "python3x"}), "invalid_username"),
        (json!({"username": long_name, "password": "python3x"}), "invalid_username"),
        (json!({"username": "kick sent", "password": "python3x"}), "invalid_username"),
        (json!({"username": "kick-sent", "password": "python3x"}), "invalid_username"),
        (json!({"username": "kicksent", "password": "short"}), "invalid_password"),
        (json!({"username": "kicksent", "password": long_password}), "invalid_password"),
        (json!({"username": "kicksent", "password": "python3x", "email": "not-an-email"}), "invalid_email"),
        (json!({"username": "kicksent", "password": "python3x", "email": "a@b"}), "invalid_email"),
    ];
    for (body, code) in cases {
        let reply = t.post("/api/users", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.code(), code, "{body}");
        assert!(!reply.body["error"]["message"].as_str().unwrap().is_empty());
    }
    for raw in [&b"{not json"[..], b"", b"[1,2]", b"\xff\xfe"] {
        let reply = t.send(Method::POST, "/api/users", None, Some(raw.to_vec())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{raw:?}");
        assert!(["malformed_json", "invalid_body"].contains(&reply.code()), "{raw:?}: {}", reply.code());
    }
    assert_eq!(t.get("/api/users").await.body["users"], json!([]));
}

#[tokio::test]
async fn empty_email_counts_as_none() {
    let t = TestApp::new().await;
    let reply = t.post("/api/users", json!({"username": "kicksent", "password": "python3x", "email": ""})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let me = t.get_as("/api/resource", &basic("kicksent", "python3x")).await;
    assert_eq!(me.body["email"], Value::Null);
}

#[tokio::test]
async fn usernames_and_emails_are_unique_ignoring_case() {
    let t = TestApp::new().await;
    let created =
        t.post("/api/users", json!({"username": "KickSent", "password": "python3x", "email": "K@Example.com"})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["username"], "KickSent", "case is kept for display");

    let same_name = t.post("/api/users", json!({"username": "kicksent", "password": "python3x"})).await;
    assert_eq!(same_name.status, StatusCode::CONFLICT);
    assert_eq!(same_name.code(), "username_taken");
    let same_email =
        t.post("/api/users", json!({"username": "other", "password": "python3x", "email": "k@example.COM"})).await;
    assert_eq!(same_email.status, StatusCode::CONFLICT);
    assert_eq!(same_email.code(), "email_taken");

    t.register("second", "python3x").await;
    let steal = t
        .post("/api/users/update", json!({"username": "second", "password": "python3x", "email": "K@EXAMPLE.COM"}))
        .await;
    assert_eq!(steal.status, StatusCode::CONFLICT);
    assert_eq!(steal.code(), "email_taken");

    let found = t.get("/api/users/KICKSENT").await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body["username"], "KickSent");
}

#[tokio::test]
async fn concurrent_sign_ups_for_one_name_create_one_player() {
    let t = TestApp::new().await;
    let attempts = (0..6).map(|n| {
        let name = if n % 2 == 0 { "racer" } else { "RACER" };
        t.post("/api/users", json!({"username": name, "password": "python3x"}))
    });
    let replies = futures_util::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let conflicts = replies.iter().filter(|r| r.status == StatusCode::CONFLICT).count();
    assert_eq!((created, conflicts), (1, 5));
}

#[tokio::test]
async fn listing_pages_by_id_with_next() {
    let t = TestApp::new().await;
    let ids = [
        t.register("alpha", "python3x").await,
        t.register("bravo", "python3x").await,
        t.register("charlie", "python3x").await,
    ];
    let first = t.get("/api/users/?limit=2").await;
    assert_eq!(first.body, json!({"users": ["alpha", "bravo"], "next": ids[1]}));
    let second = t.get(&format!("/api/users/?limit=2&after={}", ids[1])).await;
    assert_eq!(second.body, json!({"users": ["charlie"], "next": null}));
    let exact = t.get("/api/users?limit=3").await;
    assert_eq!(exact.body["next"], Value::Null, "no empty last page");
    for bad in ["limit=0", "limit=1001", "limit=-1", "limit=abc", "after=x"] {
        let reply = t.get(&format!("/api/users?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn all_digit_paths_are_ids_and_a_player_named_update_is_found() {
    let t = TestApp::new().await;
    let first = t.register("kicksent", "python3x").await;
    t.register("1234", "python3x").await;
    t.register("update", "python3x").await;
    let digits = t.get("/api/users/1234").await;
    assert_eq!(digits.status, StatusCode::NOT_FOUND, "1234 is an id, and there is no player 1234");
    let said = digits.body["error"]["message"].as_str().unwrap();
    assert!(said.contains("no player with id 1234") && said.contains("/api/v1/players/by-name/1234"), "{said}");
    assert_eq!(t.get(&format!("/api/users/{first}")).await.body["username"], "kicksent");
    let update = t.get("/api/users/update/").await;
    assert_eq!(update.status, StatusCode::OK);
    assert_eq!(update.body["username"], "update");
}

#[tokio::test]
async fn emails_are_private() {
    let t = TestApp::new().await;
    t.post("/api/users", json!({"username": "kicksent", "password": "python3x", "email": "k@example.com"})).await;
    let public = t.get("/api/users/kicksent").await;
    assert!(public.body.get("email").is_none());
    assert!(!String::from_utf8_lossy(&public.raw).contains("k@example.com"));
    let listing = t.get("/api/users").await;
    assert!(!String::from_utf8_lossy(&listing.raw).contains("k@example.com"));
    let private = t.get_as("/api/resource", &basic("kicksent", "python3x")).await;
    assert_eq!(private.body["email"], "k@example.com");
}

#[tokio::test]
async fn closed_registration_is_403() {
    let mut config = Config::default();
    config.auth.registration = Registration::Closed;
    let t = TestApp::with_config(config).await;
    let reply = t.post("/api/users", json!({"username": "kicksent", "password": "python3x"})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "registration_closed");
}

#[tokio::test]
async fn configured_password_minimum_applies() {
    let mut config = Config::default();
    config.auth.min_password_length = 12;
    let t = TestApp::with_config(config).await;
    let reply = t.post("/api/users", json!({"username": "kicksent", "password": "python3x"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("12"));
    t.register("kicksent", "twelve-chars").await;
    let short_new = t
        .post(
            "/api/users/update",
            json!({"username": "kicksent", "password": "twelve-chars", "new_password": "python3x"}),
        )
        .await;
    assert_eq!(short_new.status, StatusCode::BAD_REQUEST);
    assert_eq!(short_new.code(), "invalid_password");
    assert_eq!(t.get_as("/api/resource", &basic("kicksent", "twelve-chars")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_and_methods_use_the_error_shape() {
    let t = TestApp::new().await;
    let missing = t.get("/api/nothing-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "no_route");
    let wrong_method = t.send(Method::DELETE, "/api/users", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let t = TestApp::new().await;
    let a = t.get("/healthz").await;
    let b = t.get("/nowhere").await;
    assert_eq!(a.body, json!({"status": "ok"}));
    assert_eq!(a.header("x-request-id").len(), 36);
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}

#[tokio::test]
async fn readiness_reflects_the_database() {
    let t = TestApp::new().await;
    assert_eq!(t.get("/readyz").await.status, StatusCode::OK);
    t.state.store.close().await;
    let reply = t.get("/readyz").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.code(), "unavailable");
}

#[tokio::test]
async fn custom_stats_from_the_configuration_shape_every_player() {
    let config = Config {
        stats: toml_stats(
            r#"
        [[stats]]
        key = "wins"
        op = "add"
        [[stats]]
        key = "bestLap"
        op = "min"
        default = 999
        levels = [0, 10, 20]
        "#,
        ),
        ..Config::default()
    };
    let t = TestApp::with_config(config).await;
    t.register("kicksent", "python3x").await;
    let reply = t.get("/api/users/kicksent").await;
    assert_eq!(reply.body["stats"], json!({"wins": 0, "bestLap": 999}));
    assert_eq!(reply.body["levels"], json!({"bestLap": 3}), "only stats with a curve have a level");
}

fn toml_stats(text: &str) -> Vec<playerbase::domain::stats::StatSpec> {
    #[derive(serde::Deserialize)]
    struct File {
        stats: Vec<playerbase::domain::stats::StatSpec>,
    }
    toml::from_str::<File>(text).unwrap().stats
}

#[tokio::test]
async fn tokens_and_private_data_are_never_cached() {
    let t = TestApp::new().await;
    t.register("kicksent", "python3x").await;
    let auth = basic("kicksent", "python3x");
    for path in ["/api/token", "/api/resource", "/api/v1/me"] {
        let reply = t.get_as(path, &auth).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert_eq!(reply.header("cache-control"), "no-store", "{path}");
    }
    let change = json!({"current_password": "python3x", "email": "k@example.com"}).to_string().into_bytes();
    let patched = t.send(axum::http::Method::PATCH, "/api/v1/me", Some(&auth), Some(change)).await;
    assert_eq!(
        (patched.status, patched.header("cache-control")),
        (StatusCode::OK, "no-store"),
        "PATCH answers the email"
    );
    let public = t.get("/api/users/kicksent").await;
    assert!(public.headers.get("cache-control").is_none_or(|v| v != "no-store"), "public profiles may be cached");
}
