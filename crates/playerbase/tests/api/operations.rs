//! `/metrics`: what an operator's Prometheus scrapes.

use axum::http::{Method, StatusCode};
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
