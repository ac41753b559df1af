//! The caller's own account.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::{self, input::parse_optional_email};
use crate::auth::CurrentPlayer;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::Json;
use crate::http::v1::awards::LedgerEntry;
use crate::http::views::{NoStore, PrivatePlayer, rfc3339};
use crate::limits::ClientIp;
use crate::state::AppState;
use crate::store::{AccountChange, EmailChange};

const TAG: &str = "v1 me";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me, update_me, delete_me)).routes(routes!(export_me))
}

/// The caller's own player, with email.
#[utoipa::path(get, path = "/api/v1/me", tag = TAG, security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = PrivatePlayer),
        (status = 401, body = ErrorBody, description = "no, invalid or expired credentials"),
    ))]
async fn get_me(State(state): State<AppState>, caller: CurrentPlayer) -> NoStore<Json<PrivatePlayer>> {
    NoStore(Json(PrivatePlayer::new(&caller.player, &state.stats)))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateMe {
    current_password: String,
    /// A new email; absent, null or `""` leaves it as it is.
    email: Option<String>,
    /// `true` removes the email (not with a new `email`); absent, null or
    /// `false` leaves it.
    remove_email: Option<bool>,
    /// Ends every other session of the player; the caller's stays. Absent,
    /// null or `""` leaves the password as it is.
    new_password: Option<String>,
}

/// The current password, checked under the same limits as a login: a
/// stolen access token must not become a way to guess it.
async fn require_password(state: &AppState, ip: ClientIp, caller: &CurrentPlayer, password: &str) -> AppResult<()> {
    let player = &caller.player;
    let now = state.clock.now();
    crate::auth::password_attempt(state, ip, &player.username, now).await?;
    if accounts::password_matches(state, player, password).await? {
        Ok(())
    } else {
        state.limits.login_failed(&player.username, now);
        Err(AppError::WrongPassword("the current password is wrong, or the account has none".into()))
    }
}

/// Change the caller's email and/or password, or remove the email.
#[utoipa::path(patch, path = "/api/v1/me", tag = TAG, request_body = UpdateMe,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = PrivatePlayer),
        (status = 400, body = ErrorBody, description = "invalid new password or email, both `email` and `remove_email`, malformed JSON"),
        (status = 401, body = ErrorBody, description = "`unauthorized`: no, invalid or expired credentials; `wrong_password`: the current password is wrong (the token is fine: do not refresh)"),
        (status = 409, body = ErrorBody, description = "email taken"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
    ))]
async fn update_me(
    State(state): State<AppState>,
    ip: ClientIp,
    caller: CurrentPlayer,
    Json(body): Json<UpdateMe>,
) -> AppResult<NoStore<Json<PrivatePlayer>>> {
    require_password(&state, ip, &caller, &body.current_password).await?;
    let email = match (parse_optional_email(body.email.as_deref())?, body.remove_email.unwrap_or(false)) {
        (Some(_), true) => {
            return Err(AppError::bad_request("invalid_body", "give a new email or remove_email, not both"));
        }
        (None, true) => EmailChange::Remove,
        (email, false) => EmailChange::set_or_keep(email),
    };
    let password_hash = accounts::hash_optional_new_password(&state, body.new_password).await?;
    let player_id = caller.player.id;
    let change = AccountChange { email, password_hash, keep_session: caller.session_id };
    accounts::change_account(&state, &caller.player, change).await?;
    let player = state
        .store
        .player_by_id(player_id)
        .await?
        .ok_or_else(|| AppError::not_found("player_not_found", "the account was deleted meanwhile"))?;
    Ok(NoStore(Json(PrivatePlayer::new(&player, &state.stats))))
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
        (status = 401, body = ErrorBody, description = "`unauthorized`: no, invalid or expired credentials; `wrong_password`: the current password is wrong (the token is fine: do not refresh)"),
        (status = 413, body = ErrorBody, description = "body over 64 KiB"),
    ))]
async fn delete_me(
    State(state): State<AppState>,
    ip: ClientIp,
    caller: CurrentPlayer,
    Json(body): Json<DeleteMe>,
) -> AppResult<StatusCode> {
    require_password(&state, ip, &caller, &body.current_password).await?;
    accounts::delete_player(&state, caller.player.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything playerbase keeps about a player that is theirs to take away.
#[derive(Serialize, ToSchema)]
pub struct Export {
    /// RFC 3339, UTC.
    pub exported_at: String,
    /// The private view: profile, email, stats, levels and linked Twitch account.
    pub player: PrivatePlayer,
    /// Every award the player ever had, oldest first.
    pub ledger: Vec<LedgerEntry>,
    /// The addresses the player logged in from lately, which the login
    /// back-off lets through: kept 30 days, forgotten at a new password.
    pub known_addresses: Vec<KnownAddress>,
}

#[derive(Serialize, ToSchema)]
pub struct KnownAddress {
    /// An IPv4 address, or an IPv6 /64 (`2001:db8:1:2::`).
    pub network: String,
    /// RFC 3339, UTC.
    pub known_until: String,
}

/// Rows read per ledger page while exporting.
const EXPORT_PAGE: u32 = 1000;

/// Download the caller's own data as JSON: profile, email, stats, linked
/// Twitch account, the whole award ledger and the addresses the login
/// back-off knows.
#[utoipa::path(get, path = "/api/v1/me/export", tag = TAG, security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = Export, headers(
            ("Content-Disposition" = String, description = "attachment; filename=\"playerbase-export-USERNAME.json\""))),
        (status = 401, body = ErrorBody, description = "no, invalid or expired credentials"),
    ))]
async fn export_me(State(state): State<AppState>, caller: CurrentPlayer) -> AppResult<Response> {
    let player = &caller.player;
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let page = state.store.ledger_page(player.id, before, EXPORT_PAGE).await?;
        let full = page.len() == EXPORT_PAGE as usize;
        before = page.last().map(|row| row.id);
        rows.extend(page);
        if !full {
            break;
        }
    }
    rows.reverse();
    let ledger = rows.into_iter().map(LedgerEntry::from).collect();
    let known_addresses = state
        .store
        .known_addresses_of(player.id)
        .await?
        .into_iter()
        .map(|(network, until)| KnownAddress { network, known_until: rfc3339(until) })
        .collect();
    let export = Export {
        exported_at: rfc3339(state.clock.now()),
        player: PrivatePlayer::new(player, &state.stats),
        ledger,
        known_addresses,
    };
    let mut response = NoStore(Json(export)).into_response();
    // Usernames are A-Z a-z 0-9 _ only, so the name needs no quoting.
    let disposition = format!("attachment; filename=\"playerbase-export-{}.json\"", player.username);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
