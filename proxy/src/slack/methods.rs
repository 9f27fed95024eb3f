//! Every Slack method Roster calls, as a request type and a reply type: what Roster sends,
//! what it reads back, the method's rate tier (through [`SlackMethod`]) and the workspace
//! its call is paced on. [`SlackClient::send`](super::SlackClient::send) takes any of them;
//! nothing else can reach Slack.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{ResponseMetadata, SlackMethod};

/// A Slack Web API call: the form it sends is the request's fields.
pub trait Method: Serialize + Send + Sync {
    /// Which method, with its name, tier and whether it writes.
    const METHOD: SlackMethod;
    /// The fields of the reply Roster reads.
    type Reply: DeserializeOwned + Send;

    /// The workspace Slack counts the call against (`""`: the org, or no workspace).
    fn workspace(&self) -> &str {
        ""
    }
}

/// A reply Roster reads nothing from but `ok`.
#[derive(Debug, Default, Deserialize)]
pub struct Done {}

/// A page of a cursor-paginated listing.
pub trait Page {
    /// The next page's cursor; `None` on the last page.
    fn next_cursor(&self) -> Option<&str>;
}

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

// ---- admin.inviteRequests.* ----

/// `admin.inviteRequests.list`: a workspace's pending requests.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsList {
    pub team_id: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of `admin.inviteRequests.list`.
#[derive(Debug, Deserialize)]
pub struct InviteRequestsPage {
    #[serde(default)]
    pub invite_requests: Vec<InviteRequestObject>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// Slack's invite_request object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InviteRequestObject {
    pub id: String,
    pub email: String,
    pub date_created: i64,
    pub requester_ids: Vec<String>,
    pub channel_ids: Vec<String>,
    /// `full_member`, `restricted` or `ultra_restricted`.
    pub invite_type: String,
    pub real_name: Option<String>,
    pub date_expire: Option<i64>,
    pub request_reason: Option<String>,
}

impl Method for AdminInviteRequestsList {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsList;
    type Reply = InviteRequestsPage;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Page for InviteRequestsPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

/// `admin.inviteRequests.approved.list`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsApprovedList {
    pub team_id: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of approved requests.
#[derive(Debug, Deserialize)]
pub struct ApprovedPage {
    #[serde(default)]
    pub approved_requests: Vec<HandledRequest>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// `admin.inviteRequests.denied.list`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsDeniedList {
    pub team_id: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of denied requests.
#[derive(Debug, Deserialize)]
pub struct DeniedPage {
    #[serde(default)]
    pub denied_requests: Vec<HandledRequest>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// An approved or denied request, and who handled it.
#[derive(Debug, Clone, Deserialize)]
pub struct HandledRequest {
    pub invite_request: InviteRequestObject,
    #[serde(alias = "approved_by", alias = "denied_by")]
    pub by: Option<Actor>,
}

/// Who approved or denied a request.
#[derive(Debug, Clone, Deserialize)]
pub struct Actor {
    pub actor_id: Option<String>,
}

impl Method for AdminInviteRequestsApprovedList {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsApprovedList;
    type Reply = ApprovedPage;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Method for AdminInviteRequestsDeniedList {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsDeniedList;
    type Reply = DeniedPage;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Page for ApprovedPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

impl Page for DeniedPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

/// `admin.inviteRequests.approve`: approves a request and sends the invitation.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsApprove {
    pub invite_request_id: String,
    pub team_id: String,
}

impl Method for AdminInviteRequestsApprove {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsApprove;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

/// `admin.inviteRequests.deny` (Slack keeps no reason).
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsDeny {
    pub invite_request_id: String,
    pub team_id: String,
}

impl Method for AdminInviteRequestsDeny {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsDeny;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

/// Requests that page with `cursor`.
pub trait Paged: Method + Clone {
    fn set_cursor(&mut self, cursor: Option<String>);
}

macro_rules! paged {
    ($($request:ident),*) => {
        $(impl Paged for $request {
            fn set_cursor(&mut self, cursor: Option<String>) {
                self.cursor = cursor;
            }
        })*
    };
}

paged!(
    AdminTeamsList,
    AdminUsersList,
    UsersList,
    AdminUsersSessionList,
    AdminInviteRequestsList,
    AdminInviteRequestsApprovedList,
    AdminInviteRequestsDeniedList
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_the_forms_slack_expects() {
        let form = |r: &dyn erased::Form| r.form();
        assert_eq!(
            form(&AdminUsersInvite {
                team_id: "T1".into(),
                email: "a@b.example".into(),
                channel_ids: "C1,C2".into(),
                is_restricted: Some(true),
                is_ultra_restricted: None,
                real_name: None,
                custom_message: Some("Hi & welcome".into()),
                guest_expiration_ts: Some(1_900_000_000),
                resend: false,
            }),
            "team_id=T1&email=a%40b.example&channel_ids=C1%2CC2&is_restricted=true\
             &custom_message=Hi+%26+welcome&guest_expiration_ts=1900000000"
        );
        assert_eq!(
            form(&AdminUsersList {
                limit: 1000,
                cursor: None,
                team_id: Some("T1".into()),
                is_active: Some(false),
            }),
            "limit=1000&team_id=T1&is_active=false"
        );
        assert_eq!(form(&AuthTest {}), "");
    }

    #[test]
    fn each_request_is_paced_on_the_workspace_it_acts_on() {
        let remove = AdminUsersRemove {
            team_id: "T9".into(),
            user_id: "W1".into(),
        };
        assert_eq!(remove.workspace(), "T9");
        assert_eq!(
            AdminUsersGetExpiration {
                user_id: "W1".into(),
                target_team: "T3".into()
            }
            .workspace(),
            "T3"
        );
        assert_eq!(UsersInfo { user: "W1".into() }.workspace(), "");
        assert!(AdminUsersRemove::METHOD.is_write());
        assert!(!UsersInfo::METHOD.is_write());
    }

    /// The form a request sends, for the test above.
    mod erased {
        pub trait Form {
            fn form(&self) -> String;
        }
        impl<T: serde::Serialize> Form for T {
            fn form(&self) -> String {
                serde_urlencoded::to_string(self).unwrap()
            }
        }
    }
}
