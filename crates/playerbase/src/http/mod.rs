//! Routes and the middleware around them.

pub mod extract;
pub mod middleware;
mod ops;
pub mod paging;
pub mod seed;
pub mod v1;
pub mod views;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

pub use middleware::{App, with_middleware};

#[derive(OpenApi)]
#[openapi(
    info(title = "playerbase", description = "Player accounts and player stats for games played through Twitch."),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The OpenAPI document of every documented route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().split_for_parts().1
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(seed::routes()).merge(v1::routes()).merge(ops::routes())
}

pub fn build_app(state: AppState) -> App {
    let (router, mut api) = api_routes().split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    let api = Arc::new(api);
    let router = router
        .route("/api/openapi.json", get(move || async move { axum::Json(api.as_ref().clone()) }))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    with_middleware(router)
}

async fn unknown_route(method: Method, uri: Uri) -> AppError {
    AppError::not_found("no_route", format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::MethodNotAllowed { message: format!("{method} is not allowed on {}", uri.path()) }
}
