//! `admin.users.session.*`: a person's sessions and their duration.

use serde::{Deserialize, Serialize};

use super::*;

// ---- admin.users.session.* ----

/// `admin.users.session.list`: one person's active sessions on one workspace.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersSessionList {
    pub user_id: String,
    pub team_id: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of `admin.users.session.list`.
#[derive(Debug, Deserialize)]
pub struct SessionsPage {
    #[serde(default)]
    pub active_sessions: Vec<ActiveSession>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// One active session.
#[derive(Debug, Clone, Deserialize)]
pub struct ActiveSession {
    pub user_id: String,
    pub team_id: String,
    /// An integer beyond 32 bits.
    pub session_id: u64,
    pub created: Option<SessionClient>,
    /// The latest state, when it changed since the session began.
    pub recent: Option<SessionClient>,
}

/// The device and client of a session.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SessionClient {
    pub device_hardware: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub slack_client_version: Option<String>,
    pub ip: Option<String>,
}

impl Method for AdminUsersSessionList {
    const METHOD: SlackMethod = SlackMethod::AdminUsersSessionList;
    type Reply = SessionsPage;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Page for SessionsPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

/// `admin.users.session.reset`: ends a person's sessions (only mobile or only web ones
/// with the flags).
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersSessionReset {
    pub user_id: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mobile_only: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub web_only: bool,
}

impl Method for AdminUsersSessionReset {
    const METHOD: SlackMethod = SlackMethod::AdminUsersSessionReset;
    type Reply = Done;
}

/// `admin.users.session.invalidate`: ends one session.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersSessionInvalidate {
    pub session_id: u64,
    pub user_id: String,
    pub team_id: String,
}

impl Method for AdminUsersSessionInvalidate {
    const METHOD: SlackMethod = SlackMethod::AdminUsersSessionInvalidate;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

/// `admin.users.session.getSettings`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersSessionGetSettings {
    /// Comma-separated user IDs.
    pub user_ids: String,
}

/// What `admin.users.session.getSettings` answers.
#[derive(Debug, Deserialize)]
pub struct SessionSettingsReply {
    #[serde(default)]
    pub session_settings: Vec<SessionSettings>,
    #[serde(default)]
    pub no_settings_applied: Vec<String>,
}

/// One person's own session settings.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionSettings {
    pub user_id: String,
    /// Seconds.
    pub duration: Option<i64>,
    pub desktop_app_browser_quit: Option<bool>,
}

impl Method for AdminUsersSessionGetSettings {
    const METHOD: SlackMethod = SlackMethod::AdminUsersSessionGetSettings;
    type Reply = SessionSettingsReply;
}

/// `admin.users.session.setSettings`: a session duration for people.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersSessionSetSettings {
    /// Comma-separated user IDs.
    pub user_ids: String,
    /// Seconds, 28,800 to 315,569,520.
    pub duration: i64,
}

impl Method for AdminUsersSessionSetSettings {
    const METHOD: SlackMethod = SlackMethod::AdminUsersSessionSetSettings;
    type Reply = Done;
}

/// `admin.users.session.clearSettings`: back to the org's session settings.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersSessionClearSettings {
    /// Comma-separated user IDs.
    pub user_ids: String,
}

impl Method for AdminUsersSessionClearSettings {
    const METHOD: SlackMethod = SlackMethod::AdminUsersSessionClearSettings;
    type Reply = Done;
}
