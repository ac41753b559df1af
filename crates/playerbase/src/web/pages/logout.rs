//! `POST /logout`: ends the session in the store, as an API logout does,
//! and makes the browser forget the cookie.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::WebForm;
use crate::auth::sessions;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::errors::WebError;
use crate::web::session::{MaybeViewer, forget_session};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn submit(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    WebForm(form): WebForm<LogoutForm>,
) -> Result<Response, WebError> {
    // Without a live session there is nothing to end, and nothing for a forged form to do.
    if let Some(viewer) = viewer {
        csrf::check_session(&viewer, &form.csrf)?;
        sessions::end(&state, viewer.session_id).await?;
        tracing::info!(player_id = viewer.player.id, "website session ended");
    }
    Ok((forget_session(&state), Redirect::to("/")).into_response())
}
