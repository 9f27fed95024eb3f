//! The audit log: `GET /api/audit`.

use serde::{Deserialize, Serialize};

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Slack has not answered yet.
    Pending,
    Ok,
    /// Slack refused; see `slack_error`.
    SlackError,
    /// Slack did not confirm whether it happened (or Roster stopped before it answered).
    Unknown,
    /// Roster refused: the caller's role does not allow it.
    Denied,
    /// Roster refused: the request was not valid.
    Invalid,
}

impl AuditOutcome {
    /// Every outcome.
    pub const ALL: [AuditOutcome; 6] = [
        AuditOutcome::Pending,
        AuditOutcome::Ok,
        AuditOutcome::SlackError,
        AuditOutcome::Unknown,
        AuditOutcome::Denied,
        AuditOutcome::Invalid,
    ];

    /// The stored and query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Pending => "pending",
            AuditOutcome::Ok => "ok",
            AuditOutcome::SlackError => "slack_error",
            AuditOutcome::Unknown => "unknown",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Invalid => "invalid",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            AuditOutcome::Pending => "In progress",
            AuditOutcome::Ok => "Done",
            AuditOutcome::SlackError => "Refused by Slack",
            AuditOutcome::Unknown => "Unknown outcome",
            AuditOutcome::Denied => "Not allowed",
            AuditOutcome::Invalid => "Invalid request",
        }
    }
}

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub request_id: String,
    pub actor_email: String,
    pub role: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<String>,
    /// The target's name now, when the reader may see that person today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// The request's parameters as JSON text, sensitive values redacted.
    pub params: String,
    pub outcome: AuditOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Filters of `GET /api/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Email of who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Slack user ID (or invited email) acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AuditOutcome>,
    /// From this time, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// Before this time, Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// 1 to 500 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
