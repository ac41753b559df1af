//! What API.md says of every route, written into each operation of the
//! OpenAPI document once all routes are in it, so no handler can forget it:
//! any route may fail with a 500, or a 503 past `limits.request_timeout_seconds`;
//! a route that takes credentials may answer 429 (a username and password
//! count as a login attempt, and those are rate limited); a 401 always carries
//! `WWW-Authenticate`, a 429 `Retry-After`; a path parameter that does not
//! parse is 400 and a body over the limit 413; all in the one error shape;
//! every answer carries `x-request-id`.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder, Type};

pub fn apply(api: &mut OpenApi) {
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let takes_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            if path.contains('{') {
                responses.entry("400".into()).or_insert_with(|| {
                    error(
                        "`invalid_path`: a path parameter that does not parse (an id that is not a whole number, say)",
                    )
                });
            }
            if takes_body {
                responses.entry("413".into()).or_insert_with(|| {
                    error("`body_too_large`: the body is over 64 KiB (2 MiB for `POST /api/v1/awards`)")
                });
            }
            responses.entry("500".into()).or_insert_with(|| {
                error("a server fault; the body holds no internals, the details are only in the log")
            });
            responses.entry("503".into()).or_insert_with(|| {
                error("the answer took longer than limits.request_timeout_seconds (or, on /readyz, the database does not answer); retry")
            });
            if responses.contains_key("401") {
                responses.entry("429".into()).or_insert_with(|| {
                    error("too many password attempts from this address or for this account; wait Retry-After seconds")
                });
            }
            add_header(
                operation,
                "401",
                "WWW-Authenticate",
                "`Basic realm=\"playerbase\"` and `Bearer realm=\"playerbase\"`",
            );
            add_header(operation, "429", "Retry-After", "seconds to wait before trying again");
            for response in operation.responses.responses.values_mut() {
                add_header_to(response, "x-request-id", REQUEST_ID);
            }
        }
    }
}

const REQUEST_ID: &str = "the request's id, as the access log names it: the caller's own `x-request-id` \
    when it is 1 to 128 printable ASCII characters without spaces, otherwise a new UUID";

fn error(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build(),
    )
}

fn add_header(operation: &mut Operation, status: &str, name: &str, description: &str) {
    if let Some(response) = operation.responses.responses.get_mut(status) {
        add_header_to(response, name, description);
    }
}

fn add_header_to(response: &mut RefOr<Response>, name: &str, description: &str) {
    if let RefOr::T(response) = response {
        let mut header = Header::new(utoipa::openapi::schema::Object::with_type(Type::String));
        header.description = Some(description.into());
        response.headers.entry(name.into()).or_insert(header);
    }
}
