//! The emulated Enterprise org: workspaces, channels and users, and the user shapes
//! Slack's methods return for them.

use std::collections::{BTreeMap, HashMap};

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
    ) -> Value {
        let (is_admin, is_owner, is_primary_owner) = self.role_on(team);
        let workspaces: Vec<&str> = self
            .memberships
            .iter()
            .filter(|(_, m)| m.active || include_deactivated_workspaces)
            .map(|(t, _)| t.as_str())
            .collect();
        let mut v = json!({
            "id": self.id,
            "email": self.email,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_primary_owner,
            "is_restricted": self.guest == Some(GuestKind::MultiChannel),
            "is_ultra_restricted": self.guest == Some(GuestKind::SingleChannel),
            "is_bot": self.is_bot,
            "username": self.username,
            "full_name": self.full_name,
            "is_active": !self.is_deactivated(),
            "is_invited_user": self.invited,
            "date_created": self.date_created,
            "deactivated_ts": self.deactivated_ts,
            "expiration_ts": self.expiration_on(team),
            "workspaces": workspaces,
        });
        if with_security {
            v["has_2fa"] = json!(self.has_2fa);
            v["has_sso"] = json!(self.has_sso);
        }
        v
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

    /// The user with this email, case-insensitively.
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.by_email
            .get(&email.to_lowercase())
            .and_then(|id| self.users.get(id))
    }
}
