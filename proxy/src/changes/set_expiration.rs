//! Set or clear a guest's expiration on a workspace (`admin.users.setExpiration`).

use roster_api::{Operation, Permission};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, Person, Place, Tense, name_of};
use crate::{
    AppState,
    directory::{self, DirUser, unix_now},
    error::AppError,
    slack::{
        SlackError, SlackMethod, messages,
        methods::{AdminUsersGetExpiration, AdminUsersSetExpiration},
    },
};

/// A guest's expiration; without a workspace, the guest's only one (among those the role
/// covers); `None` clears it.
#[derive(Debug, Clone, Serialize)]
pub struct SetExpiration {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    pub expires: Option<i64>,
}

impl Change for SetExpiration {
    const ACTION: &'static str = "set_expiration";
    const PERMISSION: Permission = Permission::UsersSetExpiration;
    type Call = AdminUsersSetExpiration;

    fn names(&self) -> Names<'_> {
        Names {
            place: self
                .workspace
                .as_deref()
                .map_or(Place::Unnamed, Place::Workspace),
            person: Person::User(&self.user),
        }
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminUsersSetExpiration
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, AdminUsersSetExpiration), AppError> {
        let person = person.expect("an expiration is a person's");
        let workspaces = &person.summary.workspaces;
        let workspace = match &self.workspace {
            Some(w) => w.clone(),
            None if workspaces.len() == 1 => workspaces[0].clone(),
            None => String::new(),
        };
        if !person.summary.user_type.is_guest() {
            return Err(AppError::invalid(
                "expires",
                messages::describe("user_is_not_a_guest"),
            ));
        }
        if workspace.is_empty() {
            return Err(AppError::invalid(
                "workspace",
                "This guest is on several workspaces; choose one.",
            ));
        }
        ctx.check_workspace(&workspace)?;
        if !workspaces.contains(&workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This guest is not on that workspace.",
            ));
        }
        if let Some(ts) = self.expires
            && ts <= unix_now() + 60
        {
            return Err(AppError::invalid(
                "expires",
                "The expiration must be in the future.",
            ));
        }
        let call = AdminUsersSetExpiration {
            user_id: self.user.clone(),
            team_id: workspace.clone(),
            expiration_ts: self.expires.unwrap_or(0),
        };
        let resolved = SetExpiration {
            workspace: Some(workspace),
            ..self.clone()
        };
        Ok((resolved, call))
    }

    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let workspace = ctx.workspace_name(self.workspace.as_deref().unwrap_or_default());
        let name = name_of(person);
        match (tense, self.expires) {
            (Tense::Will, Some(_)) => format!("Will set {name}'s expiration on {workspace}."),
            (Tense::Will, None) => format!("Will remove {name}'s expiration on {workspace}."),
            (Tense::Did, Some(_)) => format!("Set {name}'s expiration on {workspace}."),
            (Tense::Did, None) => format!("Removed {name}'s expiration on {workspace}."),
        }
    }

    fn apply<'a>(&'a self, state: &'a AppState) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            let workspace = self.workspace.clone()?;
            state.directory.apply(
                &self.user,
                directory::Change::Expiration {
                    workspace,
                    expires: self.expires,
                },
            )
        })
    }

    fn happened<'a>(&'a self, state: &'a AppState) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            let Some(team) = self.workspace.clone() else {
                return Ok(false);
            };
            let reply = state
                .slack
                .send(&AdminUsersGetExpiration {
                    user_id: self.user.clone(),
                    target_team: team,
                })
                .await?;
            Ok(reply.expires() == self.expires)
        })
    }

    fn into_operation(self) -> Operation {
        Operation::SetExpiration {
            user: self.user,
            workspace: self.workspace,
            expires: self.expires,
        }
    }
}
