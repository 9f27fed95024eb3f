//! Offboard a person: deactivate their account on the whole org, which ends every session
//! (SCIM `DELETE /Users/{id}`, the documented way; the Web API's `admin.users.deactivate`
//! is too new to depend on).

use roster_api::{Operation, Permission, UserStatus, UserType, WorkspaceRole};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, Tense, Touched, name_of, scim_user};
use crate::{
    core::Core,
    directory::{self, DirUser, unix_now},
    error::AppError,
    policy::{Denied, Field},
    sentence,
    slack::{SlackError, SlackMethod, messages, scim::ScimDeactivate},
};

/// Deactivating someone's account everywhere.
#[derive(Debug, Clone, Serialize)]
pub struct Offboard {
    pub user: String,
}

/// Whether a person holds an owner's or admin's role anywhere.
fn is_admin(person: &DirUser) -> bool {
    matches!(person.summary.user_type, UserType::Owner | UserType::Admin)
        || person
            .memberships
            .iter()
            .any(|m| matches!(m.role, WorkspaceRole::Owner | WorkspaceRole::Admin))
}

impl Change for Offboard {
    const ACTION: &'static str = "offboard";
    const PERMISSION: Permission = Permission::UsersDeactivate;
    type Call = ScimDeactivate;

    fn names(&self) -> Names<'_> {
        Names::account(&self.user)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::ScimDeleteUser
    }

    fn touched(&self) -> Touched<'_> {
        Touched::Account
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, ScimDeactivate), AppError> {
        let person = person.expect("offboarding acts on a person");
        if person.summary.is_primary_owner {
            return Err(AppError::invalid(
                "user",
                messages::describe("cannot_disable_primary_owner"),
            ));
        }
        if person.summary.user_type == UserType::Bot {
            return Err(AppError::invalid(
                "user",
                messages::describe("cannot_disable_bot_user_with_scim"),
            ));
        }
        if person.summary.status == UserStatus::Deactivated {
            return Err(AppError::invalid(
                "user",
                "This account is already deactivated.",
            ));
        }
        if is_admin(person) && !ctx.caller.can(Permission::UsersDeactivateAdmins) {
            return Err(Denied::Permission(Permission::UsersDeactivateAdmins).into());
        }
        let call = ScimDeactivate {
            id: self.user.clone(),
        };
        Ok((self.clone(), call))
    }

    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let name = name_of(person);
        let workspaces: Vec<String> = person
            .map(|p| {
                p.summary
                    .workspaces
                    .iter()
                    .map(|w| ctx.workspace_name(w))
                    .collect()
            })
            .unwrap_or_default();
        let mut text = match tense {
            Tense::Will => format!(
                "Will deactivate {name}'s account on the whole org and sign them out of every device"
            ),
            Tense::Did => format!(
                "Deactivated {name}'s account on the whole org and signed them out of every device"
            ),
        };
        if !workspaces.is_empty() {
            text.push_str(&format!(
                "; {} {} {}",
                tense.pick("they will leave", "they left"),
                list(&workspaces),
                plural(workspaces.len(), "workspace", "workspaces"),
            ));
        }
        let expiring: Vec<String> = person
            .map(|p| {
                p.memberships
                    .iter()
                    .filter(|m| m.expires.is_some())
                    .map(|m| ctx.workspace_name(&m.workspace))
                    .collect()
            })
            .unwrap_or_default();
        // Whether a guest has an expiration is for roles that see expirations.
        if !expiring.is_empty() {
            text.push_str(&sentence::private(
                Field::Expires,
                &format!(
                    ", and their guest expiration on {} {}",
                    list(&expiring),
                    tense.pick("will no longer apply", "no longer applies"),
                ),
                "",
            ));
        }
        text.push('.');
        text
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            state.directory.apply(
                &self.user,
                directory::Change::Deactivated { at: unix_now() },
            )
        })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move { Ok(!scim_user(state, &self.user).await?.active) })
    }

    fn into_operation(self) -> Operation {
        Operation::Offboard { user: self.user }
    }
}

/// "HQ", "HQ and Eng", "HQ, Eng and Sales".
pub(super) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The singular or plural noun for a count.
pub(super) fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(list(&[]), "");
        assert_eq!(list(&["HQ".into()]), "HQ");
        assert_eq!(
            list(&["HQ".into(), "Eng".into(), "Sales".into()]),
            "HQ, Eng and Sales"
        );
        assert_eq!(plural(2, "workspace", "workspaces"), "workspaces");
    }
}
