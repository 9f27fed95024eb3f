//! Running a job this replica holds: its operations in lanes at Slack's pace, unknown
//! outcomes checked with Slack first, every write fenced by the job's lease.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use roster_api::{JobState, OpState};
use serde_json::json;
use tokio::sync::watch;

use super::{
    Jobs, Live, MAX_ATTEMPTS, RECENT_CALLS_MS, STORAGE_RETRY, lane_of,
    lease::{LEASE, Lease},
    resolve_creator, store,
    store::{JobRow, OpRow, OpUpdate},
};
use crate::{
    audit::Intent,
    changes::{self, Pace, Runner},
    core::Core,
    error::AppError,
    policy::Caller,
    slack::{
        SlackError, SlackMethod,
        payer::{Payer, paid_by},
    },
};

impl Jobs {
    /// Looks for jobs no replica holds and runs them here, until the process stops: the
    /// jobs of a replica that stopped (or of this process before a restart) go on.
    pub fn spawn_claims(self: &Arc<Self>, state: Arc<Core>) {
        let jobs = self.clone();
        tokio::spawn(async move {
            loop {
                jobs.claim_free(&state).await;
                tokio::time::sleep(super::lease::CLAIM_EVERY).await;
            }
        });
    }

    /// At start-up: takes the jobs no replica holds. With SQLite only this process uses the
    /// database, so the leases an earlier run held are freed first.
    pub async fn resume_all(self: &Arc<Self>, state: &Arc<Core>) -> Result<usize, AppError> {
        if state.db.shared().is_none() {
            self.store.free_leases().await?;
        }
        Ok(self.claim_free(state).await)
    }

    /// Claims every job no replica holds; returns how many this replica took.
    pub async fn claim_free(self: &Arc<Self>, state: &Arc<Core>) -> usize {
        let free = match self.store.claimable().await {
            Ok(free) => free,
            Err(e) => {
                tracing::debug!(error = %e, "cannot look for jobs to run");
                return 0;
            }
        };
        let mut taken = 0;
        for id in free {
            if self.claim(state, id).await {
                taken += 1;
            }
        }
        taken
    }

    /// Takes job `id` and runs it here, if no replica holds it.
    pub(super) async fn claim(self: &Arc<Self>, state: &Arc<Core>, id: i64) -> bool {
        if self.live.lock().unwrap().contains_key(&id) {
            return false;
        }
        let sent = Instant::now();
        match self
            .store
            .claim(id, &self.replica, LEASE.as_millis() as i64)
            .await
        {
            Ok(Some(term)) => {
                tracing::info!(job = id, term, "running job");
                let lease = Arc::new(Lease::new(self.replica.clone(), term, sent));
                self.start(state.clone(), id, lease);
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::debug!(job = id, error = %e, "cannot claim job");
                false
            }
        }
    }

    /// Runs job `id` under `lease`, with its heartbeat, until it ends, is cancelled, or
    /// another replica holds it.
    fn start(self: &Arc<Self>, state: Arc<Core>, id: i64, lease: Arc<Lease>) {
        let mut live_jobs = self.live.lock().unwrap();
        if live_jobs.contains_key(&id) {
            return;
        }
        let (control, _) = watch::channel(JobState::Running);
        let live = Arc::new(Live {
            control,
            task: Mutex::new(None),
            lease: lease.clone(),
        });
        live_jobs.insert(id, live.clone());
        drop(live_jobs);
        let jobs = self.clone();
        let beating = live.clone();
        let task = tokio::spawn(async move {
            // Calls made for the job lately (by this replica before a restart, or by
            // another) still count at Slack.
            if let Err(e) = jobs.replay_recent_calls(&state, id).await {
                tracing::warn!(job = id, error = %e, "cannot read the job's recent calls");
            }
            let run = async {
                loop {
                    match jobs.run(&state, id, &lease).await {
                        Ok(()) => break,
                        // Nothing runs unrecorded: wait for the storage, then go on from
                        // where the job stood (a row caught between its call and its record
                        // is checked with Slack first).
                        Err(AppError::Storage(_) | AppError::Unreadable) if lease.holds() => {
                            tokio::time::sleep(STORAGE_RETRY).await
                        }
                        Err(AppError::Superseded) => {
                            tracing::info!(job = id, "another replica runs the job now");
                            break;
                        }
                        Err(e) => {
                            tracing::error!(job = id, error = %e, "job runner stopped");
                            break;
                        }
                    }
                }
            };
            tokio::select! {
                () = run => {}
                () = jobs.heartbeat(id, &beating) => {
                    tracing::info!(job = id, "the job's lease was lost; this replica stops running it");
                }
            }
            jobs.live.lock().unwrap().remove(&id);
            jobs.progress(id).await;
        });
        *live.task.lock().unwrap() = Some(task);
    }

    /// Renews the job's lease until it is lost, and passes on what other replicas asked of
    /// the job (its stored state). Returns once the lease is lost.
    async fn heartbeat(&self, id: i64, live: &Live) {
        let lease = &live.lease;
        loop {
            tokio::time::sleep(Lease::heartbeat()).await;
            let sent = Instant::now();
            match self
                .store
                .renew(id, lease.fence(), LEASE.as_millis() as i64)
                .await
            {
                Ok(Some(state)) => {
                    lease.renewed(sent);
                    if *live.control.borrow() != state {
                        live.control.send_replace(state);
                    }
                }
                Ok(None) => lease.lose(),
                // The database is away: the lease runs out by this replica's clock.
                Err(e) => tracing::debug!(job = id, error = %e, "cannot renew the job's lease"),
            }
            if !lease.holds() {
                lease.lose();
                return;
            }
        }
    }

    /// Stops every runner at once, leaving the leases to expire (a crash, in tests).
    /// Operations caught mid-call stay `running` and are checked by the next owner.
    pub fn stop_all(&self) {
        for live in self.live.lock().unwrap().drain().map(|(_, l)| l) {
            if let Some(task) = live.task.lock().unwrap().take() {
                task.abort();
            }
        }
    }

    /// Stops every runner and gives their jobs up, so another replica takes them at once
    /// (a replica shutting down).
    pub async fn release_all(&self) {
        let live: Vec<(i64, Arc<Live>)> = self.live.lock().unwrap().drain().collect();
        for (id, live) in live {
            if let Some(task) = live.task.lock().unwrap().take() {
                task.abort();
            }
            if let Err(e) = self.store.release(id, live.lease.fence()).await {
                tracing::warn!(job = id, error = %e, "cannot give the job up; its lease will expire");
            }
        }
    }

    /// The calls job `id` made in the last few minutes, given to the limiter: Slack still
    /// counts them, so the job starts at the pace Slack allows instead of spending a burst
    /// it has already used.
    async fn replay_recent_calls(&self, state: &Core, id: i64) -> Result<(), AppError> {
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

    /// Runs job `id` until every operation has ended, it is cancelled, or the lease is lost.
    async fn run(self: &Arc<Self>, state: &Core, id: i64, lease: &Lease) -> Result<(), AppError> {
        let Some(live) = self.live.lock().unwrap().get(&id).cloned() else {
            return Ok(());
        };
        let fence = Some(lease.fence());
        // A row still `running` when an owner starts was caught between its Slack call and
        // its record (the storage failed, or the replica running it stopped): its outcome
        // is unknown.
        self.store
            .move_ops(
                id,
                &[OpState::Running],
                OpState::Unknown,
                Some("Roster stopped while this was running; it is checked with Slack before anything is retried."),
                fence,
            )
            .await?;
        let mut control = live.control.subscribe();
        loop {
            if !lease.holds() {
                return Err(AppError::Superseded);
            }
            let job = self.store.job(id).await?.ok_or_else(super::no_such_job)?;
            // The stored state wins: another replica may have paused, resumed or cancelled.
            let wanted = job.state;
            if *control.borrow_and_update() != wanted {
                live.control.send_replace(wanted);
                control.borrow_and_update();
            }
            match wanted {
                JobState::Cancelled => {
                    super::cancel_pending(&self.store, id, fence).await?;
                    self.store.finish(id, lease.fence()).await?;
                    return Ok(());
                }
                JobState::Paused => {
                    self.progress(id).await;
                    if control.changed().await.is_err() {
                        return Ok(());
                    }
                    continue;
                }
                JobState::Finished => {
                    self.store.finish(id, lease.fence()).await?;
                    return Ok(());
                }
                JobState::Running => {}
            }

            // Unknown outcomes first: check before anything is retried.
            let ops = self.store.operations(id).await?;
            let mut undecided = 0;
            for op in ops.iter().filter(|o| o.state == OpState::Unknown) {
                let settled = self.settle_unknown(state, &job, op, lease);
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
                if !self.store.finish(id, lease.fence()).await? {
                    return Err(AppError::Superseded);
                }
                tracing::info!(job = id, "job finished");
                return Ok(());
            }

            let mut lanes: HashMap<(SlackMethod, String), Vec<OpRow>> = HashMap::new();
            for op in pending {
                lanes.entry(lane_of(&op.operation)).or_default().push(op);
            }
            let runs = lanes.into_values().map(|ops| {
                let jobs = self.clone();
                let job = job.clone();
                let control = live.control.subscribe();
                async move { jobs.run_lane(state, &job, ops, control, lease).await }
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
        state: &Core,
        job: &JobRow,
        ops: Vec<OpRow>,
        mut control: watch::Receiver<JobState>,
        lease: &Lease,
    ) -> Result<(), AppError> {
        for op in ops {
            let wanted = *control.borrow_and_update();
            if wanted != JobState::Running {
                return Ok(());
            }
            // In the lane, the row waits its turn as its creator's.
            paid_by(
                Payer::job(&job.creator.email),
                self.run_op(state, job, &op, lease),
            )
            .await?;
        }
        Ok(())
    }

    /// An operation's write, fenced by the lease: lost means another replica holds the job.
    async fn set_op(
        &self,
        job: i64,
        index: usize,
        to: OpState,
        update: OpUpdate<'_>,
        lease: &Lease,
    ) -> Result<(), AppError> {
        if self
            .store
            .set_op(job, index, to, update, None, Some(lease.fence()))
            .await?
        {
            self.op_event(job, index).await;
            Ok(())
        } else {
            lease.lose();
            Err(AppError::Superseded)
        }
    }

    async fn run_op(
        &self,
        state: &Core,
        job: &JobRow,
        op: &OpRow,
        lease: &Lease,
    ) -> Result<(), AppError> {
        let store = &self.store;
        // Marked running only if still pending (not cancelled since the lane was planned)
        // and the lease is this replica's.
        let marked = store
            .set_op(
                job.id,
                op.index,
                OpState::Running,
                OpUpdate {
                    attempt: true,
                    ..Default::default()
                },
                Some(OpState::Pending),
                Some(lease.fence()),
            )
            .await?;
        if !marked {
            if store.owns(job.id, lease.fence()).await? {
                return Ok(());
            }
            lease.lose();
            return Err(AppError::Superseded);
        }
        self.op_event(job.id, op.index).await;
        let request_id = format!("job-{}-{}-{}", job.id, op.index + 1, op.attempts + 1);
        let holds = || lease.holds();
        let result = match resolve_creator(state, &job.creator) {
            Ok(caller) => {
                let runner = Runner {
                    state,
                    caller: &caller,
                    request_id,
                    pace: Pace::Job,
                    guard: Some(&holds),
                };
                changes::of(op.operation.clone()).run(&runner).await
            }
            Err(message) => Err(AppError::ForbiddenJob(message)),
        };
        let attempts = op.attempts + 1;
        match result {
            Ok(done) => {
                let update = OpUpdate {
                    message: Some(&done.message),
                    audit_id: done.audit_id,
                    ..Default::default()
                };
                self.set_op(job.id, op.index, OpState::Done, update, lease)
                    .await?;
            }
            Err(AppError::Slack(SlackError::UnknownOutcome { code, .. })) => {
                let update = OpUpdate {
                    message: Some(
                        "Slack did not confirm whether this happened; Roster checks with Slack before trying again.",
                    ),
                    slack_error: code.as_deref(),
                    ..Default::default()
                };
                self.set_op(job.id, op.index, OpState::Unknown, update, lease)
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
                let update = OpUpdate {
                    message: Some("Slack was busy or unreachable; this will be tried again."),
                    slack_error: e.code(),
                    ..Default::default()
                };
                self.set_op(job.id, op.index, OpState::Pending, update, lease)
                    .await?;
                tokio::time::sleep(wait).await;
            }
            // The storage cannot record changes, or the lease was lost before the call:
            // Slack was not called. The row stays `running` and is checked with Slack by
            // whoever runs the job next.
            Err(e @ (AppError::Storage(_) | AppError::Unreadable | AppError::Superseded)) => {
                return Err(e);
            }
            Err(AppError::Internal(message)) => {
                // Roster's own failure: stop rather than act unrecorded.
                let update = OpUpdate {
                    message: Some(&message),
                    ..Default::default()
                };
                self.set_op(job.id, op.index, OpState::Failed, update, lease)
                    .await?;
                return Err(AppError::Internal(message));
            }
            Err(e) => {
                let (_, detail) = e.status_and_detail();
                let update = OpUpdate {
                    message: Some(&detail.message),
                    slack_error: detail.slack_error.as_deref(),
                    ..Default::default()
                };
                self.set_op(job.id, op.index, OpState::Failed, update, lease)
                    .await?;
            }
        }
        self.progress(job.id).await;
        Ok(())
    }

    /// Checks an unknown operation against Slack: done, or back in the queue. Returns
    /// whether it was decided.
    async fn settle_unknown(
        &self,
        state: &Core,
        job: &JobRow,
        op: &OpRow,
        lease: &Lease,
    ) -> Result<bool, AppError> {
        if !lease.holds() {
            return Err(AppError::Superseded);
        }
        let caller = resolve_creator(state, &job.creator).ok();
        let change = changes::of(op.operation.clone());
        let (to, message) = match change.happened(state).await {
            Ok(true) => {
                change.apply(state).await;
                let message = record_done(state, caller.as_ref(), job.id, op).await?;
                (OpState::Done, message)
            }
            Ok(false) if op.attempts >= MAX_ATTEMPTS => (
                OpState::Failed,
                "Slack did not do this after several attempts.".to_string(),
            ),
            Ok(false) => (
                OpState::Pending,
                "Checked with Slack: not done yet, so it is tried again.".to_string(),
            ),
            Err(e) => {
                tracing::warn!(job = job.id, row = op.index + 1, error = %e, "cannot check an unknown outcome");
                return Ok(false);
            }
        };
        let slack_error = match to {
            OpState::Pending => None,
            _ => op.slack_error.as_deref(),
        };
        let update = OpUpdate {
            message: Some(&message),
            slack_error,
            ..Default::default()
        };
        self.set_op(job.id, op.index, to, update, lease).await?;
        Ok(true)
    }
}

/// An unknown operation turned out done: the audit log gets a row saying so. Returns the
/// operation's message.
async fn record_done(
    state: &Core,
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
