//! The seed's routes, kept for existing game clients: same paths, methods
//! and bodies as the Flask API, with its defects fixed (see MIGRATING.md).

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Json, Path, Query};
use super::paging;
use super::views::{NoStore, PrivatePlayer, PublicPlayer};
use crate::accounts::input::parse_optional_email;
use crate::accounts::{self, SignUp};
use crate::auth::token::{self, LEGACY_PREFIX};
use crate::auth::{self as authn, CurrentPlayer, PasswordLogin};
use crate::config::Registration;
use crate::domain::Username;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::limits::ClientIp;
use crate::state::AppState;
use crate::store::{AccountChange, EmailChange, NewToken, PlayerRecord, TokenKind};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_user))
        .routes(routes!(get_token))
        .routes(routes!(get_resource))
        // Static segments win over `{user}`, so a player named "update" needs a GET of its own.
        .routes(routes!(update_user, get_user_named_update))
}

/// The player named "update" (the path is taken by `POST /api/users/update`);
/// the same as `GET /api/users/{user}` for that name.
#[utoipa::path(get, path = "/api/users/update", tag = TAG,
    responses(
        (status = 200, body = PublicPlayer),
        (status = 404, body = ErrorBody, description = "no player is named \"update\""),
    ))]
async fn get_user_named_update(state: axum::extract::State<AppState>) -> AppResult<Json<PublicPlayer>> {
    get_user(state, Path("update".to_owned())).await
}

const TAG: &str = "seed";

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    username: String,
    password: String,
    /// Optional; `""` counts as none.
    email: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    pub id: i64,
    pub username: String,
}

impl From<&PlayerRecord> for UserRef {
    fn from(player: &PlayerRecord) -> Self {
        Self { id: player.id, username: player.username.clone() }
    }
}

/// Create a player.
#[utoipa::path(post, path = "/api/users", tag = TAG, request_body = NewUser,
    responses(
        (status = 201, body = UserRef, headers(("Location" = String, description = "/api/users/{id}"))),
        (status = 400, body = ErrorBody, description = "missing or invalid field, malformed JSON"),
        (status = 403, body = ErrorBody, description = "registration is closed"),
        (status = 409, body = ErrorBody, description = "username or email taken"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
        (status = 429, body = ErrorBody, description = "too many sign-ups from this address; see Retry-After"),
    ))]
async fn create_user(
    state: axum::extract::State<AppState>,
    ip: ClientIp,
    Json(body): Json<NewUser>,
) -> AppResult<impl IntoResponse> {
    if state.config.auth.registration == Registration::Closed {
        return Err(AppError::forbidden("registration_closed", "sign-up is closed on this server"));
    }
    let sign_up =
        SignUp { username: body.username, password: Some(body.password), email: body.email, twitch_user_id: None };
    let player = accounts::sign_up_from(&state, ip.0, sign_up).await?;
    let location = format!("/api/users/{}", player.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(UserRef::from(&player))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Only players with an id above this; pass the last page's `next`.
    after: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<String>,
    /// The `after` of the next page; null on the last.
    pub next: Option<i64>,
}

/// List usernames by id, a page at a time.
#[utoipa::path(get, path = "/api/users", tag = TAG, params(ListParams),
    responses(
        (status = 200, body = UserList),
        (status = 400, body = ErrorBody, description = "limit outside 1–1000"),
    ))]
async fn list_users(
    state: axum::extract::State<AppState>,
    Query(params): Query<ListParams>,
) -> AppResult<Json<UserList>> {
    let limit = paging::limit(params.limit, 100)?;
    let rows = state.store.list_usernames(params.after.unwrap_or(0), limit + 1).await?;
    let (rows, next) = paging::split_next(rows, limit, |(id, _)| *id);
    Ok(Json(UserList { users: rows.into_iter().map(|(_, name)| name).collect(), next }))
}

/// Load a player by username, or by id when the path is all digits.
#[utoipa::path(get, path = "/api/users/{user}", tag = TAG,
    params(("user" = String, Path, description = "a username, or an id if all digits")),
    responses(
        (status = 200, body = PublicPlayer),
        (status = 404, body = ErrorBody, description = "no such player"),
    ))]
async fn get_user(state: axum::extract::State<AppState>, Path(user): Path<String>) -> AppResult<Json<PublicPlayer>> {
    let by_id = !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit());
    let found = if by_id {
        match user.parse::<i64>() {
            Ok(id) => state.store.player_by_id(id).await?,
            Err(_) => None,
        }
    } else {
        match Username::parse(&user) {
            Ok(name) => state.store.player_by_username(&name).await?,
            Err(_) => None,
        }
    };
    let player = found.ok_or_else(|| {
        let what = if !by_id {
            format!("no player {user:?}")
        } else if user.len() <= crate::domain::username::MAX_USERNAME_LEN {
            format!("no player with id {user} (all digits is an id here; a player named {user} is at /api/v1/players/by-name/{user})")
        } else {
            format!("no player with id {user}")
        };
        AppError::not_found("player_not_found", what)
    })?;
    Ok(Json(PublicPlayer::new(&player, &state.stats)))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TokenGrant {
    pub token: String,
    /// Seconds until the token expires (`auth.token_seconds`).
    pub duration: u32,
}

/// Get a token with Basic `username:password`. Use it as `Bearer TOKEN`,
/// or as the Basic username with any password.
#[utoipa::path(get, path = "/api/token", tag = TAG, security(("basic" = [])),
    responses(
        (status = 200, body = TokenGrant),
        (status = 401, body = ErrorBody, description = "wrong or missing username and password, or the password changed while logging in"),
    ))]
async fn get_token(
    state: axum::extract::State<AppState>,
    PasswordLogin(player): PasswordLogin,
) -> AppResult<NoStore<Json<TokenGrant>>> {
    let duration = state.config.auth.token_seconds;
    let now = state.clock.now();
    let secret = token::generate(LEGACY_PREFIX);
    let token = NewToken { hash: secret.hash, kind: TokenKind::Legacy, expires_at: now + i64::from(duration) };
    state
        .store
        .create_session(player.id, player.password_hash.as_deref(), &[token], now)
        .await?
        .ok_or_else(crate::auth::sessions::changed_meanwhile)?;
    Ok(NoStore(Json(TokenGrant { token: secret.text, duration })))
}

/// The caller's own player, with email.
#[utoipa::path(get, path = "/api/resource", tag = TAG, security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 200, body = PrivatePlayer),
        (status = 401, body = ErrorBody, description = "no, wrong or expired credentials"),
    ))]
async fn get_resource(state: axum::extract::State<AppState>, caller: CurrentPlayer) -> NoStore<Json<PrivatePlayer>> {
    NoStore(Json(PrivatePlayer::new(&caller.player, &state.stats)))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    username: String,
    /// The current password; must be right.
    password: String,
    /// Absent, null or `""` leaves the password as it is.
    new_password: Option<String>,
    /// Absent, null or `""` leaves the email as it is.
    email: Option<String>,
}

/// Change a player's email and/or password. A new password ends every
/// token and session of the player.
#[utoipa::path(post, path = "/api/users/update", tag = TAG, request_body = UpdateUser,
    responses(
        (status = 200, body = UserRef),
        (status = 400, body = ErrorBody, description = "invalid new password or email"),
        (status = 401, body = ErrorBody, description = "wrong username or password"),
        (status = 409, body = ErrorBody, description = "email taken"),
        (status = 429, body = ErrorBody, description = "too many attempts; see Retry-After"),
    ))]
async fn update_user(
    state: axum::extract::State<AppState>,
    ip: ClientIp,
    Json(body): Json<UpdateUser>,
) -> AppResult<Json<UserRef>> {
    let player = authn::verify_login(&state, ip, &body.username, &body.password).await?;
    let email = parse_optional_email(body.email.as_deref())?;
    let password_hash = accounts::hash_optional_new_password(&state, body.new_password).await?;
    let ends_sessions = password_hash.is_some();
    accounts::change_account(
        &state,
        &player,
        AccountChange { email: EmailChange::set_or_keep(email), password_hash, keep_session: None },
    )
    .await?;
    if ends_sessions {
        tracing::info!(player_id = player.id, "password changed; sessions ended");
    }
    Ok(Json(UserRef::from(&player)))
}
