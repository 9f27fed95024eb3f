//! Who may see and do what: roles from the configuration, applied in one place.
//!
//! Every `/api` handler gets a [`Caller`] and asks it; the user list and detail go through
//! [`Caller::redact`], so users outside the role's workspaces and hidden fields never leave
//! the server.

use std::collections::BTreeSet;

use roster_api::{SyncStatus, UserDetail, UserSummary, UserType};
use serde::Deserialize;

use crate::{
    config_error::ConfigError,
    directory::{DirUser, Directory},
};

pub use roster_api::{Field, Permission};

/// Which workspaces a role covers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum WorkspaceScope {
    /// `"all"`.
    All(AllWorkspaces),
    /// Team IDs.
    Only(BTreeSet<String>),
}

/// The literal `"all"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllWorkspaces {
    All,
}

impl Default for WorkspaceScope {
    fn default() -> Self {
        WorkspaceScope::All(AllWorkspaces::All)
    }
}

impl WorkspaceScope {
    /// Whether `team` is in scope.
    pub fn covers(&self, team: &str) -> bool {
        match self {
            WorkspaceScope::All(_) => true,
            WorkspaceScope::Only(teams) => teams.contains(team),
        }
    }

    /// Whether every workspace is in scope.
    pub fn is_all(&self) -> bool {
        matches!(self, WorkspaceScope::All(_))
    }
}

/// `[[roles]]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    pub name: String,
    pub permissions: BTreeSet<Permission>,
    /// `"all"` or a list of team IDs.
    #[serde(default)]
    pub workspaces: WorkspaceScope,
    #[serde(default)]
    pub hidden_fields: BTreeSet<Field>,
    /// Invitations by this role must be for guests (a help desk inviting contractors).
    #[serde(default)]
    pub invite_guests_only: bool,
    /// Identities with one of these emails get this role.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Identities in one of these groups get this role.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Checks the roles at start-up.
pub fn validate_roles(roles: &[RoleConfig]) -> Result<(), ConfigError> {
    let mut names = BTreeSet::new();
    for (i, role) in roles.iter().enumerate() {
        let key = format!("roles[{i}]");
        let fail = |message: String| ConfigError::Invalid {
            key: key.clone(),
            message,
        };
        if role.name.is_empty()
            || !role
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(fail(format!(
                "name {:?}: use letters, digits, - and _ only",
                role.name
            )));
        }
        if !names.insert(role.name.clone()) {
            return Err(fail(format!("the role name {:?} is used twice", role.name)));
        }
        if let WorkspaceScope::Only(teams) = &role.workspaces
            && teams.is_empty()
        {
            return Err(fail(format!(
                "role {:?}: workspaces is empty; list team IDs or write \"all\"",
                role.name
            )));
        }
        if Permission::WRITES
            .iter()
            .any(|p| role.permissions.contains(p))
            && !role.permissions.contains(&Permission::UsersRead)
        {
            return Err(fail(format!(
                "role {:?} may change users but lacks users.read",
                role.name
            )));
        }
    }
    Ok(())
}

/// The role an identity maps to: the first role listing its email or one of its groups.
pub fn role_for<'r>(
    roles: &'r [RoleConfig],
    email: &str,
    groups: &[String],
) -> Option<&'r RoleConfig> {
    roles.iter().find(|r| {
        r.emails.iter().any(|e| e.eq_ignore_ascii_case(email))
            || r.groups.iter().any(|g| groups.iter().any(|x| x == g))
    })
}

/// The person making a request, with their role.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Stable subject from the identity provider (or the email).
    pub subject: String,
    pub email: String,
    pub groups: Vec<String>,
    pub role: RoleConfig,
}

impl Caller {
    /// Whether the role grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.role.permissions.contains(&permission)
    }

    /// Whether `field` is hidden from this role.
    pub fn hides(&self, field: Field) -> bool {
        self.role.hidden_fields.contains(&field)
            || (Field::SENSITIVE.contains(&field) && !self.can(Permission::UsersReadSensitive))
            || (field == Field::Activity && !self.can(Permission::SeatsRead))
    }

    /// Every field hidden from this role.
    pub fn hidden_fields(&self) -> Vec<Field> {
        Field::ALL.into_iter().filter(|f| self.hides(*f)).collect()
    }

    /// Whether the role covers `team`.
    pub fn covers(&self, team: &str) -> bool {
        self.role.workspaces.covers(team)
    }

    /// Whether the role covers every workspace of the org.
    pub fn covers_all(&self) -> bool {
        self.role.workspaces.is_all()
    }

    /// Whether the user is visible: on at least one workspace in scope (users on no
    /// workspace only to roles that cover every workspace).
    pub fn sees(&self, user: &DirUser) -> bool {
        self.covers_all() || user.summary.workspaces.iter().any(|t| self.covers(t))
    }

    /// The user as this role sees them, before hidden fields are removed: only the
    /// memberships on its workspaces, and the type, guest expiration and workspace list
    /// those give. `None` when the user is on none of its workspaces.
    pub fn view(&self, user: &DirUser) -> Option<DirUser> {
        if self.covers_all() {
            return Some(user.clone());
        }
        let covers = |t: &str| self.covers(t);
        user.within(&covers, &covers)
    }

    /// A user from the directory, as this role sees them; refused the same way whether
    /// the user is outside the role's workspaces or does not exist.
    pub fn user(&self, directory: &Directory, id: &str) -> Result<DirUser, NoSuchUser> {
        directory
            .get(id)
            .and_then(|u| self.view(&u))
            .ok_or(NoSuchUser {
                restricted: !self.covers_all(),
            })
    }

    /// The summary without the fields this role may not see.
    pub fn hide_fields(&self, mut u: UserSummary) -> UserSummary {
        if self.hides(Field::Email) {
            u.email = None;
        }
        if self.hides(Field::Has2fa) {
            u.has_2fa = None;
        }
        if self.hides(Field::HasSso) {
            u.has_sso = None;
        }
        if self.hides(Field::Created) {
            u.created = 0;
        }
        if self.hides(Field::Expires) {
            u.expires = None;
        }
        if self.hides(Field::Activity) {
            u.last_active = None;
        }
        u
    }

    /// The sync's progress as this role may see it: the count of users fetched, when a
    /// sync starts and how long it runs follow the org's size, so a role limited to some
    /// workspaces is told only how the last sync to end ended, and when.
    pub fn sync_status(&self, directory: &Directory) -> SyncStatus {
        if self.covers_all() {
            directory.status()
        } else {
            directory.completed_status()
        }
    }

    /// The user's summary as this role may see it, if it may see the user at all.
    pub fn summary(&self, user: &DirUser) -> Option<UserSummary> {
        self.view(user).map(|u| self.hide_fields(u.summary))
    }

    /// The detail, built from this role's view of the user, without what it may not see.
    pub fn redact_detail(&self, detail: UserDetail) -> UserDetail {
        let mut d = detail;
        d.summary = self.hide_fields(d.summary);
        if !self.covers_all() {
            d.memberships.retain(|m| self.covers(&m.workspace));
            d.channels
                .retain(|c| c.workspace.as_deref().is_some_and(|w| self.covers(w)));
        }
        if self.hides(Field::Phone) {
            d.phone = None;
        }
        if self.hides(Field::Presence) {
            d.presence = None;
        }
        if self.hides(Field::Title) {
            d.title = None;
        }
        if self.hides(Field::Expires) {
            for m in &mut d.memberships {
                m.expires = None;
            }
        }
        d
    }

    /// Why this caller may not change `target` (as [`Caller::view`] gives them) on `team`
    /// with `permission`, if they may not.
    ///
    /// Owners (and the primary owner) may only be changed by a role that may set roles on
    /// every workspace: a role limited to some workspaces cannot know what else an owner
    /// holds, so it may not touch them at all.
    pub fn may_act(
        &self,
        permission: Permission,
        target: &DirUser,
        team: Option<&str>,
    ) -> Result<(), Denied> {
        if !self.can(permission) {
            return Err(Denied::Permission(permission));
        }
        if let Some(team) = team
            && !self.covers(team)
        {
            return Err(Denied::Workspace(team.to_string()));
        }
        if !self.sees(target) {
            return Err(Denied::User);
        }
        if target.summary.user_type == UserType::Owner
            && !(self.can(Permission::UsersSetRole) && self.covers_all())
        {
            return Err(Denied::Owner);
        }
        Ok(())
    }
}

/// A user this role cannot see, whether or not they exist (a 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSuchUser {
    /// The role covers only some workspaces.
    restricted: bool,
}

impl std::fmt::Display for NoSuchUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.restricted {
            "There is no such user on the workspaces your role covers."
        } else {
            "There is no such user in the directory."
        })
    }
}

impl std::error::Error for NoSuchUser {}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("Your role cannot {}.", .0.ability())]
    Permission(Permission),
    #[error("Your role does not cover the workspace {0}.")]
    Workspace(String),
    #[error("This reaches the whole org, and your role does not cover every workspace.")]
    WholeOrg,
    #[error("This user is outside the workspaces your role covers.")]
    User,
    #[error("Owners can only be changed by someone who may set roles on every workspace.")]
    Owner,
    #[error("Your role may only invite guests.")]
    GuestsOnly,
    #[error(
        "Your role may only invite guests, and this request asks for a full member: an admin whose role may invite members can approve it."
    )]
    GuestsOnlyApproval,
    #[error("Your role may not change anything.")]
    ReadOnlyRole,
    #[error("Your role may not see {0}.")]
    Field(&'static str),
    #[error("Your role cannot search by email: search by name, username or ID.")]
    EmailSearch,
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_api::{Membership, UserStatus, WorkspaceRole};

    fn role(toml_text: &str) -> RoleConfig {
        toml::from_str(toml_text).unwrap()
    }

    fn caller(role: RoleConfig) -> Caller {
        Caller {
            subject: "s".into(),
            email: "a@b.example".into(),
            groups: vec![],
            role,
        }
    }

    fn user(workspaces: &[&str], user_type: UserType) -> DirUser {
        let summary = UserSummary {
            id: "W1".into(),
            name: "N".into(),
            username: "n".into(),
            email: Some("n@x.example".into()),
            user_type,
            is_primary_owner: false,
            status: UserStatus::Active,
            workspaces: workspaces.iter().map(|&s| s.into()).collect(),
            has_2fa: Some(true),
            has_sso: Some(false),
            created: 5,
            expires: Some(9),
            deactivated: None,
            last_active: None,
        };
        let memberships = workspaces
            .iter()
            .map(|w| Membership {
                workspace: (*w).into(),
                role: user_type.into(),
                expires: Some(9),
            })
            .collect();
        DirUser::new(summary, memberships)
    }

    fn helpdesk() -> Caller {
        caller(role(
            r#"
            name = "helpdesk"
            permissions = ["users.read", "users.invite", "users.set_expiration"]
            workspaces = ["T1", "T2"]
            hidden_fields = ["email"]
            groups = ["it-helpdesk"]
            "#,
        ))
    }

    #[test]
    fn scope_and_hidden_fields_are_applied() {
        let h = helpdesk();
        assert!(h.sees(&user(&["T2", "T9"], UserType::Member)));
        assert!(!h.sees(&user(&["T9"], UserType::Member)));
        assert!(!h.sees(&user(&[], UserType::Member)));
        let seen = h.summary(&user(&["T2", "T9"], UserType::Member)).unwrap();
        assert_eq!(seen.workspaces, ["T2".into()]);
        assert_eq!(seen.email, None);
        assert_eq!(seen.has_2fa, None, "sensitive without users.read_sensitive");
        assert_eq!(seen.has_sso, None);
        assert_eq!(seen.expires, Some(9));
    }

    #[test]
    fn a_restricted_view_comes_from_the_covered_workspaces_only() {
        let h = helpdesk();
        let mut u = user(&["T1", "T9"], UserType::Admin);
        u.memberships[0].role = WorkspaceRole::Member;
        u.memberships[0].expires = None;
        u.memberships[1].role = WorkspaceRole::Admin;
        u.memberships[1].expires = Some(3);
        let seen = h.view(&u).unwrap();
        assert_eq!(seen.summary.user_type, UserType::Member, "admin only on T9");
        assert_eq!(seen.summary.expires, None, "the expiration is T9's");
        assert_eq!(seen.summary.workspaces, ["T1".into()]);
        assert_eq!(seen.memberships.len(), 1);
        // A workspace the user is listed on without a described membership gives no more
        // than the account itself says.
        u.memberships.remove(0);
        assert_eq!(h.view(&u).unwrap().summary.user_type, UserType::Member);
        assert!(h.view(&user(&["T9"], UserType::Member)).is_none());
    }

    #[test]
    fn actions_need_permission_scope_and_owner_rights() {
        let h = helpdesk();
        let member = user(&["T1"], UserType::Member);
        assert_eq!(
            h.may_act(Permission::UsersInvite, &member, Some("T1")),
            Ok(())
        );
        assert_eq!(
            h.may_act(Permission::UsersRemove, &member, Some("T1")),
            Err(Denied::Permission(Permission::UsersRemove))
        );
        assert_eq!(
            h.may_act(Permission::UsersInvite, &member, Some("T9")),
            Err(Denied::Workspace("T9".into()))
        );
        let owner = user(&["T1"], UserType::Owner);
        assert_eq!(
            h.may_act(Permission::UsersSetExpiration, &owner, Some("T1")),
            Err(Denied::Owner)
        );
        let regional = caller(role(
            r#"
            name = "regional"
            permissions = ["users.read", "users.set_role", "users.remove"]
            workspaces = ["T1"]
            "#,
        ));
        assert_eq!(
            regional.may_act(Permission::UsersRemove, &owner, Some("T1")),
            Err(Denied::Owner),
            "even when every workspace the owner is on is covered"
        );

        let admin = caller(role(
            r#"
            name = "org-admin"
            permissions = ["users.read", "users.set_role", "users.remove"]
            workspaces = "all"
            "#,
        ));
        assert_eq!(
            admin.may_act(Permission::UsersRemove, &owner, Some("T1")),
            Ok(())
        );
    }

    #[test]
    fn first_matching_role_wins() {
        let roles = vec![
            role(
                r#"name = "a"
permissions = ["users.read"]
emails = ["Pat@Example.com"]"#,
            ),
            role(
                r#"name = "b"
permissions = ["users.read"]
groups = ["staff"]"#,
            ),
        ];
        assert_eq!(
            role_for(&roles, "pat@example.com", &["staff".into()])
                .unwrap()
                .name,
            "a"
        );
        assert_eq!(
            role_for(&roles, "sam@example.com", &["staff".into()])
                .unwrap()
                .name,
            "b"
        );
        assert!(role_for(&roles, "sam@example.com", &[]).is_none());
    }

    #[test]
    fn bad_roles_are_refused_with_the_key() {
        let bad = vec![role(
            r#"name = "x"
permissions = ["users.remove"]"#,
        )];
        let err = validate_roles(&bad).unwrap_err().to_string();
        assert!(err.starts_with("roles[0]:"), "{err}");
        let unknown: Result<RoleConfig, _> = toml::from_str(
            r#"name = "x"
permissions = ["users.everything"]"#,
        );
        assert!(unknown.is_err());
    }
}
