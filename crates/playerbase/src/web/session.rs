//! Website sessions. They live in the same session store as API logins
//! (`sessions` and `tokens`), so a logout, a password change or a deleted
//! account ends them exactly as it ends API sessions; the browser holds the
//! token in an HttpOnly cookie and never sees anything else of it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, IntoResponseParts, Redirect, Response, ResponseParts};

use super::cookies::{self, SetCookie};
use super::csrf;
use super::errors::WebError;
use crate::auth::sessions::changed_meanwhile;
use crate::auth::token::{self, TokenHash, WEB_PREFIX};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::{NewToken, PlayerRecord, TokenKind};

/// Whether cookies must be `Secure` (and may use the `__Host-` prefix):
/// when the site is served over https.
pub fn secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// `__Host-` under https: such a cookie cannot be planted by a sibling
/// subdomain, nor set without `Secure`.
pub(super) fn cookie_name(state: &AppState, base: &'static str) -> &'static str {
    match (secure(state), base) {
        (true, "pb_session") => "__Host-pb_session",
        (true, "pb_form") => "__Host-pb_form",
        _ => base,
    }
}

const SESSION: &str = "pb_session";

/// The `Set-Cookie` that starts (or ends) a website session.
pub struct SessionCookie(SetCookie);

impl IntoResponseParts for SessionCookie {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        self.0.into_response_parts(parts)
    }
}

/// Starts a website session for a player who has just proved who they are
/// (a password, checked against the stored `checked_hash`, or Twitch's
/// OAuth): answer with the cookie, e.g.
/// `(start_session(&state, &headers, id, None).await?, Redirect::to("/account"))`.
/// The session lasts `auth.refresh_days`, like an API login's refresh token.
/// The browser's session before it (a login over a login) ends: it would
/// otherwise stay valid, unseen, until it expires.
pub async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    player_id: i64,
    checked_hash: Option<&str>,
) -> AppResult<SessionCookie> {
    if let Some(previous) = viewer(state, headers).await? {
        state.store.end_session(previous.session_id).await?;
    }
    let now = state.clock.now();
    let lifetime = state.config.refresh_seconds();
    let secret = token::generate(WEB_PREFIX);
    let stored = NewToken { hash: secret.hash.clone(), kind: TokenKind::Web, expires_at: now + lifetime };
    state.store.create_session(player_id, checked_hash, &[stored], now).await?.ok_or_else(changed_meanwhile)?;
    tracing::info!(player_id, "website session started");
    Ok(SessionCookie(SetCookie::new(cookie_name(state, SESSION), &secret.text, Some(lifetime), secure(state))))
}

/// Makes the browser forget its session cookie (the session itself is ended in the store).
pub fn forget_session(state: &AppState) -> SessionCookie {
    SessionCookie(SetCookie::removal(cookie_name(state, SESSION), secure(state)))
}

/// The logged-in player of a request.
pub struct Viewer {
    pub player: PlayerRecord,
    pub session_id: i64,
    /// The CSRF token of this session's forms.
    pub csrf: String,
}

/// Whoever is looking: a player with a live website session, or no one.
/// An unknown, expired or ended session cookie is no one: pages are public.
pub struct MaybeViewer(pub Option<Viewer>);

pub async fn viewer(state: &AppState, headers: &HeaderMap) -> AppResult<Option<Viewer>> {
    let Some(secret) = cookies::read(headers, cookie_name(state, SESSION)) else { return Ok(None) };
    if !secret.starts_with(WEB_PREFIX) {
        return Ok(None);
    }
    let owner = state.store.token_owner(&TokenHash::of(secret), TokenKind::Web, state.clock.now()).await?;
    Ok(owner.map(|owner| Viewer { player: owner.player, session_id: owner.session_id, csrf: csrf::token_for(secret) }))
}

impl FromRequestParts<AppState> for MaybeViewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(viewer(state, &parts.headers).await?))
    }
}

/// Pages for the logged-in player only send anyone else to log in first,
/// and back here afterwards.
impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match viewer(state, &parts.headers).await {
            Ok(Some(viewer)) => Ok(viewer),
            // Back to a page, never to a form's target: a form posted after an expired session is not replayed.
            Ok(None) if parts.method == Method::GET => {
                Err(Redirect::to(&format!("/login?next={}", parts.uri.path())).into_response())
            }
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(err) => Err(WebError::from(err).into_response()),
        }
    }
}
