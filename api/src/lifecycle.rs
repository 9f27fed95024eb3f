//! A person's sessions, their session duration, and the invite requests people send:
//! `GET /api/users/{id}/sessions`, `GET /api/invite-requests`.

use serde::{Deserialize, Serialize};

use crate::actions::GuestType;

/// Which of a person's sessions a sign-out ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Devices {
    /// Every session on every device.
    #[default]
    All,
    /// Sessions in a web browser.
    Web,
    /// Sessions on phones and tablets.
    Mobile,
}

impl Devices {
    /// Every choice, in the order forms list them.
    pub const ALL: [Devices; 3] = [Devices::All, Devices::Web, Devices::Mobile];

    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Devices::All => "all",
            Devices::Web => "web",
            Devices::Mobile => "mobile",
        }
    }

    /// "every device", "web browsers", "phones and tablets".
    pub fn label(self) -> &'static str {
        match self {
            Devices::All => "every device",
            Devices::Web => "web browsers",
            Devices::Mobile => "phones and tablets",
        }
    }

    /// Whether a session on `device` is one this choice ends.
    pub fn ends(self, device: Device) -> bool {
        match self {
            Devices::All => true,
            Devices::Web => device == Device::Web,
            Devices::Mobile => device == Device::Mobile,
        }
    }
}

/// The kind of device a session is on. Slack does not say; Roster reads it from the
/// client: iOS and Android are mobile, Slack's desktop app has a 4.x version, anything
/// else is a web browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Device {
    Web,
    Desktop,
    Mobile,
}

impl Device {
    /// The kind of device of a client Slack describes.
    pub fn of(os: &str, client_version: &str) -> Device {
        let os = os.to_ascii_lowercase();
        if ["ios", "ipados", "android"]
            .iter()
            .any(|m| os.starts_with(m))
        {
            Device::Mobile
        } else if client_version.starts_with("4.") {
            Device::Desktop
        } else {
            Device::Web
        }
    }

    /// "Web browser", "Desktop app", "Mobile app".
    pub fn label(self) -> &'static str {
        match self {
            Device::Web => "Web browser",
            Device::Desktop => "Desktop app",
            Device::Mobile => "Mobile app",
        }
    }
}

/// One signed-in session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// Slack's session ID (an integer beyond what JavaScript holds exactly, so a string).
    pub id: String,
    /// The workspace it signed in to.
    pub workspace: String,
    pub device: Device,
    /// "iPhone15,3", "Intel".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<String>,
    /// "iOS 17.4.1".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The Slack app's or the browser's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    /// The address it signed in from (`users.read_sensitive` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The address it was last seen at, when it changed (`users.read_sensitive` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_ip: Option<String>,
}

/// `GET /api/users/{id}/sessions`: a person's sessions on the workspaces the role covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sessions {
    pub user: String,
    pub sessions: Vec<SessionInfo>,
    /// The person's own session duration in seconds (`users.session_settings` only);
    /// absent: the org's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// Whether `duration` was read (the role may see it and Slack answered).
    #[serde(default)]
    pub duration_known: bool,
    /// Parts Slack could not answer, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Shortest session duration Slack accepts: 8 hours.
pub const MIN_SESSION_DURATION: i64 = 28_800;
/// Longest session duration Slack accepts: 10 years.
pub const MAX_SESSION_DURATION: i64 = 315_569_520;

/// Where an invite request stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    #[default]
    Pending,
    Approved,
    Denied,
}

impl RequestState {
    pub const ALL: [RequestState; 3] = [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Denied,
    ];

    /// The JSON and query spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Denied => "denied",
        }
    }
}

/// `?state=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct InviteRequestQuery {
    /// Pending (the default), approved or denied.
    #[serde(default)]
    pub state: RequestState,
    /// Only this workspace (team ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

/// Someone who asked for an invitation, or answered one. Both are given only when the
/// role may see the person (for a Roster user: the audit entry); otherwise neither.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requester {
    /// The Slack user ID, or a Roster user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One request for an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRequestInfo {
    /// Slack's request ID (`Ir…`).
    pub id: String,
    pub workspace: String,
    pub state: RequestState,
    /// The address to invite; absent when the role may not see emails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_name: Option<String>,
    /// Absent: a full member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<GuestType>,
    /// Channel IDs the invitation would join.
    #[serde(default)]
    pub channels: Vec<String>,
    pub requested_by: Vec<Requester>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unix seconds.
    pub created: i64,
    /// A guest's expiration asked for, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// Who approved or denied it, when the role may see them: in Slack, a person it sees;
    /// in Roster, its own answers, or anyone's with `audit.read_all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_by: Option<Requester>,
    /// The reason given in Roster for a denial (Slack keeps none), under the same rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_reason: Option<String>,
}

/// `GET /api/invite-requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRequestList {
    pub state: RequestState,
    pub requests: Vec<InviteRequestInfo>,
    /// Pending requests on the role's workspaces (the count the nav shows).
    pub pending: usize,
    /// Workspaces Slack could not answer for, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Longest reason Roster keeps for a denial, in characters.
pub const MAX_DENY_REASON: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_from_clients() {
        assert_eq!(Device::of("iOS", "24.04.10"), Device::Mobile);
        assert_eq!(Device::of("Android", "24.04.10.0"), Device::Mobile);
        assert_eq!(Device::of("OS X", "4.38.125"), Device::Desktop);
        assert_eq!(Device::of("Windows", "124.0.6367.91"), Device::Web);
        assert!(Devices::All.ends(Device::Desktop));
        assert!(!Devices::Web.ends(Device::Mobile));
        for d in Devices::ALL {
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                format!("\"{}\"", d.as_str())
            );
        }
        for s in RequestState::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
