//! `AppError`: every failure of an `/api` route, mapped to an HTTP status and the shared
//! `{"error": {...}}` body. Internals (upstream bodies, the token) never reach the client.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use roster_api::{ErrorBody, ErrorDetail};

use crate::{
    auth::AuthError,
    db::StorageError,
    policy::{Denied, NoSuchUser},
    slack::{PacedBy, SlackError, messages},
};

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request body or query could not be read at all (400).
    #[error("{0}")]
    Malformed(String),
    /// A field is wrong (422); `field` names it.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// No identity (401).
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    /// Signed in, but no role maps to the identity (403).
    #[error("You have no role in Roster. Ask an administrator to add you.")]
    NoRole,
    /// The role does not allow it (403).
    #[error(transparent)]
    Forbidden(#[from] Denied),
    /// A job holds an operation the role may not do (403); nothing was created.
    #[error("{0}")]
    ForbiddenJob(String),
    /// The resource is not in a state that allows this (409).
    #[error("{0}")]
    Conflict(String),
    /// A state-changing request without Roster's own headers or from another origin (403).
    #[error("This request did not come from Roster's own page, so it was refused.")]
    CrossSite,
    /// The demo was asked for under a name other than its loopback address (421).
    #[error(
        "This Roster demo answers only at http://127.0.0.1:{0}/ or http://localhost:{0}/. Open it there."
    )]
    WrongHost(u16),
    /// Too many changes in a short time from one person (429): each is charged by its
    /// method's Slack tier.
    #[error(
        "You are making changes faster than Roster allows one person (about one of Slack's \
         limits for a kind of change). Try again in {retry_after} seconds."
    )]
    TooManyWrites { retry_after: u64 },
    /// Too many job rows checked in a short time by one person (429).
    #[error(
        "You have checked too many rows in the last minute ({per_minute} a minute at most). \
         Wait a minute and try again."
    )]
    TooManyChecks { per_minute: usize },
    /// Too many addresses looked up in a short time by one person (429).
    #[error(
        "You have looked up too many addresses in the last minute ({per_minute} a minute at \
         most). Wait a minute and try again."
    )]
    TooManyAddresses { per_minute: usize },
    /// Admin actions need an org-level admin token (409).
    #[error("{0}")]
    ReadOnly(String),
    /// Slack refused or could not be reached.
    #[error(transparent)]
    Slack(#[from] SlackError),
    /// Roster itself failed.
    #[error("{0}")]
    Internal(String),
    /// Roster's storage cannot be written, so a change is refused before anything is done
    /// (503, with `Retry-After`).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Roster's database is out of reach for a read (503, with `Retry-After`).
    #[error("Roster cannot reach its database right now. Try again in a moment.")]
    Unreadable,
    /// A job's row whose lease this replica no longer holds: another replica runs the job
    /// (never an answer to a request).
    #[error("Another replica runs this job now.")]
    Superseded,
}

impl From<NoSuchUser> for AppError {
    fn from(e: NoSuchUser) -> Self {
        AppError::NotFound(e.to_string())
    }
}

impl AppError {
    /// A 422 about one field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The status and body this error answers with.
    pub fn status_and_detail(&self) -> (StatusCode, ErrorDetail) {
        let detail = |code: &str, message: String| ErrorDetail {
            code: code.to_string(),
            message,
            slack_error: None,
            field: None,
            permission: None,
        };
        let text = self.to_string();
        match self {
            AppError::Malformed(m) => (StatusCode::BAD_REQUEST, detail("invalid_request", m.clone())),
            AppError::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorDetail {
                    field: Some((*field).to_string()),
                    ..detail("invalid_field", message.clone())
                },
            ),
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, detail("not_found", m.clone())),
            AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, detail("unauthenticated", text)),
            AppError::NoRole => (StatusCode::FORBIDDEN, detail("no_role", text)),
            AppError::Forbidden(denied) => (
                StatusCode::FORBIDDEN,
                ErrorDetail {
                    permission: match denied {
                        Denied::Permission(p) => Some(*p),
                        _ => None,
                    },
                    ..detail("forbidden", text)
                },
            ),
            AppError::ForbiddenJob(m) => (StatusCode::FORBIDDEN, detail("forbidden", m.clone())),
            AppError::Conflict(m) => (StatusCode::CONFLICT, detail("conflict", m.clone())),
            AppError::Superseded => (StatusCode::CONFLICT, detail("conflict", text)),
            AppError::CrossSite => (StatusCode::FORBIDDEN, detail("cross_site_request", text)),
            AppError::WrongHost(_) => (StatusCode::MISDIRECTED_REQUEST, detail("wrong_host", text)),
            AppError::TooManyWrites { .. } => (StatusCode::TOO_MANY_REQUESTS, detail("too_many_changes", text)),
            AppError::TooManyChecks { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, detail("too_many_checks", text))
            }
            AppError::TooManyAddresses { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, detail("too_many_addresses", text))
            }
            AppError::ReadOnly(m) => (StatusCode::CONFLICT, detail("read_only", m.clone())),
            AppError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, detail("internal_error", m.clone())),
            AppError::Storage(_) | AppError::Unreadable => {
                (StatusCode::SERVICE_UNAVAILABLE, detail("storage_unavailable", text))
            }
            AppError::Slack(SlackError::RateLimited { retry_after, .. }) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorDetail {
                    slack_error: Some("ratelimited".into()),
                    ..detail(
                        "slack_rate_limited",
                        format!("Slack asked Roster to slow down. Try again in {retry_after} seconds."),
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
            AppError::Slack(SlackError::UnknownOutcome { code, .. }) => (
                StatusCode::BAD_GATEWAY,
                ErrorDetail {
                    slack_error: code.clone(),
                    ..detail(
                        "unknown_outcome",
                        "Slack did not confirm whether this happened. Check the user before trying again."
                            .to_string(),
                    )
                },
            ),
            AppError::Slack(SlackError::Unavailable { .. }) => (
                StatusCode::BAD_GATEWAY,
                detail("slack_unavailable", "Slack could not be reached. Try again in a moment.".to_string()),
            ),
            AppError::Slack(e @ SlackError::Paced { why, .. }) => {
                let seconds = e.retry_after().unwrap_or(1).max(1);
                match why {
                    PacedBy::Budget => (
                        StatusCode::TOO_MANY_REQUESTS,
                        detail(
                            "too_many_lookups",
                            format!(
                                "You have asked Slack for more than Roster allows one person in a \
                                 minute. Try again in {seconds} seconds."
                            ),
                        ),
                    ),
                    PacedBy::Lane => (
                        StatusCode::TOO_MANY_REQUESTS,
                        detail(
                            "slack_busy",
                            format!(
                                "Slack's limit for this is taken by the requests ahead of yours. \
                                 Nothing was sent; try again in {seconds} seconds."
                            ),
                        ),
                    ),
                }
            }
        }
    }

    /// Seconds a client should wait before asking again, for the answers that say so.
    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyWrites { retry_after } => Some(*retry_after),
            AppError::TooManyChecks { .. } | AppError::TooManyAddresses { .. } => Some(60),
            AppError::Slack(e) => e.retry_after().map(|s| s.max(1)),
            AppError::Storage(_) | AppError::Unreadable => Some(STORAGE_RETRY_AFTER),
            _ => None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, error) = self.status_and_detail();
        // Storage failures are logged once, when writes start failing (see Db::write_failed).
        if status.is_server_error() && !matches!(self, AppError::Storage(_)) {
            tracing::warn!(error = %self, "request failed");
        }
        let mut response = (status, Json(ErrorBody { error })).into_response();
        if let Some(seconds) = self.retry_after() {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// Seconds a client is told to wait after a storage failure.
const STORAGE_RETRY_AFTER: u64 = 30;

/// A database read that failed (writes report [`StorageError`]): a database out of reach
/// is a 503 to try again, anything else Roster's own failure.
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database read failed");
        let unreachable = matches!(
            e,
            sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
        );
        if unreachable {
            AppError::Unreadable
        } else {
            AppError::Internal("Roster could not read its database.".into())
        }
    }
}
