//! Make a person an admin, an owner or a regular member, on one workspace or across the
//! org (`admin.users.setAdmin`, `setOwner`, `setRegular`).

use roster_api::{ORG_WIDE, Operation, Permission, Role, UserType, WorkspaceRole};
use serde::Serialize;

use super::{
    Boxed, Change, Ctx, Names, Person, Place, SlackCall, Tense, Touched, article, name_of,
};
use crate::{
    core::Core,
    directory::{self, DirUser},
    error::AppError,
    slack::{
        SlackClient, SlackError, SlackMethod, messages,
        methods::{
            AdminUsersList, AdminUsersSetAdmin, AdminUsersSetOwner, AdminUsersSetRegular, UsersInfo,
        },
    },
};

/// A new role, on one workspace or org-wide (`workspace` = `"org"`).
#[derive(Debug, Clone, Serialize)]
pub struct SetRole {
    pub user: String,
    pub workspace: String,
    pub role: Role,
}

/// The one of Slack's three methods a role change calls.
#[derive(Debug)]
pub enum RoleCall {
    Admin(AdminUsersSetAdmin),
    Owner(AdminUsersSetOwner),
    Regular(AdminUsersSetRegular),
}

impl SlackCall for RoleCall {
    fn wait_turn<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
        match self {
            RoleCall::Admin(r) => r.wait_turn(slack),
            RoleCall::Owner(r) => r.wait_turn(slack),
            RoleCall::Regular(r) => r.wait_turn(slack),
        }
    }

    fn send<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
        match self {
            RoleCall::Admin(r) => r.send(slack),
            RoleCall::Owner(r) => r.send(slack),
            RoleCall::Regular(r) => r.send(slack),
        }
    }
}

impl SetRole {
    /// The role on a workspace this change gives.
    fn workspace_role(&self) -> WorkspaceRole {
        match self.role {
            Role::Admin => WorkspaceRole::Admin,
            Role::Owner => WorkspaceRole::Owner,
            Role::Regular => WorkspaceRole::Member,
        }
    }

    fn org_wide(&self) -> bool {
        self.workspace == ORG_WIDE
    }

    fn place(&self, ctx: &Ctx<'_>) -> String {
        if self.org_wide() {
            "across the org".to_string()
        } else {
            format!("on {}", ctx.workspace_name(&self.workspace))
        }
    }
}

impl Change for SetRole {
    const ACTION: &'static str = "set_role";
    const PERMISSION: Permission = Permission::UsersSetRole;
    type Call = RoleCall;

    fn names(&self) -> Names<'_> {
        Names {
            place: if self.org_wide() {
                Place::Org
            } else {
                Place::Workspace(&self.workspace)
            },
            person: Person::User(&self.user),
        }
    }

    fn method(&self) -> SlackMethod {
        match self.role {
            Role::Admin => SlackMethod::AdminUsersSetAdmin,
            Role::Owner => SlackMethod::AdminUsersSetOwner,
            Role::Regular => SlackMethod::AdminUsersSetRegular,
        }
    }

    fn touched(&self) -> Touched<'_> {
        // A role is the directory's, not a live part.
        Touched::Nothing
    }

    fn check(&self, ctx: &Ctx<'_>, person: Option<&DirUser>) -> Result<(Self, RoleCall), AppError> {
        let person = person.expect("a role change acts on a person");
        if !self.org_wide() {
            ctx.check_workspace(&self.workspace)?;
            if !person.summary.is_on(&self.workspace) {
                return Err(AppError::invalid(
                    "workspace",
                    "This person is not on that workspace.",
                ));
            }
            if person.role_on(&self.workspace) == Some(self.workspace_role()) {
                return Err(AppError::invalid(
                    "role",
                    format!(
                        "This person is already {} on that workspace.",
                        article(self.role.label())
                    ),
                ));
            }
        }
        if person.summary.user_type == UserType::Bot {
            return Err(AppError::invalid("role", "A bot's role cannot be changed."));
        }
        if person.summary.is_primary_owner {
            return Err(AppError::invalid(
                "role",
                messages::describe("cannot_modify_primary_owner"),
            ));
        }
        if person.summary.user_type.is_guest() && self.role != Role::Regular {
            return Err(AppError::invalid(
                "role",
                "A guest must be made a regular member before becoming an admin or owner.",
            ));
        }
        let team_id = if self.org_wide() {
            ctx.state.connection.org_id.clone()
        } else {
            self.workspace.clone()
        };
        let user_id = self.user.clone();
        let call = match self.role {
            Role::Admin => RoleCall::Admin(AdminUsersSetAdmin { team_id, user_id }),
            Role::Owner => RoleCall::Owner(AdminUsersSetOwner { team_id, user_id }),
            Role::Regular => RoleCall::Regular(AdminUsersSetRegular { team_id, user_id }),
        };
        Ok((self.clone(), call))
    }

    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let role = article(self.role.label());
        let place = self.place(ctx);
        // What they were there, so the audit log keeps the change both ways.
        let was = person
            .filter(|_| !self.org_wide())
            .and_then(|p| p.role_on(&self.workspace))
            .map(|r| format!(" (was {})", article(&r.label().to_lowercase())))
            .unwrap_or_default();
        match tense {
            Tense::Will => format!("Will make {} {role} {place}{was}.", name_of(person)),
            Tense::Did => format!("{} is now {role} {place}{was}.", name_of(person)),
        }
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            let role = self.workspace_role();
            state.directory.apply(
                &self.user,
                directory::Change::Role {
                    workspace: (!self.org_wide()).then(|| self.workspace.clone()),
                    role,
                },
            )
        })
    }

    /// Org-wide: the org role in `users.info`'s `enterprise_user`; on a workspace: the
    /// person's row in that workspace's `admin.users.list`.
    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            let (admin, owner) = if self.org_wide() {
                let info = UsersInfo {
                    user: self.user.clone(),
                };
                let user = match state.slack.send(&info).await {
                    Ok(reply) => reply.user,
                    Err(SlackError::Api { code, .. }) if code == "user_not_found" => None,
                    Err(e) => return Err(e),
                };
                let Some(org) = user.and_then(|u| u.enterprise_user) else {
                    return Ok(false);
                };
                (org.is_admin, org.is_owner)
            } else {
                let listing = AdminUsersList {
                    limit: 1000,
                    cursor: None,
                    team_id: Some(self.workspace.clone()),
                    is_active: None,
                };
                let mut found = None;
                state
                    .slack
                    .each_page(listing, |page| {
                        if found.is_none() {
                            found = page.users.into_iter().find(|u| u.id == self.user);
                        }
                    })
                    .await?;
                let Some(row) = found else {
                    return Ok(false);
                };
                (row.is_admin, row.is_owner)
            };
            Ok(match self.role {
                Role::Owner => owner,
                Role::Admin => admin && !owner,
                Role::Regular => !admin,
            })
        })
    }

    fn into_operation(self) -> Operation {
        Operation::SetRole {
            user: self.user,
            workspace: self.workspace,
            role: self.role,
        }
    }
}
