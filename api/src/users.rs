//! Users of the org as the console lists them.

use crate::TeamId;
use serde::{Deserialize, Serialize};

/// The kind of account, from most to least privileged. A user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    Owner,
    Admin,
    Member,
    MultiChannelGuest,
    SingleChannelGuest,
    Bot,
}

impl UserType {
    /// Every type, in the order filters list them.
    pub const ALL: [UserType; 6] = [
        UserType::Owner,
        UserType::Admin,
        UserType::Member,
        UserType::MultiChannelGuest,
        UserType::SingleChannelGuest,
        UserType::Bot,
    ];

    /// The query-string and JSON spelling (`multi_channel_guest`).
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Owner => "owner",
            UserType::Admin => "admin",
            UserType::Member => "member",
            UserType::MultiChannelGuest => "multi_channel_guest",
            UserType::SingleChannelGuest => "single_channel_guest",
            UserType::Bot => "bot",
        }
    }

    /// Parses the query-string spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// A guest (multi- or single-channel).
    pub fn is_guest(self) -> bool {
        matches!(
            self,
            UserType::MultiChannelGuest | UserType::SingleChannelGuest
        )
    }

    /// Its place from most to least privileged (owner 0, bot 5): the order of [`Self::ALL`].
    pub fn rank(self) -> u8 {
        match self {
            UserType::Owner => 0,
            UserType::Admin => 1,
            UserType::Member => 2,
            UserType::MultiChannelGuest => 3,
            UserType::SingleChannelGuest => 4,
            UserType::Bot => 5,
        }
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            UserType::Owner => "Owner",
            UserType::Admin => "Admin",
            UserType::Member => "Member",
            UserType::MultiChannelGuest => "Multi-channel guest",
            UserType::SingleChannelGuest => "Single-channel guest",
            UserType::Bot => "Bot",
        }
    }
}

/// Whether the account can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Deactivated,
    /// Invited and not signed in yet.
    Pending,
}

impl UserStatus {
    /// Every status, in the order filters list them.
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Active,
        UserStatus::Deactivated,
        UserStatus::Pending,
    ];

    /// The query-string and JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
            UserStatus::Pending => "pending",
        }
    }

    /// Parses the query-string spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Active => "Active",
            UserStatus::Deactivated => "Deactivated",
            UserStatus::Pending => "Invited",
        }
    }
}

/// One row of the users table.
///
/// Optional fields are absent (not `null`) when the caller's role may not see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    /// Slack user ID (`W…` or `U…`).
    pub id: String,
    /// Full name.
    pub name: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub user_type: UserType,
    /// The one primary owner of the org; Slack refuses to change this account.
    #[serde(default)]
    pub is_primary_owner: bool,
    pub status: UserStatus,
    /// Team IDs of the workspaces the user is active on.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub workspaces: Vec<TeamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_2fa: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_sso: Option<bool>,
    /// Account creation, Unix seconds.
    pub created: i64,
    /// Guest expiration, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// Deactivation time, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<i64>,
    /// The last day (`YYYY-MM-DD`, UTC) the person was active on the workspaces shown, in
    /// Slack's member analytics; `null`: not in the days Slack keeps. Absent when the role
    /// may not see activity, or no day has been read yet.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::nullable"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable = true))]
    pub last_active: Option<Option<String>>,
}

impl UserSummary {
    /// Whether the user is on workspace `team`.
    pub fn is_on(&self, team: &str) -> bool {
        self.workspaces.iter().any(|w| **w == *team)
    }
}

/// Where the proxy's copy of the org directory stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// No sync has started yet.
    #[default]
    Idle,
    Running,
    Done,
    Failed,
}

/// Progress of the directory sync from Slack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncStatus {
    pub state: SyncState,
    /// Users fetched so far by the current (or last) sync.
    pub fetched: u64,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Why the last sync failed, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `GET /api/users/changes?since=`: where to start.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
pub struct ChangesQuery {
    /// Unix milliseconds, from a previous answer's `until`; absent: just the starting point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

/// The people whose view changed since a moment (`GET /api/users/changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserChanges {
    /// Ask from here next time (Unix milliseconds).
    pub until: i64,
    /// The directory was reloaded since, or `since` is too old: reload the page's data.
    pub reload: bool,
    /// Each person at most once, as the reader sees them now.
    pub changes: Vec<UserChange>,
}

/// One person who changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserChange {
    pub id: String,
    /// As the reader sees them now; absent when they left the reader's view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSummary>,
}

/// The query of `GET /api/users`: filters, sort and the page window.
///
/// Absent fields mean "no filter" or the default; the browser keeps the same fields in
/// its URL so a view can be bookmarked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UserQuery {
    /// Case- and accent-insensitive substring of name, display name, username, email or ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Only this kind of account.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// Only users active on this workspace (team ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// `false`: only users without two-factor authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_2fa: Option<bool>,
    /// `false`: only users who do not sign in through SSO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_sso: Option<bool>,
    /// Only guests whose expiration falls within this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_within_days: Option<u32>,
    /// Only people not active for this many days (or never, in what Slack keeps) on the
    /// workspaces shown (`seats.read`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<SortDir>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// Page size, 1 to 1000 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// Columns the users table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    Name,
    Username,
    Email,
    Type,
    Status,
    Workspaces,
    #[serde(rename = "has_2fa")]
    Has2fa,
    HasSso,
    Created,
    Expires,
}

impl SortKey {
    /// Every key.
    pub const ALL: [SortKey; 10] = [
        SortKey::Name,
        SortKey::Username,
        SortKey::Email,
        SortKey::Type,
        SortKey::Status,
        SortKey::Workspaces,
        SortKey::Has2fa,
        SortKey::HasSso,
        SortKey::Created,
        SortKey::Expires,
    ];

    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Username => "username",
            SortKey::Email => "email",
            SortKey::Type => "type",
            SortKey::Status => "status",
            SortKey::Workspaces => "workspaces",
            SortKey::Has2fa => "has_2fa",
            SortKey::HasSso => "has_sso",
            SortKey::Created => "created",
            SortKey::Expires => "expires",
        }
    }

    /// Parses the query-string spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}

impl UserQuery {
    /// Default page size.
    pub const DEFAULT_LIMIT: usize = 100;
    /// Largest page the proxy returns.
    pub const MAX_LIMIT: usize = 1_000;
}

/// A page of `GET /api/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsersPage {
    pub users: Vec<UserSummary>,
    /// Users matching the query, across all pages.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// When the served snapshot was completed, Unix seconds; absent before the first sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<i64>,
    pub sync: SyncStatus,
    /// For a role that may not see addresses but may look people up by one: the user
    /// whose address is exactly the search text, so the console can say why they match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by_email: Option<String>,
}

/// `POST /api/users/by-email`: find people by their complete email addresses, such as a
/// list of leavers from HR. Addresses go in the body, not the URL, so they stay out of
/// access logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailLookup {
    /// At most [`EmailLookup::MAX_EMAILS`] addresses; case does not matter.
    pub emails: Vec<String>,
}

impl EmailLookup {
    /// Most addresses one lookup takes: as many as a job holds.
    pub const MAX_EMAILS: usize = crate::MAX_JOB_OPERATIONS;
}

/// One address of an [`EmailLookup`] and the person it belongs to, if that person is on a
/// workspace the caller covers. An address nobody has and one outside the caller's
/// workspaces read the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailMatch {
    /// The address as asked, trimmed.
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSummary>,
}

/// The answer to an [`EmailLookup`], in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailMatches {
    pub matches: Vec<EmailMatch>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_types_and_workspace_roles_are_the_same_six() {
        for t in UserType::ALL {
            let role = crate::WorkspaceRole::from(t);
            assert_eq!(UserType::from(role), t);
            assert_eq!(role.is_guest(), t.is_guest());
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                serde_json::to_string(&t).unwrap()
            );
        }
        let ranks: Vec<u8> = UserType::ALL.iter().map(|t| t.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn user_type_spellings_round_trip() {
        for t in UserType::ALL {
            assert_eq!(UserType::parse(t.as_str()), Some(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
        assert_eq!(UserType::parse("guest"), None);
    }

    #[test]
    fn sort_key_spellings_match_serde() {
        for k in SortKey::ALL {
            assert_eq!(SortKey::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
    }

    #[test]
    fn hidden_fields_are_absent_not_null() {
        let row = UserSummary {
            id: "W1".into(),
            name: "Ada".into(),
            username: "ada".into(),
            email: None,
            user_type: UserType::Member,
            is_primary_owner: false,
            status: UserStatus::Active,
            workspaces: vec!["T1".into()],
            has_2fa: None,
            has_sso: None,
            created: 1,
            expires: None,
            deactivated: None,
            last_active: None,
        };
        let json = serde_json::to_value(&row).unwrap();
        let obj = json.as_object().unwrap();
        for hidden in [
            "email",
            "has_2fa",
            "has_sso",
            "expires",
            "deactivated",
            "last_active",
        ] {
            assert!(!obj.contains_key(hidden), "{hidden} present in {json}");
        }
        assert_eq!(obj["type"], "member");
        // Never active is `null`, not absent; a day is the day.
        for (last_active, json) in [
            (Some(None), serde_json::Value::Null),
            (Some(Some("2026-12-01".to_string())), "2026-12-01".into()),
        ] {
            let row = UserSummary {
                last_active: last_active.clone(),
                ..row.clone()
            };
            let value = serde_json::to_value(&row).unwrap();
            assert_eq!(value["last_active"], json, "{value}");
            let back: UserSummary = serde_json::from_value(value).unwrap();
            assert_eq!(back.last_active, last_active);
        }
    }
}
