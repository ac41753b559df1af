//! CSRF protection for every form. A form's token is a hash of a secret
//! cookie only this browser holds (HttpOnly, SameSite=Lax): the session
//! cookie once logged in (a synchronizer token tied to the session, with
//! nothing stored), or a cookie of its own for the forms shown before
//! logging in. Another site can neither read the cookie nor compute the
//! hash, and every instance behind a load balancer computes the same one.

use axum::http::HeaderMap;
use axum::response::{IntoResponseParts, ResponseParts};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::cookies::{self, SetCookie};
use super::errors::WebError;
use super::session::{Viewer, cookie_name, secure};
use crate::auth::token;
use crate::state::AppState;

/// Keeps these hashes apart from every other hash of the same secret.
const CONTEXT: &[u8] = b"playerbase form token\0";
const FORM: &str = "pb_form";
const FORM_PREFIX: &str = "pbf_";

pub fn token_for(secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(CONTEXT);
    hasher.update(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Compares in time independent of where the first difference is.
fn same(expected: &str, submitted: &str) -> bool {
    expected.len() == submitted.len()
        && expected.bytes().zip(submitted.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// A form of the logged-in player: the token must be this session's.
pub fn check_session(viewer: &Viewer, submitted: &str) -> Result<(), WebError> {
    if same(&viewer.csrf, submitted) { Ok(()) } else { Err(WebError::stale_form()) }
}

/// The forms shown before logging in (log in, sign up): their token comes
/// from a random cookie set with the form.
pub struct FormCookie {
    pub token: String,
    /// Set when the browser had none yet.
    fresh: Option<SetCookie>,
}

pub fn form_cookie(state: &AppState, headers: &HeaderMap) -> FormCookie {
    let name = cookie_name(state, FORM);
    match cookies::read(headers, name).filter(|secret| secret.starts_with(FORM_PREFIX)) {
        Some(secret) => FormCookie { token: token_for(secret), fresh: None },
        None => {
            let secret = token::generate(FORM_PREFIX).text;
            FormCookie { token: token_for(&secret), fresh: Some(SetCookie::new(name, &secret, None, secure(state))) }
        }
    }
}

impl IntoResponseParts for FormCookie {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        match self.fresh {
            Some(cookie) => cookie.into_response_parts(parts),
            None => Ok(parts),
        }
    }
}

/// A form shown before logging in: the token must come from this browser's form cookie.
pub fn check_form_cookie(state: &AppState, headers: &HeaderMap, submitted: &str) -> Result<(), WebError> {
    let secret = cookies::read(headers, cookie_name(state, FORM)).filter(|secret| secret.starts_with(FORM_PREFIX));
    match secret {
        Some(secret) if same(&token_for(secret), submitted) => Ok(()),
        _ => Err(WebError::stale_form()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_secret_and_reveal_nothing_of_it() {
        let a = token_for("pbw_secret-a");
        assert_eq!(a, token_for("pbw_secret-a"));
        assert_ne!(a, token_for("pbw_secret-b"));
        assert!(!a.contains("secret"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &token_for("pbw_secret-b")));
        assert!(!same(&a, ""));
    }
}
