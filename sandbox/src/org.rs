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

    /// Adds a user, keeping the email index in step.
    pub fn insert_user(&mut self, user: User) {
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
}
