//! The one error shape every `/api` route answers with.

use serde::{Deserialize, Serialize};

/// `{"error": {...}}`: the body of every non-2xx answer from `/api`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, in a stable machine code and in words for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable code (`invalid_query`, `slack_unavailable`, ...).
    pub code: String,
    /// A sentence a help-desk person understands.
    pub message: String,
    /// The original Slack error code, when Slack refused the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_error: Option<String>,
    /// The request field the error is about, for forms to show it next to that field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a refusal on a permission: the one the role lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<crate::Permission>,
}

impl ErrorBody {
    /// An error without a Slack code or a field.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                slack_error: None,
                field: None,
                permission: None,
            },
        }
    }
}
