//! `AppError`: every failure of an `/api` route, mapped to an HTTP status and the shared
//! `{"error": {...}}` body. Internals (upstream bodies, the token) never reach the client.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use roster_api::{ErrorBody, ErrorDetail};

use crate::slack::{SlackError, messages};

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request itself is wrong; `field` names the culprit.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        field: Option<&'static str>,
        message: String,
    },
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// Slack refused or could not be reached.
    #[error(transparent)]
    Slack(#[from] SlackError),
}

impl AppError {
    /// A 400 about one field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            code: "invalid_request",
            field: Some(field),
            message: message.into(),
        }
    }

    fn status_and_detail(&self) -> (StatusCode, ErrorDetail) {
        let detail = |code: &str, message: String| ErrorDetail {
            code: code.to_string(),
            message,
            slack_error: None,
            field: None,
        };
        match self {
            AppError::Invalid {
                code,
                field,
                message,
            } => (
                StatusCode::BAD_REQUEST,
                ErrorDetail {
                    field: field.map(str::to_string),
                    ..detail(code, message.clone())
                },
            ),
            AppError::NotFound(message) => {
                (StatusCode::NOT_FOUND, detail("not_found", message.clone()))
            }
            AppError::Slack(SlackError::RateLimited { retry_after, .. }) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorDetail {
                    slack_error: Some("ratelimited".into()),
                    ..detail(
                        "slack_rate_limited",
                        format!(
                            "Slack asked Roster to slow down. Try again in {retry_after} seconds."
                        ),
                    )
                },
            ),
            AppError::Slack(SlackError::Api { code, .. }) => (
                StatusCode::BAD_GATEWAY,
                ErrorDetail {
                    slack_error: Some(code.clone()),
                    ..detail("slack_error", messages::describe(code).to_string())
                },
            ),
            AppError::Slack(SlackError::Unavailable { .. }) => (
                StatusCode::BAD_GATEWAY,
                detail(
                    "slack_unavailable",
                    "Slack could not be reached. Try again in a moment.".to_string(),
                ),
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, error) = self.status_and_detail();
        if status.is_server_error() {
            tracing::warn!(error = %self, "request failed");
        }
        (status, Json(ErrorBody { error })).into_response()
    }
}
