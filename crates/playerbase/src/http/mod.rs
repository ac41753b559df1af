//! Routes and the middleware around them.

mod doc_conventions;
mod doc_stats;
mod docs;
pub mod extract;
pub(crate) mod guards;
pub mod middleware;
mod ops;
pub mod paging;
pub mod seed;
mod twitch;
pub mod twitch_login;
pub mod v1;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Duration;
use tower::ServiceBuilder;
use tower::util::{MapResponseLayer, option_layer};
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
    info(
        title = "playerbase",
        description = "Player accounts and player stats for games played through Twitch. Every error has one \
            shape, `{\"error\": {\"code\", \"message\"}}` (`ErrorBody`), with the status that fits; every \
            route also answers with a trailing slash."
    ),
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
    routes_and_document().1
}

/// The documented routes, and their document with API.md's conventions in every operation.
fn routes_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = api_routes().split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    doc_conventions::apply(&mut api);
    (router, api)
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(seed::routes())
        .merge(v1::routes())
        .merge(twitch::routes())
        .merge(twitch_login::routes())
        .merge(ops::routes())
}

pub fn build_app(state: AppState) -> App {
    let (router, api) = routes_and_document();
    let mut api = serde_json::to_value(api).expect("the OpenAPI document serialises");
    doc_stats::describe(&mut api, &state.stats);
    let api = Arc::new(api);
    let router = router
        .route(docs::OPENAPI_PATH, get(move || async move { axum::Json(api.as_ref().clone()) }))
        .merge(docs::routes())
        .merge(crate::web::routes(&state))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    // Outermost first.
    let guards = ServiceBuilder::new()
        .layer(MapResponseLayer::new(guards::security_headers))
        .layer(option_layer(guards::cors(&state.config.cors_origins)))
        .layer(HandleErrorLayer::new(guards::timed_out))
        .timeout(Duration::from_secs(state.config.limits.request_timeout_seconds))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    with_middleware(router, state.metrics.clone(), guards)
}

/// The API answers unknown routes in its JSON error shape; the website with a page.
async fn unknown_route(state: State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if crate::web::owns_path(uri.path()) {
        return crate::web::errors::redraw_for_visitor(&state, &headers, crate::web::errors::not_found_page()).await;
    }
    AppError::not_found("no_route", format!("no route for {method} {}", uri.path())).into_response()
}

async fn method_not_allowed(state: State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if crate::web::owns_path(uri.path()) {
        let page = crate::web::errors::method_not_allowed_page();
        return crate::web::errors::redraw_for_visitor(&state, &headers, page).await;
    }
    AppError::MethodNotAllowed { message: format!("{method} is not allowed on {}", uri.path()) }.into_response()
}
