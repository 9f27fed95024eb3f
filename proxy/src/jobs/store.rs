//! Jobs and their operations in the audit log's database, so a restart (or another
//! replica) resumes where a job stopped.

use crate::{
    db::{Db, StorageError, WriteKind},
    store::{Fence, JobEventRow, JobRecord, NewJob, OpChange, OperationRecord},
};
use roster_api::{JobCounts, JobOperation, JobState, JobSummary, OpState, Operation};

use crate::policy::Caller;

/// Who created a job, as stored: enough to find their role again when each operation runs.
#[derive(Debug, Clone)]
pub struct Creator {
    pub subject: String,
    pub email: String,
    pub groups: Vec<String>,
    pub role: String,
}

impl From<&Caller> for Creator {
    fn from(c: &Caller) -> Self {
        Creator {
            subject: c.subject.clone(),
            email: c.email.clone(),
            groups: c.groups.clone(),
            role: c.role.name.clone(),
        }
    }
}

/// A stored job, without its operations.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: i64,
    pub title: String,
    pub created_at_ms: i64,
    pub creator: Creator,
    pub state: JobState,
    pub finished_at_ms: Option<i64>,
}

/// One stored operation.
#[derive(Debug, Clone)]
pub struct OpRow {
    pub index: usize,
    pub operation: Operation,
    pub state: OpState,
    pub message: Option<String>,
    pub slack_error: Option<String>,
    pub audit_id: Option<i64>,
    pub attempts: u32,
    /// When the state last changed, Unix milliseconds.
    pub updated_at_ms: i64,
}

impl OpRow {
    pub fn to_api(&self) -> JobOperation {
        JobOperation {
            index: self.index,
            operation: self.operation.clone(),
            state: self.state,
            message: self.message.clone(),
            slack_error: self.slack_error.clone(),
            audit_id: self.audit_id,
            attempts: self.attempts,
            // Filled in for each reader (see `jobs::shown`).
            user_name: None,
            hidden: Vec::new(),
        }
    }
}

/// A change to one operation's state.
#[derive(Debug, Clone, Default)]
pub struct OpUpdate<'a> {
    pub message: Option<&'a str>,
    pub slack_error: Option<&'a str>,
    pub audit_id: Option<i64>,
    /// Count one more Slack attempt.
    pub attempt: bool,
}

pub use crate::directory::unix_now_ms as now_ms;

/// A write that coordinates replicas (a lease, an event) rather than records a change: its
/// success says nothing about whether changes can be recorded (a full disk may take a small
/// update and refuse an insert), so it leaves the storage's state alone.
fn coordination<T>(result: Result<T, sqlx::Error>) -> Result<T, StorageError> {
    result.map_err(|e| StorageError {
        full: false,
        detail: e.to_string(),
    })
}

/// The jobs tables.
#[derive(Debug, Clone)]
pub struct JobStore {
    db: Db,
}

fn job_row(row: JobRecord) -> JobRow {
    JobRow {
        id: row.id,
        title: row.title,
        created_at_ms: row.created_at,
        creator: Creator {
            subject: row.creator_subject,
            email: row.creator_email,
            groups: serde_json::from_str(&row.creator_groups).unwrap_or_default(),
            role: row.creator_role,
        },
        state: JobState::parse(&row.state).unwrap_or(JobState::Paused),
        finished_at_ms: row.finished_at,
    }
}

fn op_row(row: OperationRecord) -> Result<OpRow, sqlx::Error> {
    Ok(OpRow {
        index: row.idx as usize,
        operation: serde_json::from_str(&row.operation)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        state: OpState::parse(&row.state).unwrap_or(OpState::Unknown),
        message: row.message,
        slack_error: row.slack_error,
        audit_id: row.audit_id,
        attempts: row.attempts as u32,
        updated_at_ms: row.updated_at,
    })
}

impl JobStore {
    /// The jobs in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    fn rows(&self) -> &dyn crate::store::JobStore {
        &**self.db.job_rows()
    }

    /// Runs a write, telling the database whether the storage took it.
    async fn write<T>(
        &self,
        write: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StorageError> {
        self.write_kind(WriteKind::Other, write).await
    }

    async fn write_kind<T>(
        &self,
        kind: WriteKind,
        write: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StorageError> {
        let result = match self.db.injected(kind) {
            Ok(()) => write.await,
            Err(e) => Err(e),
        };
        match result {
            Ok(value) => {
                self.db.wrote();
                Ok(value)
            }
            Err(e) => Err(self.db.write_failed(e)),
        }
    }

    /// Stores a new job: `ops` are (operation, initial state, message).
    pub async fn create(
        &self,
        title: &str,
        creator: &Creator,
        ops: &[(Operation, OpState, Option<String>)],
    ) -> Result<i64, StorageError> {
        let mut operations = Vec::with_capacity(ops.len());
        for (op, state, message) in ops {
            let json = serde_json::to_string(op).map_err(|e| StorageError {
                full: false,
                detail: format!("cannot store an operation: {e}"),
            })?;
            operations.push((json, *state, message.clone()));
        }
        let job = NewJob {
            title,
            created_at: now_ms(),
            creator_subject: &creator.subject,
            creator_email: &creator.email,
            creator_groups: serde_json::to_string(&creator.groups).unwrap_or_else(|_| "[]".into()),
            creator_role: &creator.role,
            operations,
        };
        self.write(self.rows().create(&job)).await
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRow>, sqlx::Error> {
        Ok(self.rows().job(id).await?.map(job_row))
    }

    /// Jobs, newest first; only `creator`'s when given.
    pub async fn jobs(
        &self,
        creator: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRow>, sqlx::Error> {
        Ok(self
            .rows()
            .jobs(creator, limit)
            .await?
            .into_iter()
            .map(job_row)
            .collect())
    }

    /// Jobs that were running (or paused) when Roster stopped.
    pub async fn unfinished(&self) -> Result<Vec<JobRow>, sqlx::Error> {
        Ok(self
            .rows()
            .unfinished()
            .await?
            .into_iter()
            .map(job_row)
            .collect())
    }

    pub async fn operations(&self, job: i64) -> Result<Vec<OpRow>, sqlx::Error> {
        self.rows()
            .operations(job)
            .await?
            .into_iter()
            .map(op_row)
            .collect()
    }

    pub async fn operation(&self, job: i64, index: usize) -> Result<Option<OpRow>, sqlx::Error> {
        self.rows()
            .operation(job, index as i64)
            .await?
            .map(op_row)
            .transpose()
    }

    /// Moves one operation to `state`.
    /// Moves one operation to `state`: only from `from` when given, and only while `fence`
    /// holds (the runner's writes). Returns whether it moved.
    pub async fn set_op(
        &self,
        job: i64,
        index: usize,
        state: OpState,
        update: OpUpdate<'_>,
        from: Option<OpState>,
        fence: Option<Fence<'_>>,
    ) -> Result<bool, StorageError> {
        let change = OpChange {
            state,
            message: update.message,
            slack_error: update.slack_error,
            audit_id: update.audit_id,
            attempt: update.attempt,
            at: now_ms(),
        };
        let kind = match state {
            OpState::Done | OpState::Failed => WriteKind::Outcome,
            _ => WriteKind::Other,
        };
        self.write_kind(
            kind,
            self.rows().set_op(job, index as i64, &change, from, fence),
        )
        .await
    }

    /// Moves every operation in `from` to `to` (with `message`), only while `fence` holds;
    /// returns how many moved.
    pub async fn move_ops(
        &self,
        job: i64,
        from: &[OpState],
        to: OpState,
        message: Option<&str>,
        fence: Option<Fence<'_>>,
    ) -> Result<u64, StorageError> {
        self.write(
            self.rows()
                .move_ops(job, from, to, message, now_ms(), fence),
        )
        .await
    }

    /// Marks a running job finished (one cancelled or paused meanwhile keeps its state) and
    /// ends its lease. Returns whether the lease was still `fence`'s.
    pub async fn finish(&self, job: i64, fence: Fence<'_>) -> Result<bool, StorageError> {
        self.write(self.rows().finish(job, now_ms(), fence)).await
    }

    pub async fn set_job_state(&self, job: i64, state: JobState) -> Result<(), StorageError> {
        let finished = matches!(state, JobState::Finished | JobState::Cancelled).then(now_ms);
        self.write(self.rows().set_state(job, state, finished))
            .await
    }

    /// Jobs running or paused that no replica holds.
    pub async fn claimable(&self) -> Result<Vec<i64>, sqlx::Error> {
        self.rows().claimable().await
    }

    /// Takes job `job` for `lease_ms`; the new term.
    pub async fn claim(
        &self,
        job: i64,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<i64>, StorageError> {
        coordination(self.rows().claim(job, owner, lease_ms).await)
    }

    /// Extends the lease while it is `fence`'s; the job's state then, `None` once it is not.
    pub async fn renew(
        &self,
        job: i64,
        fence: Fence<'_>,
        lease_ms: i64,
    ) -> Result<Option<JobState>, StorageError> {
        let state = coordination(self.rows().renew(job, fence, lease_ms).await)?;
        Ok(state.map(|s| JobState::parse(&s).unwrap_or(JobState::Paused)))
    }

    /// Gives the lease of `job` up.
    pub async fn release(&self, job: i64, fence: Fence<'_>) -> Result<(), StorageError> {
        coordination(self.rows().release(job, fence).await)
    }

    /// Frees every job's lease (SQLite, one process: the earlier run has stopped).
    pub async fn free_leases(&self) -> Result<(), StorageError> {
        coordination(self.rows().free_leases().await)
    }

    /// Whether the lease of `job` is still `fence`'s.
    pub async fn owns(&self, job: i64, fence: Fence<'_>) -> Result<bool, sqlx::Error> {
        self.rows().owns(job, fence).await
    }

    /// Records that `job` (or its operation `index`) changed.
    pub async fn add_event(&self, job: i64, index: Option<usize>) -> Result<i64, StorageError> {
        coordination(self.rows().add_event(job, index.map(|i| i as i64)).await)
    }

    /// `job`'s events after `after`.
    pub async fn events_after(
        &self,
        job: i64,
        after: i64,
    ) -> Result<Vec<JobEventRow>, sqlx::Error> {
        self.rows().events_after(job, after).await
    }

    /// The job at a glance: counts by state, the recent rate and the time left.
    pub async fn summary(&self, job: &JobRow) -> Result<JobSummary, sqlx::Error> {
        let mut counts = JobCounts::default();
        let mut total = 0;
        for (state, n) in self.rows().counts(job.id).await? {
            total += n as usize;
            if let Some(state) = OpState::parse(&state) {
                counts.add_many(state, n as usize);
            }
        }
        // The rate over the last two minutes of finished operations.
        let now = now_ms();
        let (n, first) = self.rows().ended_since(job.id, now - 120_000).await?;
        let running = job.state == JobState::Running;
        let rate_per_minute = match first {
            Some(first) if running && n >= 2 => {
                let span = ((now - first).max(1_000)) as f64 / 60_000.0;
                Some((n as f64 / span * 10.0).round() / 10.0)
            }
            _ => None,
        };
        let left = counts.pending + counts.running + counts.unknown;
        let eta_seconds = rate_per_minute
            .filter(|r| *r > 0.0)
            .map(|r| (left as f64 / r * 60.0).ceil() as u64);
        Ok(JobSummary {
            id: job.id,
            title: job.title.clone(),
            created_by: job.creator.email.clone(),
            created_at: job.created_at_ms / 1000,
            state: job.state,
            total,
            counts,
            rate_per_minute,
            eta_seconds,
            finished_at: job.finished_at_ms.map(|t| t / 1000),
        })
    }
}
