//! What API.md says of every route, written into each operation of the
//! OpenAPI document once all routes are in it, so no handler can forget it:
//! any route may fail with a 500 in the one error shape, and a 401 always
//! carries `WWW-Authenticate`.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Type};

pub fn apply(api: &mut OpenApi) {
    for item in api.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            add_server_fault(operation);
            challenge_on_401(operation);
        }
    }
}

fn add_server_fault(operation: &mut Operation) {
    operation.responses.responses.entry("500".into()).or_insert_with(|| {
        RefOr::T(
            ResponseBuilder::new()
                .description("a server fault; the body holds no internals, the details are only in the log")
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build(),
        )
    });
}

fn challenge_on_401(operation: &mut Operation) {
    if let Some(RefOr::T(response)) = operation.responses.responses.get_mut("401") {
        let mut header = Header::new(utoipa::openapi::schema::Object::with_type(Type::String));
        header.description = Some("`Basic realm=\"playerbase\"` and `Bearer realm=\"playerbase\"`".into());
        response.headers.entry("WWW-Authenticate".into()).or_insert(header);
    }
}
