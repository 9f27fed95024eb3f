//! Add a person to another workspace (`admin.users.assign`).

use roster_api::{GuestType, Operation, Permission, UserType};
use serde::Serialize;

use super::{
    Boxed, Change, Ctx, Names, Tense, Touched, check_channels, guest_flags, guest_of, guest_role,
    name_of, teams_of,
};
use crate::{
    core::Core,
    directory::{self, DirUser},
    error::AppError,
    slack::{SlackError, SlackMethod, methods::AdminUsersAssign},
};

/// Adding someone to a workspace; a guest stays a guest there.
#[derive(Debug, Clone, Serialize)]
pub struct Assign {
    pub user: String,
    pub workspace: String,
    pub channels: Vec<String>,
}

impl Change for Assign {
    const ACTION: &'static str = "assign";
    const PERMISSION: Permission = Permission::UsersAssign;
    type Call = AdminUsersAssign;

    fn names(&self) -> Names<'_> {
        Names::user_on(&self.user, &self.workspace)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminUsersAssign
    }

    fn touched(&self) -> Touched<'_> {
        // Adding someone to a workspace gives them its default channels.
        Touched::Channels(&self.workspace)
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, AdminUsersAssign), AppError> {
        let person = person.expect("assign acts on a person");
        let guest: Option<GuestType> = guest_of(person.summary.user_type);
        ctx.check_workspace(&self.workspace)?;
        if person.summary.user_type == UserType::Bot {
            return Err(AppError::invalid(
                "workspace",
                "Bots cannot be added to workspaces here.",
            ));
        }
        if person.summary.is_on(&self.workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This person is already on that workspace.",
            ));
        }
        check_channels(
            &self.channels,
            guest,
            guest == Some(GuestType::SingleChannel),
        )?;
        let (is_restricted, is_ultra_restricted) = guest_flags(guest);
        let call = AdminUsersAssign {
            team_id: self.workspace.clone(),
            user_id: self.user.clone(),
            channel_ids: (!self.channels.is_empty()).then(|| self.channels.join(",")),
            is_restricted,
            is_ultra_restricted,
        };
        Ok((self.clone(), call))
    }

    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let verb = tense.pick("Will add", "Added");
        format!(
            "{verb} {} to {}.",
            name_of(person),
            ctx.workspace_name(&self.workspace)
        )
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            let dir = &state.directory;
            // A guest is a guest on every workspace: the role Slack gives them there.
            let role = guest_role(
                dir.get(&self.user)
                    .and_then(|u| guest_of(u.summary.user_type)),
            );
            dir.apply(
                &self.user,
                directory::Change::Assigned {
                    workspace: self.workspace.clone(),
                    role,
                },
            )
        })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            Ok(teams_of(state, &self.user)
                .await?
                .is_some_and(|teams| teams.contains(&self.workspace)))
        })
    }

    fn into_operation(self) -> Operation {
        Operation::Assign {
            user: self.user,
            workspace: self.workspace,
            channels: self.channels,
        }
    }
}
