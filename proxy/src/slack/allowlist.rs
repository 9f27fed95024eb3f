//! The Slack methods Roster may call, with their rate tiers: the outbound allowlist.

use super::Tier;

/// The Slack methods Roster may call: the outbound allowlist. Anything else cannot be
/// expressed, so it cannot be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlackMethod {
    AuthTest,
    AuthTeamsList,
    AdminAnalyticsGetFile,
    AdminConversationsSearch,
    AdminTeamsList,
    AdminUsersAssign,
    AdminUsersGetExpiration,
    AdminUsersInvite,
    AdminUsersList,
    AdminUsersRemove,
    AdminUsersSetAdmin,
    AdminUsersSetExpiration,
    AdminUsersSetOwner,
    AdminUsersSetRegular,
    AdminUsersSessionClearSettings,
    AdminUsersSessionGetSettings,
    AdminUsersSessionInvalidate,
    AdminUsersSessionList,
    AdminUsersSessionReset,
    AdminUsersSessionSetSettings,
    AdminInviteRequestsApprove,
    AdminInviteRequestsApprovedList,
    AdminInviteRequestsDeny,
    AdminInviteRequestsDeniedList,
    AdminInviteRequestsList,
    UsersConversations,
    UsersGetPresence,
    UsersInfo,
    UsersList,
    UsersLookupByEmail,
    /// SCIM `GET /Users/{id}`.
    ScimGetUser,
    /// SCIM `PATCH /Users/{id}`.
    ScimPatchUser,
    /// SCIM `DELETE /Users/{id}`: deactivates.
    ScimDeleteUser,
}

impl SlackMethod {
    /// The Web API method name.
    pub fn name(self) -> &'static str {
        match self {
            SlackMethod::AuthTest => "auth.test",
            SlackMethod::AuthTeamsList => "auth.teams.list",
            SlackMethod::AdminAnalyticsGetFile => "admin.analytics.getFile",
            SlackMethod::AdminConversationsSearch => "admin.conversations.search",
            SlackMethod::AdminTeamsList => "admin.teams.list",
            SlackMethod::AdminUsersAssign => "admin.users.assign",
            SlackMethod::AdminUsersGetExpiration => "admin.users.getExpiration",
            SlackMethod::AdminUsersInvite => "admin.users.invite",
            SlackMethod::AdminUsersList => "admin.users.list",
            SlackMethod::AdminUsersRemove => "admin.users.remove",
            SlackMethod::AdminUsersSetAdmin => "admin.users.setAdmin",
            SlackMethod::AdminUsersSetExpiration => "admin.users.setExpiration",
            SlackMethod::AdminUsersSetOwner => "admin.users.setOwner",
            SlackMethod::AdminUsersSetRegular => "admin.users.setRegular",
            SlackMethod::AdminUsersSessionClearSettings => "admin.users.session.clearSettings",
            SlackMethod::AdminUsersSessionGetSettings => "admin.users.session.getSettings",
            SlackMethod::AdminUsersSessionInvalidate => "admin.users.session.invalidate",
            SlackMethod::AdminUsersSessionList => "admin.users.session.list",
            SlackMethod::AdminUsersSessionReset => "admin.users.session.reset",
            SlackMethod::AdminUsersSessionSetSettings => "admin.users.session.setSettings",
            SlackMethod::AdminInviteRequestsApprove => "admin.inviteRequests.approve",
            SlackMethod::AdminInviteRequestsApprovedList => "admin.inviteRequests.approved.list",
            SlackMethod::AdminInviteRequestsDeny => "admin.inviteRequests.deny",
            SlackMethod::AdminInviteRequestsDeniedList => "admin.inviteRequests.denied.list",
            SlackMethod::AdminInviteRequestsList => "admin.inviteRequests.list",
            SlackMethod::UsersConversations => "users.conversations",
            SlackMethod::UsersGetPresence => "users.getPresence",
            SlackMethod::UsersInfo => "users.info",
            SlackMethod::UsersList => "users.list",
            SlackMethod::UsersLookupByEmail => "users.lookupByEmail",
            SlackMethod::ScimGetUser => "scim.users.get",
            SlackMethod::ScimPatchUser => "scim.users.patch",
            SlackMethod::ScimDeleteUser => "scim.users.delete",
        }
    }

    /// The documented rate-limit tier.
    pub fn tier(self) -> Tier {
        match self {
            SlackMethod::AuthTest
            | SlackMethod::AdminUsersGetExpiration
            | SlackMethod::AdminUsersList
            | SlackMethod::AdminUsersSessionClearSettings
            | SlackMethod::AdminUsersSessionGetSettings
            | SlackMethod::AdminUsersSessionSetSettings
            | SlackMethod::UsersInfo => Tier::Tier4,
            SlackMethod::AdminTeamsList
            | SlackMethod::UsersConversations
            | SlackMethod::UsersGetPresence
            | SlackMethod::UsersLookupByEmail => Tier::Tier3,
            SlackMethod::AuthTeamsList
            | SlackMethod::AdminAnalyticsGetFile
            | SlackMethod::AdminConversationsSearch
            | SlackMethod::AdminUsersAssign
            | SlackMethod::AdminUsersInvite
            | SlackMethod::AdminUsersRemove
            | SlackMethod::AdminUsersSetAdmin
            | SlackMethod::AdminUsersSetExpiration
            | SlackMethod::AdminUsersSetOwner
            | SlackMethod::AdminUsersSetRegular
            | SlackMethod::AdminUsersSessionInvalidate
            | SlackMethod::AdminUsersSessionList
            | SlackMethod::AdminUsersSessionReset
            | SlackMethod::AdminInviteRequestsApprove
            | SlackMethod::AdminInviteRequestsApprovedList
            | SlackMethod::AdminInviteRequestsDeny
            | SlackMethod::AdminInviteRequestsDeniedList
            | SlackMethod::AdminInviteRequestsList
            | SlackMethod::UsersList => Tier::Tier2,
            SlackMethod::ScimGetUser => Tier::ScimRead,
            SlackMethod::ScimPatchUser | SlackMethod::ScimDeleteUser => Tier::ScimWrite,
        }
    }

    /// Whether calling it changes anything in Slack (such calls are never retried blindly).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            SlackMethod::AdminUsersAssign
                | SlackMethod::AdminUsersInvite
                | SlackMethod::AdminUsersRemove
                | SlackMethod::AdminUsersSetAdmin
                | SlackMethod::AdminUsersSetExpiration
                | SlackMethod::AdminUsersSetOwner
                | SlackMethod::AdminUsersSetRegular
                | SlackMethod::AdminUsersSessionClearSettings
                | SlackMethod::AdminUsersSessionInvalidate
                | SlackMethod::AdminUsersSessionReset
                | SlackMethod::AdminUsersSessionSetSettings
                | SlackMethod::AdminInviteRequestsApprove
                | SlackMethod::AdminInviteRequestsDeny
                | SlackMethod::ScimPatchUser
                | SlackMethod::ScimDeleteUser
        )
    }
}
