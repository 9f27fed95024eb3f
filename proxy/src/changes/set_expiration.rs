//! Set or clear a guest's expiration on a workspace (`admin.users.setExpiration`).

use roster_api::{MAX_EXTEND_DAYS, Operation, Permission};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, Person, Place, Tense, Touched, name_of};
use crate::{
    core::Core,
    directory::{self, DirUser, unix_now},
    error::AppError,
    policy::Field,
    sentence,
    slack::{
        SlackError, SlackMethod, messages,
        methods::{AdminUsersGetExpiration, AdminUsersSetExpiration},
    },
};

/// A guest's expiration; without a workspace, the guest's only one (among those the role
/// covers); `None` clears it. `extend_days` moves the current one later instead: checking
/// makes it a date.
#[derive(Debug, Clone, Serialize)]
pub struct SetExpiration {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    pub expires: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extend_days: Option<u32>,
}

/// "3 Jan 2027" (UTC).
fn utc_day(ts: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ts) {
        Ok(t) => {
            let month = t.month().to_string();
            format!("{} {} {}", t.day(), &month[..3], t.year())
        }
        Err(_) => ts.to_string(),
    }
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

    fn touched(&self) -> Touched<'_> {
        self.workspace
            .as_deref()
            .map_or(Touched::Nothing, Touched::Expiration)
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
            None if workspaces.len() == 1 => workspaces[0].to_string(),
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
        if !person.summary.is_on(&workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This guest is not on that workspace.",
            ));
        }
        let expires = match (self.expires, self.extend_days) {
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "extend_days",
                    "Give a date or a number of days to add, not both.",
                ));
            }
            (None, Some(days)) if !(1..=MAX_EXTEND_DAYS).contains(&days) => {
                return Err(AppError::invalid(
                    "extend_days",
                    format!("Add between 1 and {MAX_EXTEND_DAYS} days."),
                ));
            }
            // Counting from a date the role may not see would tell it that date.
            (None, Some(_)) if ctx.caller.hides(Field::Expires) => {
                return Err(AppError::invalid(
                    "extend_days",
                    "Your role does not see guests' expirations, so it cannot move one by a \
                     number of days: give the new date instead.",
                ));
            }
            // From the expiration on this workspace only; one already passed counts from now.
            (None, Some(days)) => {
                let now = unix_now();
                let from = person
                    .expires_on(&workspace)
                    .filter(|e| *e > now)
                    .unwrap_or(now);
                Some(from + i64::from(days) * 86_400)
            }
            (expires, None) => expires,
        };
        if let Some(ts) = expires
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
            expiration_ts: expires.unwrap_or(0),
        };
        let resolved = SetExpiration {
            workspace: Some(workspace),
            expires,
            extend_days: None,
            ..self.clone()
        };
        Ok((resolved, call))
    }

    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let team = self.workspace.as_deref().unwrap_or_default();
        let workspace = ctx.workspace_name(team);
        let name = name_of(person);
        // Old and new, so a dry run, a job row and the audit log show both. The old date is
        // Slack's: a role that hides expirations reads neither it nor whether there was
        // one. The new one is the date the person making the change gave (a role that
        // hides expirations gives a date, never a number of days from one it cannot see).
        let was = person.and_then(|p| p.expires_on(team));
        let (set, moved, remove, change) = (
            tense.pick("Will set", "Set"),
            tense.pick("Will move", "Moved"),
            tense.pick("Will remove", "Removed"),
            tense.pick("Will change", "Changed"),
        );
        // What a role that hides expirations reads: that the expiration changed, and only
        // what it gave itself (a date, or that there will be none); another reader of the
        // same role cannot tell a date set from one removed.
        let given = match self.expires {
            Some(new) => {
                sentence::given(Field::Expires, &format!(" to {} (UTC)", utc_day(new)), "")
            }
            None => sentence::given(
                Field::Expires,
                tense.pick(": it will no longer expire", ": it no longer expires"),
                "",
            ),
        };
        let without_old = format!("{change} {name}'s expiration on {workspace}{given}.");
        let full = match (self.expires, was) {
            (Some(new), Some(old)) => format!(
                "{moved} {name}'s expiration on {workspace} from {} to {} (UTC).",
                utc_day(old),
                utc_day(new)
            ),
            (Some(new), None) => format!(
                "{set} {name}'s expiration on {workspace} to {} (UTC); it had none.",
                utc_day(new)
            ),
            (None, Some(old)) => {
                format!(
                    "{remove} {name}'s expiration on {workspace} (was {}).",
                    utc_day(old)
                )
            }
            (None, None) => format!("{remove} {name}'s expiration on {workspace}; it had none."),
        };
        sentence::private(Field::Expires, &full, &without_old)
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
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

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
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
            extend_days: self.extend_days,
        }
    }
}
