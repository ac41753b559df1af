//! The one error type of the HTTP layer: every failure leaves the server as
//! `{"error": {"code", "message"}}` with the status that fits.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::limits::RetryAfter;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's credentials are fine, but the current password it sent
    /// to confirm a change is wrong: a client must not refresh and retry.
    #[error("{0}")]
    WrongPassword(String),
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    MethodNotAllowed { message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the request body is larger than this route allows")]
    PayloadTooLarge,
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("too many attempts; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// A limit on what is open at once (not a rate): 429, retry once one closes.
    #[error("{0}")]
    TooManyOpen(String),
    #[error("{0}")]
    Unavailable(String),
    /// A service we depend on (Twitch) failed or refused: 502.
    #[error("{message}")]
    BadGateway { code: &'static str, message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound { code, message: message.into() }
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden { code, message: message.into() }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized(message.into())
    }

    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::WrongPassword(_) => (StatusCode::UNAUTHORIZED, "wrong_password"),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::NotFound { code, .. } => (StatusCode::NOT_FOUND, code),
            Self::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            Self::TooManyRequests { .. } | Self::TooManyOpen(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::BadGateway { code, .. } => (StatusCode::BAD_GATEWAY, code),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<RetryAfter> for AppError {
    fn from(RetryAfter(retry_after): RetryAfter) -> Self {
        Self::TooManyRequests { retry_after }
    }
}

/// Seconds a client refused for having too much open is told to wait.
const RETRY_WHEN_OPEN: u64 = 30;

/// The message of a 503 while the database cannot be reached.
pub const DATABASE_UNREACHABLE: &str =
    "the database is unreachable; retry shortly (an award retried with the same Idempotency-Key applies once)";

/// Unique-constraint violations become 409 here, and only here; an
/// unreachable database is 503, as `/readyz` says, not a 500.
impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Taken(field) => Self::Conflict {
                code: field.error_code(),
                message: format!("that {} is already taken", field.describe()),
            },
            StoreError::Corrupt(why) => Self::Internal(anyhow::anyhow!(why)),
            err if err.is_unreachable() => {
                tracing::warn!(error = %err, "the database is unreachable");
                Self::Unavailable(DATABASE_UNREACHABLE.into())
            }
            StoreError::Database(err) => Self::Internal(err.into()),
            StoreError::Sqlite(err) => Self::Internal(err.into()),
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `username_taken`.
    pub code: String,
    /// Text for people; never holds internals.
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                "something went wrong on the server".to_owned()
            }
            other => other.to_string(),
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message } };
        let mut response = (status, axum::Json(body)).into_response();
        match self {
            Self::TooManyRequests { retry_after } => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            Self::TooManyOpen(_) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_WHEN_OPEN));
            }
            _ => {}
        }
        if status == StatusCode::UNAUTHORIZED {
            let headers = response.headers_mut();
            headers.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"playerbase\""));
            headers.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"playerbase\""));
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_show_nothing_of_the_cause() {
        let response = AppError::Internal(anyhow::anyhow!("disk /var/secret/path is full")).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("\"code\":\"internal\""));
    }
}
