//! axum's extractors, with their rejections in the one error shape.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON body. The Content-Type is not insisted on: old game clients send
/// JSON under all sorts of them.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body and the bytes it came as.
pub struct JsonBytes<T> {
    pub value: T,
    pub bytes: Bytes,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBytes<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let bytes = body_bytes(req, state).await?;
        Ok(Self { value: parse_json(&bytes)?, bytes })
    }
}

/// The body exactly as sent (signatures are computed over the raw bytes).
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        body_bytes(req, state).await.map(RawBody)
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection: BytesRejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::bad_request("unreadable_body", rejection.body_text())
        }
    })
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes).map_err(|err| match err.classify() {
        serde_json::error::Category::Data => AppError::bad_request("invalid_body", data_error(bytes, &err)),
        _ => AppError::bad_request("malformed_json", format!("the body is not valid JSON: {err}")),
    })
}

/// What does not fit in a body of valid JSON, in JSON's words: serde names
/// the Rust types ("expected struct NewUser with 3 elements", "expected i64").
/// Only on the way to a 400, so parsing the body again costs nothing that counts.
fn data_error(bytes: &[u8], err: &serde_json::Error) -> String {
    if serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|value| !value.is_object()) {
        return "the body must be a JSON object".to_owned();
    }
    let mut words: Vec<String> = Vec::new();
    let mut rest = err.to_string();
    while let Some(at) = rest.find("expected ") {
        let (before, after) = rest.split_at(at + "expected ".len());
        words.push(before.to_owned());
        let (name, tail) = after.split_at(after.find([' ', ',']).unwrap_or(after.len()));
        let tail = if name == "struct" {
            // "struct NewUser": the type's name goes too.
            let tail = tail.trim_start();
            &tail[tail.find([' ', ',']).unwrap_or(tail.len())..]
        } else {
            tail
        };
        words.push(json_word(name).unwrap_or(name).to_owned());
        rest = tail.to_owned();
    }
    words.push(rest);
    words.concat()
}

/// JSON's word for a Rust type serde names (maybe with its path, `core::num::u32`).
fn json_word(rust_type: &str) -> Option<&'static str> {
    let name = rust_type.rsplit("::").next().unwrap_or(rust_type);
    match name {
        "i64" | "i32" | "i16" | "i8" | "isize" => Some("a whole number"),
        "u64" | "u32" | "u16" | "u8" | "usize" => Some("a whole number of 0 or more"),
        "f64" | "f32" => Some("a number"),
        "struct" | "map" => Some("an object"),
        _ => None,
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection: QueryRejection| {
                let text = rejection.body_text();
                let why = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text);
                AppError::bad_request("invalid_query", format!("invalid query string: {why}"))
            })
    }
}

pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection: PathRejection| AppError::bad_request("invalid_path", path_error(&rejection)))
    }
}

/// What is wrong with the path, in the API's words rather than Rust's types.
fn path_error(rejection: &PathRejection) -> String {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(err) = rejection else { return rejection.body_text() };
    match err.kind() {
        ErrorKind::ParseErrorAtKey { key, value, expected_type } => {
            format!("{key} must be {}, not {value:?}", what_is(expected_type))
        }
        ErrorKind::ParseErrorAtIndex { value, expected_type, .. } | ErrorKind::ParseError { value, expected_type } => {
            format!("the path holds {value:?} where {} belongs", what_is(expected_type))
        }
        _ => rejection.body_text(),
    }
}

fn what_is(rust_type: &str) -> &'static str {
    json_word(rust_type).filter(|word| word.starts_with("a whole number")).unwrap_or("a valid value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct NewUser {
        username: String,
        password: String,
        age: Option<i64>,
    }

    fn message(body: &str) -> String {
        match parse_json::<NewUser>(body.as_bytes()) {
            Err(AppError::BadRequest { code: "invalid_body", message }) => message,
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn body_errors_speak_json_not_rust() {
        assert_eq!(message("[]"), "the body must be a JSON object");
        assert_eq!(message("\"text\""), "the body must be a JSON object");
        let wrong_type = message(r#"{"username": "a", "password": "b", "age": "old"}"#);
        assert!(wrong_type.starts_with("invalid type: string \"old\", expected a whole number"), "{wrong_type}");
        let missing = message(r#"{"username": "a"}"#);
        assert!(missing.starts_with("missing field `password`"), "{missing}");
        for text in [wrong_type, missing] {
            assert!(!text.contains("i64") && !text.contains("NewUser"), "{text}");
        }
    }
}
