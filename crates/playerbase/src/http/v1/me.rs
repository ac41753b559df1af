//! The caller's own account.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{self, input::parse_optional_email};
use crate::auth::CurrentPlayer;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::Json;
use crate::http::views::PrivatePlayer;
use crate::state::AppState;
use crate::store::AccountChange;

const TAG: &str = "v1 me";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me, update_me, delete_me))
}

/// The caller's own player, with email.
#[utoipa::path(get, path = "/api/v1/me", tag = TAG, security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = PrivatePlayer),
        (status = 401, body = ErrorBody, description = "no, invalid or expired credentials"),
    ))]
async fn get_me(State(state): State<AppState>, caller: CurrentPlayer) -> Json<PrivatePlayer> {
    Json(PrivatePlayer::new(&caller.player, &state.stats))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateMe {
    current_password: String,
    /// A new email; absent, null or `""` leaves it as it is.
    email: Option<String>,
    /// Ends every other session of the player; the caller's stays.
    new_password: Option<String>,
}

async fn require_password(state: &AppState, caller: &CurrentPlayer, password: &str) -> AppResult<()> {
    if accounts::password_matches(state, &caller.player, password).await? {
        Ok(())
    } else {
        Err(AppError::unauthorized("the current password is wrong, or the account has none"))
    }
}

/// Change the caller's email and/or password.
#[utoipa::path(patch, path = "/api/v1/me", tag = TAG, request_body = UpdateMe,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = PrivatePlayer),
        (status = 400, body = ErrorBody, description = "invalid new password or email, malformed JSON"),
        (status = 401, body = ErrorBody, description = "bad credentials, or wrong current password"),
        (status = 409, body = ErrorBody, description = "email taken"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
    ))]
async fn update_me(
    State(state): State<AppState>,
    caller: CurrentPlayer,
    Json(body): Json<UpdateMe>,
) -> AppResult<Json<PrivatePlayer>> {
    require_password(&state, &caller, &body.current_password).await?;
    let email = parse_optional_email(body.email.as_deref())?;
    let password_hash = match body.new_password {
        Some(new_password) => Some(accounts::hash_new_password(&state, new_password).await?),
        None => None,
    };
    let player_id = caller.player.id;
    state
        .store
        .update_account(player_id, AccountChange { email, password_hash, keep_session: caller.session_id })
        .await?;
    let player = state
        .store
        .player_by_id(player_id)
        .await?
        .ok_or_else(|| AppError::not_found("player_not_found", "the account was deleted meanwhile"))?;
    Ok(Json(PrivatePlayer::new(&player, &state.stats)))
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteMe {
    current_password: String,
}

/// Delete the caller's account, its stats and its sessions, for good.
#[utoipa::path(delete, path = "/api/v1/me", tag = TAG, request_body = DeleteMe,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 204, description = "the account is gone"),
        (status = 400, body = ErrorBody, description = "missing field, malformed JSON"),
        (status = 401, body = ErrorBody, description = "bad credentials, or wrong current password"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
    ))]
async fn delete_me(
    State(state): State<AppState>,
    caller: CurrentPlayer,
    Json(body): Json<DeleteMe>,
) -> AppResult<StatusCode> {
    require_password(&state, &caller, &body.current_password).await?;
    accounts::delete_player(&state, caller.player.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
