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

mod store;

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use roster_api::{
    DryRun, JobDetail, JobEvent, JobOperation, JobRequest, JobState, JobSummary,
    MAX_JOB_OPERATIONS, Mode, OpState, Operation, OperationCheck,
};
use serde_json::json;
use tokio::sync::{broadcast, watch};

pub use store::{Creator, JobRow, JobStore, OpRow, OpUpdate};

use crate::{
    AppState,
    audit::Intent,
    changes::{self, Pace, Runner},
    db::StorageError,
    error::AppError,
    policy::{Caller, Field, Permission, role_for},
    slack::{
        SlackError, SlackMethod,
        payer::{Payer, paid_by},
    },
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

/// A running job's controls and listeners.
#[derive(Debug)]
struct Live {
    control: watch::Sender<JobState>,
    events: broadcast::Sender<JobEvent>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Every job, stored and running.
#[derive(Debug)]
pub struct Jobs {
    store: JobStore,
    live: Mutex<HashMap<i64, Arc<Live>>>,
}

/// The name of the user `op` is about, if `caller` may see them in the directory (an
/// invitation is about an email, which the operation shows already).
pub(crate) fn user_name(state: &AppState, caller: &Caller, op: &Operation) -> Option<String> {
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
pub(crate) fn shown(state: &AppState, caller: &Caller, job: &JobRow, op: &mut JobOperation) {
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
        summary.title = crate::sentence::without_addresses(&summary.title, changes::HIDDEN_ADDRESS);
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
fn resolve_creator(state: &AppState, creator: &Creator) -> Result<Caller, String> {
    let role = if state.auth.is_dev() {
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
        }
    }

    pub fn store(&self) -> &JobStore {
        &self.store
    }

    /// Checks every operation as the caller, without calling Slack or writing anything:
    /// the verdicts, and each passing operation made concrete (the workspace a guest's
    /// expiration is set on, resolved from the role's view), as the job will run it.
    async fn check_rows(
        &self,
        state: &AppState,
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
        {
            return Err(AppError::TooManyChecks {
                per_minute: crate::middleware::CHECKED_ROWS_PER_MINUTE as usize,
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
        state: &AppState,
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
        state: &AppState,
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
        state: &AppState,
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
        self.start(state.clone(), id);
        self.detail_for(state, caller, id)
            .await?
            .ok_or_else(|| AppError::Internal("The job was stored but cannot be read back.".into()))
    }

    /// The job and every operation, as `caller` may read them (see [`shown`]).
    pub async fn detail_for(
        &self,
        state: &AppState,
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

    /// Live events of job `id` (none once it has ended).
    pub fn subscribe(&self, id: i64) -> Option<broadcast::Receiver<JobEvent>> {
        self.live
            .lock()
            .unwrap()
            .get(&id)
            .map(|l| l.events.subscribe())
    }

    /// After a restart: operations that were running have an unknown outcome; every
    /// unfinished job starts again (paused ones wait for resume).
    pub async fn resume_all(self: &Arc<Self>, state: &AppState) -> Result<usize, AppError> {
        let jobs = self.store.unfinished().await?;
        for job in &jobs {
            let moved = self
                .store
                .move_ops(
                    job.id,
                    &[OpState::Running],
                    OpState::Unknown,
                    Some("Roster stopped while this was running; it is checked with Slack before anything is retried."),
                )
                .await?;
            tracing::info!(
                job = job.id,
                unknown = moved,
                state = job.state.as_str(),
                "resuming job"
            );
            self.replay_recent_calls(state, job.id).await?;
            self.start(state.clone(), job.id);
        }
        Ok(jobs.len())
    }

    /// The calls job `id` made in the last few minutes before a restart, given to the
    /// limiter: Slack still counts them, so the resumed job starts at the pace Slack allows
    /// instead of spending a burst it has already used.
    async fn replay_recent_calls(&self, state: &AppState, id: i64) -> Result<(), AppError> {
        let now = store::now_ms();
        let mut lanes: HashMap<(SlackMethod, String), Vec<Duration>> = HashMap::new();
        for op in self.store.operations(id).await? {
            let age_ms = now - op.updated_at_ms;
            if op.attempts > 0 && (0..RECENT_CALLS_MS).contains(&age_ms) {
                lanes
                    .entry(lane_of(&op.operation))
                    .or_default()
                    .push(Duration::from_millis(age_ms as u64));
            }
        }
        for ((method, workspace), ages) in lanes {
            state.slack.replay_calls(method, &workspace, &ages);
        }
        Ok(())
    }

    /// Stops every runner at once (shutdown). Operations caught mid-call stay `running` and
    /// are checked on the next start.
    pub fn stop_all(&self) {
        for live in self.live.lock().unwrap().drain().map(|(_, l)| l) {
            if let Some(task) = live.task.lock().unwrap().take() {
                task.abort();
            }
        }
    }

    /// Pause, resume or cancel job `id`.
    pub async fn control(
        self: &Arc<Self>,
        state: &AppState,
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
            cancel_pending(&self.store, id).await?;
        } else {
            self.store.set_job_state(id, to).await?;
        }
        let live = self.live.lock().unwrap().get(&id).cloned();
        match live {
            Some(live) => {
                live.control.send_replace(to);
            }
            None if to == JobState::Cancelled => {}
            None => self.start(state.clone(), id),
        }
        let summary = self.summary(id).await?.ok_or_else(no_such_job)?;
        self.emit(id, JobEvent::Progress(summary.clone()));
        Ok(summary)
    }

    /// Puts failed operations back in the queue (unknown ones are checked first) and runs the
    /// job again.
    pub async fn retry(
        self: &Arc<Self>,
        state: &AppState,
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
                .set_op(id, op.index, OpState::Pending, OpUpdate::default())
                .await?;
        }
        self.store.set_job_state(id, JobState::Running).await?;
        let live = self.live.lock().unwrap().get(&id).cloned();
        match live {
            Some(live) => {
                live.control.send_replace(JobState::Running);
            }
            None => self.start(state.clone(), id),
        }
        self.summary(id).await?.ok_or_else(no_such_job)
    }

    fn emit(&self, id: i64, event: JobEvent) {
        if let Some(live) = self.live.lock().unwrap().get(&id) {
            let _ = live.events.send(event);
        }
    }

    async fn progress(&self, id: i64) {
        match self.summary(id).await {
            Ok(Some(summary)) => self.emit(id, JobEvent::Progress(summary)),
            Ok(None) => {}
            Err(e) => tracing::warn!(job = id, error = %e, "cannot read job progress"),
        }
    }

    /// Starts the runner of job `id` unless it is running already.
    fn start(self: &Arc<Self>, state: AppState, id: i64) {
        let mut live_jobs = self.live.lock().unwrap();
        if live_jobs.contains_key(&id) {
            return;
        }
        let (control, _) = watch::channel(JobState::Running);
        let (events, _) = broadcast::channel(1024);
        let live = Arc::new(Live {
            control,
            events,
            task: Mutex::new(None),
        });
        live_jobs.insert(id, live.clone());
        drop(live_jobs);
        let jobs = self.clone();
        let task = tokio::spawn(async move {
            loop {
                match jobs.run(&state, id).await {
                    Ok(()) => break,
                    // Nothing runs unrecorded: wait for the storage, then go on from where
                    // the job stood (a row caught between its call and its record is checked
                    // with Slack first).
                    Err(AppError::Storage(_)) => tokio::time::sleep(STORAGE_RETRY).await,
                    Err(e) => {
                        tracing::error!(job = id, error = %e, "job runner stopped");
                        break;
                    }
                }
            }
            jobs.progress(id).await;
            jobs.live.lock().unwrap().remove(&id);
        });
        *live.task.lock().unwrap() = Some(task);
    }

    /// Runs job `id` until every operation has ended, or it is cancelled.
    async fn run(self: &Arc<Self>, state: &AppState, id: i64) -> Result<(), AppError> {
        let Some(live) = self.live.lock().unwrap().get(&id).cloned() else {
            return Ok(());
        };
        // The stored state wins over the channel's initial value (a paused job stays paused).
        if let Some(job) = self.store.job(id).await?
            && job.state != *live.control.borrow()
        {
            live.control.send_replace(job.state);
        }
        // A row still `running` when this runner starts was caught between its Slack call
        // and its record (the storage failed, or Roster stopped): its outcome is unknown.
        self.store
            .move_ops(
                id,
                &[OpState::Running],
                OpState::Unknown,
                Some("Roster could not record how this ended; it is checked with Slack before anything is retried."),
            )
            .await?;
        let mut control = live.control.subscribe();
        loop {
            let job = self.store.job(id).await?.ok_or_else(no_such_job)?;
            let mut wanted = *control.borrow_and_update();
            // A cancel is stored before the runner is told: the stored one wins.
            if job.state == JobState::Cancelled {
                wanted = JobState::Cancelled;
            }
            match wanted {
                JobState::Cancelled => {
                    cancel_pending(&self.store, id).await?;
                    self.store.set_job_state(id, JobState::Cancelled).await?;
                    return Ok(());
                }
                JobState::Paused => {
                    self.progress(id).await;
                    if control.changed().await.is_err() {
                        return Ok(());
                    }
                    continue;
                }
                JobState::Running | JobState::Finished => {}
            }

            // Unknown outcomes first: check before anything is retried.
            let ops = self.store.operations(id).await?;
            let mut undecided = 0;
            for op in ops.iter().filter(|o| o.state == OpState::Unknown) {
                let settled = self.settle_unknown(state, &job, op);
                if !paid_by(Payer::job(&job.creator.email), settled).await? {
                    undecided += 1;
                }
            }
            let pending: Vec<OpRow> = self
                .store
                .operations(id)
                .await?
                .into_iter()
                .filter(|o| o.state == OpState::Pending)
                .collect();
            if pending.is_empty() {
                if undecided > 0 {
                    tracing::warn!(job = id, undecided, "job ends with unknown outcomes");
                }
                // Only a running job finishes: a cancel that landed meanwhile stays.
                self.store.finish(id).await?;
                tracing::info!(job = id, "job finished");
                return Ok(());
            }

            let mut lanes: HashMap<(SlackMethod, String), Vec<OpRow>> = HashMap::new();
            for op in pending {
                lanes.entry(lane_of(&op.operation)).or_default().push(op);
            }
            let runs = lanes.into_values().map(|ops| {
                let jobs = self.clone();
                let state = state.clone();
                let job = job.clone();
                let control = live.control.subscribe();
                async move { jobs.run_lane(&state, &job, ops, control).await }
            });
            for result in futures_util::future::join_all(runs).await {
                result?;
            }
            // Lanes stop early on pause or cancel; the loop decides what comes next.
        }
    }

    /// One lane's operations, in order.
    async fn run_lane(
        &self,
        state: &AppState,
        job: &JobRow,
        ops: Vec<OpRow>,
        mut control: watch::Receiver<JobState>,
    ) -> Result<(), AppError> {
        for op in ops {
            let wanted = *control.borrow_and_update();
            if wanted != JobState::Running {
                return Ok(());
            }
            // In the lane, the row waits its turn as its creator's.
            paid_by(Payer::job(&job.creator.email), self.run_op(state, job, &op)).await?;
        }
        Ok(())
    }

    async fn run_op(&self, state: &AppState, job: &JobRow, op: &OpRow) -> Result<(), AppError> {
        let store = &self.store;
        // Cancelled (or otherwise settled) since the lane was planned: leave it.
        if store
            .operation(job.id, op.index)
            .await?
            .is_none_or(|now| now.state != OpState::Pending)
        {
            return Ok(());
        }
        store
            .set_op(
                job.id,
                op.index,
                OpState::Running,
                OpUpdate {
                    attempt: true,
                    ..Default::default()
                },
            )
            .await?;
        self.op_event(job.id, op.index).await;
        let request_id = format!("job-{}-{}-{}", job.id, op.index + 1, op.attempts + 1);
        let result = match resolve_creator(state, &job.creator) {
            Ok(caller) => {
                let runner = Runner {
                    state,
                    caller: &caller,
                    request_id,
                    pace: Pace::Job,
                };
                changes::of(op.operation.clone()).run(&runner).await
            }
            Err(message) => Err(AppError::ForbiddenJob(message)),
        };
        let attempts = op.attempts + 1;
        match result {
            Ok(done) => {
                store
                    .set_op(
                        job.id,
                        op.index,
                        OpState::Done,
                        OpUpdate {
                            message: Some(&done.message),
                            audit_id: done.audit_id,
                            ..Default::default()
                        },
                    )
                    .await?;
            }
            Err(AppError::Slack(SlackError::UnknownOutcome { code, .. })) => {
                store
                    .set_op(job.id, op.index, OpState::Unknown, OpUpdate {
                        message: Some("Slack did not confirm whether this happened; Roster checks with Slack before trying again."),
                        slack_error: code.as_deref(),
                        ..Default::default()
                    })
                    .await?;
            }
            // Slack certainly did nothing: back in the queue, unless it keeps happening.
            Err(AppError::Slack(
                e @ (SlackError::RateLimited { .. }
                | SlackError::Unavailable { .. }
                | SlackError::Paced { .. }),
            )) if attempts < MAX_ATTEMPTS => {
                let wait = match &e {
                    SlackError::RateLimited { retry_after, .. } => {
                        Duration::from_secs(*retry_after)
                    }
                    SlackError::Paced { retry_after, .. } => *retry_after,
                    _ => Duration::from_secs(u64::from(attempts)),
                };
                store
                    .set_op(
                        job.id,
                        op.index,
                        OpState::Pending,
                        OpUpdate {
                            message: Some(
                                "Slack was busy or unreachable; this will be tried again.",
                            ),
                            slack_error: e.code(),
                            ..Default::default()
                        },
                    )
                    .await?;
                tokio::time::sleep(wait).await;
            }
            // The storage cannot record changes: Slack was not called. The row stays
            // `running` and is checked with Slack when the runner starts again.
            Err(e @ AppError::Storage(_)) => return Err(e),
            Err(AppError::Internal(message)) => {
                // Roster's own failure: stop rather than act unrecorded.
                store
                    .set_op(
                        job.id,
                        op.index,
                        OpState::Failed,
                        OpUpdate {
                            message: Some(&message),
                            ..Default::default()
                        },
                    )
                    .await?;
                self.op_event(job.id, op.index).await;
                return Err(AppError::Internal(message));
            }
            Err(e) => {
                let (_, detail) = e.status_and_detail();
                store
                    .set_op(
                        job.id,
                        op.index,
                        OpState::Failed,
                        OpUpdate {
                            message: Some(&detail.message),
                            slack_error: detail.slack_error.as_deref(),
                            ..Default::default()
                        },
                    )
                    .await?;
            }
        }
        self.op_event(job.id, op.index).await;
        self.progress(job.id).await;
        Ok(())
    }

    /// Checks an unknown operation against Slack: done, or back in the queue. Returns
    /// whether it was decided.
    async fn settle_unknown(
        &self,
        state: &AppState,
        job: &JobRow,
        op: &OpRow,
    ) -> Result<bool, AppError> {
        let caller = resolve_creator(state, &job.creator).ok();
        let change = changes::of(op.operation.clone());
        let decided = match change.happened(state).await {
            Ok(true) => {
                change.apply(state).await;
                let message = record_done(state, caller.as_ref(), job.id, op).await?;
                self.store
                    .set_op(
                        job.id,
                        op.index,
                        OpState::Done,
                        OpUpdate {
                            message: Some(&message),
                            slack_error: op.slack_error.as_deref(),
                            ..Default::default()
                        },
                    )
                    .await?;
                true
            }
            Ok(false) if op.attempts >= MAX_ATTEMPTS => {
                self.store
                    .set_op(
                        job.id,
                        op.index,
                        OpState::Failed,
                        OpUpdate {
                            message: Some("Slack did not do this after several attempts."),
                            slack_error: op.slack_error.as_deref(),
                            ..Default::default()
                        },
                    )
                    .await?;
                true
            }
            Ok(false) => {
                self.store
                    .set_op(
                        job.id,
                        op.index,
                        OpState::Pending,
                        OpUpdate {
                            message: Some(
                                "Checked with Slack: not done yet, so it is tried again.",
                            ),
                            ..Default::default()
                        },
                    )
                    .await?;
                true
            }
            Err(e) => {
                tracing::warn!(job = job.id, row = op.index + 1, error = %e, "cannot check an unknown outcome");
                false
            }
        };
        self.op_event(job.id, op.index).await;
        Ok(decided)
    }

    async fn op_event(&self, job: i64, index: usize) {
        if let Ok(Some(op)) = self.store.operation(job, index).await {
            self.emit(job, JobEvent::Operation(op.to_api()));
        }
    }
}

/// An unknown operation turned out done: the audit log gets a row saying so. Returns the
/// operation's message.
async fn record_done(
    state: &AppState,
    caller: Option<&Caller>,
    job: i64,
    op: &OpRow,
) -> Result<String, AppError> {
    let message = format!(
        "Slack did not confirm this at first; checked with Slack afterwards: it was done ({}).",
        op.operation.label().to_lowercase()
    );
    if let Some(caller) = caller {
        let request_id = format!("job-{job}-{}-check", op.index + 1);
        let id = state
            .audit
            .intent(&Intent {
                request_id: &request_id,
                caller,
                action: "check_outcome",
                target_user: Some(op.operation.target()),
                workspace: op.operation.workspace(),
                params: json!({ "job": job, "row": op.index + 1, "operation": op.operation.kind() }),
            })
            .await?;
        // An outcome that must wait is written before the next change; the row is done.
        let _ = state
            .audit
            .outcome(id, roster_api::AuditOutcome::Ok, None, &message)
            .await;
    }
    Ok(message)
}

/// Cancelling: what has not run is skipped.
async fn cancel_pending(store: &JobStore, id: i64) -> Result<(), StorageError> {
    store
        .move_ops(
            id,
            &[OpState::Pending],
            OpState::Skipped,
            Some("Cancelled before it ran."),
        )
        .await?;
    store.set_job_state(id, JobState::Cancelled).await
}
