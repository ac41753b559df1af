//! What the forms share: reading a posted form, and where to go after one.

use axum::extract::{Form, FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::web::errors::WebError;

/// A posted form; a malformed one is a page saying so, not axum's plain text.
pub struct WebForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WebForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(request, state).await {
            Ok(Form(form)) => Ok(Self(form)),
            Err(rejection) => Err(WebError::bad_request(format!("The form could not be read: {rejection}"))),
        }
    }
}

/// Where to send a player after logging in: `next` if it is a path on
/// this site (never another site: an open redirect would help phishing),
/// else `fallback`.
pub fn local_path_or(next: &str, fallback: String) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if local { next.to_owned() } else { fallback }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        let home = || "/players/kicksent".to_owned();
        assert_eq!(local_path_or("/account", home()), "/account");
        for bad in ["", "https://evil.example/", "//evil.example", "/\\evil.example", "account", "/a\nb"] {
            assert_eq!(local_path_or(bad, home()), home(), "{bad:?}");
        }
    }
}
