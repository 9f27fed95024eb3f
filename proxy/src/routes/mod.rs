//! The HTTP routes. Every `/api` route is registered through utoipa, so the OpenAPI
//! document (`GET /api/openapi.json`) is generated from the same code that routes.

mod audit;
mod csv_file;
mod health;
mod jobs;
mod lifecycle;
mod me;
mod seats;
mod user_actions;
mod user_changes;
mod users;
mod workspaces;

use std::sync::{Arc, OnceLock};

use axum::{
    Json, Router,
    extract::rejection::{JsonRejection, QueryRejection},
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{AppState, error::AppError};

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::openapi;

    /// Every `$ref` in `value`, with where it is.
    fn refs(value: &Value, at: String, found: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    if key == "$ref"
                        && let Some(target) = v.as_str()
                    {
                        found.push((at.clone(), target.to_string()));
                    }
                    refs(v, format!("{at}/{key}"), found);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    refs(v, format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_openapi_reference_resolves() {
        // The document as `GET /api/openapi.json` serves it.
        let doc = serde_json::to_value(openapi().as_ref()).unwrap();
        let mut found = Vec::new();
        refs(&doc, String::new(), &mut found);
        assert!(
            found
                .iter()
                .any(|(_, target)| target == "#/components/schemas/SortKey"),
            "the users list's sort parameter is a reference"
        );
        let dangling: Vec<String> = found
            .iter()
            .filter(|(_, target)| {
                target
                    .strip_prefix('#')
                    .is_none_or(|pointer| doc.pointer(pointer).is_none())
            })
            .map(|(at, target)| format!("{at} -> {target}"))
            .collect();
        assert!(
            dangling.is_empty(),
            "references to nothing in the OpenAPI document:\n{}",
            dangling.join("\n")
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster",
        description = "Administer the users of a Slack Enterprise org. Every route needs an identity \
            from the company's SSO; changes also need `X-Roster-Request: 1` and a same-origin `Origin`.",
        license(name = "Apache-2.0")
    ),
    // Query parameters refer to these by name; nothing else in the document would define
    // them, and a reference to nothing makes clients and fuzzers skip the parameter.
    components(schemas(roster_api::SortKey, roster_api::SortDir)),
    tags(
        (name = "users", description = "The org directory and changes to users"),
        (name = "workspaces", description = "Workspaces and their channels"),
        (name = "audit", description = "Who did what"),
        (name = "jobs", description = "Bulk changes, run at Slack's pace and kept across restarts"),
        (name = "session", description = "The signed-in person and the connection to Slack"),
        (name = "operations", description = "Health and metrics for operators"),
    )
)]
struct ApiDoc;

fn api_router() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(routes!(me::me))
        .routes(routes!(me::status))
        .routes(routes!(me::set_demo_role))
        .routes(routes!(users::list))
        .routes(routes!(users::export))
        .routes(routes!(users::by_email))
        .routes(routes!(user_changes::changes))
        .routes(routes!(users::detail))
        .routes(routes!(lifecycle::sessions))
        .routes(routes!(lifecycle::invite_requests))
        .routes(routes!(user_actions::change))
        .routes(routes!(user_actions::invite))
        .routes(routes!(user_actions::assign))
        .routes(routes!(user_actions::remove))
        .routes(routes!(user_actions::set_role))
        .routes(routes!(
            user_actions::get_expiration,
            user_actions::set_expiration
        ))
        .routes(routes!(workspaces::list))
        .routes(routes!(workspaces::channels))
        .routes(routes!(audit::list))
        .routes(routes!(audit::export))
        .routes(routes!(jobs::create, jobs::list))
        .routes(routes!(jobs::detail))
        .routes(routes!(jobs::events))
        .routes(routes!(jobs::pause))
        .routes(routes!(jobs::resume))
        .routes(routes!(jobs::cancel))
        .routes(routes!(jobs::retry))
        .routes(routes!(jobs::errors_csv))
        .routes(routes!(openapi_json));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api", api)
}

fn health_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
}

/// The OpenAPI document of every route.
pub fn openapi() -> Arc<utoipa::openapi::OpenApi> {
    static DOC: OnceLock<Arc<utoipa::openapi::OpenApi>> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut doc) = api_router().split_for_parts();
        let (_, health) = health_router().split_for_parts();
        doc.merge(health);
        Arc::new(doc)
    })
    .clone()
}

/// `/api/...`, behind identity and same-origin checks. Unknown `/api` paths get a JSON 404
/// (not the browser app).
pub fn api(_state: &AppState) -> Router<AppState> {
    let (router, _) = api_router().split_for_parts();
    router.route("/api/{*rest}", axum::routing::any(no_such_route))
}

async fn no_such_route() -> AppError {
    AppError::NotFound("There is no such API route.".into())
}

/// `/healthz`, `/readyz`, `/metrics`: for load balancers and Prometheus, without identity.
pub fn health() -> Router<AppState> {
    health_router().split_for_parts().0
}

/// The OpenAPI document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi().as_ref().clone())
}

/// A part of an answer Slack could not give, in words: "Presence could not be loaded: …".
pub(crate) fn not_loaded(what: &str, e: &crate::slack::SlackError) -> String {
    format!("{what} could not be loaded: {}", why_not_loaded(e))
}

/// Why Slack did not give something, in words.
pub(crate) fn why_not_loaded(e: &crate::slack::SlackError) -> String {
    if let crate::slack::SlackError::Paced { .. } = e {
        let seconds = e.retry_after().unwrap_or(1).max(1);
        return format!("Slack's limit, try again in {seconds} s.");
    }
    e.code()
        .map(crate::slack::messages::describe)
        .unwrap_or("Slack could not be reached.")
        .to_string()
}

/// A query string that cannot be read, as a 400 in Roster's error shape.
pub(crate) fn bad_query(e: QueryRejection) -> AppError {
    AppError::Malformed(format!("The query string is not valid: {}", e.body_text()))
}

/// A JSON body that cannot be read, as a 400 in Roster's error shape.
pub(crate) fn bad_json(e: JsonRejection) -> AppError {
    AppError::Malformed(format!("The request body is not valid: {}", e.body_text()))
}
