//! The stylesheets and scripts, embedded. Pages link them with a hash of
//! their content in the query, so browsers may keep them for a year and
//! still fetch a new version the moment it ships.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::state::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 4] = [
    Asset { name: "site.css", content_type: "text/css; charset=utf-8", body: include_str!("static/site.css") },
    Asset { name: "overlay.css", content_type: "text/css; charset=utf-8", body: include_str!("static/overlay.css") },
    Asset { name: "live.js", content_type: "text/javascript; charset=utf-8", body: include_str!("static/live.js") },
    Asset {
        name: "overlay.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("static/overlay.js"),
    },
];

/// Per asset, the first 16 hex digits of its SHA-256.
static VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| Sha256::digest(asset.body.as_bytes())[..8].iter().map(|b| format!("{b:02x}")).collect())
        .collect()
});

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    let at = ASSETS.iter().position(|asset| asset.name == name)?;
    Some((&ASSETS[at], VERSIONS[at].as_str()))
}

/// The URL pages link an asset by.
pub fn url(name: &str) -> String {
    let (asset, version) = find(name).expect("the asset is embedded");
    format!("/static/{}?v={version}", asset.name)
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/static/{name}", get(serve))
}

#[derive(Deserialize)]
struct Version {
    v: Option<String>,
}

async fn serve(Path(name): Path<String>, Query(query): Query<Version>, headers: HeaderMap) -> Response {
    let Some((asset, version)) = find(&name) else {
        return super::errors::not_found_page();
    };
    let etag = format!("\"{version}\"");
    // A link with the current version may be kept for good; any other is checked each time.
    let cache = if query.v.as_deref() == Some(version) { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|tag| tag.as_bytes() == etag.as_bytes()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is a valid header"));
    response
}
