//! `/`: the top players of every stat.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::standings::{self, Row};
use crate::domain::{Period, PeriodKey};
use crate::state::AppState;
use crate::web::errors::WebError;
use crate::web::layout::{Layout, render};
use crate::web::session::MaybeViewer;

/// Players shown per stat.
const TOP: usize = 5;

struct Card {
    key: String,
    label: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage {
    layout: Layout,
    cards: Vec<Card>,
}

pub async fn page(State(state): State<AppState>, MaybeViewer(viewer): MaybeViewer) -> Result<Response, WebError> {
    let boards: Vec<_> =
        state.stats.iter().map(|def| (def, state.boards.page(&def.key, PeriodKey::ALL_TIME, 0, TOP).1)).collect();
    let names = standings::names(&state, boards.iter().flat_map(|(_, top)| top)).await?;
    let cards = boards
        .iter()
        .map(|(def, top)| Card {
            key: def.key.clone(),
            label: def.label.clone(),
            rows: standings::rows(def, Period::All, top, &names),
        })
        .collect();
    Ok(render(&HomePage { layout: Layout::new(&state, "Top players", viewer.as_ref()), cards }))
}
