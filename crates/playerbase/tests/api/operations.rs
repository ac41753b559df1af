//! `/metrics`: what an operator's Prometheus scrapes.

use axum::http::{Method, StatusCode};
use playerbase::Config;
use playerbase::domain::Scope;
use serde_json::json;

use crate::support::{TestApp, bearer};
use crate::v1_accounts::{PASSWORD, api_key, send_json};

fn sample(text: &str, series: &str) -> f64 {
    let line = text.lines().find(|line| line.starts_with(series)).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_awards_applied() {
    let t = TestApp::new().await;
    let id = t.register("kicksent", PASSWORD).await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    for _ in 0..3 {
        assert_eq!(t.get(&format!("/api/v1/players/{id}")).await.status, StatusCode::OK);
    }
    assert_eq!(t.get("/api/v1/players/999").await.status, StatusCode::NOT_FOUND);
    let awards = json!({"awards": [{"player_id": id, "stat": "speedXp", "amount": 2},
                                   {"player_id": id, "stat": "healthXp", "amount": 3}]});
    assert_eq!(send_json(&t, Method::POST, "/api/v1/awards", Some(&bearer(&key)), awards).await.status, StatusCode::OK);

    let reply = t.get("/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("content-type").starts_with("application/openmetrics-text"));
    let text = String::from_utf8(reply.raw).unwrap();
    let by_id = "playerbase_http_requests_total{method=\"GET\",route=\"/api/v1/players/{id}\"";
    assert_eq!(sample(&text, &format!("{by_id},status=\"200\"}}")), 3.0);
    assert_eq!(sample(&text, &format!("{by_id},status=\"404\"}}")), 1.0);
    assert_eq!(
        sample(&text, "playerbase_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/players/{id}\"}"),
        4.0
    );
    assert_eq!(sample(&text, "playerbase_awards_applied_total"), 2.0);
    assert_eq!(sample(&text, "playerbase_award_queue_depth"), 0.0);
    assert!(!text.contains("kicksent") && !text.contains("pbk_"), "no names or secrets in metrics");
}

#[tokio::test]
async fn cross_origin_calls_are_refused_unless_configured() {
    let closed = TestApp::new().await;
    let reply = closed.send_with(Method::GET, "/api/v1/stats", &[("origin", "https://game.example")], None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers.get("access-control-allow-origin").is_none(), "CORS is off by default");

    let config = Config { cors_origins: vec!["https://game.example".into()], ..Config::default() };
    let open = TestApp::with_config(config).await;
    let preflight = [
        ("origin", "https://game.example"),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "authorization, idempotency-key"),
    ];
    let reply = open.send_with(Method::OPTIONS, "/api/v1/awards", &preflight, None).await;
    assert!(reply.status.is_success(), "{}", reply.status);
    assert_eq!(reply.header("access-control-allow-origin"), "https://game.example");
    assert!(reply.header("access-control-allow-headers").contains("idempotency-key"));
    let other = open.send_with(Method::GET, "/api/v1/stats", &[("origin", "https://evil.example")], None).await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_request_stuck_behind_a_locked_database_gets_503_and_its_retry_applies_once() {
    let mut config = Config::default();
    config.limits.request_timeout_seconds = 1;
    let t = TestApp::with_config(config).await;
    let id = t.register("kicksent", PASSWORD).await;
    let key = api_key(&t, "game", &[Scope::AwardsWrite]).await;
    let award = || {
        let body = json!({"stats": {"speedXp": 5}}).to_string().into_bytes();
        let auth = bearer(&key);
        let t = &t;
        async move {
            let headers = [("authorization", auth.as_str()), ("idempotency-key", "stuck-1")];
            t.send_with(Method::POST, &format!("/api/v1/players/{id}/awards"), &headers, Some(body)).await
        }
    };

    let db = t.db().await;
    let mut lock = db.acquire().await.unwrap();
    if t.on_postgres() {
        sqlx::query("BEGIN").execute(&mut *lock).await.unwrap();
        sqlx::query("LOCK TABLE ledger IN ACCESS EXCLUSIVE MODE").execute(&mut *lock).await.unwrap();
    } else {
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *lock).await.unwrap();
    }
    let started = std::time::Instant::now();
    let stuck = award().await;
    assert_eq!(stuck.status, StatusCode::SERVICE_UNAVAILABLE, "{}", stuck.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    sqlx::query("ROLLBACK").execute(&mut *lock).await.unwrap();
    drop(lock);

    let retried = award().await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    let profile = t.get(&format!("/api/v1/players/{id}")).await;
    assert_eq!(profile.body["stats"]["speedXp"], 5, "applied exactly once");
}
