//! The OpenAPI document is generated from the handlers; these tests hold it
//! to the routes the server really answers.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::support::TestApp;

/// API.md's seed routes, its v1 routes so far, "Log in with Twitch" and the operations routes, as (method, path).
const CONTRACT: [(&str, &str); 34] = [
    ("post", "/api/users"),
    ("get", "/api/users"),
    ("get", "/api/users/{user}"),
    ("get", "/api/token"),
    ("get", "/api/resource"),
    ("post", "/api/users/update"),
    ("post", "/api/v1/players"),
    ("get", "/api/v1/players/{id}"),
    ("delete", "/api/v1/players/{id}"),
    ("get", "/api/v1/players/by-name/{username}"),
    ("get", "/api/v1/players/by-twitch/{twitch_user_id}"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("delete", "/api/v1/me"),
    ("get", "/api/v1/me/export"),
    ("get", "/api/v1/stats"),
    ("post", "/api/v1/players/{id}/awards"),
    ("get", "/api/v1/players/{id}/awards"),
    ("post", "/api/v1/awards"),
    ("get", "/api/v1/leaderboards/{stat}"),
    ("get", "/api/v1/leaderboards/{stat}/players/{id}"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/auth/twitch"),
    ("post", "/api/v1/auth/twitch/link"),
    ("post", "/api/v1/auth/twitch/exchange"),
    ("get", "/auth/twitch"),
    ("get", "/auth/twitch/callback"),
    ("post", "/api/v1/twitch/eventsub"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

#[tokio::test]
async fn the_document_is_served_and_lists_the_contract() {
    let t = TestApp::new().await;
    let reply = t.get("/api/openapi.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = &reply.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    for (method, path) in CONTRACT {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is missing from the document");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert!(schemes["basic"].is_object() && schemes["bearer"].is_object());
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let t = TestApp::new().await;
    let doc = t.get("/api/openapi.json").await.body;
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in
            item.as_object().unwrap().keys().filter(|k| ["get", "post", "patch", "put", "delete"].contains(&k.as_str()))
        {
            let concrete = path
                .replace("{user}", "someone")
                .replace("{username}", "someone")
                .replace("{twitch_user_id}", "44429626")
                .replace("{id}", "1")
                .replace("{stat}", "meleeAtkXp");
            assert!(!concrete.contains('{'), "{path} has a parameter this test does not fill in");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = t.respond(method.clone(), &concrete, &[], Some(b"{}".to_vec())).await;
            let is_stream = response.headers().get("content-type").is_some_and(|v| v == "text/event-stream");
            let code = if is_stream {
                String::new() // routed, and its body never ends
            } else {
                let raw = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
                let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                body["error"]["code"].as_str().unwrap_or("").to_owned()
            };
            assert!(code != "no_route" && code != "method_not_allowed", "{method} {path} is documented but not routed");
            operations += 1;
        }
    }
    assert_eq!(
        operations,
        CONTRACT.len(),
        "the document has operations the contract list lacks: {}",
        Value::from(paths.keys().cloned().collect::<Vec<_>>())
    );
}
