//! `/api/docs`: Swagger UI over `/api/openapi.json`. Its files are vendored
//! in the `utoipa-swagger-ui` crate and embedded in the binary, so the page
//! needs no network at build or run time.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa_swagger_ui::Config;

use crate::error::AppError;

pub const DOCS_PATH: &str = "/api/docs";
pub const OPENAPI_PATH: &str = "/api/openapi.json";

/// The page and its assets. Every route is reached with or without its
/// trailing slash, so the page lives at `/api/docs` itself; a `<base>`
/// element makes Swagger UI's relative asset links resolve under
/// `/api/docs/` all the same.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = Arc::new(Config::new([OPENAPI_PATH]));
    let page_config = config.clone();
    Router::new().route(DOCS_PATH, get(move || async move { page(&page_config) })).route(
        &format!("{DOCS_PATH}/{{*file}}"),
        get(move |Path(file): Path<String>| async move { asset(&file, &config) }),
    )
}

fn page(config: &Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve("index.html", config.clone()) {
        Ok(Some(file)) => {
            let html = String::from_utf8_lossy(&file.bytes).replacen(
                "<head>",
                &format!("<head>\n    <base href=\"{DOCS_PATH}/\">"),
                1,
            );
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
        }
        _ => AppError::Internal(anyhow::anyhow!("the embedded Swagger UI has no index.html")).into_response(),
    }
}

fn asset(file: &str, config: &Arc<Config<'static>>) -> Response {
    if file == "index.html" {
        return page(config);
    }
    match utoipa_swagger_ui::serve(file, config.clone()) {
        Ok(Some(found)) => (StatusCode::OK, [(header::CONTENT_TYPE, found.content_type)], found.bytes).into_response(),
        Ok(None) => AppError::not_found("no_route", format!("no file {file} in the API docs")).into_response(),
        Err(err) => AppError::Internal(anyhow::anyhow!("Swagger UI: {err}")).into_response(),
    }
}
