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

/// The live updates: their state, and (for roles that see the whole org) their counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveStatus {
    pub state: LiveState,
    /// `socket_mode`, `http`.
    #[serde(default)]
    pub transport: Vec<String>,
    /// Unix seconds: when the updates stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<i64>,
    /// Unix seconds of the last event received (roles that see the whole org).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_at: Option<i64>,
    /// Open Socket Mode connections.
    #[serde(default)]
    pub sockets: u64,
    /// Events applied since start (roles that see the whole org).
    #[serde(default)]
    pub applied: u64,
    #[serde(default)]
    pub reconnects: u64,
    /// From the last event's time to its being applied, in milliseconds.
    #[serde(default)]
    pub lag_ms: i64,
    /// People waiting to be read again after an event.
    #[serde(default)]
    pub rereads_waiting: u64,
}

impl LiveStatus {
    /// What a role limited to some workspaces is told: the state and since when, nothing
    /// that counts or times the rest of the org's changes.
    pub fn limited(&self) -> LiveStatus {
        LiveStatus {
            state: self.state,
            transport: self.transport.clone(),
            paused_since: self.paused_since,
            ..LiveStatus::default()
        }
    }
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
