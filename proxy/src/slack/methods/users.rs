//! Slack's user object, `auth.test` and the `users.*` methods.

use serde::{Deserialize, Serialize};

use super::*;

// ---- Slack's user object (users.info, users.list, users.lookupByEmail) ----

/// Slack's user object, as far as Roster reads it. Fields Slack may leave out are optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SlackUser {
    pub id: String,
    /// The username.
    pub name: String,
    pub real_name: Option<String>,
    pub deleted: bool,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_primary_owner: bool,
    /// Multi-channel guest.
    pub is_restricted: bool,
    /// Single-channel guest.
    pub is_ultra_restricted: bool,
    pub is_bot: bool,
    pub is_app_user: bool,
    pub is_invited_user: bool,
    pub has_2fa: Option<bool>,
    pub tz: Option<String>,
    pub tz_label: Option<String>,
    pub tz_offset: Option<i64>,
    pub profile: Profile,
    /// With an org-level admin token: the org role and workspaces.
    pub enterprise_user: Option<EnterpriseUser>,
    /// When the account last changed, Unix seconds.
    pub updated: i64,
}

/// `profile` of Slack's user object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub image_192: Option<String>,
    /// A guest's expiration (the earliest, read org-wide), Unix seconds.
    pub guest_expiration_ts: Option<i64>,
}

/// `enterprise_user` of Slack's user object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EnterpriseUser {
    pub is_admin: bool,
    pub is_owner: bool,
    /// Team IDs of the workspaces the user is active on.
    pub teams: Vec<String>,
}

/// A reply holding one user object.
#[derive(Debug, Deserialize)]
pub struct UserReply {
    pub user: Option<SlackUser>,
}

// ---- auth.test ----

/// `auth.test`: who the token is.
#[derive(Debug, Serialize)]
pub struct AuthTest {}

/// What `auth.test` says.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AuthTestReply {
    pub team: String,
    pub team_id: String,
    pub user: String,
    pub is_enterprise_install: bool,
}

impl Method for AuthTest {
    const METHOD: SlackMethod = SlackMethod::AuthTest;
    type Reply = AuthTestReply;
}

// ---- users.* ----

/// `users.conversations`: a user's channels.
#[derive(Debug, Clone, Serialize)]
pub struct UsersConversations {
    pub user: String,
    pub types: String,
    pub exclude_archived: bool,
    pub limit: usize,
    /// With an org-level token: only this workspace's channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// A page of `users.conversations`.
#[derive(Debug, Deserialize)]
pub struct ConversationsReply {
    #[serde(default)]
    pub channels: Vec<ConversationsChannel>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// One channel of `users.conversations`.
#[derive(Debug, Deserialize)]
pub struct ConversationsChannel {
    pub id: Option<String>,
    pub name: Option<String>,
    pub context_team_id: Option<String>,
    pub is_private: Option<bool>,
    pub is_archived: Option<bool>,
}

impl Method for UsersConversations {
    const METHOD: SlackMethod = SlackMethod::UsersConversations;
    type Reply = ConversationsReply;

    fn workspace(&self) -> &str {
        self.team_id.as_deref().unwrap_or_default()
    }
}

impl Page for ConversationsReply {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

/// `users.getPresence`.
#[derive(Debug, Clone, Serialize)]
pub struct UsersGetPresence {
    pub user: String,
}

/// What `users.getPresence` says.
#[derive(Debug, Deserialize)]
pub struct PresenceReply {
    pub presence: Option<String>,
}

impl Method for UsersGetPresence {
    const METHOD: SlackMethod = SlackMethod::UsersGetPresence;
    type Reply = PresenceReply;
}

/// `users.info`.
#[derive(Debug, Clone, Serialize)]
pub struct UsersInfo {
    pub user: String,
}

/// `users.info` as seen from one workspace (the role flags are the role there).
#[derive(Debug, Clone, Serialize)]
pub struct UsersInfoOn {
    pub user: String,
    pub team_id: String,
}

impl Method for UsersInfoOn {
    const METHOD: SlackMethod = SlackMethod::UsersInfo;
    type Reply = UserReply;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Method for UsersInfo {
    const METHOD: SlackMethod = SlackMethod::UsersInfo;
    type Reply = UserReply;
}

/// `users.lookupByEmail`.
#[derive(Debug, Clone, Serialize)]
pub struct UsersLookupByEmail {
    pub email: String,
}

impl Method for UsersLookupByEmail {
    const METHOD: SlackMethod = SlackMethod::UsersLookupByEmail;
    type Reply = UserReply;
}

/// `users.list`: a workspace token's members.
#[derive(Debug, Clone, Serialize)]
pub struct UsersList {
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of `users.list`.
#[derive(Debug, Deserialize)]
pub struct MembersPage {
    #[serde(default)]
    pub members: Vec<SlackUser>,
    pub response_metadata: Option<ResponseMetadata>,
}

impl Method for UsersList {
    const METHOD: SlackMethod = SlackMethod::UsersList;
    type Reply = MembersPage;
}

impl Page for MembersPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}
