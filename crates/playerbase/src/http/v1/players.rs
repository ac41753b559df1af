//! Creating players and looking them up.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{self, SignUp};
use crate::auth::extract::Admin;
use crate::auth::{ApiKey, Caller};
use crate::config::Registration;
use crate::domain::{Scope, TwitchUserId, Username};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{Json, Path};
use crate::http::views::{PublicPlayer, PublicProfile};
use crate::limits::ClientIp;
use crate::profiles::Lookup;
use crate::state::AppState;
use crate::store::PlayerRecord;

const TAG: &str = "v1 players";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_player))
        .routes(routes!(player_by_id, delete_player))
        .routes(routes!(player_by_name))
        .routes(routes!(player_by_twitch))
}

#[derive(Deserialize, ToSchema)]
pub struct CreatePlayer {
    username: String,
    /// Required, unless the caller is an API key with `players:write`.
    password: Option<String>,
    /// Optional; `""` counts as none.
    email: Option<String>,
    /// Links a Twitch account; only an API key with `players:write` may set it. `""` counts as none.
    twitch_user_id: Option<String>,
}

/// Create a player. Anyone may sign up with a password (unless
/// `auth.registration` is `"closed"`); an API key with `players:write` may
/// also create players without a password or with a linked Twitch account.
#[utoipa::path(post, path = "/api/v1/players", tag = TAG, request_body = CreatePlayer,
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = PublicPlayer, headers(("Location" = String, description = "/api/v1/players/{id}"))),
        (status = 400, body = ErrorBody, description = "missing or invalid field, malformed JSON"),
        (status = 401, body = ErrorBody, description = "invalid credentials, or no password or a Twitch id without an API key"),
        (status = 403, body = ErrorBody, description = "registration is closed, or the caller may not omit the password or set a Twitch id"),
        (status = 409, body = ErrorBody, description = "username, email or Twitch account taken"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
        (status = 429, body = ErrorBody, description = "too many sign-ups from this address (API keys are not limited); see Retry-After"),
    ))]
async fn create_player(
    State(state): State<AppState>,
    ip: ClientIp,
    caller: Caller,
    Json(body): Json<CreatePlayer>,
) -> AppResult<impl IntoResponse> {
    let trusted = caller.key_allows(Scope::PlayersWrite);
    let links_twitch = body.twitch_user_id.as_deref().is_some_and(|id| !id.is_empty());
    if (body.password.is_none() || links_twitch) && !trusted {
        let why = "creating a player without a password or with a Twitch id needs an API key with players:write";
        return Err(match caller {
            Caller::Anonymous => AppError::unauthorized(why),
            Caller::Player(_) | Caller::Key(_) => AppError::forbidden("missing_scope", why),
        });
    }
    if !trusted && state.config.auth.registration == Registration::Closed {
        return Err(AppError::forbidden("registration_closed", "sign-up is closed on this server"));
    }
    let sign_up = SignUp {
        username: body.username,
        password: body.password,
        email: body.email,
        twitch_user_id: body.twitch_user_id,
    };
    let player = if trusted {
        accounts::create_player(&state, sign_up).await?
    } else {
        accounts::sign_up_from(&state, ip.0, sign_up).await?
    };
    let location = format!("/api/v1/players/{}", player.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(PublicPlayer::new(&player, &state.stats))))
}

fn found(state: &AppState, player: Option<PlayerRecord>, asked: &str) -> AppResult<Json<PublicPlayer>> {
    let player = player.ok_or_else(|| AppError::not_found("player_not_found", format!("no player {asked}")))?;
    Ok(Json(PublicPlayer::new(&player, &state.stats)))
}

/// Load a player by id.
#[utoipa::path(get, path = "/api/v1/players/{id}", tag = TAG,
    params(("id" = i64, Path, description = "the player's id")),
    responses(
        (status = 200, body = PublicPlayer),
        (status = 400, body = ErrorBody, description = "the id is not a number"),
        (status = 404, body = ErrorBody, description = "no such player"),
    ))]
async fn player_by_id(State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Response> {
    match state.profiles.lookup(id) {
        Lookup::Found(record) => {
            let profile = state.profiles.decode(&record);
            Ok(PublicProfile::new(id, &profile, &state.stats).into_response())
        }
        Lookup::Unknown(since) => {
            let player = state.store.player_by_id(id).await?;
            if let Some(player) = &player {
                state.profiles.fill(since, player);
            }
            Ok(found(&state, player, &id.to_string())?.into_response())
        }
    }
}

/// Delete a player for good, as `DELETE /api/v1/me` does: the account, its
/// stats, sessions and personal data go; its ledger rows stay without it.
#[utoipa::path(delete, path = "/api/v1/players/{id}", tag = TAG,
    params(("id" = i64, Path, description = "the player's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "the player is gone"),
        (status = 400, body = ErrorBody, description = "the id is not a number"),
        (status = 401, body = ErrorBody, description = "no or invalid API key"),
        (status = 403, body = ErrorBody, description = "`missing_scope`: the API key lacks the admin scope, or a player's token was sent instead of a key"),
        (status = 404, body = ErrorBody, description = "no such player"),
    ))]
async fn delete_player(
    State(state): State<AppState>,
    ApiKey { key, .. }: ApiKey<Admin>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    accounts::delete_player(&state, id).await?;
    tracing::info!(player_id = id, api_key = %key.name, "player deleted by an admin key");
    Ok(StatusCode::NO_CONTENT)
}

/// Load a player by username (ignoring case); all-digit names included.
#[utoipa::path(get, path = "/api/v1/players/by-name/{username}", tag = TAG,
    params(("username" = String, Path)),
    responses(
        (status = 200, body = PublicPlayer),
        (status = 404, body = ErrorBody, description = "no such player"),
    ))]
async fn player_by_name(State(state): State<AppState>, Path(username): Path<String>) -> AppResult<Json<PublicPlayer>> {
    let player = match Username::parse(&username) {
        Ok(name) => state.store.player_by_username(&name).await?,
        Err(_) => None,
    };
    found(&state, player, &format!("named {username:?}"))
}

/// Load the player linked to a Twitch account.
#[utoipa::path(get, path = "/api/v1/players/by-twitch/{twitch_user_id}", tag = TAG,
    params(("twitch_user_id" = String, Path, description = "the Twitch user id (digits), not the login")),
    responses(
        (status = 200, body = PublicPlayer),
        (status = 404, body = ErrorBody, description = "no player is linked to that Twitch account"),
    ))]
async fn player_by_twitch(
    State(state): State<AppState>,
    Path(twitch_user_id): Path<String>,
) -> AppResult<Json<PublicPlayer>> {
    let player = match TwitchUserId::parse(&twitch_user_id) {
        Ok(id) => state.store.player_by_twitch_id(&id).await?,
        Err(_) => None,
    };
    found(&state, player, &format!("with Twitch id {twitch_user_id:?}"))
}
