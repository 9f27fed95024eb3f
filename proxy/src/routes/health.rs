//! Health and metrics for operators.

use std::sync::atomic::Ordering;

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde_json::{Value, json};

use crate::{
    AppState,
    directory::unix_now,
    metrics::{Gauges, MetricsAccess},
};

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
    let database = database(&state).await;
    if token_ok && synced {
        let mut body = match state.audit.storage() {
            None => json!({"ready": true, "changes": true}),
            Some(failing) => json!({
                "ready": true,
                "changes": false,
                "reason": failing.error.to_string(),
                "since": failing.since,
                "outcomes_waiting": state.audit.waiting(),
            }),
        };
        body["database"] = database;
        // Anyone who reaches Roster may ask: the state only; the counts are in /metrics.
        body["events"] = json!(state.live_status());
        (StatusCode::OK, Json(body))
    } else {
        let reason =
            problem.unwrap_or_else(|| "the directory has not been loaded from Slack yet".into());
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "reason": reason, "database": database})),
        )
    }
}

/// How long the database takes to answer a query now, if it answers within 2 s.
async fn database_latency(state: &AppState) -> Option<f64> {
    let started = std::time::Instant::now();
    let asked = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        state.db.leases().now_ms(),
    )
    .await;
    matches!(asked, Ok(Ok(_))).then(|| started.elapsed().as_secs_f64())
}

/// The database as `/readyz` reports it: which, whether it answers and how fast, and this
/// replica's part.
async fn database(state: &AppState) -> Value {
    let latency = database_latency(state).await;
    json!({
        "kind": if state.db.shared().is_some() { "postgresql" } else { "sqlite" },
        "reachable": latency.is_some(),
        "latency_ms": latency.map(|s| (s * 1000.0 * 10.0).round() / 10.0),
        "leader": state.replicas.as_ref().is_none_or(|r| r.is_leader()),
        "job_leases": state.jobs.leases_held(),
    })
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
    may_read_metrics(&state.metrics_access, &headers)?;
    let live = state.live_status();
    let figures = state.live_figures();
    let body = state.metrics.render(&Gauges {
        users: state.directory.len(),
        age_seconds: state.directory.synced_at().map(|t| unix_now() - t),
        sync_running: state.directory.status().state == roster_api::SyncState::Running,
        storage_writable: state.audit.storage().is_none(),
        outcomes_waiting: state.audit.waiting(),
        leader: state.replicas.as_ref().is_none_or(|r| r.is_leader()),
        job_leases: state.jobs.leases_held(),
        calls_waiting: state.slack.calls_waiting(),
        database_seconds: database_latency(&state).await,
        events_live: match live.state {
            roster_api::LiveState::Off => -1,
            roster_api::LiveState::Live => 1,
            roster_api::LiveState::Paused => 0,
        },
        events_sockets: figures.sockets,
        events_applied: figures.applied,
        events_reconnects: figures.reconnects,
        events_silent_workspaces: state.silent_workspaces().len(),
        events_lag_ms: figures.lag_ms,
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    ))
}

/// Whether the request's headers may read the metrics.
fn may_read_metrics(
    access: &MetricsAccess,
    headers: &axum::http::HeaderMap,
) -> Result<(), crate::error::AppError> {
    use subtle::ConstantTimeEq;
    match access {
        MetricsAccess::Open => Ok(()),
        MetricsAccess::Off => Err(crate::error::AppError::NotFound(
            "Metrics are off: set [metrics] token_file in the configuration to turn them on."
                .into(),
        )),
        MetricsAccess::Bearer(token) => {
            let mut given = headers.get_all(axum::http::header::AUTHORIZATION).iter();
            let value = given.next().filter(|_| given.next().is_none());
            let presented = value
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or_default();
            if bool::from(presented.as_bytes().ct_eq(token)) {
                Ok(())
            } else {
                Err(crate::error::AppError::Unauthenticated(
                    crate::auth::AuthError::Invalid(
                        "the metrics need the bearer token from [metrics] token_file".into(),
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn metrics_need_the_token_or_are_off() {
        let bearer = MetricsAccess::Bearer(b"0123456789abcdef".as_slice().into());
        assert!(may_read_metrics(&bearer, &with("Bearer 0123456789abcdef")).is_ok());
        assert!(may_read_metrics(&bearer, &with("Bearer 0123456789abcdeF")).is_err());
        assert!(may_read_metrics(&bearer, &with("0123456789abcdef")).is_err());
        assert!(may_read_metrics(&bearer, &HeaderMap::new()).is_err());
        let mut twice = with("Bearer 0123456789abcdef");
        twice.append(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(
            may_read_metrics(&bearer, &twice).is_err(),
            "one Authorization header"
        );
        assert!(may_read_metrics(&MetricsAccess::Off, &with("Bearer 0123456789abcdef")).is_err());
        assert!(may_read_metrics(&MetricsAccess::Open, &HeaderMap::new()).is_ok());
    }
}
