//! One person as the directory keeps them, and what a role limited to some workspaces
//! sees of them.

use roster_api::{Membership, TeamId, UserSummary, UserType, WorkspaceRole};
use serde::{Deserialize, Serialize};

use super::fold;

/// One shared [`TeamId`] per workspace, however many users name it.
#[derive(Debug, Default)]
pub struct Teams(std::collections::HashSet<TeamId>);

impl Teams {
    /// The shared ID of `team`.
    pub fn get(&mut self, team: &str) -> TeamId {
        if let Some(shared) = self.0.get(team) {
            return shared.clone();
        }
        let shared = TeamId::from(team);
        self.0.insert(shared.clone());
        shared
    }

    /// Points every workspace ID of `user` at the shared one.
    pub(super) fn share(&mut self, user: &mut DirUser) {
        for team in &mut user.summary.workspaces {
            *team = self.get(team);
        }
        for m in &mut user.memberships {
            m.workspace = self.get(&m.workspace);
        }
    }
}

/// One user as the directory keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DirUser {
    pub summary: UserSummary,
    /// Role and expiration per workspace.
    pub memberships: Vec<Membership>,
    /// Slack's `updated` of the state kept here (Unix seconds): an event about an older
    /// state does not overwrite it. A full sync sets it to the moment it began.
    #[serde(default)]
    pub updated: i64,
}

impl DirUser {
    /// A user as the directory keeps them (their search text lives in the index).
    pub fn new(summary: UserSummary, memberships: Vec<Membership>) -> Self {
        DirUser {
            summary,
            memberships,
            updated: 0,
        }
    }

    /// Folded name, username and ID, one per line: what everyone can search.
    pub(crate) fn search_text(&self) -> String {
        let s = &self.summary;
        format!(
            "{}\n{}\n{}",
            fold(&s.name),
            fold(&s.username),
            s.id.to_lowercase()
        )
    }

    /// Derives the summary's type and expiration from the memberships after a change.
    pub(crate) fn rederive(&mut self) {
        let s = &mut self.summary;
        s.workspaces = self
            .memberships
            .iter()
            .map(|m| m.workspace.clone())
            .collect();
        s.expires = self.memberships.iter().filter_map(|m| m.expires).min();
        if !matches!(s.user_type, UserType::Bot) && !self.memberships.is_empty() {
            let best = self
                .memberships
                .iter()
                .map(|m| m.role)
                .min_by_key(|r| UserType::from(*r).rank());
            if let Some(role) = best {
                s.user_type = role.into();
            }
        }
    }

    /// The role on `workspace`, if the user is on it.
    pub fn role_on(&self, workspace: &str) -> Option<WorkspaceRole> {
        self.memberships
            .iter()
            .find(|m| *m.workspace == *workspace)
            .map(|m| m.role)
    }

    /// The guest expiration on `workspace`, if any.
    pub fn expires_on(&self, workspace: &str) -> Option<i64> {
        self.memberships
            .iter()
            .find(|m| *m.workspace == *workspace)
            .and_then(|m| m.expires)
    }

    /// The role on a workspace the user is listed on but whose membership Slack did not
    /// describe: what the account itself says (a guest or a bot everywhere), never a role
    /// held on another workspace.
    pub(super) fn base_role(&self) -> WorkspaceRole {
        match self.summary.user_type {
            UserType::Bot => WorkspaceRole::Bot,
            UserType::MultiChannelGuest => WorkspaceRole::MultiChannelGuest,
            UserType::SingleChannelGuest => WorkspaceRole::SingleChannelGuest,
            UserType::Owner | UserType::Admin | UserType::Member => WorkspaceRole::Member,
        }
    }

    /// Role and expiration on each workspace the user is on, in the summary's order.
    pub fn seats(&self) -> impl Iterator<Item = (&TeamId, WorkspaceRole, Option<i64>)> {
        self.summary.workspaces.iter().map(|team| self.seat(team))
    }

    /// Role and expiration on `team`, one of the summary's workspaces.
    fn seat<'a>(&'a self, team: &'a TeamId) -> (&'a TeamId, WorkspaceRole, Option<i64>) {
        match self.memberships.iter().find(|m| m.workspace == *team) {
            Some(m) => (team, m.role, m.expires),
            None => (team, self.base_role(), None),
        }
    }

    /// The user as seen from some workspaces only: `None` when on none of `scope`. The
    /// workspace list is the ones in `scope`; the type and the guest expiration come from
    /// the memberships in `focus` (a subset of `scope`: one workspace a view is filtered
    /// to, or `scope` itself), so nothing outside them shapes what is shown.
    pub fn within(
        &self,
        scope: &dyn Fn(&str) -> bool,
        focus: &dyn Fn(&str) -> bool,
    ) -> Option<DirUser> {
        // Nothing outside `scope` is looked at further or copied: what the view costs does
        // not depend on what the user holds elsewhere.
        let seats: Vec<(&TeamId, WorkspaceRole, Option<i64>)> = self
            .summary
            .workspaces
            .iter()
            .filter(|team| scope(team))
            .map(|team| self.seat(team))
            .collect();
        if seats.is_empty() {
            return None;
        }
        let focused: Vec<&(&TeamId, WorkspaceRole, Option<i64>)> =
            seats.iter().filter(|(team, _, _)| focus(team)).collect();
        let s = &self.summary;
        let mut user = DirUser {
            summary: UserSummary {
                id: s.id.clone(),
                name: s.name.clone(),
                username: s.username.clone(),
                email: s.email.clone(),
                user_type: s.user_type,
                is_primary_owner: s.is_primary_owner,
                status: s.status,
                workspaces: seats.iter().map(|(t, _, _)| TeamId::clone(t)).collect(),
                has_2fa: s.has_2fa,
                has_sso: s.has_sso,
                created: s.created,
                expires: focused.iter().filter_map(|(_, _, e)| *e).min(),
                deactivated: s.deactivated,
                last_active: None,
            },
            memberships: self
                .memberships
                .iter()
                .filter(|m| scope(&m.workspace))
                .cloned()
                .collect(),
            updated: self.updated,
        };
        if user.summary.user_type != UserType::Bot {
            let best = focused
                .iter()
                .map(|(_, r, _)| *r)
                .min_by_key(|r| UserType::from(*r).rank())
                .unwrap_or_else(|| self.base_role());
            user.summary.user_type = best.into();
        }
        Some(user)
    }
}

/// Whether an address looks deliverable: one `@`, a dotted domain, no spaces.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| c.is_ascii_graphic())
}
