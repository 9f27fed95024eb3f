//! Jobs and their operations in SQLite (the audit log's database), so a restart resumes
//! where a job stopped.

use crate::db::{Db, StorageError, WriteKind};
use roster_api::{JobCounts, JobOperation, JobState, JobSummary, OpState, Operation};
use sqlx::{Row, SqlitePool, sqlite::SqliteRow};

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

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The jobs tables.
#[derive(Debug, Clone)]
pub struct JobStore {
    db: Db,
    pool: SqlitePool,
}

fn job_row(row: &SqliteRow) -> Result<JobRow, sqlx::Error> {
    let groups: String = row.try_get("creator_groups")?;
    let state: String = row.try_get("state")?;
    Ok(JobRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        created_at_ms: row.try_get("created_at")?,
        creator: Creator {
            subject: row.try_get("creator_subject")?,
            email: row.try_get("creator_email")?,
            groups: serde_json::from_str(&groups).unwrap_or_default(),
            role: row.try_get("creator_role")?,
        },
        state: JobState::parse(&state).unwrap_or(JobState::Paused),
        finished_at_ms: row.try_get("finished_at")?,
    })
}

fn op_row(row: &SqliteRow) -> Result<OpRow, sqlx::Error> {
    let operation: String = row.try_get("operation")?;
    let state: String = row.try_get("state")?;
    let idx: i64 = row.try_get("idx")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(OpRow {
        index: idx as usize,
        operation: serde_json::from_str(&operation)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        state: OpState::parse(&state).unwrap_or(OpState::Unknown),
        message: row.try_get("message")?,
        slack_error: row.try_get("slack_error")?,
        audit_id: row.try_get("audit_id")?,
        attempts: attempts as u32,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

impl JobStore {
    /// The jobs in `db`.
    pub fn new(db: Db) -> Self {
        Self {
            pool: db.pool().clone(),
            db,
        }
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
        let now = now_ms();
        self.write(async {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO jobs (title, created_at, creator_subject, creator_email, creator_groups, creator_role, state)
             VALUES (?, ?, ?, ?, ?, ?, 'running') RETURNING id",
        )
        .bind(title)
        .bind(now)
        .bind(&creator.subject)
        .bind(&creator.email)
        .bind(serde_json::to_string(&creator.groups).unwrap_or_else(|_| "[]".into()))
        .bind(&creator.role)
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        for (i, (op, state, message)) in ops.iter().enumerate() {
            sqlx::query(
                "INSERT INTO job_operations (job_id, idx, operation, state, message, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(serde_json::to_string(op).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
            .bind(state.as_str())
            .bind(message)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
        })
        .await
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRow>, sqlx::Error> {
        sqlx::query("SELECT * FROM jobs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(job_row)
            .transpose()
    }

    /// Jobs, newest first; only `creator`'s when given.
    pub async fn jobs(
        &self,
        creator: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRow>, sqlx::Error> {
        let rows = match creator {
            Some(email) => {
                sqlx::query(
                    "SELECT * FROM jobs WHERE creator_email = ? COLLATE NOCASE ORDER BY id DESC LIMIT ?",
                )
                    .bind(email)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM jobs ORDER BY id DESC LIMIT ?")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(job_row).collect()
    }

    /// Jobs that were running (or paused) when Roster stopped.
    pub async fn unfinished(&self) -> Result<Vec<JobRow>, sqlx::Error> {
        let rows =
            sqlx::query("SELECT * FROM jobs WHERE state IN ('running', 'paused') ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(job_row).collect()
    }

    pub async fn operations(&self, job: i64) -> Result<Vec<OpRow>, sqlx::Error> {
        let rows = sqlx::query("SELECT * FROM job_operations WHERE job_id = ? ORDER BY idx")
            .bind(job)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(op_row).collect()
    }

    pub async fn operation(&self, job: i64, index: usize) -> Result<Option<OpRow>, sqlx::Error> {
        sqlx::query("SELECT * FROM job_operations WHERE job_id = ? AND idx = ?")
            .bind(job)
            .bind(index as i64)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(op_row)
            .transpose()
    }

    /// Moves one operation to `state`.
    pub async fn set_op(
        &self,
        job: i64,
        index: usize,
        state: OpState,
        update: OpUpdate<'_>,
    ) -> Result<(), StorageError> {
        let update = sqlx::query(
            "UPDATE job_operations SET state = ?, message = ?, slack_error = ?,
               audit_id = COALESCE(?, audit_id), attempts = attempts + ?, updated_at = ?
             WHERE job_id = ? AND idx = ?",
        )
        .bind(state.as_str())
        .bind(update.message)
        .bind(update.slack_error)
        .bind(update.audit_id)
        .bind(i64::from(update.attempt))
        .bind(now_ms())
        .bind(job)
        .bind(index as i64)
        .execute(&self.pool);
        let kind = match state {
            OpState::Done | OpState::Failed => WriteKind::Outcome,
            _ => WriteKind::Other,
        };
        self.write_kind(kind, update).await.map(drop)
    }

    /// Moves every operation in `from` to `to` (with `message`); returns how many moved.
    pub async fn move_ops(
        &self,
        job: i64,
        from: &[OpState],
        to: OpState,
        message: Option<&str>,
    ) -> Result<u64, StorageError> {
        self.write(async {
        let mut moved = 0;
        for state in from {
            moved += sqlx::query(
                "UPDATE job_operations SET state = ?, message = ?, slack_error = NULL, updated_at = ?
                 WHERE job_id = ? AND state = ?",
            )
            .bind(to.as_str())
            .bind(message)
            .bind(now_ms())
            .bind(job)
            .bind(state.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(moved)
        })
        .await
    }

    /// Marks a running job finished; a job cancelled (or paused) meanwhile keeps its state.
    pub async fn finish(&self, job: i64) -> Result<(), StorageError> {
        let update =
            sqlx::query("UPDATE jobs SET state = 'finished', finished_at = ? WHERE id = ? AND state = 'running'")
                .bind(now_ms())
                .bind(job)
                .execute(&self.pool);
        self.write(update).await.map(drop)
    }

    pub async fn set_job_state(&self, job: i64, state: JobState) -> Result<(), StorageError> {
        let finished = matches!(state, JobState::Finished | JobState::Cancelled).then(now_ms);
        let update = sqlx::query("UPDATE jobs SET state = ?, finished_at = ? WHERE id = ?")
            .bind(state.as_str())
            .bind(finished)
            .bind(job)
            .execute(&self.pool);
        self.write(update).await.map(drop)
    }

    /// The job at a glance: counts by state, the recent rate and the time left.
    pub async fn summary(&self, job: &JobRow) -> Result<JobSummary, sqlx::Error> {
        let mut counts = JobCounts::default();
        let rows = sqlx::query(
            "SELECT state, count(*) AS n FROM job_operations WHERE job_id = ? GROUP BY state",
        )
        .bind(job.id)
        .fetch_all(&self.pool)
        .await?;
        let mut total = 0;
        for row in &rows {
            let state: String = row.try_get("state")?;
            let n: i64 = row.try_get("n")?;
            total += n as usize;
            if let Some(state) = OpState::parse(&state) {
                counts.add_many(state, n as usize);
            }
        }
        // The rate over the last two minutes of finished operations.
        let now = now_ms();
        let recent = sqlx::query(
            "SELECT count(*) AS n, min(updated_at) AS first FROM job_operations
             WHERE job_id = ? AND state IN ('done', 'failed') AND attempts > 0 AND updated_at >= ?",
        )
        .bind(job.id)
        .bind(now - 120_000)
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = recent.try_get("n")?;
        let first: Option<i64> = recent.try_get("first")?;
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
