//! "Log in with Twitch": the authorization code flow with `state`, against
//! `twitch.oauth_url`. HTTP-free, so the API routes and the website share it:
//!
//! 1. [`begin`]: a random `state`, kept (hashed) in the database with what it
//!    is for — logging in, or linking to the player who asked — and the URL
//!    of Twitch's consent page.
//! 2. Twitch sends the browser back to `/auth/twitch/callback`: [`take_state`]
//!    takes the state once, [`identify`] trades the code for a token and asks
//!    Twitch whose it is, and [`log_in`] logs that player in (creating it if
//!    need be).
//! 3. A game that gave a `redirect` gets a one-time code there ([`issue_code`])
//!    and trades it for its tokens ([`redeem_code`]): tokens never travel in a URL.
//! 4. A link ends with a one-time code too ([`issue_link_code`]), which only
//!    the player who started the link trades to make it ([`confirm_link`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use sha2::{Digest, Sha256};

use super::client::TwitchUser;
use crate::accounts::twitch::{find_or_create_player, is_viewer_only, parse_user_id};
use crate::auth::token::{self, TokenHash};
use crate::domain::TwitchUserId;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{PlayerRecord, TwitchLogin, TwitchLoginKind};

/// How long the consent page may take: Twitch's page, perhaps a login there.
pub const STATE_SECONDS: i64 = 600;
/// The game trades its code at once, right after the browser lands.
pub const CODE_SECONDS: i64 = 120;
/// Prefix of the one-time codes games trade for tokens.
pub const CODE_PREFIX: &str = "pbc_";
const STATE_PREFIX: &str = "pbs_";
/// Prefix of the one-time codes a linking player trades to finish the link.
const LINK_PREFIX: &str = "pbl_";

/// What a login started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Log in as the player of the Twitch account, created if need be.
    LogIn,
    /// Link the Twitch account to this (logged-in) player.
    Link { player_id: i64 },
}

/// How a login is started.
pub struct Start<'a> {
    pub intent: Intent,
    /// Where the browser goes afterwards (with `code=` or `error=`); none:
    /// the callback answers itself.
    pub redirect: Option<&'a str>,
    /// PKCE: base64url(SHA-256(verifier)), for games that cannot keep a secret.
    pub code_challenge: Option<&'a str>,
    /// Scopes to ask for, space-separated. A login needs none; the
    /// broadcaster and the bot log in once with the scopes EventSub
    /// subscriptions need, which Twitch then remembers for the app token.
    pub scope: Option<&'a str>,
    /// The hash of a value the starting browser keeps in a cookie: the
    /// callback then finishes the login only in that browser.
    pub browser: Option<TokenHash>,
}

/// A login under way: the consent page to send the user to.
pub struct Started {
    pub authorize_url: String,
    /// Seconds the `state` in it stays good.
    pub expires_in: i64,
}

/// A `state` taken back: what the login is for.
#[derive(Debug)]
pub struct Pending {
    pub intent: Intent,
    pub redirect: Option<String>,
    pub code_challenge: Option<String>,
    /// Started at `/auth/twitch` in this browser: the website's login.
    pub in_browser: bool,
}

/// The `redirect_uri` registered in the Twitch console.
pub fn callback_url(state: &AppState) -> String {
    format!("{}/auth/twitch/callback", state.config.public_url.trim_end_matches('/'))
}

/// Starts a login: keeps a fresh `state` and returns Twitch's consent URL.
pub async fn begin(state: &AppState, start: Start<'_>) -> AppResult<Started> {
    let twitch = &state.config.twitch;
    if twitch.client_id.is_empty() || twitch.client_secret.is_empty() {
        return Err(AppError::Unavailable(
            "Log in with Twitch is not set up on this server (twitch.client_id, twitch.client_secret)".into(),
        ));
    }
    let redirect = start.redirect.filter(|r| !r.is_empty()).map(|r| checked_redirect(state, r)).transpose()?;
    let code_challenge = start.code_challenge.filter(|c| !c.is_empty()).map(checked_challenge).transpose()?;
    let scope = checked_scope(start.scope.unwrap_or(""))?;
    let secret = token::generate(prefix_of(TwitchLoginKind::State));
    let player_id = match start.intent {
        Intent::LogIn => None,
        Intent::Link { player_id } => Some(player_id),
    };
    let row = TwitchLogin {
        kind: TwitchLoginKind::State,
        player_id,
        redirect,
        code_challenge,
        browser: start.browser,
        twitch: None,
        expires_at: state.clock.now() + STATE_SECONDS,
    };
    state.store.put_twitch_login(&secret.hash, &row).await?;
    let authorize = format!("{}/authorize", state.twitch.oauth_url());
    let url = Url::parse_with_params(
        &authorize,
        [
            ("response_type", "code"),
            ("client_id", twitch.client_id.as_str()),
            ("redirect_uri", callback_url(state).as_str()),
            // Empty unless asked: logging in needs only the identity, which every token carries.
            ("scope", scope),
            ("state", secret.text.as_str()),
        ],
    )
    .map_err(|err| AppError::Internal(anyhow::anyhow!("twitch.oauth_url is not a URL: {err}")))?;
    Ok(Started { authorize_url: url.into(), expires_in: STATE_SECONDS })
}

/// Takes the `state` Twitch sent back: good once, for [`STATE_SECONDS`];
/// a login bound to a browser only with that browser's cookie value.
pub async fn take_state(state: &AppState, raw: Option<&str>, browser: Option<&str>) -> AppResult<Pending> {
    let raw = raw.filter(|raw| !raw.is_empty()).ok_or_else(|| {
        AppError::bad_request("missing_state", "the callback has no state; start again from /auth/twitch")
    })?;
    let refused = || {
        AppError::bad_request(
            "invalid_state",
            "this login's state is unknown, already used or expired; start again from /auth/twitch",
        )
    };
    if !raw.starts_with(prefix_of(TwitchLoginKind::State)) {
        return Err(refused());
    }
    let row = state
        .store
        .take_twitch_login(&TokenHash::of(raw), TwitchLoginKind::State, state.clock.now())
        .await?
        .ok_or_else(refused)?;
    let presented = browser.map(TokenHash::of);
    if row.browser.is_some() && presented != row.browser {
        tracing::warn!("a Twitch login came back in a browser other than the one that started it");
        return Err(AppError::bad_request(
            "invalid_state",
            "this login was started in another browser; start again from /auth/twitch",
        ));
    }
    let intent = match row.player_id {
        None => Intent::LogIn,
        Some(player_id) => Intent::Link { player_id },
    };
    let in_browser = row.browser.is_some();
    Ok(Pending { intent, redirect: row.redirect, code_challenge: row.code_challenge, in_browser })
}

/// Trades Twitch's code for the user's token and asks Twitch whose it is.
/// The token is dropped afterwards: playerbase needs the identity only.
pub async fn identify(state: &AppState, code: &str) -> AppResult<TwitchUser> {
    let failed = |step: &str, err: crate::twitch::TwitchError| {
        tracing::warn!(error = %err, step, "Log in with Twitch failed");
        AppError::BadGateway {
            code: "twitch_login_failed",
            message: format!("Twitch did not confirm the login ({step})"),
        }
    };
    let token = state.twitch.exchange_code(code, &callback_url(state)).await.map_err(|err| failed("code", err))?;
    state.twitch.validate(&token.access_token).await.map_err(|err| failed("validate", err))
}

/// The last step of a login, shared by the API and the website: the
/// player of the Twitch account, created if need be. The caller starts its
/// session its own way (v1 tokens, a one-time code, a website cookie).
pub async fn log_in(state: &AppState, user: &TwitchUser) -> AppResult<PlayerRecord> {
    let (player, created) = find_or_create_player(state, user).await?;
    tracing::info!(player_id = player.id, created, "logged in with Twitch");
    Ok(player)
}

/// The last step of a link at the callback: the Twitch account is kept
/// under a one-time code that only the player who started the link can
/// trade ([`confirm_link`]). Linking right here would let anyone who
/// starts a link and hands the consent page to someone else take that
/// person's Twitch account for their own player. An account another player
/// holds is refused at once.
pub async fn issue_link_code(
    state: &AppState,
    player_id: i64,
    user: &TwitchUser,
    code_challenge: Option<String>,
) -> AppResult<String> {
    refuse_if_held(state, player_id, &parse_user_id(&user.user_id)?).await?;
    let twitch = Some((user.user_id.clone(), user.login.clone()));
    put_code(state, TwitchLoginKind::Link, player_id, code_challenge, twitch).await
}

/// Links the Twitch account a link code holds to `caller`, who must be the
/// player who started the link (403 `not_your_link` otherwise), with the
/// PKCE verifier as for [`redeem_code`].
///
/// Linking is refused (409 `twitch_user_taken`) when another player holds
/// the Twitch account, including a player made from that account's stream
/// activity: merging two players' stats and ledgers is not something to do
/// behind a click. Such a viewer logs in with Twitch to play as that player.
/// Linking a player that had another Twitch account replaces it.
pub async fn confirm_link(
    state: &AppState,
    caller: i64,
    code: &str,
    verifier: Option<&str>,
) -> AppResult<PlayerRecord> {
    let row = take_code(state, code, TwitchLoginKind::Link, verifier).await?;
    if row.player_id != Some(caller) {
        tracing::warn!(player_id = caller, "a Twitch link code was presented by a player other than the one linking");
        return Err(AppError::forbidden("not_your_link", "this link was started by another player"));
    }
    let Some((user_id, login)) = row.twitch else {
        return Err(AppError::Internal(anyhow::anyhow!("a Twitch link code without a Twitch account")));
    };
    let user_id = parse_user_id(&user_id)?;
    refuse_if_held(state, caller, &user_id).await?;
    if !state.store.link_twitch(caller, &user_id, &login).await? {
        return Err(AppError::not_found("player_not_found", "the player who started this link is gone"));
    }
    state.profiles.forget(caller);
    let player = state
        .store
        .player_by_id(caller)
        .await?
        .ok_or_else(|| AppError::not_found("player_not_found", "the player who started this link is gone"))?;
    tracing::info!(player_id = caller, "Twitch account linked");
    Ok(player)
}

/// 409 `twitch_user_taken` if a player other than `player_id` holds the Twitch account.
async fn refuse_if_held(state: &AppState, player_id: i64, user_id: &TwitchUserId) -> AppResult<()> {
    let holder = state.store.player_by_twitch_id(user_id).await?;
    let Some(holder) = holder.filter(|holder| holder.id != player_id) else { return Ok(()) };
    let message = if is_viewer_only(&holder) {
        format!(
            "this Twitch account already has a player of its own ({}), made from its activity on stream; log in \
             with Twitch to play as that player",
            holder.username
        )
    } else {
        "another player has linked this Twitch account".to_owned()
    };
    Err(AppError::Conflict { code: "twitch_user_taken", message })
}

/// A one-time code for the player, to be traded at `/api/v1/auth/twitch/exchange`.
pub async fn issue_code(state: &AppState, player_id: i64, code_challenge: Option<String>) -> AppResult<String> {
    put_code(state, TwitchLoginKind::Code, player_id, code_challenge, None).await
}

/// Keeps a fresh one-time code of `kind` for `player_id` ([`CODE_SECONDS`]); returns its text.
async fn put_code(
    state: &AppState,
    kind: TwitchLoginKind,
    player_id: i64,
    code_challenge: Option<String>,
    twitch: Option<(String, String)>,
) -> AppResult<String> {
    let secret = token::generate(prefix_of(kind));
    let row = TwitchLogin {
        kind,
        player_id: Some(player_id),
        redirect: None,
        code_challenge,
        browser: None,
        twitch,
        expires_at: state.clock.now() + CODE_SECONDS,
    };
    state.store.put_twitch_login(&secret.hash, &row).await?;
    Ok(secret.text)
}

/// The prefix a one-time secret of `kind` carries, which tells them apart at a glance.
fn prefix_of(kind: TwitchLoginKind) -> &'static str {
    match kind {
        TwitchLoginKind::State => STATE_PREFIX,
        TwitchLoginKind::Code => CODE_PREFIX,
        TwitchLoginKind::Link => LINK_PREFIX,
    }
}

/// Takes a one-time code and checks the PKCE verifier: required if the
/// login had a challenge, refused if it had none. A game that sends a
/// verifier started its own login with a challenge, so a code without one
/// was planted, by someone else's login. Returns the player it logs in. A
/// failed try spends the code too.
pub async fn redeem_code(state: &AppState, code: &str, verifier: Option<&str>) -> AppResult<i64> {
    let row = take_code(state, code, TwitchLoginKind::Code, verifier).await?;
    row.player_id.ok_or_else(|| AppError::Internal(anyhow::anyhow!("a Twitch login code without a player")))
}

/// Takes a one-time code of `kind` and checks its PKCE verifier (see [`redeem_code`]).
async fn take_code(
    state: &AppState,
    code: &str,
    kind: TwitchLoginKind,
    verifier: Option<&str>,
) -> AppResult<TwitchLogin> {
    let refused = || AppError::bad_request("invalid_code", "the code is unknown, already used or expired");
    if !code.starts_with(prefix_of(kind)) {
        return Err(refused());
    }
    let row =
        state.store.take_twitch_login(&TokenHash::of(code), kind, state.clock.now()).await?.ok_or_else(refused)?;
    if row.code_challenge.as_deref() != verifier.map(pkce_challenge).as_deref() {
        return Err(AppError::bad_request(
            "invalid_code_verifier",
            "the code_verifier does not match the code_challenge the login started with (or it started with none)",
        ));
    }
    Ok(row)
}

/// PKCE S256: base64url, unpadded, of the verifier's SHA-256.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Twitch scopes are words like `moderator:read:followers`.
fn checked_scope(scope: &str) -> AppResult<&str> {
    let fits = scope.len() <= 1000 && scope.bytes().all(|b| b.is_ascii_lowercase() || b":_ ".contains(&b));
    if !fits {
        return Err(AppError::bad_request("invalid_scope", "scope is Twitch scopes separated by spaces"));
    }
    Ok(scope)
}

fn checked_challenge(challenge: &str) -> AppResult<String> {
    let is_s256 = challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
    if !is_s256 {
        return Err(AppError::bad_request(
            "invalid_code_challenge",
            "code_challenge is base64url(SHA-256(code_verifier)) without padding: 43 characters",
        ));
    }
    Ok(challenge.to_owned())
}

/// The redirect, normalised, if it lies under `public_url` or a
/// `twitch.login_redirects` prefix; else 400. Never an open redirect.
fn checked_redirect(state: &AppState, raw: &str) -> AppResult<String> {
    let refused = || {
        AppError::bad_request(
            "invalid_redirect",
            "redirect must be a URL under public_url or one of twitch.login_redirects",
        )
    };
    let url = Url::parse(raw).map_err(|_| refused())?;
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(refused());
    }
    let own = format!("{}/", state.config.public_url.trim_end_matches('/'));
    let prefixes = std::iter::once(own.as_str()).chain(state.config.twitch.login_redirects.iter().map(String::as_str));
    let normalised = url.as_str();
    prefixes
        .into_iter()
        .any(|prefix| under_prefix(normalised, prefix))
        .then(|| normalised.to_owned())
        .ok_or_else(refused)
}

/// Whether `url` is `prefix` or lies under it: the prefix must end where a
/// path segment or the query starts, so `https://game.example` does not
/// admit `https://game.example.evil.com`.
fn under_prefix(url: &str, prefix: &str) -> bool {
    let prefix = Url::parse(prefix).map(String::from).unwrap_or_else(|_| prefix.to_owned());
    let Some(rest) = url.strip_prefix(prefix.as_str()) else { return false };
    rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/') || rest.starts_with('?')
}

/// `redirect` with `name=value` added to its query.
pub fn with_param(redirect: &str, name: &str, value: &str) -> String {
    match Url::parse(redirect) {
        Ok(mut url) => {
            url.query_pairs_mut().append_pair(name, value);
            url.into()
        }
        Err(_) => redirect.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_admits_only_what_lies_under_it() {
        assert!(under_prefix("https://game.example/done", "https://game.example/"));
        assert!(under_prefix("https://game.example/done?x=1", "https://game.example"));
        assert!(under_prefix("https://game.example/", "https://game.example"));
        assert!(!under_prefix("https://game.example.evil.com/", "https://game.example"));
        assert!(!under_prefix("https://evil.com/https://game.example/", "https://game.example/"));
        assert!(under_prefix("mygame://auth/done", "mygame://auth"));
        assert!(!under_prefix("mygame://author", "mygame://auth"));
        assert!(!under_prefix("http://game.example/done", "https://game.example/"));
    }

    #[test]
    fn pkce_challenge_is_the_unpadded_base64url_of_sha256() {
        // SHA-256("abc") is ba7816bf…f20015ad (FIPS 180-2's first example).
        assert_eq!(pkce_challenge("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
        assert_eq!(pkce_challenge("dBjftJeZ4CVP-mB92K1uhbF1HSJbDbu4m3jZqTT2X5w").len(), 43);
    }

    #[test]
    fn params_are_added_to_the_query() {
        assert_eq!(with_param("https://g.example/a?x=1", "code", "pbc_1"), "https://g.example/a?x=1&code=pbc_1");
        assert_eq!(with_param("mygame://auth", "error", "access_denied"), "mygame://auth?error=access_denied");
    }
}
