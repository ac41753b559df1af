//! `/api/docs`: Swagger UI over `/api/openapi.json`. Its files are vendored
//! in the `utoipa-swagger-ui` crate and embedded in the binary, so the page
//! needs no network at build or run time.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa_swagger_ui::Config;

use crate::error::AppError;

pub const DOCS_PATH: &str = "/api/docs";
pub const OPENAPI_PATH: &str = "/api/openapi.json";

/// The page and its assets. Every route is reached with or without its
/// trailing slash, so `/api/docs` cannot be the page itself (its relative
/// asset links would resolve under `/api/`); it sends the browser to
/// `/api/docs/index.html`, beside the assets. (A `<base>` element would
/// do, but the security headers' `base-uri 'none'` rules that out.)
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = Arc::new(Config::new([OPENAPI_PATH]));
    Router::new().route(DOCS_PATH, get(|| async { Redirect::to(&format!("{DOCS_PATH}/index.html")) })).route(
        &format!("{DOCS_PATH}/{{*file}}"),
        get(move |Path(file): Path<String>| async move { asset(&file, &config) }),
    )
}

fn asset(file: &str, config: &Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(file, config.clone()) {
        Ok(Some(found)) => (StatusCode::OK, [(header::CONTENT_TYPE, found.content_type)], found.bytes).into_response(),
        Ok(None) => AppError::not_found("no_route", format!("no file {file} in the API docs")).into_response(),
        Err(err) => AppError::Internal(anyhow::anyhow!("Swagger UI: {err}")).into_response(),
    }
}
