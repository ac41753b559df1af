//! Logging in, refreshing and logging out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::sessions::{self, IssuedTokens};
use crate::auth::{CurrentPlayer, verify_login};
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::Json;
use crate::http::views::NoStore;
use crate::limits::ClientIp;
use crate::state::AppState;

const TAG: &str = "v1 auth";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(refresh)).routes(routes!(logout))
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    username: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct Refresh {
    refresh_token: String,
}

/// A new token pair, OAuth 2 style.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// `pba_…`: send as `Authorization: Bearer`.
    pub access_token: String,
    /// Always `"Bearer"`.
    pub token_type: String,
    /// Seconds until the access token expires (`auth.access_seconds`).
    pub expires_in: u32,
    /// `pbr_…`: buys one new pair at `/api/v1/auth/refresh`; lives `auth.refresh_days`.
    pub refresh_token: String,
}

impl IntoResponse for IssuedTokens {
    fn into_response(self) -> Response {
        let pair = TokenPair {
            access_token: self.access.text,
            token_type: "Bearer".into(),
            expires_in: self.access_seconds,
            refresh_token: self.refresh.text,
        };
        NoStore(Json(pair)).into_response()
    }
}

/// Log in with username and password; starts a session.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = TAG, request_body = Login,
    responses(
        (status = 200, body = TokenPair),
        (status = 400, body = ErrorBody, description = "missing field, malformed JSON"),
        (status = 401, body = ErrorBody, description = "wrong username or password, or the password changed (or the account was deleted) while logging in"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
        (status = 429, body = ErrorBody, description = "too many attempts from this address or for this account; see Retry-After"),
    ))]
async fn login(State(state): State<AppState>, ip: ClientIp, Json(body): Json<Login>) -> AppResult<IssuedTokens> {
    let player = verify_login(&state, ip, &body.username, &body.password).await?;
    sessions::start(&state, player.id, player.password_hash.as_deref()).await
}

/// Trade a refresh token for a new pair. The refresh token is spent;
/// presenting it again ends its whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = TAG, request_body = Refresh,
    responses(
        (status = 200, body = TokenPair),
        (status = 400, body = ErrorBody, description = "missing field, malformed JSON"),
        (status = 401, body = ErrorBody, description = "the refresh token is invalid, spent or expired"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
    ))]
async fn refresh(State(state): State<AppState>, Json(body): Json<Refresh>) -> AppResult<IssuedTokens> {
    sessions::refresh(&state, &body.refresh_token).await
}

/// End the caller's session: its access and refresh tokens stop working at
/// once. With a username and password there is no session, and nothing ends.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = TAG, security(("bearer" = [])),
    responses(
        (status = 204, description = "the session has ended"),
        (status = 401, body = ErrorBody, description = "no, invalid or expired access token"),
    ))]
async fn logout(State(state): State<AppState>, caller: CurrentPlayer) -> AppResult<StatusCode> {
    if let Some(session_id) = caller.session_id {
        sessions::end(&state, session_id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
