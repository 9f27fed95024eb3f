//! Reactivate a deactivated account, optionally with a new email address (SCIM
//! `PATCH /Users/{id}` with `active: true`).

use roster_api::{Field, Operation, Permission, UserStatus};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, Tense, Touched, name_of, scim_user, valid_email};
use crate::{
    core::Core,
    directory::{self, DirUser},
    error::AppError,
    sentence,
    slack::{SlackError, SlackMethod, scim::ScimReactivate},
};

/// Bringing an account back.
#[derive(Debug, Clone, Serialize)]
pub struct Reactivate {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Change for Reactivate {
    const ACTION: &'static str = "reactivate";
    const PERMISSION: Permission = Permission::UsersReactivate;
    type Call = ScimReactivate;

    fn names(&self) -> Names<'_> {
        Names::account(&self.user)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::ScimPatchUser
    }

    fn touched(&self) -> Touched<'_> {
        Touched::Account
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, ScimReactivate), AppError> {
        let person = person.expect("reactivation acts on a person");
        if person.summary.status != UserStatus::Deactivated {
            return Err(AppError::invalid("user", "This account is already active."));
        }
        // An address given blank means none; the address is kept as Slack will know it.
        let email = self
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        if email.is_some() && ctx.caller.hides(Field::Email) {
            // Whether an address is taken would tell a role that does not see addresses
            // who has one.
            return Err(AppError::invalid(
                "email",
                "Your role does not show email addresses, so it cannot set one.",
            ));
        }
        if let Some(email) = &email {
            if !valid_email(email) {
                return Err(AppError::invalid(
                    "email",
                    "That email address is not valid.",
                ));
            }
            let current = person.summary.email.as_deref().map(str::to_lowercase);
            if current.as_deref() != Some(email.as_str())
                && let Some(other) = ctx.state.directory.find_email(email)
                && other.summary.id != self.user
            {
                return Err(AppError::invalid(
                    "email",
                    "Another account in the org already uses that address.",
                ));
            }
        }
        let resolved = Reactivate {
            user: self.user.clone(),
            email,
        };
        let call = ScimReactivate {
            id: self.user.clone(),
            email: resolved.email.clone(),
        };
        Ok((resolved, call))
    }

    fn describe(&self, _: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let verb = tense.pick("Will reactivate", "Reactivated");
        let name = name_of(person);
        let address = self
            .email
            .as_ref()
            .map(|e| {
                sentence::given(
                    Field::Email,
                    &format!(" with the email address {}", sentence::plain(e)),
                    " with a new email address",
                )
            })
            .unwrap_or_default();
        format!(
            "{verb} {name}'s account{address}: they can sign in again, but are not put back in \
             their channels."
        )
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            state.directory.apply(
                &self.user,
                directory::Change::Reactivated {
                    email: self.email.clone(),
                },
            )
        })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            let user = scim_user(state, &self.user).await?;
            let email_matches = self.email.as_deref().is_none_or(|wanted| {
                user.primary_email()
                    .is_some_and(|e| e.eq_ignore_ascii_case(wanted))
            });
            Ok(user.active && email_matches)
        })
    }

    fn into_operation(self) -> Operation {
        Operation::Reactivate {
            user: self.user,
            email: self.email,
        }
    }
}
