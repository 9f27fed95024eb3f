//! Requests that change users, and their answers.

use serde::{Deserialize, Serialize};

use crate::users::UserSummary;

/// The kind of guest to invite or assign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GuestType {
    MultiChannel,
    SingleChannel,
}

/// `POST /api/users/invite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRequest {
    pub email: String,
    /// Team ID of the workspace.
    pub workspace: String,
    /// Channel IDs to join; at least one (exactly one for a single-channel guest).
    pub channels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_message: Option<String>,
    /// Absent: a full member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<GuestType>,
    /// Guests only: when the account is disabled, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// Allow the invitation to be resent later from Slack.
    #[serde(default)]
    pub resend: bool,
}

/// `POST /api/users/{id}/assign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignRequest {
    pub workspace: String,
    #[serde(default)]
    pub channels: Vec<String>,
}

/// `POST /api/users/{id}/remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoveRequest {
    pub workspace: String,
}

/// The role a role change sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Owner,
    Regular,
}

impl Role {
    /// The JSON spelling (`regular`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Owner => "owner",
            Role::Regular => "regular",
        }
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Owner => "owner",
            Role::Regular => "regular member",
        }
    }
}

/// Longest custom invitation message, in characters.
pub const MAX_CUSTOM_MESSAGE: usize = 1_000;

/// The most days an expiration can be moved later at once (ten years).
pub const MAX_EXTEND_DAYS: u32 = 3_650;

/// Where a role change applies: the value `org` for the whole org.
pub const ORG_WIDE: &str = "org";

/// `POST /api/users/{id}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleRequest {
    /// Team ID, or `org` for an org-wide role.
    pub workspace: String,
    pub role: Role,
}

/// `POST /api/users/{id}/expiration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpirationRequest {
    /// Team ID; may be left out when the guest is on one workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Unix seconds in the future; absent or null clears the expiration.
    #[serde(default)]
    pub expires: Option<i64>,
    /// Instead of `expires`: this many days after the guest's expiration there (or after
    /// now, when it has none or it has passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_days: Option<u32>,
}

/// A guest's expiration on each workspace: `GET /api/users/{id}/expiration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Expirations {
    pub user: String,
    pub expirations: Vec<WorkspaceExpiration>,
}

/// One workspace's guest expiration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceExpiration {
    pub workspace: String,
    /// Unix seconds; absent: no expiration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
}

/// The answer to every successful action: the user as it now is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionResult {
    /// What was done, in words.
    pub message: String,
    pub user: UserSummary,
    /// The audit log entry of this action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<i64>,
    /// Slack made the change, but Roster could not write its outcome to the audit log yet:
    /// the record waits and is written before any other change is accepted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_pending: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_spellings_match_serde() {
        for role in [Role::Admin, Role::Owner, Role::Regular] {
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
    }
}
