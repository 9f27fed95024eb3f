//! Bulk jobs: many operations checked up front, stored, and run at Slack's pace.
//!
//! A job's operations run in lanes, one per (kind, workspace): each lane is sequential and
//! waits on the Slack client's limiter for its method and workspace, so a job goes as fast as
//! Slack's documented tiers allow and no faster. Each operation goes through the same runner
//! as a single action ([`crate::changes::Runner`]): the creator's role is looked up again
//! and applied, and the audit log gets the same rows.
//!
//! An operation is marked `running` before its Slack call. After a restart, a `running`
//! operation's outcome is unknown; so is one Slack answered with `fatal_error`. Unknown
//! operations are checked against Slack (each kind's `happened`) before anything is
//! retried.
//!
//! One replica runs each job, under a lease ([`lease`]); any replica can create, steer and
//! follow a job ([`events`]). The parts: checking and creating jobs here, running them in
//! [`runner`], their rows in [`store`].

mod events;
pub mod lease;
mod runner;
mod store;

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use roster_api::{
    DryRun, JobDetail, JobOperation, JobRequest, JobState, JobSummary, MAX_JOB_OPERATIONS, Mode,
    OpState, Operation, OperationCheck,
};
use serde_json::json;
use tokio::sync::{broadcast, watch};

pub use events::{POLL, ends};
pub use store::{Creator, JobRow, JobStore, OpRow, OpUpdate};

use crate::{
    audit::Intent,
    changes::{self, Pace, Runner},
    core::Core,
    db::StorageError,
    error::AppError,
    policy::{Caller, Field, Permission, role_for},
    slack::SlackMethod,
    store::Fence,
};

/// Attempts before an operation that keeps failing to reach Slack is given up.
const MAX_ATTEMPTS: u32 = 5;
/// Calls older than this no longer weigh on any tier's bucket (a full bucket refills in a
/// minute), so a restart looks back this far.
const RECENT_CALLS_MS: i64 = 5 * 60 * 1000;
/// Longest job title.
const MAX_TITLE: usize = 120;
/// How long a job waits before trying again when the storage cannot be written.
const STORAGE_RETRY: Duration = Duration::from_secs(5);

/// A job this replica runs: its controls, its runner and its lease.
#[derive(Debug)]
struct Live {
    control: watch::Sender<JobState>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    lease: Arc<lease::Lease>,
}

/// Every job, stored, and the ones this replica runs.
#[derive(Debug)]
pub struct Jobs {
    store: JobStore,
    live: Mutex<HashMap<i64, Arc<Live>>>,
    /// This replica's readers of each job's events, woken when it records one.
    wakes: Mutex<HashMap<i64, broadcast::Sender<()>>>,
    /// This replica's name in the jobs' leases.
    replica: Arc<str>,
}

/// The name of the user `op` is about, if `caller` may see them in the directory (an
/// invitation is about an email, which the operation shows already).
pub(crate) fn user_name(state: &Core, caller: &Caller, op: &Operation) -> Option<String> {
    if matches!(op, Operation::Invite(_)) || !caller.can(Permission::UsersRead) {
        return None;
    }
    state
        .directory
        .get(op.target())
        .filter(|u| caller.sees(u))
        .map(|u| u.summary.name)
}

/// An operation of `job` as `caller` may read it: the user's name if they may see them, the
/// row's sentence rendered for their role, and, in someone else's job, the values their
/// role hides taken out of the operation.
pub(crate) fn shown(state: &Core, caller: &Caller, job: &JobRow, op: &mut JobOperation) {
    op.user_name = user_name(state, caller, &op.operation);
    let is_actor = job.creator.email.eq_ignore_ascii_case(&caller.email);
    let hides = |f| caller.hides(f);
    let reader = crate::sentence::Reader {
        hides: &hides,
        is_actor,
    };
    op.message = op.message.as_deref().map(|m| reader.render(m));
    if is_actor {
        return;
    }
    let mut hidden = Vec::new();
    if caller.hides(Field::Email) {
        let took = match &mut op.operation {
            Operation::Invite(r) => {
                r.email.clear();
                true
            }
            Operation::Reactivate { email, .. } => email.take().is_some(),
            _ => false,
        };
        if took {
            hidden.push(Field::Email);
        }
    }
    if caller.hides(Field::Expires) {
        // Whether a date is set or cleared is hidden too: the flag says so.
        let took = match &mut op.operation {
            Operation::Invite(r) => r.expires.take().is_some(),
            Operation::SetExpiration { expires, .. } => {
                *expires = None;
                true
            }
            _ => false,
        };
        if took {
            hidden.push(Field::Expires);
        }
    }
    op.hidden = hidden;
}

/// A job's summary as `caller` may read it: the title someone else wrote, without the
/// addresses in it for a role that does not see them.
pub(crate) fn shown_summary(caller: &Caller, job: &JobRow, summary: &mut JobSummary) {
    if caller.hides(Field::Email) && !job.creator.email.eq_ignore_ascii_case(&caller.email) {
        summary.title =
            crate::sentence::without_addresses(&summary.title, crate::sentence::HIDDEN_ADDRESS);
    }
}

/// The 404 for a job ID that is not in the store.
pub(crate) fn no_such_job() -> AppError {
    AppError::NotFound("There is no such job.".into())
}

/// Operations that share a lane share a rate-limit bucket: the Slack method they call, on
/// the workspace they name.
fn lane_of(op: &Operation) -> (SlackMethod, String) {
    let change = changes::of(op.clone());
    let workspace = change.names().workspace().unwrap_or_default().to_string();
    (change.method(), workspace)
}

/// The same change twice in one job: only the first counts. Ending two of a person's
/// sessions on one workspace is two changes.
fn duplicate_key(op: &Operation) -> String {
    let session = match op {
        Operation::EndSession { session, .. } => session.as_str(),
        _ => "",
    };
    format!(
        "{}|{}|{}|{session}",
        op.kind(),
        op.target().to_lowercase(),
        op.workspace().unwrap_or_default()
    )
}

/// The creator as they are now: their role is looked up again in the current configuration.
fn resolve_creator(state: &Core, creator: &Creator) -> Result<Caller, String> {
    let role = if state.roles_by_name {
        state.roles.iter().find(|r| r.name == creator.role)
    } else {
        role_for(&state.roles, &creator.email, &creator.groups)
    };
    role.map(|role| Caller {
        subject: creator.subject.clone(),
        email: creator.email.clone(),
        groups: creator.groups.clone(),
        role: role.clone(),
    })
    .ok_or_else(|| {
        format!(
            "{} no longer has a role in Roster, so this was not done.",
            creator.email
        )
    })
}

/// Whether the caller may change anything at all.
fn may_write(caller: &Caller) -> bool {
    Permission::WRITES.into_iter().any(|p| caller.can(p))
}

impl Jobs {
    pub fn new(store: JobStore) -> Self {
        Self {
            store,
            live: Mutex::new(HashMap::new()),
            wakes: Mutex::new(HashMap::new()),
            replica: lease::replica_id(),
        }
    }

    /// Jobs this replica runs now.
    pub fn leases_held(&self) -> usize {
        self.live.lock().unwrap().len()
    }

    /// This replica's name (in the jobs' leases and the replicas' feed).
    pub fn replica(&self) -> Arc<str> {
        self.replica.clone()
    }

    pub fn store(&self) -> &JobStore {
        &self.store
    }

    /// Checks every operation as the caller, without calling Slack or writing anything:
    /// the verdicts, and each passing operation made concrete (the workspace a guest's
    /// expiration is set on, resolved from the role's view), as the job will run it.
    async fn check_rows(
        &self,
        state: &Core,
        caller: &Caller,
        request: &JobRequest,
    ) -> Result<(DryRun, Vec<Option<Operation>>), AppError> {
        if !may_write(caller) {
            return Err(crate::policy::Denied::ReadOnlyRole.into());
        }
        if request.operations.is_empty() {
            return Err(AppError::invalid(
                "operations",
                "The job has no operations.",
            ));
        }
        if request.operations.len() > MAX_JOB_OPERATIONS {
            return Err(AppError::invalid(
                "operations",
                format!(
                    "A job holds at most {MAX_JOB_OPERATIONS} operations; this one has {}. Split it.",
                    request.operations.len()
                ),
            ));
        }
        if let Some(title) = &request.title
            && title.chars().count() > MAX_TITLE
        {
            return Err(AppError::invalid(
                "title",
                format!("At most {MAX_TITLE} characters."),
            ));
        }
        if state.connection.mode != Mode::Admin {
            return Err(AppError::ReadOnly(
                state.connection.reason.clone().unwrap_or_else(|| {
                    "Roster is connected with a token that cannot make changes.".into()
                }),
            ));
        }
        if !state
            .writes
            .allow_checks(&caller.email, request.operations.len())
            .await
        {
            return Err(AppError::TooManyChecks {
                per_minute: crate::budgets::CHECKED_ROWS_PER_MINUTE as usize,
            });
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut checks = Vec::with_capacity(request.operations.len());
        let mut resolved: Vec<Option<Operation>> = vec![None; request.operations.len()];
        let mut lanes: HashMap<(SlackMethod, String), usize> = HashMap::new();
        for (index, op) in request.operations.iter().enumerate() {
            let check = if let Some(first) = seen.get(&duplicate_key(op)) {
                OperationCheck {
                    index,
                    ok: false,
                    message: format!("The same change as row {} of this job.", first + 1),
                    field: None,
                    code: Some("duplicate".into()),
                    user_name: user_name(state, caller, op),
                }
            } else {
                seen.insert(duplicate_key(op), index);
                let runner = Runner {
                    state,
                    caller,
                    request_id: String::new(),
                    pace: Pace::Job,
                    guard: None,
                };
                match changes::of(op.clone()).dry_run(&runner).await {
                    Ok((concrete, message)) => {
                        resolved[index] = Some(concrete);
                        OperationCheck {
                            index,
                            ok: true,
                            message,
                            field: None,
                            code: None,
                            user_name: user_name(state, caller, op),
                        }
                    }
                    Err(e) => {
                        let (_, detail) = e.status_and_detail();
                        OperationCheck {
                            index,
                            ok: false,
                            message: detail.message,
                            field: detail.field,
                            code: Some(detail.code),
                            user_name: user_name(state, caller, op),
                        }
                    }
                }
            };
            if check.ok {
                *lanes.entry(lane_of(op)).or_default() += 1;
            }
            checks.push(check);
        }
        // The slowest lane sets the pace: a burst, then the steady rate.
        let estimated_seconds = lanes
            .iter()
            .map(|((method, _), n)| {
                let (burst, per_second) = state.slack.pace(*method);
                ((*n as f64 - burst).max(0.0) / per_second).ceil() as u64
            })
            .max()
            .unwrap_or(0);
        let ok = checks.iter().filter(|c| c.ok).count();
        let report = DryRun {
            failing: checks.len() - ok,
            ok,
            checks,
            estimated_seconds,
        };
        Ok((report, resolved))
    }

    /// Checks every operation as the caller, without calling Slack or writing anything.
    pub async fn check(
        &self,
        state: &Core,
        caller: &Caller,
        request: &JobRequest,
    ) -> Result<DryRun, AppError> {
        Ok(self.check_rows(state, caller, request).await?.0)
    }

    /// A dry run: [`Jobs::check`], with what it refused in the audit log (a dry run refused
    /// as a whole, or rows the role may not do), so that probing leaves a trace like any
    /// other request.
    pub async fn dry_run(
        &self,
        state: &Core,
        caller: &Caller,
        request_id: &str,
        request: &JobRequest,
    ) -> Result<DryRun, AppError> {
        let intent = Intent {
            request_id,
            caller,
            action: "dry_run",
            target_user: None,
            workspace: None,
            params: json!({ "operations": request.operations.len() }),
        };
        let report = match self.check(state, caller, request).await {
            Ok(report) => report,
            Err(error) => {
                let outcome = match error {
                    AppError::Invalid { .. } | AppError::Malformed(_) => {
                        roster_api::AuditOutcome::Invalid
                    }
                    _ => roster_api::AuditOutcome::Denied,
                };
                state
                    .audit
                    .refused(&intent, outcome, &error.to_string())
                    .await?;
                return Err(error);
            }
        };
        let refused: Vec<&OperationCheck> = report
            .checks
            .iter()
            .filter(|c| c.code.as_deref() == Some("forbidden"))
            .collect();
        if let Some(first) = refused.first() {
            let mut message = format!("Row {}: {}", first.index + 1, first.message);
            if refused.len() > 1 {
                message.push_str(&format!(
                    " And {} more rows the role may not do.",
                    refused.len() - 1
                ));
            }
            state
                .audit
                .refused(&intent, roster_api::AuditOutcome::Denied, &message)
                .await?;
        }
        Ok(report)
    }

    /// Creates a job from the operations that pass their checks (the others are stored as
    /// skipped, with the reason) and starts it. An operation the role may not do at all
    /// refuses the whole job.
    pub async fn create(
        self: &Arc<Self>,
        state: &Arc<Core>,
        caller: &Caller,
        request_id: &str,
        request: JobRequest,
    ) -> Result<JobDetail, AppError> {
        let (report, resolved) = self.check_rows(state, caller, &request).await?;
        if let Some(denied) = report
            .checks
            .iter()
            .find(|c| c.code.as_deref() == Some("forbidden"))
        {
            let message = format!("Row {}: {}", denied.index + 1, denied.message);
            state
                .audit
                .refused(
                    &Intent {
                        request_id,
                        caller,
                        action: "create_job",
                        target_user: None,
                        workspace: None,
                        params: json!({ "operations": request.operations.len() }),
                    },
                    roster_api::AuditOutcome::Denied,
                    &message,
                )
                .await?;
            return Err(AppError::ForbiddenJob(message));
        }
        if report.ok == 0 {
            let first = &report.checks[0];
            return Err(AppError::invalid(
                "operations",
                format!(
                    "None of the operations can run. Row {}: {}",
                    first.index + 1,
                    first.message
                ),
            ));
        }
        let title = request
            .title
            .as_deref()
            .map(|t| crate::sentence::plain(t.trim()).into_owned())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| {
                let kinds: HashSet<&str> =
                    request.operations.iter().map(Operation::label).collect();
                let mut kinds: Vec<&str> = kinds.into_iter().collect();
                kinds.sort_unstable();
                format!("{} ({} rows)", kinds.join(", "), request.operations.len())
            });
        let ops: Vec<(Operation, OpState, Option<String>)> = request
            .operations
            .into_iter()
            .zip(resolved)
            .zip(&report.checks)
            .map(|((op, concrete), check)| match concrete {
                Some(concrete) if check.ok => (concrete, OpState::Pending, None),
                _ => (op, OpState::Skipped, Some(check.message.clone())),
            })
            .collect();
        let id = self
            .store
            .create(&title, &Creator::from(caller), &ops)
            .await?;
        tracing::info!(job = id, operations = ops.len(), by = %caller.email, "job created");
        // Run here; if another replica is quicker, it runs there.
        self.claim(state, id).await;
        self.detail_for(state, caller, id)
            .await?
            .ok_or_else(|| AppError::Internal("The job was stored but cannot be read back.".into()))
    }

    /// The job and every operation, as `caller` may read them (see [`shown`]).
    pub async fn detail_for(
        &self,
        state: &Core,
        caller: &Caller,
        id: i64,
    ) -> Result<Option<JobDetail>, AppError> {
        let Some(job) = self.store.job(id).await? else {
            return Ok(None);
        };
        let mut summary = self.store.summary(&job).await?;
        shown_summary(caller, &job, &mut summary);
        let operations = self
            .store
            .operations(id)
            .await?
            .iter()
            .map(|op| {
                let mut op = op.to_api();
                shown(state, caller, &job, &mut op);
                op
            })
            .collect();
        Ok(Some(JobDetail {
            job: summary,
            operations,
        }))
    }

    pub async fn summary(&self, id: i64) -> Result<Option<JobSummary>, AppError> {
        match self.store.job(id).await? {
            Some(job) => Ok(Some(self.store.summary(&job).await?)),
            None => Ok(None),
        }
    }

    /// Pause, resume or cancel job `id`, from any replica: the stored state changes, and
    /// the replica running the job follows it (at once here, on its next heartbeat
    /// elsewhere).
    pub async fn control(
        self: &Arc<Self>,
        state: &Arc<Core>,
        id: i64,
        to: JobState,
    ) -> Result<JobSummary, AppError> {
        let job = self.store.job(id).await?.ok_or_else(no_such_job)?;
        let allowed = matches!(
            (job.state, to),
            (JobState::Running, JobState::Paused)
                | (JobState::Paused, JobState::Running)
                | (JobState::Running | JobState::Paused, JobState::Cancelled)
        );
        if !allowed {
            return Err(AppError::Conflict(format!(
                "The job is {}; it cannot be {} now.",
                job.state.label().to_lowercase(),
                match to {
                    JobState::Paused => "paused",
                    JobState::Running => "resumed",
                    _ => "cancelled",
                }
            )));
        }
        if to == JobState::Cancelled {
            // At once: what has not started never will.
            cancel_pending(&self.store, id, None).await?;
        } else {
            self.store.set_job_state(id, to).await?;
        }
        self.follow(state, id, to).await;
        let summary = self.summary(id).await?.ok_or_else(no_such_job)?;
        self.progress(id).await;
        Ok(summary)
    }

    /// Puts failed operations back in the queue (unknown ones are checked first) and runs the
    /// job again.
    pub async fn retry(
        self: &Arc<Self>,
        state: &Arc<Core>,
        id: i64,
    ) -> Result<JobSummary, AppError> {
        let job = self.store.job(id).await?.ok_or_else(no_such_job)?;
        if job.state == JobState::Running {
            return Err(AppError::Conflict(
                "The job is still running; retry its failed rows once it has finished.".into(),
            ));
        }
        let ops = self.store.operations(id).await?;
        let failed: Vec<&OpRow> = ops.iter().filter(|o| o.state == OpState::Failed).collect();
        let unknown = ops.iter().filter(|o| o.state == OpState::Unknown).count();
        if failed.is_empty() && unknown == 0 {
            return Err(AppError::Conflict(
                "The job has no failed rows to retry.".into(),
            ));
        }
        for op in failed {
            self.store
                .set_op(
                    id,
                    op.index,
                    OpState::Pending,
                    OpUpdate::default(),
                    Some(OpState::Failed),
                    None,
                )
                .await?;
        }
        self.store.set_job_state(id, JobState::Running).await?;
        self.follow(state, id, JobState::Running).await;
        self.summary(id).await?.ok_or_else(no_such_job)
    }

    /// After a job's stored state changed: the runner here follows at once; a job no
    /// replica runs is taken here.
    async fn follow(self: &Arc<Self>, state: &Arc<Core>, id: i64, to: JobState) {
        let live = self.live.lock().unwrap().get(&id).cloned();
        match live {
            Some(live) => {
                live.control.send_replace(to);
            }
            None if to == JobState::Running => {
                self.claim(state, id).await;
            }
            None => {}
        }
    }
}

/// Cancelling: what has not run is skipped (by the job's owner, under its lease, or by
/// the replica asked to cancel).
async fn cancel_pending(
    store: &JobStore,
    id: i64,
    fence: Option<Fence<'_>>,
) -> Result<(), StorageError> {
    store
        .move_ops(
            id,
            &[OpState::Pending],
            OpState::Skipped,
            Some("Cancelled before it ran."),
            fence,
        )
        .await?;
    store.set_job_state(id, JobState::Cancelled).await
}
