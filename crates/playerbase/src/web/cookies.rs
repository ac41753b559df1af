//! Reading the `Cookie` header and writing `Set-Cookie`, for the few
//! cookies the website sets: not worth a crate.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponseParts, ResponseParts};

/// The value of cookie `name`, if the browser sent it.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// A `Set-Cookie` header: always `Path=/`, `HttpOnly` and `SameSite=Lax`;
/// `Secure` when the site is served over https.
pub struct SetCookie(HeaderValue);

impl SetCookie {
    /// `max_age` in seconds; none makes a cookie that ends with the browser session.
    pub fn new(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> Self {
        let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if let Some(seconds) = max_age {
            text.push_str(&format!("; Max-Age={seconds}"));
        }
        if secure {
            text.push_str("; Secure");
        }
        // Names and values are ours: ASCII letters, digits, `_` and `-`.
        Self(HeaderValue::from_str(&text).expect("cookie text is plain ASCII"))
    }

    /// Tells the browser to forget the cookie.
    pub fn removal(name: &str, secure: bool) -> Self {
        Self::new(name, "", Some(0), secure)
    }
}

impl IntoResponseParts for SetCookie {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        parts.headers_mut().append(header::SET_COOKIE, self.0);
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several_headers_and_pairs() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; pb_session=pbw_x"));
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(read(&headers, "pb_session"), Some("pbw_x"));
        assert_eq!(read(&headers, "b"), Some("2"));
        assert_eq!(read(&headers, "pb"), None);
    }

    #[test]
    fn set_cookie_has_the_safe_attributes() {
        let SetCookie(plain) = SetCookie::new("pb_session", "v", Some(60), false);
        assert_eq!(plain, "pb_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
        let SetCookie(secure) = SetCookie::removal("__Host-pb_session", true);
        assert_eq!(secure, "__Host-pb_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure");
    }
}
