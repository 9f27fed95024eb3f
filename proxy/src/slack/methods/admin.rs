//! `admin.teams.list`, `admin.users.*` and `admin.conversations.search`.

use serde::{Deserialize, Serialize};

use super::*;

// ---- admin.teams.list ----

/// `admin.teams.list`: the org's workspaces.
#[derive(Debug, Clone, Serialize)]
pub struct AdminTeamsList {
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of `admin.teams.list`.
#[derive(Debug, Deserialize)]
pub struct TeamsPage {
    #[serde(default)]
    pub teams: Vec<TeamRow>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// One workspace of `admin.teams.list`.
#[derive(Debug, Deserialize)]
pub struct TeamRow {
    pub id: Option<String>,
    pub name: Option<String>,
}

impl Method for AdminTeamsList {
    const METHOD: SlackMethod = SlackMethod::AdminTeamsList;
    type Reply = TeamsPage;
}

impl Page for TeamsPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

// ---- auth.teams.list ----

/// `auth.teams.list`: the workspaces Roster's org-wide app is added to (those that send
/// it events).
#[derive(Debug, Clone, Serialize)]
pub struct AuthTeamsList {
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of `auth.teams.list` (its rows are `admin.teams.list`'s `id` and `name`).
#[derive(Debug, Deserialize)]
pub struct AuthTeamsPage {
    #[serde(default)]
    pub teams: Vec<TeamRow>,
    pub response_metadata: Option<ResponseMetadata>,
}

impl Method for AuthTeamsList {
    const METHOD: SlackMethod = SlackMethod::AuthTeamsList;
    type Reply = AuthTeamsPage;
}

impl Page for AuthTeamsPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

// ---- admin.users.list ----

/// `admin.users.list`: the org's users, or one workspace's.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersList {
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Slack's default is `true`; `false` lists deactivated accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

/// A page of `admin.users.list`.
#[derive(Debug, Deserialize)]
pub struct AdminUsersPage {
    #[serde(default)]
    pub users: Vec<AdminUser>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// A user as `admin.users.list` returns it (the fields Roster reads).
#[derive(Debug, Clone, Deserialize)]
pub struct AdminUser {
    pub id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default)]
    pub is_owner: bool,
    #[serde(default)]
    pub is_primary_owner: bool,
    #[serde(default)]
    pub is_restricted: bool,
    #[serde(default)]
    pub is_ultra_restricted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub is_invited_user: bool,
    #[serde(default)]
    pub date_created: i64,
    #[serde(default)]
    pub deactivated_ts: i64,
    #[serde(default)]
    pub expiration_ts: i64,
    #[serde(default)]
    pub workspaces: Vec<String>,
    pub has_2fa: Option<bool>,
    pub has_sso: Option<bool>,
}

fn yes() -> bool {
    true
}

impl Method for AdminUsersList {
    const METHOD: SlackMethod = SlackMethod::AdminUsersList;
    type Reply = AdminUsersPage;

    fn workspace(&self) -> &str {
        self.team_id.as_deref().unwrap_or_default()
    }
}

impl Page for AdminUsersPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

// ---- admin.users.invite / assign / remove ----

/// `admin.users.invite`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersInvite {
    pub team_id: String,
    pub email: String,
    /// Comma-separated channel IDs.
    pub channel_ids: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_restricted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_ultra_restricted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_expiration_ts: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resend: bool,
}

impl Method for AdminUsersInvite {
    const METHOD: SlackMethod = SlackMethod::AdminUsersInvite;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

/// `admin.users.assign`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersAssign {
    pub team_id: String,
    pub user_id: String,
    /// Comma-separated channel IDs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_ids: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_restricted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_ultra_restricted: Option<bool>,
}

impl Method for AdminUsersAssign {
    const METHOD: SlackMethod = SlackMethod::AdminUsersAssign;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

/// `admin.users.remove`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersRemove {
    pub team_id: String,
    pub user_id: String,
}

impl Method for AdminUsersRemove {
    const METHOD: SlackMethod = SlackMethod::AdminUsersRemove;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

// ---- admin.users.setAdmin / setOwner / setRegular ----

macro_rules! role_method {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize)]
        pub struct $name {
            /// A workspace, or the org's ID for the whole org.
            pub team_id: String,
            pub user_id: String,
        }

        impl Method for $name {
            const METHOD: SlackMethod = SlackMethod::$method;
            type Reply = Done;

            fn workspace(&self) -> &str {
                &self.team_id
            }
        }
    };
}

role_method!(
    /// `admin.users.setAdmin`.
    AdminUsersSetAdmin,
    AdminUsersSetAdmin
);
role_method!(
    /// `admin.users.setOwner`.
    AdminUsersSetOwner,
    AdminUsersSetOwner
);
role_method!(
    /// `admin.users.setRegular`.
    AdminUsersSetRegular,
    AdminUsersSetRegular
);

// ---- admin.users.getExpiration / setExpiration ----

/// `admin.users.getExpiration`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersGetExpiration {
    pub user_id: String,
    pub target_team: String,
}

/// What `admin.users.getExpiration` says (Slack documents no reply; the sandbox's choice
/// is in its README).
#[derive(Debug, Deserialize)]
pub struct ExpirationReply {
    /// Unix seconds; 0 or absent: none.
    pub expiration_ts: Option<i64>,
}

impl ExpirationReply {
    /// The expiration, if there is one.
    pub fn expires(&self) -> Option<i64> {
        self.expiration_ts.filter(|ts| *ts > 0)
    }
}

impl Method for AdminUsersGetExpiration {
    const METHOD: SlackMethod = SlackMethod::AdminUsersGetExpiration;
    type Reply = ExpirationReply;

    fn workspace(&self) -> &str {
        &self.target_team
    }
}

/// `admin.users.setExpiration` (0 clears it).
#[derive(Debug, Clone, Serialize)]
pub struct AdminUsersSetExpiration {
    pub user_id: String,
    pub team_id: String,
    pub expiration_ts: i64,
}

impl Method for AdminUsersSetExpiration {
    const METHOD: SlackMethod = SlackMethod::AdminUsersSetExpiration;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

// ---- admin.conversations.search ----

/// `admin.conversations.search`: the channel picker's source.
#[derive(Debug, Clone, Serialize)]
pub struct AdminConversationsSearch {
    /// Comma-separated team IDs.
    pub team_ids: String,
    pub limit: usize,
    pub search_channel_types: String,
    pub sort: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// What `admin.conversations.search` answers.
#[derive(Debug, Deserialize)]
pub struct SearchReply {
    #[serde(default)]
    pub conversations: Vec<SearchChannel>,
}

/// One channel found by `admin.conversations.search`.
#[derive(Debug, Deserialize)]
pub struct SearchChannel {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    pub member_count: Option<u64>,
}

impl Method for AdminConversationsSearch {
    const METHOD: SlackMethod = SlackMethod::AdminConversationsSearch;
    type Reply = SearchReply;

    fn workspace(&self) -> &str {
        &self.team_ids
    }
}
