//! What a role may do and see: the names used in the configuration, in `/api/me`, and by
//! the console.

use serde::{Deserialize, Serialize};

/// Something a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Permission {
    #[serde(rename = "users.read")]
    UsersRead,
    /// 2FA and SSO flags, phone, presence: fields a help desk rarely needs.
    #[serde(rename = "users.read_sensitive")]
    UsersReadSensitive,
    /// Find a person by their complete email address without being shown addresses, as
    /// Slack's `users.lookupByEmail` has a scope of its own.
    #[serde(rename = "users.lookup_by_email")]
    UsersLookupByEmail,
    #[serde(rename = "users.invite")]
    UsersInvite,
    #[serde(rename = "users.assign")]
    UsersAssign,
    #[serde(rename = "users.remove")]
    UsersRemove,
    #[serde(rename = "users.set_role")]
    UsersSetRole,
    #[serde(rename = "users.set_expiration")]
    UsersSetExpiration,
    /// Offboard: deactivate an account on the whole org.
    #[serde(rename = "users.deactivate")]
    UsersDeactivate,
    /// Offboard owners and admins too (with `users.deactivate`).
    #[serde(rename = "users.deactivate_admins")]
    UsersDeactivateAdmins,
    #[serde(rename = "users.reactivate")]
    UsersReactivate,
    /// See a person's sessions, sign them out, end one session.
    #[serde(rename = "users.sessions")]
    UsersSessions,
    /// Set or clear a person's own session duration.
    #[serde(rename = "users.session_settings")]
    UsersSessionSettings,
    /// See, approve and deny requests for invitations.
    #[serde(rename = "invites.review")]
    InvitesReview,
    /// One's own actions in the audit log.
    #[serde(rename = "audit.read")]
    AuditRead,
    /// Everyone's actions in the audit log.
    #[serde(rename = "audit.read_all")]
    AuditReadAll,
    /// Who uses Slack and who does not, and the seats they hold (Slack's member
    /// analytics): the Seats page, `last_active`, the inactive filter.
    #[serde(rename = "seats.read")]
    SeatsRead,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 17] = [
        Permission::UsersRead,
        Permission::UsersReadSensitive,
        Permission::UsersLookupByEmail,
        Permission::UsersInvite,
        Permission::UsersAssign,
        Permission::UsersRemove,
        Permission::UsersSetRole,
        Permission::UsersSetExpiration,
        Permission::UsersDeactivate,
        Permission::UsersDeactivateAdmins,
        Permission::UsersReactivate,
        Permission::UsersSessions,
        Permission::UsersSessionSettings,
        Permission::InvitesReview,
        Permission::AuditRead,
        Permission::AuditReadAll,
        Permission::SeatsRead,
    ];

    /// The permissions that change something in Slack.
    pub const WRITES: [Permission; 11] = [
        Permission::UsersInvite,
        Permission::UsersAssign,
        Permission::UsersRemove,
        Permission::UsersSetRole,
        Permission::UsersSetExpiration,
        Permission::UsersDeactivate,
        Permission::UsersDeactivateAdmins,
        Permission::UsersReactivate,
        Permission::UsersSessions,
        Permission::UsersSessionSettings,
        Permission::InvitesReview,
    ];

    /// The spelling in the configuration and in `/api/me`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::UsersRead => "users.read",
            Permission::UsersReadSensitive => "users.read_sensitive",
            Permission::UsersLookupByEmail => "users.lookup_by_email",
            Permission::UsersInvite => "users.invite",
            Permission::UsersAssign => "users.assign",
            Permission::UsersRemove => "users.remove",
            Permission::UsersSetRole => "users.set_role",
            Permission::UsersSetExpiration => "users.set_expiration",
            Permission::UsersDeactivate => "users.deactivate",
            Permission::UsersDeactivateAdmins => "users.deactivate_admins",
            Permission::UsersReactivate => "users.reactivate",
            Permission::UsersSessions => "users.sessions",
            Permission::UsersSessionSettings => "users.session_settings",
            Permission::InvitesReview => "invites.review",
            Permission::AuditRead => "audit.read",
            Permission::AuditReadAll => "audit.read_all",
            Permission::SeatsRead => "seats.read",
        }
    }

    /// What it lets a role do, after "cannot" in a refusal: "change people's roles".
    pub fn ability(self) -> &'static str {
        match self {
            Permission::UsersRead => "see the people of the org",
            Permission::UsersReadSensitive => "see 2FA, SSO, phone and presence",
            Permission::UsersLookupByEmail => "find people by their email address",
            Permission::UsersInvite => "invite people",
            Permission::UsersAssign => "add people to workspaces",
            Permission::UsersRemove => "remove people from workspaces",
            Permission::UsersSetRole => "change people's roles",
            Permission::UsersSetExpiration => "set when guest accounts expire",
            Permission::UsersDeactivate => "offboard people",
            Permission::UsersDeactivateAdmins => "offboard owners and admins",
            Permission::UsersReactivate => "reactivate accounts",
            Permission::UsersSessions => "see or end people's sessions",
            Permission::UsersSessionSettings => "set people's session duration",
            Permission::InvitesReview => "answer requests for invitations",
            Permission::AuditRead => "read the audit log",
            Permission::AuditReadAll => "read everyone's actions in the audit log",
            Permission::SeatsRead => "see who uses Slack and the seats they hold",
        }
    }

    /// Whether it changes something in Slack.
    pub fn is_write(self) -> bool {
        Self::WRITES.contains(&self)
    }
}

/// A user field a role may be kept from seeing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    Phone,
    // snake_case alone would spell it `has2fa`; the documentation says `has_2fa`.
    #[serde(rename = "has_2fa")]
    Has2fa,
    HasSso,
    /// Presence (online/away): how recently someone was active.
    Presence,
    Created,
    Expires,
    Title,
    /// When someone last used Slack, and on which clients (`seats.read` shows it).
    Activity,
}

impl Field {
    /// Every field that can be hidden.
    pub const ALL: [Field; 9] = [
        Field::Email,
        Field::Phone,
        Field::Has2fa,
        Field::HasSso,
        Field::Presence,
        Field::Created,
        Field::Expires,
        Field::Title,
        Field::Activity,
    ];

    /// Fields only `users.read_sensitive` shows.
    pub const SENSITIVE: [Field; 4] = [Field::Has2fa, Field::HasSso, Field::Phone, Field::Presence];

    /// The spelling in the configuration and in `/api/me`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Has2fa => "has_2fa",
            Field::HasSso => "has_sso",
            Field::Presence => "presence",
            Field::Created => "created",
            Field::Expires => "expires",
            Field::Title => "title",
            Field::Activity => "activity",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_match_serde() {
        for p in Permission::ALL {
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        for f in Field::ALL {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert!(Permission::WRITES.iter().all(|p| p.is_write()));
        assert!(!Permission::UsersRead.is_write());
    }
}
