//! `/overlay/awards?limit=5&seconds=20`: a ticker of awards as they happen.
//! The page starts empty; the script adds each award and lets it fade.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::domain::Op;
use crate::state::AppState;
use crate::web::assets;
use crate::web::errors::WebError;
use crate::web::layout::render;

struct StatLabel {
    key: String,
    label: String,
    /// An `add` stat's award is shown as the amount gained; others as the value they leave.
    adds: bool,
}

#[derive(Template)]
#[template(path = "overlays/awards.html")]
struct AwardsOverlay {
    css: String,
    script: String,
    limit: u32,
    seconds: u32,
    labels: Vec<StatLabel>,
}

#[derive(Deserialize)]
pub struct Params {
    limit: Option<String>,
    seconds: Option<String>,
}

fn number(raw: Option<&str>, default: u32, range: std::ops::RangeInclusive<u32>, name: &str) -> Result<u32, WebError> {
    match raw {
        None | Some("") => Ok(default),
        Some(raw) => raw.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            WebError::bad_request(format!("{name} must be a whole number from {} to {}.", range.start(), range.end()))
        }),
    }
}

pub async fn page(State(state): State<AppState>, Query(params): Query<Params>) -> Result<Response, WebError> {
    Ok(render(&AwardsOverlay {
        css: assets::url("overlay.css"),
        script: assets::url("overlay.js"),
        limit: number(params.limit.as_deref(), 5, 1..=50, "limit")?,
        // 0 keeps awards until newer ones push them out.
        seconds: number(params.seconds.as_deref(), 20, 0..=3600, "seconds")?,
        labels: state
            .stats
            .iter()
            .map(|def| StatLabel { key: def.key.clone(), label: def.label.clone(), adds: def.op == Op::Add })
            .collect(),
    }))
}
