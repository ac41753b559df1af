//! The OpenAPI document is generated from the handlers; these tests hold it
//! to the routes the server really answers.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::support::TestApp;

/// API.md's seed routes, its v1 routes so far, "Log in with Twitch" and the operations routes, as (method, path).
const CONTRACT: [(&str, &str); 35] = [
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
    ("post", "/api/v1/auth/twitch/link/confirm"),
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
async fn every_answer_documents_and_carries_the_request_id() {
    let t = TestApp::new().await;
    let doc = t.get("/api/openapi.json").await.body;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                assert!(response["headers"]["x-request-id"].is_object(), "{method} {path} {status} lacks x-request-id");
            }
        }
    }
    let reply = t.send_with(Method::GET, "/api/v1/stats", &[("x-request-id", "unity-7f3a")], None).await;
    assert_eq!(reply.headers["x-request-id"], "unity-7f3a");
}

#[tokio::test]
async fn bad_path_parameters_and_oversized_bodies_are_documented_where_they_can_happen() {
    let t = TestApp::new().await;
    let doc = t.get("/api/openapi.json").await.body;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            if path.contains('{') {
                assert!(responses["400"].is_object(), "{method} {path} takes a path parameter: 400 undocumented");
            }
            if operation["requestBody"].is_object() {
                assert!(responses["413"].is_object(), "{method} {path} takes a body: 413 undocumented");
            }
        }
    }
    // What the document now says, the server does.
    let bad_id = t.get("/api/v1/players/abc").await;
    assert_eq!((bad_id.status, bad_id.code()), (axum::http::StatusCode::BAD_REQUEST, "invalid_path"));
    let big = t.send(Method::POST, "/api/users/update", None, Some(vec![b' '; 70 * 1024])).await;
    assert_eq!((big.status, big.code()), (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
}

/// Routes that are not operations of the API: the document itself and the
/// page that renders it.
const NOT_OPERATIONS: [&str; 3] = ["/api/openapi.json", "/api/docs", "/api/docs/{*file}"];

/// Whether the document must describe `path`: everything under `/api/`, the
/// "Log in with Twitch" routes games use too, and the operations routes.
fn must_be_documented(path: &str) -> bool {
    (path.starts_with("/api/")
        || path.starts_with("/auth/twitch")
        || ["/healthz", "/readyz", "/metrics"].contains(&path))
        && !NOT_OPERATIONS.contains(&path)
}

/// The operations the router really has, as (method, path). axum lists no
/// routes, but its `Debug` output names each route's path
/// (`RouteId(n): "/path"`) and the methods it allows
/// (`RouteId(n): MethodRouter(… allow_header: Bytes(b"POST,GET,HEAD") …)`).
fn routed_operations(t: &TestApp) -> BTreeSet<(String, String)> {
    let debug = format!("{:?}", t.app.get_ref());
    let path_router = debug.split("fallback_router").next().unwrap();
    let mut paths = BTreeMap::new();
    let mut allowed = BTreeMap::new();
    for entry in path_router.split("RouteId(").skip(1) {
        let Some((id, rest)) = entry.split_once(')') else { continue };
        if let Some(path) = rest.strip_prefix(": \"") {
            paths.insert(id.to_owned(), path.split('"').next().unwrap().to_owned());
        } else if let Some((_, methods)) = rest.split_once("allow_header: Bytes(b\"") {
            allowed.insert(id.to_owned(), methods.split('"').next().unwrap().to_owned());
        }
    }
    let mut operations = BTreeSet::new();
    for (id, path) in paths {
        // A route without a method router (a bare service) answers every method.
        let methods = allowed.get(&id).map_or("ANY", String::as_str);
        for method in methods.split(',').filter(|m| *m != "HEAD") {
            operations.insert((method.to_lowercase(), path.clone()));
        }
    }
    assert!(
        operations.contains(&("post".to_owned(), "/api/users".to_owned()))
            && operations.contains(&("get".to_owned(), "/api/openapi.json".to_owned())),
        "axum's Debug output changed; this test can no longer list the routes: {operations:?}"
    );
    operations
}

/// A request path for a route pattern.
fn concrete(path: &str) -> String {
    let filled = path
        .replace("{user}", "someone")
        .replace("{username}", "someone")
        .replace("{twitch_user_id}", "44429626")
        .replace("{id}", "1")
        .replace("{stat}", "meleeAtkXp");
    assert!(!filled.contains('{'), "{path} has a parameter this test does not fill in");
    filled
}

/// Whether the router answers `method` on `path` with a handler (anything but 404 `no_route` and 405).
async fn is_routed(t: &TestApp, method: &str, path: &str) -> bool {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let response = t.respond(method, &concrete(path), &[], Some(b"{}".to_vec())).await;
    if response.headers().get("content-type").is_some_and(|v| v == "text/event-stream") {
        return true; // routed, and its body never ends
    }
    let raw = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().unwrap_or("");
    code != "no_route" && code != "method_not_allowed"
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Both ways: every operation the router has under `/api/` (and the
/// operations routes, `/metrics` included) is in the document, and every documented one is routed
/// and answered by a handler.
#[tokio::test]
async fn the_document_and_the_router_have_the_same_operations() {
    let t = TestApp::new().await;
    let doc = t.get("/api/openapi.json").await.body;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| METHODS.contains(&k.as_str())) {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let routed: BTreeSet<_> = routed_operations(&t).into_iter().filter(|(_, path)| must_be_documented(path)).collect();
    for (method, path) in &documented {
        assert!(is_routed(&t, method, path).await, "{method} {path} is documented but no handler answers it");
    }
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(undocumented.is_empty(), "routed but missing from the OpenAPI document: {undocumented:?}");
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(unrouted.is_empty(), "in the OpenAPI document but not routed: {unrouted:?}");
    assert!(routed.len() >= CONTRACT.len(), "fewer operations than API.md's: {routed:?}");
}

/// The Swagger UI page and its assets come from the binary; `/api/docs`
/// (with or without a slash) leads to the page, beside its assets.
#[tokio::test]
async fn the_docs_page_renders_the_document_from_embedded_files() {
    let t = TestApp::new().await;
    for path in ["/api/docs", "/api/docs/"] {
        let reply = t.respond(Method::GET, path, &[], None).await;
        assert!(reply.status().is_redirection(), "{path}: {}", reply.status());
        assert_eq!(reply.headers()["location"], "/api/docs/index.html", "{path}");
    }
    let page = t.respond(Method::GET, "/api/docs/index.html", &[], None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let raw = http_body_util::BodyExt::collect(page.into_body()).await.unwrap().to_bytes();
    let html = String::from_utf8(raw.to_vec()).unwrap();
    assert!(html.contains("src=\"./swagger-initializer.js\""), "{html}");
    let initializer = t.respond(Method::GET, "/api/docs/swagger-initializer.js", &[], None).await;
    assert_eq!(initializer.status(), StatusCode::OK);
    let raw = http_body_util::BodyExt::collect(initializer.into_body()).await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&raw).contains("\"url\": \"/api/openapi.json\""), "the page loads our document");
    for asset in ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "index.css"] {
        let reply = t.respond(Method::GET, &format!("/api/docs/{asset}"), &[], None).await;
        assert_eq!(reply.status(), StatusCode::OK, "{asset}");
    }
    let missing = t.get("/api/docs/no-such-file.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "no_route");
}

/// `stats` and `levels` are objects with one required integer per configured
/// stat, and the inputs naming a stat list the configured keys.
#[tokio::test]
async fn the_document_names_the_configured_stats() {
    let t = TestApp::new().await;
    let doc = t.get("/api/openapi.json").await.body;
    let schemas = &doc["components"]["schemas"];
    let defaults = Value::from(vec![
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
    ]);
    assert_eq!(schemas["Stats"]["required"], defaults);
    assert_eq!(schemas["Stats"]["properties"]["meleeAtkXp"]["minimum"], 0);
    assert_eq!(schemas["Levels"]["required"], defaults);
    assert_eq!(schemas["PublicPlayer"]["properties"]["stats"]["$ref"], "#/components/schemas/Stats");
    assert_eq!(schemas["PublicPlayer"]["properties"]["levels"]["$ref"], "#/components/schemas/Levels");
    assert_eq!(schemas["PlayerStatsAfter"]["properties"]["stats"]["$ref"], "#/components/schemas/Stats");
    assert_eq!(schemas["PlayerAwards"]["properties"]["stats"]["propertyNames"]["enum"], defaults);
    assert_eq!(schemas["BatchAward"]["properties"]["stat"]["enum"], defaults);
    let board = &doc["paths"]["/api/v1/leaderboards/{stat}"]["get"]["parameters"];
    let stat = board.as_array().unwrap().iter().find(|p| p["name"] == "stat").unwrap();
    assert_eq!(stat["schema"]["enum"], defaults);

    // A player's JSON has exactly the documented stats.
    let id = t.register("kicksent", "python3x").await;
    let player = t.get(&format!("/api/v1/players/{id}")).await.body;
    let keys: Vec<&String> = player["stats"].as_object().unwrap().keys().collect();
    assert_eq!(Value::from(keys.into_iter().cloned().collect::<Vec<_>>()), defaults);
}
