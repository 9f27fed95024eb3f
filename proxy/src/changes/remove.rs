//! Take a person off a workspace (`admin.users.remove`).

use roster_api::{Operation, Permission};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, Tense, Touched, name_of, teams_of};
use crate::{
    core::Core,
    directory::{self, DirUser},
    error::AppError,
    slack::{SlackError, SlackMethod, messages, methods::AdminUsersRemove},
};

/// Removing someone from a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Remove {
    pub user: String,
    pub workspace: String,
}

impl Change for Remove {
    const ACTION: &'static str = "remove";
    const PERMISSION: Permission = Permission::UsersRemove;
    type Call = AdminUsersRemove;

    fn names(&self) -> Names<'_> {
        Names::user_on(&self.user, &self.workspace)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminUsersRemove
    }

    fn touched(&self) -> Touched<'_> {
        // Leaving a workspace leaves its channels.
        Touched::Channels(&self.workspace)
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, AdminUsersRemove), AppError> {
        let person = person.expect("remove acts on a person");
        ctx.check_workspace(&self.workspace)?;
        if person.summary.is_primary_owner {
            return Err(AppError::invalid(
                "workspace",
                messages::describe("cannot_modify_primary_owner"),
            ));
        }
        if !person.summary.is_on(&self.workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This person is not on that workspace.",
            ));
        }
        let call = AdminUsersRemove {
            team_id: self.workspace.clone(),
            user_id: self.user.clone(),
        };
        Ok((self.clone(), call))
    }

    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let verb = tense.pick("Will remove", "Removed");
        format!(
            "{verb} {} from {}.",
            name_of(person),
            ctx.workspace_name(&self.workspace)
        )
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            state.directory.apply(
                &self.user,
                directory::Change::Removed {
                    workspace: self.workspace.clone(),
                },
            )
        })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            Ok(teams_of(state, &self.user)
                .await?
                .is_none_or(|teams| !teams.contains(&self.workspace)))
        })
    }

    fn into_operation(self) -> Operation {
        Operation::Remove {
            user: self.user,
            workspace: self.workspace,
        }
    }
}
