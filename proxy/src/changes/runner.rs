//! The one runner of every change: the order of checks, the scope rule, the audit trail,
//! the pace, the Slack call and the directory update, written once for every kind.

use roster_api::{ActionResult, AuditOutcome, Mode, Operation};
use serde_json::json;

use super::{Change, Ctx, Names, Person, Place, SlackCall, Tense};
use crate::{
    audit::{Intent, Recorded},
    core::Core,
    directory::DirUser,
    error::AppError,
    policy::{Caller, Denied},
    slack::{SlackError, messages},
};

/// How changes are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// A person's own request: it spends from their changes a minute.
    Person,
    /// A job's row: the job runs at Slack's pace, and dry runs have their own budget.
    Job,
}

/// Who makes changes, in which request.
pub struct Runner<'a> {
    pub state: &'a Core,
    pub caller: &'a Caller,
    /// Written into the audit log.
    pub request_id: String,
    pub pace: Pace,
    /// For a job's row: whether the replica still holds the job's lease, asked once the row
    /// has its turn at Slack's pace and again just before the call. Without it, nothing
    /// is recorded and Slack is not called.
    pub guard: Option<&'a (dyn Fn() -> bool + Sync)>,
}

impl std::fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("caller", &self.caller.email)
            .field("request_id", &self.request_id)
            .field("pace", &self.pace)
            .field("guarded", &self.guard.is_some())
            .finish()
    }
}

/// A change that passed every check, with the Slack request it will send and the person
/// as the role saw them. Only [`Runner::check`] makes one.
#[derive(Debug)]
pub struct Checked<C: Change> {
    change: C,
    call: C::Call,
    person: Option<DirUser>,
}

impl<C: Change> Checked<C> {
    /// What it would do, as the person asking may read it, and the operation made
    /// concrete (for a job row).
    pub fn verdict(self, runner: &Runner<'_>) -> (Operation, String) {
        let text = self
            .change
            .describe(&runner.ctx(), self.person.as_ref(), Tense::Will);
        (self.change.into_operation(), runner.render(&text))
    }
}

impl<'a> Runner<'a> {
    fn ctx(&self) -> Ctx<'a> {
        Ctx {
            state: self.state,
            caller: self.caller,
        }
    }

    /// A sentence about the runner's own change, as its caller may read it.
    pub fn render(&self, text: &str) -> String {
        let hides = |f| self.caller.hides(f);
        crate::sentence::Reader {
            hides: &hides,
            is_actor: true,
        }
        .render(text)
    }

    /// The answer to the caller's own change: its sentence as they may read it. (The
    /// sentence is stored as written, for every later reader.)
    pub fn answer(&self, mut result: ActionResult) -> ActionResult {
        result.message = self.render(&result.message);
        result
    }

    fn intent<'i, C: Change>(&'i self, change: &'i C) -> Intent<'i> {
        let names = change.names();
        Intent {
            request_id: &self.request_id,
            caller: self.caller,
            action: C::ACTION,
            target_user: Some(names.target()),
            workspace: names.workspace(),
            params: json!(change),
        }
    }

    /// Records a refusal (validation or policy) when `audit` is set, and returns it.
    async fn refuse<C: Change>(&self, change: &C, error: AppError, audit: bool) -> AppError {
        if !audit {
            return error;
        }
        let outcome = match error {
            AppError::Forbidden(_) => AuditOutcome::Denied,
            _ => AuditOutcome::Invalid,
        };
        if let Err(e) = self
            .state
            .audit
            .refused(&self.intent(change), outcome, &error.to_string())
            .await
        {
            return e.into();
        }
        error
    }

    /// Every check, in this order: the connection can write, the person's pace, the
    /// permission, the scope (the workspace named, then the person acted on, before
    /// anything that depends on data outside the role's workspaces), the kind's own
    /// validation and policy against the role's view of the person, and the role's rights
    /// over that person. Refusals are in the audit log when `audit` is set (a dry run
    /// records its refusals once, for the whole job).
    pub async fn check<C: Change>(&self, change: &C, audit: bool) -> Result<Checked<C>, AppError> {
        let state = self.state;
        if state.connection.mode != Mode::Admin {
            return Err(AppError::ReadOnly(
                state.connection.reason.clone().unwrap_or_else(|| {
                    "Roster is connected with a token that cannot make changes.".into()
                }),
            ));
        }
        // A person's own change is charged to their budget a minute by its method's tier.
        if self.pace == Pace::Person
            && let Err(e) = state
                .slack
                .charge_change(&self.caller.email, change.method())
                .await
        {
            return Err(AppError::TooManyWrites {
                retry_after: e.retry_after().unwrap_or(60),
            });
        }
        let refuse = |e: AppError| self.refuse(change, e, audit);
        if !self.caller.can(C::PERMISSION) {
            return Err(refuse(Denied::Permission(C::PERMISSION).into()).await);
        }
        if let Err(denied) = in_scope(self.caller, change.names()) {
            return Err(refuse(denied.into()).await);
        }
        let person = match change.names().person {
            Person::User(id) => match self.caller.user(&state.directory, id) {
                Ok(user) => Some(user),
                Err(e) => return Err(refuse(e.into()).await),
            },
            Person::Email(_) | Person::Request(_) => None,
        };
        let (resolved, call) = match change.check(&self.ctx(), person.as_ref()) {
            Ok(checked) => checked,
            Err(e) => return Err(refuse(e).await),
        };
        if let Some(person) = &person {
            let workspace = match resolved.names().place {
                Place::Workspace(w) => Some(w),
                Place::Org | Place::Unnamed => None,
            };
            if let Err(denied) = self.caller.may_act(C::PERMISSION, person, workspace) {
                return Err(refuse(denied.into()).await);
            }
        }
        Ok(Checked {
            change: resolved,
            call,
            person,
        })
    }

    /// Carries out a checked change: once it is its turn at Slack's pace, the intent is
    /// recorded, Slack is called, the directory learns the result at once, and the outcome
    /// is recorded.
    pub async fn execute<C: Change>(&self, checked: Checked<C>) -> Result<ActionResult, AppError> {
        let Checked {
            change,
            call,
            person,
        } = checked;
        let audit = &self.state.audit;
        // The intent is recorded (committed) when it is the change's turn to call Slack,
        // so a change waiting for Slack's pace leaves no record that could outlive it
        // unanswered, and one the storage will not record never reaches Slack.
        call.wait_turn(&self.state.slack).await?;
        let still_held = || self.guard.is_none_or(|holds| holds());
        if !still_held() {
            return Err(AppError::Superseded);
        }
        let id = audit.intent(&self.intent(&change)).await?;
        if !still_held() {
            // Recorded, never sent: the entry reads as unknown, and whoever runs the job
            // now checks with Slack before anything is tried again.
            return Err(AppError::Superseded);
        }
        let sent = call.send(&self.state.slack).await;
        // What Slack said about the person before may no longer hold, where the change
        // reached (a refused call changed nothing).
        if matches!(sent, Ok(()) | Err(SlackError::UnknownOutcome { .. })) {
            let target = change.names().target();
            self.state.live.forget(target, change.touched());
            if let Some(touched) = crate::feed::Forgotten::of(change.touched()) {
                self.state.share(crate::feed::Shared::Forget {
                    user: target.to_string(),
                    touched,
                });
            }
        }
        if let Err(error) = sent {
            let (outcome, message) = match &error {
                SlackError::Api { code, .. } => (
                    AuditOutcome::SlackError,
                    messages::describe(code).to_string(),
                ),
                SlackError::RateLimited { .. } => (
                    AuditOutcome::SlackError,
                    messages::describe("ratelimited").to_string(),
                ),
                SlackError::UnknownOutcome { .. } => (
                    AuditOutcome::Unknown,
                    "Slack did not confirm whether this happened.".to_string(),
                ),
                SlackError::Unavailable { .. } => (
                    AuditOutcome::SlackError,
                    "Slack could not be reached; nothing was changed.".to_string(),
                ),
                SlackError::Paced { .. } => (
                    AuditOutcome::SlackError,
                    "Slack's pace for this was taken by the calls ahead of it; nothing was \
                     changed."
                        .to_string(),
                ),
            };
            // A failed call changed nothing; if its outcome must wait to be recorded, it
            // waits (and the next change writes it first).
            let _ = audit.outcome(id, outcome, error.code(), &message).await;
            return Err(error.into());
        }
        let updated = change.apply(self.state).await;
        let mut message = change.describe(&self.ctx(), person.as_ref(), Tense::Did);
        let recorded = audit.outcome(id, AuditOutcome::Ok, None, &message).await;
        let record_pending = recorded == Recorded::Pending;
        if record_pending {
            message.push_str(
                " Slack made this change, but Roster could not write it to its audit log yet: \
                 its storage cannot be written. The record is kept and written before any other \
                 change is accepted.",
            );
        }
        Ok(ActionResult {
            user: self.shown(person.as_ref(), updated.as_ref()),
            message,
            audit_id: Some(id),
            record_pending,
        })
    }

    /// Checks a change and carries it out.
    pub async fn run<C: Change>(&self, change: &C) -> Result<ActionResult, AppError> {
        let checked = self.check(change, true).await?;
        self.execute(checked).await
    }

    /// The person as the role may see them after the change. A role that no longer sees
    /// them (it removed them from its last workspace) is shown what it saw, without its
    /// workspaces.
    fn shown(&self, before: Option<&DirUser>, after: Option<&DirUser>) -> roster_api::UserSummary {
        if let Some(summary) = after.and_then(|u| self.caller.summary(u)) {
            return summary;
        }
        let mut gone = before
            .or(after)
            .map(|u| self.caller.hide_fields(u.summary.clone()))
            .unwrap_or_else(empty_summary);
        gone.workspaces.clear();
        gone
    }
}

/// Scope first: the workspace a change names is one the role covers, before anything
/// that depends on data (whether the workspace exists, who is on it), so that outside the
/// scope every workspace ID gets the same refusal.
fn in_scope(caller: &Caller, names: Names<'_>) -> Result<(), Denied> {
    match names.place {
        Place::Workspace(w) if !w.is_empty() && !caller.covers(w) => {
            Err(Denied::Workspace(w.to_string()))
        }
        Place::Org if !caller.covers_all() => Err(Denied::WholeOrg),
        _ => Ok(()),
    }
}

fn empty_summary() -> roster_api::UserSummary {
    roster_api::UserSummary {
        id: String::new(),
        name: String::new(),
        username: String::new(),
        email: None,
        user_type: roster_api::UserType::Member,
        is_primary_owner: false,
        status: roster_api::UserStatus::Pending,
        workspaces: Vec::new(),
        has_2fa: None,
        has_sso: None,
        created: 0,
        expires: None,
        deactivated: None,
        last_active: None,
    }
}
