//! One user in full: `GET /api/users/{id}`.

use crate::TeamId;
use serde::{Deserialize, Serialize};

use crate::users::{UserSummary, UserType};

/// A user's role on one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    Owner,
    Admin,
    Member,
    MultiChannelGuest,
    SingleChannelGuest,
    Bot,
}

/// The role a user of this type has on a workspace when nothing more specific is known.
impl From<UserType> for WorkspaceRole {
    fn from(t: UserType) -> Self {
        match t {
            UserType::Owner => WorkspaceRole::Owner,
            UserType::Admin => WorkspaceRole::Admin,
            UserType::Member => WorkspaceRole::Member,
            UserType::MultiChannelGuest => WorkspaceRole::MultiChannelGuest,
            UserType::SingleChannelGuest => WorkspaceRole::SingleChannelGuest,
            UserType::Bot => WorkspaceRole::Bot,
        }
    }
}

/// The account type a role on a workspace makes of the user there.
impl From<WorkspaceRole> for UserType {
    fn from(role: WorkspaceRole) -> Self {
        match role {
            WorkspaceRole::Owner => UserType::Owner,
            WorkspaceRole::Admin => UserType::Admin,
            WorkspaceRole::Member => UserType::Member,
            WorkspaceRole::MultiChannelGuest => UserType::MultiChannelGuest,
            WorkspaceRole::SingleChannelGuest => UserType::SingleChannelGuest,
            WorkspaceRole::Bot => UserType::Bot,
        }
    }
}

impl WorkspaceRole {
    /// A guest's role (multi- or single-channel).
    pub fn is_guest(self) -> bool {
        UserType::from(self).is_guest()
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            WorkspaceRole::Owner => "Owner",
            WorkspaceRole::Admin => "Admin",
            WorkspaceRole::Member => "Member",
            WorkspaceRole::MultiChannelGuest => "Multi-channel guest",
            WorkspaceRole::SingleChannelGuest => "Single-channel guest",
            WorkspaceRole::Bot => "Bot",
        }
    }
}

/// A user's place on one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    /// Team ID.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub workspace: TeamId,
    pub role: WorkspaceRole,
    /// Guest expiration on this workspace, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
}

/// Whether the user is online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Active,
    Away,
}

/// A channel, as pickers and the detail page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Channel {
    /// Channel ID (`C…`).
    pub id: String,
    pub name: String,
    /// Team ID of the workspace it belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    pub is_private: bool,
    pub is_archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
}

/// Everything Roster knows about one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDetail {
    #[serde(flatten)]
    pub summary: UserSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone_label: Option<String>,
    /// Seconds east of UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone_offset: Option<i64>,
    /// 192-pixel profile image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Presence>,
    /// Role and guest expiration on each workspace.
    pub memberships: Vec<Membership>,
    /// The first page of the user's channels.
    pub channels: Vec<Channel>,
    /// More channels exist beyond `channels`.
    pub channels_truncated: bool,
    /// Parts that could not be loaded from Slack, in words (the rest is still shown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// How fresh each part read live from Slack is, and which are still loading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub live: Vec<LivePart>,
    /// Some parts were still loading: asking again after this many milliseconds gives
    /// them. Until then the directory's own values stand in (memberships and guest
    /// expirations as of the last sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_after_ms: Option<u64>,
}

/// A part of a user's detail that Roster reads live from Slack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LiveKind {
    Profile,
    Presence,
    Channels,
    Expirations,
}

impl LiveKind {
    /// How a person reads it, at the start of a sentence.
    pub fn label(self) -> &'static str {
        match self {
            LiveKind::Profile => "The profile",
            LiveKind::Presence => "Presence",
            LiveKind::Channels => "Channels",
            LiveKind::Expirations => "Guest expirations",
        }
    }
}

/// The state of one live part of a user's detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LivePart {
    pub part: LiveKind,
    /// How long ago Slack gave what is shown, in seconds; absent when nothing is shown yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<u64>,
    /// Slack is being asked for it; ask again after `refresh_after_ms`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub loading: bool,
}
