//! The emulated Enterprise org: workspaces, channels and users, and the user shapes
//! Slack's methods return for them.

use std::collections::{BTreeMap, HashMap};

use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Value, json};

/// Org-wide role of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrgRole {
    Regular,
    Admin,
    Owner,
    PrimaryOwner,
}

/// Role of a user on one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TeamRole {
    Regular,
    Admin,
    Owner,
}

/// Guest kind; a guest is a guest on every workspace they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestKind {
    /// `is_restricted`
    MultiChannel,
    /// `is_ultra_restricted`
    SingleChannel,
}

/// A user's place on one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub role: TeamRole,
    /// False once removed from the workspace (Slack keeps the record, deactivated there).
    pub active: bool,
    /// Guest expiration on this workspace, Unix seconds; 0 = none.
    pub expiration_ts: i64,
    /// Channel IDs on this workspace the user is in.
    pub channels: Vec<String>,
}

/// Presence as `users.getPresence` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Active,
    Away,
}

/// One account of the org.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    /// `name` in Slack's user object, `username` in admin.users.list.
    pub username: String,
    pub full_name: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// A second address (SCIM's non-primary email); empty when there is none. Slack keeps
    /// at most two; `users.lookupByEmail` finds only the primary one.
    pub secondary_email: String,
    pub title: String,
    pub phone: String,
    pub tz: String,
    pub tz_label: String,
    pub tz_offset: i64,
    pub color: String,
    pub avatar_hash: String,
    pub is_bot: bool,
    pub is_app_user: bool,
    pub org_role: OrgRole,
    pub guest: Option<GuestKind>,
    /// Keyed by team ID.
    pub memberships: BTreeMap<String, Membership>,
    /// Unix seconds; 0 while the account is active.
    pub deactivated_ts: i64,
    /// Invited and not signed in yet.
    pub invited: bool,
    pub has_2fa: bool,
    pub has_sso: bool,
    pub date_created: i64,
    pub updated: i64,
    pub presence: Presence,
    pub last_activity: i64,
    pub locale: String,
}

/// A workspace of the org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub discoverability: &'static str,
}

/// A channel on one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub is_private: bool,
    pub is_archived: bool,
    pub created: i64,
    pub creator: String,
    pub topic: String,
    pub purpose: String,
}

/// An invitation email the org sent (`admin.users.invite`), as its recipient would get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentInvitation {
    pub email: String,
    pub team_id: String,
    pub channel_ids: Vec<String>,
    pub custom_message: Option<String>,
    /// Unix seconds.
    pub sent: i64,
}

/// The kind of device a session is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Device {
    /// A browser.
    Web,
    /// The desktop app.
    Desktop,
    /// The iOS or Android app.
    Mobile,
}

/// What Slack records of the client behind a session (`created` and `recent` in
/// `admin.users.session.list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientInfo {
    pub device_hardware: &'static str,
    pub os: &'static str,
    pub os_version: &'static str,
    /// The app's version, or the browser's for web sessions.
    pub slack_client_version: &'static str,
    pub ip: [u8; 4],
}

impl ClientInfo {
    /// The object Slack returns.
    pub fn object(&self) -> Value {
        let [a, b, c, d] = self.ip;
        json!({
            "device_hardware": self.device_hardware,
            "os": self.os,
            "os_version": self.os_version,
            "slack_client_version": self.slack_client_version,
            "ip": format!("{a}.{b}.{c}.{d}"),
        })
    }
}

/// A signed-in session of one user on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Slack's session IDs are integers beyond 32 bits (`1112275520242`).
    pub id: u64,
    pub user_id: String,
    /// The workspace the session signed in to.
    pub team_id: String,
    pub device: Device,
    /// Unix seconds. Slack does not return it; it decides when a session outlives the
    /// user's session duration.
    pub created: i64,
    pub created_from: ClientInfo,
    /// The latest state, when it changed since the session began.
    pub recent: Option<ClientInfo>,
}

impl Session {
    /// One item of `active_sessions`.
    pub fn object(&self) -> Value {
        let mut v = json!({
            "user_id": self.user_id,
            "team_id": self.team_id,
            "session_id": self.id,
            "created": self.created_from.object(),
        });
        if let Some(recent) = &self.recent {
            v["recent"] = recent.object();
        }
        v
    }
}

/// Which sessions a reset ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFilter {
    pub mobile_only: bool,
    pub web_only: bool,
}

impl DeviceFilter {
    /// Every session.
    pub const ALL: DeviceFilter = DeviceFilter {
        mobile_only: false,
        web_only: false,
    };

    /// Whether a reset with these flags ends a session on `device`. Each flag narrows the
    /// reset to its kind; both together end mobile and web sessions and keep desktop ones.
    pub fn ends(self, device: Device) -> bool {
        match (self.mobile_only, self.web_only) {
            (false, false) => true,
            (true, false) => device == Device::Mobile,
            (false, true) => device == Device::Web,
            (true, true) => device != Device::Desktop,
        }
    }
}

/// A queued `admin.users.session.resetBulk`: the sessions end once the job runs.
#[derive(Debug, Clone)]
pub struct SessionResetJob {
    pub user_ids: Vec<String>,
    pub devices: DeviceFilter,
    pub queued: std::time::Instant,
}

/// A user's own session settings (`admin.users.session.setSettings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionSettings {
    /// Seconds a session lasts.
    pub duration: Option<i64>,
    /// Sessions end when the desktop app or browser window closes.
    pub desktop_app_browser_quit: Option<bool>,
}

/// What an invite request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteType {
    FullMember,
    /// A multi-channel guest.
    Restricted,
    /// A single-channel guest.
    UltraRestricted,
}

impl InviteType {
    /// Slack's name for it.
    pub fn name(self) -> &'static str {
        match self {
            InviteType::FullMember => "full_member",
            InviteType::Restricted => "restricted",
            InviteType::UltraRestricted => "ultra_restricted",
        }
    }

    /// The guest kind an approved request invites as.
    pub fn guest(self) -> Option<GuestKind> {
        match self {
            InviteType::FullMember => None,
            InviteType::Restricted => Some(GuestKind::MultiChannel),
            InviteType::UltraRestricted => Some(GuestKind::SingleChannel),
        }
    }
}

/// The invitation an approval sent (`invite` in `admin.inviteRequests.approved.list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentInvite {
    /// `I…`.
    pub id: String,
    pub inviter_id: String,
    pub date_created: i64,
    /// The channels the invitation is for.
    pub channel_ids: Vec<String>,
}

/// Where an invite request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteRequestState {
    Pending,
    /// `invite` is `None` when the approval could not send the invitation
    /// (`failed_to_send_invite`).
    Approved {
        by: String,
        at: i64,
        invite: Option<SentInvite>,
    },
    Denied {
        by: String,
        at: i64,
    },
}

/// Someone asked for an invitation to a workspace; an admin approves or denies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRequest {
    /// `Ir…`.
    pub id: String,
    pub team_id: String,
    pub email: String,
    pub date_created: i64,
    pub requester_ids: Vec<String>,
    pub channel_ids: Vec<String>,
    pub invite_type: InviteType,
    pub real_name: Option<String>,
    /// When a guest's account would expire, Unix seconds.
    pub date_expire: Option<i64>,
    pub request_reason: Option<String>,
    pub state: InviteRequestState,
}

/// What someone asks for in [`Org::request_invite`].
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInviteRequest {
    pub team_id: String,
    pub email: String,
    pub requester_id: String,
    #[serde(default)]
    pub channel_ids: Vec<String>,
    #[serde(default = "full_member")]
    pub invite_type: InviteType,
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub request_reason: Option<String>,
}

fn full_member() -> InviteType {
    InviteType::FullMember
}

impl InviteRequest {
    /// Slack's invite_request object.
    pub fn object(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "date_created": self.date_created,
            "requester_ids": self.requester_ids,
            "channel_ids": self.channel_ids,
            "invite_type": self.invite_type.name(),
            "real_name": self.real_name,
            "date_expire": self.date_expire,
            "request_reason": self.request_reason,
        })
    }

    /// Whether it still waits for a decision.
    pub fn is_pending(&self) -> bool {
        self.state == InviteRequestState::Pending
    }
}

/// The whole org: the sandbox's single source of truth.
#[derive(Debug, Clone)]
pub struct Org {
    pub enterprise_id: String,
    pub name: String,
    pub domain: String,
    pub teams: Vec<Team>,
    /// Ordered by ID: cursors are keyset positions in this order, so paging stays
    /// stable while users are added or removed between pages.
    pub users: BTreeMap<String, User>,
    /// Lower-cased email → user ID.
    pub by_email: HashMap<String, String>,
    pub channels: BTreeMap<String, Channel>,
    /// The moment the org was seeded, Unix seconds; seeded dates are relative to it.
    pub epoch: i64,
    /// Mints IDs for users created later (invites); seeded, so runs are repeatable.
    pub rng: ChaCha8Rng,
    /// Every invitation sent, oldest first.
    pub outbox: Vec<SentInvitation>,
    /// Signed-in sessions by session ID.
    pub sessions: BTreeMap<u64, Session>,
    /// Users' own session settings, by user ID.
    pub session_settings: BTreeMap<String, SessionSettings>,
    /// Queued `admin.users.session.resetBulk` jobs, oldest first.
    pub session_jobs: Vec<SessionResetJob>,
    /// Invite requests of every workspace, by ID.
    pub invite_requests: BTreeMap<String, InviteRequest>,
    /// Users changed since the sandbox last sent their events, with the workspaces each
    /// was active on before (`None`: the user is new). See [`Org::touch`].
    pub touched: BTreeMap<String, Option<Vec<String>>>,
    /// Workspaces the org-wide app (the org tokens' app) is added to; `None`: every
    /// workspace. Only these send events, and `auth.teams.list` lists them.
    pub app_teams: Option<std::collections::BTreeSet<String>>,
    /// What `admin.analytics.getFile` answers, and when each day's file is published.
    pub analytics: crate::analytics::AnalyticsSettings,
}

impl User {
    /// Whether the account is deactivated org-wide.
    pub fn is_deactivated(&self) -> bool {
        self.deactivated_ts != 0
    }

    /// Team IDs of the workspaces the user is active on.
    pub fn active_teams(&self) -> impl Iterator<Item = &str> {
        self.memberships
            .iter()
            .filter(|(_, m)| m.active)
            .map(|(t, _)| t.as_str())
    }

    /// Role flags as seen from one workspace, or org-wide when `team` is `None`.
    /// Org admins and owners hold that role on every workspace.
    pub fn role_on(&self, team: Option<&str>) -> (bool, bool, bool) {
        let primary = self.org_role == OrgRole::PrimaryOwner;
        let org_owner = self.org_role >= OrgRole::Owner;
        let org_admin = self.org_role >= OrgRole::Admin;
        let team_role = match team {
            Some(t) => self.memberships.get(t).map(|m| m.role),
            None => self.memberships.values().map(|m| m.role).max(),
        }
        .unwrap_or(TeamRole::Regular);
        let is_owner = org_owner || team_role == TeamRole::Owner;
        // Slack reports owners as admins too.
        let is_admin = org_admin || is_owner || team_role == TeamRole::Admin;
        (is_admin, is_owner, primary)
    }

    /// Guest expiration on a workspace, or the earliest one across workspaces.
    pub fn expiration_on(&self, team: Option<&str>) -> i64 {
        match team {
            Some(t) => self.memberships.get(t).map_or(0, |m| m.expiration_ts),
            None => self
                .memberships
                .values()
                .filter(|m| m.active && m.expiration_ts > 0)
                .map(|m| m.expiration_ts)
                .min()
                .unwrap_or(0),
        }
    }

    /// The row `admin.users.list` returns. `with_security` adds `has_2fa`/`has_sso`
    /// (org token, no `team_id`); `include_deactivated_workspaces` lists workspaces the
    /// user was removed from too.
    pub fn admin_list_entry(
        &self,
        team: Option<&str>,
        with_security: bool,
        include_deactivated_workspaces: bool,
    ) -> AdminListEntry<'_> {
        let (is_admin, is_owner, is_primary_owner) = self.role_on(team);
        AdminListEntry {
            id: &self.id,
            email: &self.email,
            is_admin,
            is_owner,
            is_primary_owner,
            is_restricted: self.guest == Some(GuestKind::MultiChannel),
            is_ultra_restricted: self.guest == Some(GuestKind::SingleChannel),
            is_bot: self.is_bot,
            username: &self.username,
            full_name: &self.full_name,
            is_active: !self.is_deactivated(),
            is_invited_user: self.invited,
            date_created: self.date_created,
            deactivated_ts: self.deactivated_ts,
            expiration_ts: self.expiration_on(team),
            workspaces: self
                .memberships
                .iter()
                .filter(|(_, m)| m.active || include_deactivated_workspaces)
                .map(|(t, _)| t.as_str())
                .collect(),
            has_2fa: with_security.then_some(self.has_2fa),
            has_sso: with_security.then_some(self.has_sso),
        }
    }
}

/// One row of `admin.users.list`, serialised straight from the user.
#[derive(Debug, Serialize)]
pub struct AdminListEntry<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_primary_owner: bool,
    pub is_restricted: bool,
    pub is_ultra_restricted: bool,
    pub is_bot: bool,
    pub username: &'a str,
    pub full_name: &'a str,
    pub is_active: bool,
    pub is_invited_user: bool,
    pub date_created: i64,
    pub deactivated_ts: i64,
    pub expiration_ts: i64,
    pub workspaces: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_2fa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_sso: Option<bool>,
}

/// How a user object is rendered for one caller.
#[derive(Debug, Clone, Copy)]
pub struct UserView<'a> {
    /// Workspace context: `team_id` of the object and the role flags there.
    pub team: Option<&'a str>,
    /// Org admins see `has_2fa` and `enterprise_user`.
    pub admin_viewer: bool,
    pub include_locale: bool,
    /// Base URL of profile images.
    pub avatar_base: &'a str,
}

impl User {
    /// Slack's user object (`objs_user`), as users.info, users.list and
    /// users.lookupByEmail return it.
    pub fn object(&self, org: &Org, view: UserView<'_>) -> Value {
        let (is_admin, is_owner, is_primary_owner) = self.role_on(view.team);
        let team_id = view
            .team
            .map(str::to_string)
            .or_else(|| self.memberships.keys().next().cloned())
            .unwrap_or_else(|| org.enterprise_id.clone());
        let image = |size: u32| format!("{}/{}_{size}.svg", view.avatar_base, self.avatar_hash);
        let mut profile = json!({
            "avatar_hash": self.avatar_hash,
            "title": self.title,
            "phone": self.phone,
            "skype": "",
            "real_name": self.full_name,
            "real_name_normalized": self.full_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "status_text": "",
            "status_emoji": "",
            "team": team_id,
            "image_24": image(24),
            "image_32": image(32),
            "image_48": image(48),
            "image_72": image(72),
            "image_192": image(192),
            "image_512": image(512),
            "image_1024": image(1024),
            "image_original": image(1024),
        });
        if !self.email.is_empty() {
            profile["email"] = json!(self.email);
        }
        // A guest's expiration, on the workspace in view or the earliest one.
        let expires = self.expiration_on(view.team);
        if self.guest.is_some() && expires > 0 {
            profile["guest_expiration_ts"] = json!(expires);
        }
        let mut v = json!({
            "id": self.id,
            "team_id": team_id,
            "name": self.username,
            "deleted": self.is_deactivated(),
            "color": self.color,
            "real_name": self.full_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_primary_owner,
            "is_restricted": self.guest == Some(GuestKind::MultiChannel),
            "is_ultra_restricted": self.guest == Some(GuestKind::SingleChannel),
            "is_bot": self.is_bot,
            "is_app_user": self.is_app_user,
            "is_invited_user": self.invited,
            "updated": self.updated,
        });
        if view.admin_viewer {
            v["has_2fa"] = json!(self.has_2fa);
            v["enterprise_user"] = json!({
                "id": self.id,
                "enterprise_id": org.enterprise_id,
                "enterprise_name": org.name,
                "is_admin": self.org_role >= OrgRole::Admin,
                "is_owner": self.org_role >= OrgRole::Owner,
                "is_primary_owner": self.org_role == OrgRole::PrimaryOwner,
                "teams": self.active_teams().collect::<Vec<_>>(),
            });
        }
        if view.include_locale {
            v["locale"] = json!(self.locale);
        }
        v
    }
}

impl Channel {
    /// Slack's conversation object (`objs_conversation`) as users.conversations returns it.
    pub fn object(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "is_channel": !self.is_private,
            "is_group": self.is_private,
            "is_im": false,
            "is_mpim": false,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": false,
            "is_org_shared": false,
            "is_ext_shared": false,
            "is_pending_ext_shared": false,
            "context_team_id": self.team_id,
            "creator": self.creator,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": self.creator, "last_set": self.created},
        })
    }
}

impl Org {
    /// Looks a team up by ID.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// Notes that user `id` is about to change, so the sandbox sends the events Slack
    /// would (`user_change`, `team_join`). Every change to a user goes through here first.
    pub fn touch(&mut self, id: &str) {
        if self.touched.contains_key(id) {
            return;
        }
        let before = self
            .users
            .get(id)
            .map(|u| u.active_teams().map(str::to_string).collect());
        self.touched.insert(id.to_string(), before);
    }

    /// Adds a user, keeping the email index in step.
    pub fn insert_user(&mut self, user: User) {
        self.touch(&user.id);
        if !user.email.is_empty() {
            self.by_email
                .insert(user.email.to_lowercase(), user.id.clone());
        }
        self.users.insert(user.id.clone(), user);
    }

    /// A fresh user ID that no user has.
    pub fn mint_user_id(&mut self) -> String {
        loop {
            let id = crate::seed::IdMint::default().mint(&mut self.rng, 'W');
            if !self.users.contains_key(&id) {
                return id;
            }
        }
    }

    /// Someone asks, in Slack, for `email` to be invited to `team_id` (as a member might
    /// from the workspace's invite dialog when invitations need an admin's approval): a
    /// pending request. The requester must be active on the workspace and the channels on
    /// it; the error says what is wrong.
    pub fn request_invite(
        &mut self,
        ask: NewInviteRequest,
        now: i64,
    ) -> Result<InviteRequest, String> {
        if self.team(&ask.team_id).is_none() {
            return Err(format!("no workspace {}", ask.team_id));
        }
        if !ask.email.contains('@') {
            return Err(format!("not an email address: {}", ask.email));
        }
        let requester = self
            .users
            .get(&ask.requester_id)
            .filter(|u| !u.is_deactivated())
            .filter(|u| u.memberships.get(&ask.team_id).is_some_and(|m| m.active))
            .ok_or_else(|| format!("{} is not active on {}", ask.requester_id, ask.team_id))?;
        let requester = requester.id.clone();
        if let Some(c) = ask.channel_ids.iter().find(|c| {
            self.channels
                .get(*c)
                .is_none_or(|c| c.team_id != ask.team_id)
        }) {
            return Err(format!("no channel {c} on {}", ask.team_id));
        }
        // Its own generator, seeded by the request: requests made at run time leave the IDs
        // of users invited later as they would have been.
        let mut rng = {
            use rand::SeedableRng;
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (&ask.team_id, &ask.email, self.invite_requests.len()).hash(&mut h);
            ChaCha8Rng::seed_from_u64(h.finish())
        };
        let id = loop {
            let id = format!(
                "Ir{}",
                &crate::seed::IdMint::default().mint(&mut rng, 'I')[1..]
            );
            if !self.invite_requests.contains_key(&id) {
                break id;
            }
        };
        let request = InviteRequest {
            id: id.clone(),
            team_id: ask.team_id,
            email: ask.email,
            date_created: now,
            requester_ids: vec![requester],
            channel_ids: ask.channel_ids,
            invite_type: ask.invite_type,
            real_name: ask.real_name,
            date_expire: None,
            request_reason: ask.request_reason,
            state: InviteRequestState::Pending,
        };
        self.invite_requests.insert(id, request.clone());
        Ok(request)
    }

    /// Whether the org-wide app is added to workspace `team` (see [`Org::app_teams`]).
    pub fn app_on(&self, team: &str) -> bool {
        self.app_teams.as_ref().is_none_or(|t| t.contains(team))
    }

    /// The primary owner, if the org has one.
    pub fn primary_owner(&self) -> Option<&User> {
        self.users
            .values()
            .find(|u| u.org_role == OrgRole::PrimaryOwner)
    }

    /// The user with this email, case-insensitively.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.by_email
            .get(&email.to_lowercase())
            .and_then(|id| self.users.get(id))
    }

    /// Changes a user's (primary) email, keeping the email index in step.
    pub fn set_email(&mut self, id: &str, email: &str) {
        self.touch(id);
        let Some(user) = self.users.get_mut(id) else {
            return;
        };
        let old = std::mem::replace(&mut user.email, email.to_string());
        if !old.is_empty() && self.by_email.get(&old.to_lowercase()).map(String::as_str) == Some(id)
        {
            self.by_email.remove(&old.to_lowercase());
        }
        if !email.is_empty() {
            self.by_email.insert(email.to_lowercase(), id.to_string());
        }
    }

    /// Ends the sessions of `user_id` on the devices `devices` selects; how many ended.
    pub fn end_sessions(&mut self, user_id: &str, devices: DeviceFilter) -> usize {
        let before = self.sessions.len();
        self.sessions
            .retain(|_, s| s.user_id != user_id || !devices.ends(s.device));
        before - self.sessions.len()
    }

    /// Deactivates a user org-wide: inactive on every workspace, signed out everywhere.
    /// The workspaces stay recorded, so a reactivation brings the user back on them.
    /// Returns false when the account was already deactivated (nothing changes then).
    pub fn deactivate(&mut self, id: &str, now: i64) -> bool {
        self.touch(id);
        let Some(user) = self.users.get_mut(id) else {
            return false;
        };
        if user.is_deactivated() {
            return false;
        }
        user.deactivated_ts = now.max(1);
        user.updated = now;
        user.presence = Presence::Away;
        self.end_sessions(id, DeviceFilter::ALL);
        true
    }

    /// Reactivates a deactivated user: active again on the workspaces it was on when it was
    /// deactivated (not those it had been removed from). As in Slack, it is not put back
    /// in its channels: full members are in each workspace's #general, guests in none.
    /// Returns false when the account was active (nothing changes then).
    pub fn reactivate(&mut self, id: &str, now: i64) -> bool {
        let general: HashMap<String, String> = self
            .channels
            .values()
            .filter(|c| c.name == "general")
            .map(|c| (c.team_id.clone(), c.id.clone()))
            .collect();
        self.touch(id);
        let Some(user) = self.users.get_mut(id) else {
            return false;
        };
        if !user.is_deactivated() {
            return false;
        }
        user.deactivated_ts = 0;
        user.updated = now;
        let member = user.guest.is_none();
        for (team, m) in user.memberships.iter_mut().filter(|(_, m)| m.active) {
            m.channels = match general.get(team) {
                Some(c) if member => vec![c.clone()],
                _ => Vec::new(),
            };
        }
        true
    }

    /// Runs the queued session resets that have waited at least `delay`.
    pub fn run_session_jobs(&mut self, delay: std::time::Duration) {
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.session_jobs)
            .into_iter()
            .partition(|j| j.queued.elapsed() >= delay);
        self.session_jobs = waiting;
        for job in due {
            let users: std::collections::HashSet<&str> =
                job.user_ids.iter().map(String::as_str).collect();
            self.sessions
                .retain(|_, s| !(users.contains(s.user_id.as_str()) && job.devices.ends(s.device)));
        }
    }
}
