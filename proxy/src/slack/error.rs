//! Why a Slack call failed or was not made, in terms the callers act on.

use std::time::Duration;

/// Why a Slack call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `{"ok": false, "error": code}`: it did not do it.
    #[error("Slack refused {method}: {code}")]
    Api { method: &'static str, code: String },
    /// A write may or may not have happened (Slack's `internal_error`/`fatal_error`, a
    /// 5xx, a timeout or a dropped connection after the request was sent).
    #[error("Slack did not confirm whether {method} happened ({detail})")]
    UnknownOutcome {
        method: &'static str,
        /// Slack's error code, when it gave one.
        code: Option<String>,
        detail: String,
    },
    /// Still rate limited after the allowed retries.
    #[error("Slack rate-limited {method}; retry after {retry_after}s")]
    RateLimited {
        method: &'static str,
        retry_after: u64,
    },
    /// Slack could not be reached, or answered something that is not a Slack reply.
    #[error("Slack could not be reached for {method}: {detail}")]
    Unavailable {
        method: &'static str,
        detail: String,
    },
    /// Not sent: the person it was for has used their share of Slack's pace, or the calls
    /// ahead of it in its lane would keep them waiting too long.
    #[error("{method} not sent for now ({why:?}); retry after {retry_after:?}")]
    Paced {
        method: &'static str,
        why: PacedBy,
        retry_after: Duration,
    },
}

/// Why a call was not sent for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacedBy {
    /// The person's budget a minute (see [`payer`]).
    Budget,
    /// The calls already waiting for the method on that workspace.
    Lane,
}

/// Longest a call someone waits for may wait for its turn in its lane (including Slack's
/// `Retry-After`): beyond it, the person is told when to try again instead.
pub const MAX_INTERACTIVE_WAIT: Duration = Duration::from_secs(10);

impl SlackError {
    /// The Slack error code (`ratelimited` for rate limits), if Slack gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            SlackError::Api { code, .. } => Some(code),
            SlackError::UnknownOutcome { code, .. } => code.as_deref(),
            SlackError::RateLimited { .. } => Some("ratelimited"),
            SlackError::Unavailable { .. } | SlackError::Paced { .. } => None,
        }
    }

    /// Seconds to wait before trying again, when the error says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            SlackError::RateLimited { retry_after, .. } => Some(*retry_after),
            SlackError::Paced { retry_after, .. } => Some(retry_after.as_secs_f64().ceil() as u64),
            _ => None,
        }
    }

    /// A label for metrics.
    pub(super) fn outcome(&self) -> &'static str {
        match self {
            SlackError::Api { .. } => "slack_error",
            SlackError::UnknownOutcome { .. } => "unknown_outcome",
            SlackError::RateLimited { .. } => "rate_limited",
            SlackError::Unavailable { .. } => "unavailable",
            SlackError::Paced { .. } => "paced",
        }
    }

    /// Whether the token itself is no good (revoked, deleted, invalid).
    pub fn is_token_failure(&self) -> bool {
        matches!(
            self.code(),
            Some(
                "invalid_auth"
                    | "not_authed"
                    | "token_revoked"
                    | "token_expired"
                    | "account_inactive"
            )
        )
    }
}
