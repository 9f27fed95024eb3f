//! `POST /slack/events`: Slack's Events API request URL. Outside `/api` and outside the
//! sign-in, since Slack calls it; what proves a request comes from Slack is its signature.
//! A refused request changes nothing and is counted in `/metrics` by reason.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{AppState, directory::unix_now, error::AppError};

/// Receives one delivery: verified on its raw bytes, answered at once, applied after.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // Only when Roster takes its events over HTTP.
    let Some((events, secret)) = state
        .events
        .get()
        .and_then(|e| Some((e, e.signing_secret.as_ref()?)))
    else {
        return AppError::NotFound("There is no such route.".into()).into_response();
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(refused) = secret.verify(
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        unix_now(),
    ) {
        state.metrics.event_refused(refused.reason());
        tracing::warn!(
            reason = refused.reason(),
            "refused a request claiming to be from Slack"
        );
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "bad_signature", "message": refused.to_string()}})),
        )
            .into_response();
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return AppError::invalid("body", "The body is not JSON.").into_response();
    };
    match payload.get("type").and_then(Value::as_str) {
        Some("url_verification") => {
            let challenge = payload
                .get("challenge")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Json(json!({"challenge": challenge})).into_response()
        }
        Some("event_callback") => {
            events.live.receive(payload);
            StatusCode::OK.into_response()
        }
        Some("app_rate_limited") => {
            tracing::warn!(
                minute = %payload["minute_rate_limited"],
                "Slack is holding back events: more than 30,000 an hour from one workspace"
            );
            StatusCode::OK.into_response()
        }
        _ => StatusCode::OK.into_response(),
    }
}
