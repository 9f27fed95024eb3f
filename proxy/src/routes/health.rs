//! Health and metrics for operators.

use std::sync::atomic::Ordering;

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde_json::{Value, json};

use crate::{AppState, directory::unix_now, metrics::Gauges};

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Roster is running")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: Slack accepts the token and a directory copy is available. While Roster's
/// storage cannot be written it stays ready (reads are served) and says that changes are
/// refused, and why.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready (`changes`: whether changes are accepted)"),
        (status = 503, description = "Not ready, with the reason")))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let token_ok = state.health.token_ok.load(Ordering::SeqCst);
    let synced = state.directory.synced_at().is_some();
    let problem = state.health.problem.lock().unwrap().clone();
    if token_ok && synced {
        let body = match state.audit.storage() {
            None => json!({"ready": true, "changes": true}),
            Some(failing) => json!({
                "ready": true,
                "changes": false,
                "reason": failing.error.to_string(),
                "since": failing.since,
                "outcomes_waiting": state.audit.waiting(),
            }),
        };
        (StatusCode::OK, Json(body))
    } else {
        let reason =
            problem.unwrap_or_else(|| "the directory has not been loaded from Slack yet".into());
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "reason": reason})),
        )
    }
}

/// Prometheus metrics, for the bearer token of `[metrics] token_file`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, body = roster_api::ErrorBody, description = "Without the metrics token"),
        (status = 404, body = roster_api::ErrorBody, description = "No metrics token is configured")))]
pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, crate::error::AppError> {
    state.metrics_access.check(&headers)?;
    let body = state.metrics.render(&Gauges {
        users: state.directory.len(),
        age_seconds: state.directory.synced_at().map(|t| unix_now() - t),
        sync_running: state.directory.status().state == roster_api::SyncState::Running,
        storage_writable: state.audit.storage().is_none(),
        outcomes_waiting: state.audit.waiting(),
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    ))
}
