//! Reading the `Authorization` header. A header that is present but
//! malformed is an error, never a silent anonymous request.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::username::MAX_USERNAME_LEN;
use crate::error::AppError;

#[derive(PartialEq, Eq)]
pub enum Credentials {
    /// `Bearer TOKEN`, or Basic with the token as username (as the seed allowed).
    Token(String),
    Password {
        username: String,
        password: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::Password { username, .. } => write!(f, "Password({username}, <redacted>)"),
        }
    }
}

pub fn from_headers(headers: &HeaderMap) -> Result<Option<Credentials>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let malformed = || AppError::unauthorized("the Authorization header is malformed");
    let value = value.to_str().map_err(|_| malformed())?.trim();
    let (scheme, rest) = value.split_once(' ').ok_or_else(malformed)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.is_empty() {
            return Err(malformed());
        }
        return Ok(Some(Credentials::Token(rest.to_owned())));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AppError::unauthorized("use Basic or Bearer authorization"));
    }
    let decoded = STANDARD.decode(rest).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (user, password) = match decoded.split_once(':') {
        Some(pair) => pair,
        // Flask's werkzeug reads `Basic base64(TOKEN)`, without the colon, as the token alone.
        None if decoded.len() > MAX_USERNAME_LEN => return Ok(Some(Credentials::Token(decoded))),
        None => return Err(malformed()),
    };
    // Tokens are longer than any username, which tells the two apart.
    if user.len() > MAX_USERNAME_LEN {
        return Ok(Some(Credentials::Token(user.to_owned())));
    }
    Ok(Some(Credentials::Password { username: user.to_owned(), password: password.to_owned() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn parse(value: &str) -> Result<Option<Credentials>, AppError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        from_headers(&headers)
    }

    fn basic(pair: &str) -> String {
        format!("Basic {}", STANDARD.encode(pair))
    }

    #[test]
    fn reads_each_accepted_form() {
        assert_eq!(from_headers(&HeaderMap::new()).unwrap(), None);
        assert_eq!(parse("Bearer abc").unwrap(), Some(Credentials::Token("abc".into())));
        assert_eq!(
            parse(&basic("kicksent:pass:with:colons")).unwrap(),
            Some(Credentials::Password { username: "kicksent".into(), password: "pass:with:colons".into() })
        );
        let token = format!("pbt_{}", "x".repeat(43));
        assert_eq!(parse(&basic(&format!("{token}:unused"))).unwrap(), Some(Credentials::Token(token.clone())));
        assert_eq!(parse(&basic(&token)).unwrap(), Some(Credentials::Token(token)), "a token without the colon");
    }

    #[test]
    fn malformed_headers_are_errors_not_anonymous() {
        for bad in ["Bearer", "Bearer ", "Basic !!!notbase64", "Digest abc", "Basic", &basic("no-colon")] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
