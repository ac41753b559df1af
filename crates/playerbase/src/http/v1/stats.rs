//! The configured stats, for game clients and websites to build their UI from.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::Op;
use crate::domain::levels::LevelsSpec;
use crate::http::extract::Json;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_stats))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct StatList {
    /// In configuration order.
    pub stats: Vec<StatInfo>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct StatInfo {
    pub key: String,
    pub label: String,
    pub op: Op,
    /// Null when unbounded.
    pub min: Option<i64>,
    /// Null when unbounded.
    pub max: Option<i64>,
    /// The value shown before the first award.
    pub default: i64,
    /// `"runescape"`, a list of thresholds, or null when the stat has no levels.
    #[schema(example = json!("runescape"))]
    pub levels: Option<LevelsSpec>,
}

/// Every configured stat and how it behaves.
#[utoipa::path(get, path = "/api/v1/stats", tag = "v1 stats", responses((status = 200, body = StatList)))]
async fn list_stats(State(state): State<AppState>) -> Json<StatList> {
    let stats = state
        .stats
        .iter()
        .map(|def| StatInfo {
            key: def.key.clone(),
            label: def.label.clone(),
            op: def.op,
            min: def.min,
            max: def.max,
            default: def.default,
            levels: def.levels.as_ref().map(|curve| curve.spec()),
        })
        .collect();
    Json(StatList { stats })
}
