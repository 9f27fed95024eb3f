//! Roster's storage, one interface per concern, each with a SQLite implementation (one
//! process, the zero-setup default) and a PostgreSQL one (several replicas on one
//! database). Each backend has its own migrations (`proxy/migrations/sqlite`,
//! `proxy/migrations/postgres`), and the queries are written once ([`sql`]) where the two
//! speak the same SQL.
//!
//! The domain types above them (the audit log, the jobs) keep what holds for both: the
//! order of writes, what waits when the storage fails, who may read what.

mod activity;
mod pace;
pub mod replicas;
mod sql;

use std::fmt::Debug;

use async_trait::async_trait;
use roster_api::{AuditQuery, JobState, OpState};

pub use sql::{Postgres, Sqlite};

/// Whose entries a reader of the log may see.
#[derive(Debug, Clone)]
pub enum Whose {
    /// Every entry (`audit.read_all` on a role that covers every workspace).
    Everything,
    /// One's own actions (`audit.read`).
    Own,
    /// One's own actions, and the changes others made on the listed workspaces
    /// (`audit.read_all` on a role limited to them). Others' refused and failed attempts
    /// are left out: their messages and Slack's errors describe the org as the other
    /// person's role sees it, beyond these workspaces.
    Workspaces(Vec<String>),
}

/// A new row of the audit log.
#[derive(Debug, Clone)]
pub struct ActionRow<'a> {
    pub at: i64,
    pub request_id: &'a str,
    pub actor_subject: &'a str,
    pub actor_email: &'a str,
    pub role: &'a str,
    pub action: &'a str,
    pub target_user: Option<&'a str>,
    pub workspace: Option<&'a str>,
    pub params: String,
    pub state: &'a str,
    pub message: Option<&'a str>,
}

/// How an attempt ended.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OutcomeRow {
    pub action_id: i64,
    pub at: i64,
    pub outcome: String,
    pub slack_error: Option<String>,
    pub message: String,
}

/// One row of the log's page, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub at: i64,
    pub request_id: String,
    pub actor_email: String,
    pub role: String,
    pub action: String,
    pub target_user: Option<String>,
    pub workspace: Option<String>,
    pub params: String,
    pub state: String,
    pub message: Option<String>,
    pub outcome: Option<String>,
    pub slack_error: Option<String>,
    pub outcome_message: Option<String>,
}

/// Which entries a page of the log holds.
#[derive(Debug, Clone)]
pub struct PageFilter<'a> {
    pub query: &'a AuditQuery,
    pub whose: &'a Whose,
    /// The reader's own address.
    pub actor: &'a str,
    /// The reader's role hides addresses: a target filter never matches someone else's.
    pub hides_email: bool,
    /// Entries still pending from before this time never got an answer (Roster stopped).
    pub opened_at: i64,
    /// Entries older than this ID (newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

/// An invite request answered through Roster: who did it and the change's params.
#[derive(Debug, Clone)]
pub struct HandledRow {
    pub request: String,
    pub actor_email: String,
    pub params: String,
}

/// The audit log's rows.
#[async_trait]
pub trait AuditStore: Send + Sync + Debug {
    /// Appends an action and returns its ID. IDs follow the order in which the appends
    /// commit, so a reader that pages by ID never skips one that commits late.
    async fn append(&self, row: &ActionRow<'_>) -> Result<i64, sqlx::Error>;
    /// Appends an outcome; one already written is left as it is.
    async fn append_outcome(&self, row: &OutcomeRow) -> Result<(), sqlx::Error>;
    /// One page, newest first, `limit + 1` rows at most (the extra one says there are more).
    async fn page(&self, filter: &PageFilter<'_>) -> Result<Vec<EntryRow>, sqlx::Error>;
    /// The approvals and denials of these requests made through Roster, oldest first.
    async fn handled(&self, requests: &[String]) -> Result<Vec<HandledRow>, sqlx::Error>;
    /// Actions in the log.
    async fn count(&self) -> Result<i64, sqlx::Error>;
    /// Rewrites one small row: whether the storage takes writes.
    async fn probe(&self, at: i64) -> Result<(), sqlx::Error>;
}

/// A stored job, as rows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRecord {
    pub id: i64,
    pub title: String,
    pub created_at: i64,
    pub creator_subject: String,
    pub creator_email: String,
    pub creator_groups: String,
    pub creator_role: String,
    pub state: String,
    pub finished_at: Option<i64>,
    /// The replica running it, while it holds the lease.
    pub owner: Option<String>,
    /// Grows at each takeover.
    pub term: i64,
}

/// What the owner of a job (or of a lease) writes with: its replica and its term. A write
/// with a fence is made only while the lease is still that owner's, by the database's
/// clock.
#[derive(Debug, Clone, Copy)]
pub struct Fence<'a> {
    pub owner: &'a str,
    pub term: i64,
}

/// An event of a job's progress: an operation that changed (`idx`), or the job itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct JobEventRow {
    pub id: i64,
    pub idx: Option<i64>,
}

/// A stored operation, as rows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperationRecord {
    pub idx: i64,
    pub operation: String,
    pub state: String,
    pub message: Option<String>,
    pub slack_error: Option<String>,
    pub audit_id: Option<i64>,
    pub attempts: i64,
    pub updated_at: i64,
}

/// A new job.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub title: &'a str,
    pub created_at: i64,
    pub creator_subject: &'a str,
    pub creator_email: &'a str,
    pub creator_groups: String,
    pub creator_role: &'a str,
    /// Each operation as JSON, its first state and message.
    pub operations: Vec<(String, OpState, Option<String>)>,
}

/// A change to one operation.
#[derive(Debug, Clone)]
pub struct OpChange<'a> {
    pub state: OpState,
    pub message: Option<&'a str>,
    pub slack_error: Option<&'a str>,
    pub audit_id: Option<i64>,
    /// One more Slack attempt.
    pub attempt: bool,
    pub at: i64,
}

/// The jobs' rows.
#[async_trait]
pub trait JobStore: Send + Sync + Debug {
    async fn create(&self, job: &NewJob<'_>) -> Result<i64, sqlx::Error>;
    async fn job(&self, id: i64) -> Result<Option<JobRecord>, sqlx::Error>;
    /// Newest first; only `creator`'s (any case) when given.
    async fn jobs(&self, creator: Option<&str>, limit: i64) -> Result<Vec<JobRecord>, sqlx::Error>;
    /// Jobs running or paused.
    async fn unfinished(&self) -> Result<Vec<JobRecord>, sqlx::Error>;
    async fn operations(&self, job: i64) -> Result<Vec<OperationRecord>, sqlx::Error>;
    async fn operation(&self, job: i64, idx: i64) -> Result<Option<OperationRecord>, sqlx::Error>;
    /// Changes one operation, only while `fence` holds and it is in `from` when given.
    /// Returns whether it changed.
    async fn set_op(
        &self,
        job: i64,
        idx: i64,
        change: &OpChange<'_>,
        from: Option<OpState>,
        fence: Option<Fence<'_>>,
    ) -> Result<bool, sqlx::Error>;
    /// Moves every operation in `from` to `to`, only while `fence` holds; returns how many
    /// moved.
    async fn move_ops(
        &self,
        job: i64,
        from: &[OpState],
        to: OpState,
        message: Option<&str>,
        at: i64,
        fence: Option<Fence<'_>>,
    ) -> Result<u64, sqlx::Error>;
    /// A running job finished (a job cancelled or paused meanwhile keeps its state); its
    /// lease ends. Only while `fence` holds.
    async fn finish(&self, job: i64, at: i64, fence: Fence<'_>) -> Result<bool, sqlx::Error>;
    async fn set_state(
        &self,
        job: i64,
        state: JobState,
        finished_at: Option<i64>,
    ) -> Result<(), sqlx::Error>;
    /// Operations per state.
    async fn counts(&self, job: i64) -> Result<Vec<(String, i64)>, sqlx::Error>;
    /// Operations that ended (done or failed, with a Slack attempt) since `since`: how
    /// many, and when the first of them ended.
    async fn ended_since(&self, job: i64, since: i64) -> Result<(i64, Option<i64>), sqlx::Error>;

    /// Jobs running or paused whose lease is free (never taken, ended, or expired).
    async fn claimable(&self) -> Result<Vec<i64>, sqlx::Error>;
    /// Takes the lease of `job` for `lease_ms` if it is free; returns the new term.
    async fn claim(&self, job: i64, owner: &str, lease_ms: i64)
    -> Result<Option<i64>, sqlx::Error>;
    /// Extends the lease while it is still `fence`'s; returns the job's state then.
    async fn renew(
        &self,
        job: i64,
        fence: Fence<'_>,
        lease_ms: i64,
    ) -> Result<Option<String>, sqlx::Error>;
    /// Gives the lease up (a replica stopping): another replica may take the job at once.
    async fn release(&self, job: i64, fence: Fence<'_>) -> Result<(), sqlx::Error>;
    /// Whether the lease of `job` is still `fence`'s, by the database's clock.
    async fn owns(&self, job: i64, fence: Fence<'_>) -> Result<bool, sqlx::Error>;
    /// Frees every job's lease: for a database only one process uses (SQLite), whose
    /// earlier run has stopped.
    async fn free_leases(&self) -> Result<(), sqlx::Error>;
    /// Records that the job (`idx: None`) or one of its operations changed; events of one
    /// job commit in the order of their IDs.
    async fn add_event(&self, job: i64, idx: Option<i64>) -> Result<i64, sqlx::Error>;
    /// The job's events after `after`, oldest first.
    async fn events_after(&self, job: i64, after: i64) -> Result<Vec<JobEventRow>, sqlx::Error>;
}

/// A token bucket's state as the database keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketState {
    pub tokens: f64,
    /// The refill is counted from here (Unix ms, the database's clock; may be ahead).
    pub last_ms: i64,
    pub blocked_until_ms: i64,
    /// The database's clock when it was read.
    pub now_ms: i64,
}

/// What a take from a bucket gave: a slot now (`wait_ms` 0), or how long until one, and
/// the bucket as it was left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Take {
    pub wait_ms: i64,
    pub state: BucketState,
}

/// Slack's pace shared by replicas: token buckets per (method, workspace), and each
/// person's budgets, on the database's clock (PostgreSQL only: one process keeps them in
/// memory).
#[async_trait]
pub trait PaceStore: Send + Sync + Debug {
    /// Takes a slot of `method` on `workspace`, whose bucket holds `capacity` and refills at
    /// `per_ms` a millisecond (a new bucket is full, refilling from `arrival_ms` on).
    async fn take(
        &self,
        method: &str,
        workspace: &str,
        capacity: f64,
        per_ms: f64,
        arrival_ms: i64,
    ) -> Result<Take, sqlx::Error>;
    /// Gives back a slot taken for a call that was not made.
    async fn give_back(
        &self,
        method: &str,
        workspace: &str,
        capacity: f64,
    ) -> Result<(), sqlx::Error>;
    /// Slack answered 429: no slot on that bucket before `retry_after_ms` from now.
    async fn block(
        &self,
        method: &str,
        workspace: &str,
        retry_after_ms: i64,
    ) -> Result<(), sqlx::Error>;
    /// Takes `units` of `who`'s budget `kind` (`per_minute` at most, refilled at that rate):
    /// `Ok(0)`, or how many milliseconds until they have them.
    async fn spend(
        &self,
        who: &str,
        kind: &str,
        units: f64,
        per_minute: f64,
    ) -> Result<i64, sqlx::Error>;
}

/// Leases of work one replica does for all (the directory sync), by name.
#[async_trait]
pub trait LeaseStore: Send + Sync + Debug {
    /// Takes `name` for `lease_ms` if it is free (or already `owner`'s: renewed); returns
    /// the term (new when taken over).
    async fn acquire(
        &self,
        name: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<i64>, sqlx::Error>;
    /// Gives `name` up if it is still `fence`'s.
    async fn give_up(&self, name: &str, fence: Fence<'_>) -> Result<(), sqlx::Error>;
    /// Whether `fence` still holds `name`, by the database's clock.
    async fn holds(&self, name: &str, fence: Fence<'_>) -> Result<bool, sqlx::Error>;
    /// The database's clock, Unix milliseconds.
    async fn now_ms(&self) -> Result<i64, sqlx::Error>;
}

/// One person on one workspace, as Slack's member analytics left them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivityRow {
    pub user_id: String,
    pub team_id: String,
    /// The first day read that lists them (Unix day).
    pub first_seen: i64,
    /// Unix day; `None`: not active on any day read.
    pub last_active: Option<i64>,
    /// On that day: 1 desktop, 2 iOS, 4 Android.
    pub clients: i32,
    /// The newest day read that lists them.
    pub seat_day: i64,
    pub billable: bool,
    pub guest: bool,
}

/// A day's counts on a workspace (`team_id` empty: the org, each person once).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CountRow {
    pub day: i64,
    pub team_id: String,
    pub active: i64,
    pub billable: i64,
}

/// Slack's member analytics as Roster keeps them.
#[async_trait]
pub trait ActivityStore: Send + Sync + Debug {
    /// The days whose member file is read (Unix days), oldest first.
    async fn days_read(&self) -> Result<Vec<i64>, sqlx::Error>;
    /// Records what `day`'s file said, with the day itself, in one transaction; `false`
    /// (and nothing written) when the day was recorded already.
    async fn record_day(
        &self,
        day: i64,
        read_at: i64,
        digest: &crate::seats::file::DayDigest,
    ) -> Result<bool, sqlx::Error>;
    /// Every person's activity, per workspace.
    async fn people(&self) -> Result<Vec<ActivityRow>, sqlx::Error>;
    /// Every day's counts.
    async fn counts(&self) -> Result<Vec<CountRow>, sqlx::Error>;
}
