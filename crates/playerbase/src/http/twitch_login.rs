//! "Log in with Twitch" over HTTP: the website's `/auth/twitch` and
//! `/auth/twitch/callback`, and the API's way in for games
//! (`/api/v1/auth/twitch…`). The flow itself is `twitch::login`.
//!
//! How the callback answers depends on how the login started:
//! - with a `redirect`: the browser goes there with `code=pbc_…` (a
//!   one-time code the game trades at `/api/v1/auth/twitch/exchange`),
//!   `link_code=pbl_…` (traded at `/api/v1/auth/twitch/link/confirm` by the
//!   linking player), or `error=CODE` — never a token in a URL;
//! - without: the callback answers itself, with the token pair (login) or
//!   the link code (link) as JSON, or the error in the one error shape.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentPlayer;
use crate::auth::sessions;
use crate::auth::token::{self, TokenHash};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{Json, Query};
use crate::http::v1::auth::TokenPair;
use crate::http::views::{NoStore, PrivatePlayer};
use crate::state::AppState;
use crate::twitch::login::{self, Intent, Pending, Start, Started};
use crate::web::errors::{WebError, redraw_for_visitor};

const TAG: &str = "Log in with Twitch";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(website_start))
        .routes(routes!(callback))
        .routes(routes!(api_start))
        .routes(routes!(api_link))
        .routes(routes!(confirm_link))
        .routes(routes!(exchange))
}

/// Where to go afterwards, for games and web pages that start a login.
#[derive(Deserialize, IntoParams, ToSchema)]
pub struct StartParams {
    /// Where the browser goes after the login, with `code=` or `error=`
    /// added: a URL under `public_url` or a `twitch.login_redirects` prefix.
    /// Without it, the callback answers with JSON itself.
    redirect: Option<String>,
    /// PKCE (RFC 7636, S256): base64url(SHA-256(code_verifier)). The code
    /// is then traded only together with the verifier.
    code_challenge: Option<String>,
    /// Twitch scopes to ask for, space-separated; none by default. The
    /// broadcaster and the chat bot log in once with the scopes the EventSub
    /// subscriptions need (README: `playerbase twitch subscribe`).
    scope: Option<String>,
}

/// The consent page to open in a browser.
#[derive(Serialize, ToSchema)]
pub struct AuthorizeUrl {
    /// Twitch's consent page; open it in the user's browser.
    authorize_url: String,
    /// Seconds the login may take before it must be started again.
    expires_in: i64,
}

impl From<Started> for AuthorizeUrl {
    fn from(started: Started) -> Self {
        Self { authorize_url: started.authorize_url, expires_in: started.expires_in }
    }
}

/// The cookie binding a login started at `/auth/twitch` to its browser.
const BROWSER_COOKIE: &str = "playerbase_twitch_login";

/// Start "Log in with Twitch" in a browser: redirects to Twitch's consent
/// page. The login is bound to this browser by a short-lived cookie, so
/// only this browser can finish it. Errors are pages: a person reads them.
#[utoipa::path(get, path = "/auth/twitch", tag = TAG, params(StartParams),
    responses(
        (status = 303, description = "to Twitch's consent page"),
        (status = 400, content_type = "text/html", description = "a page: the redirect, code challenge or scope is not allowed"),
        (status = 503, content_type = "text/html", description = "a page: Twitch login is not configured"),
    ))]
async fn website_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<StartParams>,
) -> Response {
    let binding = token::generate("");
    match begin(&state, Intent::LogIn, &params, Some(binding.hash)).await {
        Ok(started) => {
            let cookie = browser_cookie(&state, &binding.text, login::STATE_SECONDS);
            (AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to(&started.authorize_url)).into_response()
        }
        Err(err) => page_for(&state, &headers, err).await,
    }
}

/// `Secure` when players reach the server over HTTPS; the path covers the callback.
/// `SameSite=Lax`: sent when Twitch's page sends the browser back, never
/// with requests other sites make in the background.
fn browser_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{BROWSER_COOKIE}={value}; Path=/auth/twitch; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The binding cookie's value, if the browser sent one.
fn browser_binding(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(BROWSER_COOKIE)?.strip_prefix('='))
}

/// Start "Log in with Twitch" from a game: the consent page to open.
#[utoipa::path(get, path = "/api/v1/auth/twitch", tag = TAG, params(StartParams),
    responses(
        (status = 200, body = AuthorizeUrl),
        (status = 400, body = ErrorBody, description = "`invalid_redirect`, `invalid_code_challenge`, `invalid_scope`"),
        (status = 503, body = ErrorBody, description = "Twitch login is not configured"),
    ))]
async fn api_start(State(state): State<AppState>, Query(params): Query<StartParams>) -> AppResult<Json<AuthorizeUrl>> {
    Ok(Json(begin(&state, Intent::LogIn, &params, None).await?.into()))
}

/// Link a Twitch account to the calling player: the consent page to open.
/// After consent the browser lands on the `redirect` with `link_code=pbl_…`
/// (without one, the callback answers `{"link_code","expires_in"}`), and the
/// player trades it at `/api/v1/auth/twitch/link/confirm` to make the link.
#[utoipa::path(post, path = "/api/v1/auth/twitch/link", tag = TAG, request_body = StartParams,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = AuthorizeUrl),
        (status = 400, body = ErrorBody, description = "`invalid_redirect`, `invalid_code_challenge`, `invalid_scope`"),
        (status = 401, body = ErrorBody, description = "no, invalid or expired credentials"),
        (status = 503, body = ErrorBody, description = "Twitch login is not configured"),
    ))]
async fn api_link(
    State(state): State<AppState>,
    caller: CurrentPlayer,
    Json(params): Json<StartParams>,
) -> AppResult<Json<AuthorizeUrl>> {
    let intent = Intent::Link { player_id: caller.player.id };
    Ok(Json(begin(&state, intent, &params, None).await?.into()))
}

async fn begin(
    state: &AppState,
    intent: Intent,
    params: &StartParams,
    browser: Option<TokenHash>,
) -> AppResult<Started> {
    let start = Start {
        intent,
        redirect: params.redirect.as_deref(),
        code_challenge: params.code_challenge.as_deref(),
        scope: params.scope.as_deref(),
        browser,
    };
    login::begin(state, start).await
}

/// What Twitch puts on the callback: `code` and `state`, or `error` (the
/// user declined: `access_denied`) and `state`.
#[derive(Deserialize, IntoParams)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    #[allow(dead_code)] // Twitch's words for the user; ours are clearer.
    error_description: Option<String>,
}

/// Where Twitch sends the browser back (register `{public_url}/auth/twitch/callback`
/// in the Twitch console).
#[utoipa::path(get, path = "/auth/twitch/callback", tag = TAG, params(CallbackParams),
    responses(
        (status = 200, body = TokenPair, description = "logged in (a login started at `/api/v1/auth/twitch` \
            without `redirect`); a link answers `{\"link_code\",\"expires_in\"}` instead"),
        (status = 303, description = "to the login's `redirect`, with `code=pbc_…`, `link_code=pbl_…` or \
            `error=CODE`; a login started at `/auth/twitch` (the website's) to `/account`, logged in"),
        (status = 400, body = ErrorBody, description = "`missing_state`, `invalid_state` (unknown, used or \
            expired), `missing_code`. To a browser (the website's login, or `Accept: text/html`) every error \
            here is an HTML page saying what to do instead of this JSON"),
        (status = 403, body = ErrorBody, description = "`twitch_access_denied`: the user declined"),
        (status = 409, body = ErrorBody, description = "`twitch_user_taken`: another player holds the Twitch account"),
        (status = 502, body = ErrorBody, description = "`twitch_login_failed`: Twitch did not confirm the login"),
    ))]
async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(params): Query<CallbackParams>) -> Response {
    // Nothing is believed before the state is: it proves the login started
    // here (in this browser, when it started at /auth/twitch), and says what for.
    let pending = match login::take_state(&state, params.state.as_deref(), browser_binding(&headers)).await {
        Ok(pending) => pending,
        Err(err) if is_browser(&headers) => return private(&state, page_for(&state, &headers, err).await),
        Err(err) => return private(&state, err.into_response()),
    };
    let finished = finish(&state, &headers, &pending, &params).await;
    private(
        &state,
        match (finished, &pending.redirect) {
            (Ok(response), _) => response,
            (Err(err), Some(redirect)) => {
                let code = error_code(&err);
                if matches!(err, AppError::Internal(_)) {
                    tracing::error!(error = ?err, "Log in with Twitch failed");
                }
                Redirect::to(&login::with_param(redirect, "error", code)).into_response()
            }
            (Err(err), None) if pending.in_browser => page_for(&state, &headers, err).await,
            (Err(err), None) => err.into_response(),
        },
    )
}

/// A person's browser on the website's "Log in with Twitch", not a game: it
/// carries the cookie the website's start set, or asks for a page.
fn is_browser(headers: &HeaderMap) -> bool {
    let asks_for_html =
        headers.get(header::ACCEPT).and_then(|accept| accept.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    browser_binding(headers).is_some() || asks_for_html
}

/// These routes are registered with the API's, outside the website's layer
/// that redraws error pages for the visitor, so they draw their own.
async fn page_for(state: &AppState, headers: &HeaderMap, err: AppError) -> Response {
    redraw_for_visitor(state, headers, web_error(err).into_response()).await
}

/// The website's page for a failed Twitch login, saying what to do next.
fn web_error(err: AppError) -> WebError {
    use axum::http::StatusCode;
    match error_code(&err) {
        "twitch_access_denied" => WebError::new(
            StatusCode::FORBIDDEN,
            "Twitch login cancelled",
            "Twitch was not allowed to log you in. Log in with your password, or try Twitch again.",
        ),
        "missing_state" | "invalid_state" => WebError::new(
            StatusCode::BAD_REQUEST,
            "This Twitch login has expired",
            "It was started too long ago, or already used. Start it again from the login page.",
        ),
        "twitch_login_failed" => WebError::new(
            StatusCode::BAD_GATEWAY,
            "Twitch did not answer",
            "Twitch could not confirm the login just now. Try again in a moment.",
        ),
        _ => WebError::from(err),
    }
}

async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    pending: &Pending,
    params: &CallbackParams,
) -> AppResult<Response> {
    if let Some(error) = &params.error {
        tracing::info!(error = error.as_str(), "Twitch login not granted");
        return Err(if error == "access_denied" {
            AppError::forbidden("twitch_access_denied", "the Twitch account holder declined to log in")
        } else {
            AppError::BadGateway { code: "twitch_login_failed", message: "Twitch did not grant the login".into() }
        });
    }
    let code = params
        .code
        .as_deref()
        .filter(|code| !code.is_empty())
        .ok_or_else(|| AppError::bad_request("missing_code", "the callback has neither code nor error"))?;
    let user = login::identify(state, code).await?;
    if let Intent::Link { player_id } = pending.intent {
        let link_code = login::issue_link_code(state, player_id, &user, pending.code_challenge.clone()).await?;
        return Ok(match &pending.redirect {
            Some(redirect) => Redirect::to(&login::with_param(redirect, "link_code", &link_code)).into_response(),
            None => Json(LinkCode { link_code, expires_in: login::CODE_SECONDS }).into_response(),
        });
    }
    let player = login::log_in(state, &user).await?;
    Ok(match &pending.redirect {
        Some(redirect) => {
            let code = login::issue_code(state, player.id, pending.code_challenge.clone()).await?;
            Redirect::to(&login::with_param(redirect, "code", &code)).into_response()
        }
        // The website's "Log in with Twitch": a website session, then the account page.
        None if pending.in_browser => {
            (crate::web::start_session(state, headers, player.id, None).await?, Redirect::to("/account"))
                .into_response()
        }
        None => sessions::start(state, player.id, None).await?.into_response(),
    })
}

/// A link waiting for the linking player to confirm it.
#[derive(Serialize, ToSchema)]
pub struct LinkCode {
    /// Trade it at `/api/v1/auth/twitch/link/confirm` as the player who started the link.
    link_code: String,
    /// Seconds it stays good.
    expires_in: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct ConfirmLink {
    /// The `link_code` the link's `redirect` (or the callback's JSON) received (`pbl_…`): good once, for two minutes.
    link_code: String,
    /// The PKCE verifier, when the link was started with a `code_challenge`, and only then.
    code_verifier: Option<String>,
}

/// Finish linking a Twitch account: the link code from the callback, traded
/// by the player who started the link. Until then nothing is linked, so a
/// consent page handed to someone else links nothing to the player.
#[utoipa::path(post, path = "/api/v1/auth/twitch/link/confirm", tag = TAG, request_body = ConfirmLink,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, body = PrivatePlayer, description = "linked: the player, with `twitch`"),
        (status = 400, body = ErrorBody, description = "`invalid_code` (unknown, used or expired), \
            `invalid_code_verifier`, malformed body"),
        (status = 401, body = ErrorBody, description = "no, invalid or expired credentials"),
        (status = 403, body = ErrorBody, description = "`not_your_link`: another player started this link"),
        (status = 409, body = ErrorBody, description = "`twitch_user_taken`: another player holds the Twitch account"),
    ))]
async fn confirm_link(
    State(state): State<AppState>,
    caller: CurrentPlayer,
    Json(body): Json<ConfirmLink>,
) -> AppResult<NoStore<Json<PrivatePlayer>>> {
    let player = login::confirm_link(&state, caller.player.id, &body.link_code, body.code_verifier.as_deref()).await?;
    Ok(NoStore(Json(PrivatePlayer::new(&player, &state.stats))))
}

/// The `code` of an error's JSON body, for `error=` on a redirect.
fn error_code(err: &AppError) -> &'static str {
    match err {
        AppError::BadRequest { code, .. }
        | AppError::Forbidden { code, .. }
        | AppError::NotFound { code, .. }
        | AppError::Conflict { code, .. }
        | AppError::Unprocessable { code, .. }
        | AppError::BadGateway { code, .. } => code,
        _ => "server_error",
    }
}

/// The callback's URL holds a code and a state: no caching, and no Referer
/// carrying them to the next page. The binding cookie has done its work.
fn private(state: &AppState, response: Response) -> Response {
    let mut response = NoStore(response).into_response();
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(expired) = HeaderValue::from_str(&browser_cookie(state, "", 0)) {
        headers.append(header::SET_COOKIE, expired);
    }
    response
}

#[derive(Deserialize, ToSchema)]
pub struct Exchange {
    /// The `code` the login's `redirect` received (`pbc_…`): good once, for two minutes.
    code: String,
    /// The PKCE verifier, when the login was started with a `code_challenge`, and only then.
    code_verifier: Option<String>,
}

/// Trade the one-time code from a Twitch login's redirect for a token pair.
#[utoipa::path(post, path = "/api/v1/auth/twitch/exchange", tag = TAG, request_body = Exchange,
    responses(
        (status = 200, body = TokenPair),
        (status = 400, body = ErrorBody, description = "`invalid_code` (unknown, used or expired), \
            `invalid_code_verifier`, malformed body"),
    ))]
async fn exchange(State(state): State<AppState>, Json(body): Json<Exchange>) -> AppResult<Response> {
    let player_id = login::redeem_code(&state, &body.code, body.code_verifier.as_deref()).await?;
    Ok(sessions::start(&state, player_id, None).await?.into_response())
}
