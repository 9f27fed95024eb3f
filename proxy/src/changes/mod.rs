//! Every kind of change Roster makes in Slack, one file each, and the one runner that
//! carries any of them out: as a person's single action, as a dry run, and as a job row.
//!
//! A kind says, in its file: the permission it needs, the workspace and person it names,
//! how it is checked against the role's view of that person ([`Change::check`], which also
//! builds its typed Slack request), how a person reads it, how it updates the directory,
//! and how to tell after an unknown outcome whether it happened. Everything that holds for
//! every change (the order of checks, the scope rule, the audit trail, the pace, the
//! directory update) is in [`runner`]. Only a [`Checked`] change can be carried out, and
//! only the runner makes one, so a dry run cannot reach Slack.
//!
//! Adding a kind: see `docs/adding-a-change.md`.

mod assign;
mod end_session;
mod invite;
mod invite_requests;
mod offboard;
mod reactivate;
mod remove;
pub mod runner;
mod session_duration;
mod set_expiration;
mod set_role;
mod sign_out;

use std::{future::Future, pin::Pin};

use roster_api::{ActionResult, GuestType, Operation, Permission, UserType};
use serde::Serialize;

use crate::{
    core::Core,
    directory::DirUser,
    error::AppError,
    live::Touched,
    policy::Caller,
    slack::{
        SlackClient, SlackError, SlackMethod,
        methods::{Done, Method},
    },
};

pub use assign::Assign;
pub use end_session::EndSession;
pub use invite::{Invite, read_back_invite};
pub use invite_requests::{ApproveRequest, DenyRequest, guest_type};
pub use offboard::Offboard;
pub use reactivate::Reactivate;
pub use remove::Remove;
pub use runner::{Checked, Pace, Runner};
pub use session_duration::SetSessionDuration;
pub use set_expiration::SetExpiration;
pub use set_role::SetRole;
pub use sign_out::{SignOut, device_of, sessions_on};

/// The workspace a change names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// One workspace (team ID).
    Workspace(&'a str),
    /// The whole org, or what Slack keeps once for a person's whole account (their
    /// sessions everywhere, their session duration): only a role that covers every
    /// workspace may make it, as it reaches the person's workspaces beyond any narrower
    /// role (and their roles there).
    Org,
    /// None named: the kind resolves it from the person (a guest's only workspace).
    Unnamed,
}

/// The person a change acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person<'a> {
    /// Someone in the directory, by Slack user ID.
    User(&'a str),
    /// An email address (an invitation).
    Email(&'a str),
    /// A request for an invitation, by Slack's ID (`Ir…`).
    Request(&'a str),
}

/// What a change names, for the scope check that comes before anything else and for the
/// audit log.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    pub place: Place<'a>,
    pub person: Person<'a>,
}

impl<'a> Names<'a> {
    /// A person, by user ID, on one workspace.
    pub fn user_on(user: &'a str, workspace: &'a str) -> Self {
        Names {
            place: Place::Workspace(workspace),
            person: Person::User(user),
        }
    }

    /// The workspace column of the audit log and a job row.
    pub fn workspace(&self) -> Option<&'a str> {
        match self.place {
            Place::Workspace(w) => Some(w),
            Place::Org => Some(roster_api::ORG_WIDE),
            Place::Unnamed => None,
        }
    }

    /// The user ID, email or request ID the change is about.
    pub fn target(&self) -> &'a str {
        match self.person {
            Person::User(id) | Person::Email(id) | Person::Request(id) => id,
        }
    }

    /// A person, by user ID, across the whole org (their account).
    pub fn account(user: &'a str) -> Self {
        Names {
            place: Place::Org,
            person: Person::User(user),
        }
    }
}

/// Who is checking a change, against what.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub state: &'a Core,
    pub caller: &'a Caller,
}

impl Ctx<'_> {
    /// A workspace's name, or its ID when the directory does not know it.
    pub fn workspace_name(&self, id: &str) -> String {
        let name = self
            .state
            .directory
            .workspaces()
            .into_iter()
            .find(|w| w.id == id)
            .map_or_else(|| id.to_string(), |w| w.name);
        crate::sentence::plain(&name).into_owned()
    }

    /// A workspace the change names must exist (its scope was checked before).
    pub fn check_workspace(&self, team: &str) -> Result<(), AppError> {
        if team.is_empty() {
            return Err(AppError::invalid("workspace", "Choose a workspace."));
        }
        if !self.state.directory.has_workspace(team) {
            return Err(AppError::invalid(
                "workspace",
                "There is no such workspace in the org.",
            ));
        }
        Ok(())
    }
}

/// Whether a sentence describes what a dry run would do or what was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tense {
    /// "Will invite …"
    Will,
    /// "Invited …"
    Did,
}

impl Tense {
    /// The words for this tense.
    pub fn pick(self, will: &'static str, did: &'static str) -> &'static str {
        match self {
            Tense::Will => will,
            Tense::Did => did,
        }
    }
}

/// The Slack request a change sends.
pub trait SlackCall: Send + Sync {
    /// Waits for the request's rate-limit slot and takes it, or says when to try again.
    fn wait_turn<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>>;
    /// Sends it in that slot.
    fn send<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>>;
}

/// Every write method Slack answers with a bare `ok`.
impl<M: Method<Reply = Done>> SlackCall for M {
    fn wait_turn<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
        Box::pin(slack.wait_turn(self))
    }

    fn send<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
        Box::pin(async move { slack.send_in_turn(self).await.map(drop) })
    }
}

/// The SCIM requests changes send.
macro_rules! scim_call {
    ($($request:ty),*) => {
        $(impl SlackCall for $request {
            fn wait_turn<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
                Box::pin(slack.scim_wait_turn(self))
            }

            fn send<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
                Box::pin(async move { slack.scim_in_turn(self).await.map(drop) })
            }
        })*
    };
}

scim_call!(
    crate::slack::scim::ScimDeactivate,
    crate::slack::scim::ScimReactivate
);

/// A future a change kind returns.
pub type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One kind of change.
pub trait Change: Clone + Serialize + Send + Sync + Sized + 'static {
    /// Its name in the audit log and in job rows (`invite`, `assign`, …).
    const ACTION: &'static str;
    /// What a role needs to make it.
    const PERMISSION: Permission;
    /// The typed Slack request it sends.
    type Call: SlackCall;

    /// The workspace and person it names.
    fn names(&self) -> Names<'_>;

    /// The Slack method it calls: its lane and pace in a job.
    fn method(&self) -> SlackMethod;

    /// What it may change among the person's live parts, which are forgotten once Slack
    /// has done it (or may have).
    fn touched(&self) -> Touched<'_>;

    /// This kind's own validation and policy, against the role's view of the person (the
    /// runner has checked the mode, the permission and the scope). Returns the change made
    /// concrete (a workspace resolved from the person) and the Slack request.
    fn check(
        &self,
        ctx: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, Self::Call), AppError>;

    /// How a person reads it ("Will add Ada Lee to HQ." / "Added Ada Lee to HQ.").
    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String;

    /// Puts what Slack did into the directory at once; the person as they are now.
    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>>;

    /// After an unknown outcome: whether Slack shows it done (asked of Slack itself, so
    /// nothing is repeated blindly).
    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>>;

    /// As a job operation.
    fn into_operation(self) -> Operation;
}

/// Any change, for code that holds one without knowing its kind (jobs).
pub trait AnyChange: Send + Sync {
    fn action(&self) -> &'static str;
    fn method(&self) -> SlackMethod;
    fn names(&self) -> Names<'_>;
    /// Every check; on success the operation made concrete and what it would do.
    fn dry_run<'a>(
        &'a self,
        runner: &'a Runner<'a>,
    ) -> Boxed<'a, Result<(Operation, String), AppError>>;
    /// Checks and carries it out.
    fn run<'a>(&'a self, runner: &'a Runner<'a>) -> Boxed<'a, Result<ActionResult, AppError>>;
    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>>;
    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>>;
}

impl<C: Change> AnyChange for C {
    fn action(&self) -> &'static str {
        C::ACTION
    }

    fn method(&self) -> SlackMethod {
        Change::method(self)
    }

    fn names(&self) -> Names<'_> {
        Change::names(self)
    }

    fn dry_run<'a>(
        &'a self,
        runner: &'a Runner<'a>,
    ) -> Boxed<'a, Result<(Operation, String), AppError>> {
        Box::pin(async move {
            let checked = runner.check(self, false).await?;
            Ok(checked.verdict(runner))
        })
    }

    fn run<'a>(&'a self, runner: &'a Runner<'a>) -> Boxed<'a, Result<ActionResult, AppError>> {
        Box::pin(runner.run(self))
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Change::happened(self, state)
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Change::apply(self, state)
    }
}

/// The kinds of change, by [`Change::ACTION`]: the one place a new kind is registered.
pub const KINDS: [&str; 12] = [
    Invite::ACTION,
    Assign::ACTION,
    Remove::ACTION,
    SetRole::ACTION,
    SetExpiration::ACTION,
    Offboard::ACTION,
    Reactivate::ACTION,
    SignOut::ACTION,
    EndSession::ACTION,
    SetSessionDuration::ACTION,
    ApproveRequest::ACTION,
    DenyRequest::ACTION,
];

/// The change a job operation describes.
pub fn of(op: Operation) -> Box<dyn AnyChange> {
    match op {
        Operation::Invite(request) => Box::new(Invite(request)),
        Operation::Assign {
            user,
            workspace,
            channels,
        } => Box::new(Assign {
            user,
            workspace,
            channels,
        }),
        Operation::Remove { user, workspace } => Box::new(Remove { user, workspace }),
        Operation::SetRole {
            user,
            workspace,
            role,
        } => Box::new(SetRole {
            user,
            workspace,
            role,
        }),
        Operation::SetExpiration {
            user,
            workspace,
            expires,
            extend_days,
        } => Box::new(SetExpiration {
            user,
            workspace,
            expires,
            extend_days,
        }),
        Operation::Offboard { user } => Box::new(Offboard { user }),
        Operation::Reactivate { user, email } => Box::new(Reactivate { user, email }),
        Operation::SignOut { user, devices } => Box::new(SignOut { user, devices }),
        Operation::EndSession {
            user,
            workspace,
            session,
        } => Box::new(EndSession {
            user,
            workspace,
            session,
        }),
        Operation::SetSessionDuration { user, duration } => {
            Box::new(SetSessionDuration { user, duration })
        }
        Operation::ApproveRequest { request, workspace } => {
            Box::new(ApproveRequest { request, workspace })
        }
        Operation::DenyRequest {
            request,
            workspace,
            reason,
        } => Box::new(DenyRequest {
            request,
            workspace,
            reason,
        }),
    }
}

// ---- What several kinds check ----

pub use crate::directory::valid_email;

fn valid_channel_id(id: &str) -> bool {
    id.len() >= 3
        && id.starts_with(['C', 'G'])
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Channel IDs a change gives: well formed, at least one when `required`, exactly one for
/// a single-channel guest.
fn check_channels(
    channels: &[String],
    guest: Option<GuestType>,
    required: bool,
) -> Result<(), AppError> {
    if required && channels.is_empty() {
        return Err(AppError::invalid(
            "channels",
            "Choose at least one channel.",
        ));
    }
    if let Some(bad) = channels.iter().find(|c| !valid_channel_id(c)) {
        return Err(AppError::invalid(
            "channels",
            format!("{bad:?} is not a channel ID."),
        ));
    }
    if guest == Some(GuestType::SingleChannel) && channels.len() != 1 {
        return Err(AppError::invalid(
            "channels",
            "A single-channel guest gets exactly one channel.",
        ));
    }
    Ok(())
}

/// The guest kind of an account type.
fn guest_of(t: UserType) -> Option<GuestType> {
    match t {
        UserType::MultiChannelGuest => Some(GuestType::MultiChannel),
        UserType::SingleChannelGuest => Some(GuestType::SingleChannel),
        _ => None,
    }
}

/// The role on a workspace that a guest kind (or none) gives.
fn guest_role(guest: Option<GuestType>) -> roster_api::WorkspaceRole {
    use roster_api::WorkspaceRole;
    match guest {
        Some(GuestType::MultiChannel) => WorkspaceRole::MultiChannelGuest,
        Some(GuestType::SingleChannel) => WorkspaceRole::SingleChannelGuest,
        None => WorkspaceRole::Member,
    }
}

/// `is_restricted` / `is_ultra_restricted` for a guest kind.
fn guest_flags(guest: Option<GuestType>) -> (Option<bool>, Option<bool>) {
    match guest {
        Some(GuestType::MultiChannel) => (Some(true), None),
        Some(GuestType::SingleChannel) => (None, Some(true)),
        None => (None, None),
    }
}

/// "a regular member", "an admin".
fn article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// The person's name, for sentences.
fn name_of(person: Option<&DirUser>) -> std::borrow::Cow<'_, str> {
    person.map_or("this person".into(), |p| {
        crate::sentence::plain(&p.summary.name)
    })
}

/// A person's account as SCIM has it (whether it is active, its address): what tells
/// whether a deactivation or reactivation whose outcome was unknown happened.
async fn scim_user(state: &Core, user: &str) -> Result<crate::slack::scim::ScimUser, SlackError> {
    state
        .slack
        .scim(&crate::slack::scim::ScimGetUser {
            id: user.to_string(),
        })
        .await
}

/// The teams of a user object, from `users.info` (an org admin token lists them).
async fn teams_of(state: &Core, user: &str) -> Result<Option<Vec<String>>, SlackError> {
    use crate::slack::methods::UsersInfo;
    match state
        .slack
        .send(&UsersInfo {
            user: user.to_string(),
        })
        .await
    {
        Ok(reply) => Ok(reply
            .user
            .map(|u| u.enterprise_user.map(|e| e.teams).unwrap_or_default())),
        Err(SlackError::Api { code, .. }) if code == "user_not_found" => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_channels() {
        assert!(valid_email("pat@agency.example"));
        for bad in [
            "",
            "pat",
            "pat@",
            "@x.example",
            "pat@x",
            "pat@x..example",
            "p at@x.example",
            "a@b@c.example",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert!(valid_channel_id("C0ABC123"));
        assert!(!valid_channel_id("general"));
        assert!(check_channels(&[], None, true).is_err());
        assert!(
            check_channels(
                &["C1A".into(), "C2B".into()],
                Some(GuestType::SingleChannel),
                true
            )
            .is_err()
        );
        assert!(check_channels(&["C1A".into()], Some(GuestType::SingleChannel), true).is_ok());
        assert_eq!(article("admin"), "an admin");
        assert_eq!(article("regular member"), "a regular member");
    }

    #[test]
    fn every_kind_is_registered_once() {
        let unique: std::collections::BTreeSet<&str> = KINDS.into_iter().collect();
        assert_eq!(unique.len(), KINDS.len());
    }
}
