//! `/api/workspaces`.

use axum::{Json, extract::State};
use roster_api::Workspace;

use crate::AppState;

/// `GET /api/workspaces`: the org's workspaces, from the directory snapshot.
pub async fn list(State(state): State<AppState>) -> Json<Vec<Workspace>> {
    Json(state.directory.workspaces())
}
