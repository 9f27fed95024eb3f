//! What the proxy is connected to: `GET /api/status`.

use serde::{Deserialize, Serialize};

use crate::roles::{Field, Permission};

use crate::users::SyncStatus;

/// Whether admin actions are possible with the configured token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// An org-level admin token: everything Roster offers.
    Admin,
    /// A workspace-level token: the directory can be read, nothing can be changed.
    ReadOnly,
}

/// The proxy's connection to Slack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerStatus {
    pub mode: Mode,
    /// Why admin actions are off, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The org (or workspace) name.
    pub org_name: String,
    /// Enterprise or team ID.
    pub org_id: String,
    /// The Slack user the token acts as.
    pub token_user: String,
    pub sync: SyncStatus,
    /// Roster runs against the built-in sandbox, not a real Slack org.
    pub demo: bool,
    /// Present while changes are refused because Roster cannot record them (its storage
    /// cannot be written), in words; reads still work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes_refused: Option<String>,
    /// Whether Slack's events keep the directory current.
    #[serde(default)]
    pub live: LiveStatus,
    /// Ask with `?changes_since=` this next time (Unix milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes_until: Option<i64>,
    /// With `?changes_since=`: the people whose view changed since (see
    /// `GET /api/users/changes`, which gives them as they are now).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    /// Roles that review invite requests: when a request last arrived through Slack's
    /// events on a workspace they cover (Unix ms); pages showing requests reload when it
    /// changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_at: Option<i64>,
    /// With `?changes_since=`: the directory was reloaded since, or that moment is too old.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reload: bool,
}

/// `GET /api/status?changes_since=`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct StatusQuery {
    /// Unix milliseconds, a previous answer's `changes_until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes_since: Option<i64>,
}

/// Whether Slack's events are arriving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// No event transport is configured: the directory follows the periodic syncs.
    #[default]
    Off,
    /// Events arrive; changes made in Slack show within seconds.
    Live,
    /// The connection to Slack's events is down; Roster is reconnecting.
    Paused,
}

/// The live updates: whether they arrive, and since when they stopped. (Their counts are
/// for operators, in `/metrics`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveStatus {
    pub state: LiveState,
    /// Unix seconds: when the updates stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<i64>,
    /// Workspaces (of those the reader may see) that send no events: Roster's app is not
    /// added to them, so changes there show after the next full sync.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub silent: Vec<crate::Workspace>,
}

/// The signed-in person and what their role allows: `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub email: String,
    pub role: String,
    /// `users.read`, `users.invite`, … (see the configuration).
    pub permissions: Vec<Permission>,
    /// Team IDs the role covers; absent: every workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspaces: Option<Vec<String>>,
    /// Fields the role may not see (`email`, `has_2fa`, …); they are absent from answers.
    pub hidden_fields: Vec<Field>,
    /// The role may only invite guests.
    #[serde(default)]
    pub invite_guests_only: bool,
    /// Present in the demo: the roles its switcher offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo_roles: Option<Vec<String>>,
}

impl Me {
    /// Whether the role grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Whether `field` is hidden from the role.
    pub fn hides(&self, field: Field) -> bool {
        self.hidden_fields.contains(&field)
    }
}

/// `POST /api/dev/role`: the demo's role switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemoRole {
    pub role: String,
}
