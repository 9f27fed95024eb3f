//! The `/api` routes.

mod users;
mod workspaces;

use axum::{Router, routing::get};

use crate::{AppState, error::AppError};

/// Every `/api` route.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/users", get(users::list))
        .route("/workspaces", get(workspaces::list))
        .fallback(|| async { AppError::NotFound("There is no such API route.".into()) })
}
