//! The audit log's and the jobs' queries, written once for SQLite and PostgreSQL.
//!
//! Both read `$1, $2, …` placeholders (SQLite numbers them by first appearance, so each
//! query names them in order) and the same `INSERT … ON CONFLICT`, `RETURNING`,
//! `lower(…)` and `LIKE … ESCAPE`. What differs is in [`Flavor`]: PostgreSQL serialises
//! appends to the audit log so that IDs follow commit order (SQLite has one writer).

use async_trait::async_trait;
use roster_api::{AuditOutcome, JobState, OpState};
use sqlx::{QueryBuilder, Row};

use super::{
    ActionRow, AuditStore, EntryRow, HandledRow, JobRecord, JobStore, NewJob, OpChange,
    OperationRecord, OutcomeRow, PageFilter,
};
use crate::audit::Whose;

/// The SQLite implementation.
#[derive(Debug, Clone)]
pub struct Sqlite {
    pub pool: sqlx::SqlitePool,
}

/// The PostgreSQL implementation.
#[derive(Debug, Clone)]
pub struct Postgres {
    pub pool: sqlx::PgPool,
}

/// What one backend says differently.
trait Flavor {
    /// Run in an append's transaction before it inserts: makes appends commit one at a
    /// time, in the order of their IDs.
    const SERIALISE_APPENDS: Option<&'static str>;
}

impl Flavor for Sqlite {
    // One writer at a time already.
    const SERIALISE_APPENDS: Option<&'static str> = None;
}

impl Flavor for Postgres {
    // A transaction-scoped advisory lock (it works through PgBouncer's transaction mode).
    const SERIALISE_APPENDS: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(7252001)");
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The audit log's and the jobs' queries for one backend (`$db`, the sqlx database).
macro_rules! sql_stores {
    ($store:ident, $db:ty) => {
        #[async_trait]
        impl AuditStore for $store {
            async fn append(&self, row: &ActionRow<'_>) -> Result<i64, sqlx::Error> {
                // An explicit transaction: its commit, where a full disk shows, is awaited
                // and its failure seen.
                let mut tx = self.pool.begin().await?;
                if let Some(lock) = <$store as Flavor>::SERIALISE_APPENDS {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let id: i64 = sqlx::query(
                    "INSERT INTO audit_actions
                       (at, request_id, actor_subject, actor_email, role, action, target_user,
                        workspace, params, state, message)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(row.at)
                .bind(row.request_id)
                .bind(row.actor_subject)
                .bind(row.actor_email)
                .bind(row.role)
                .bind(row.action)
                .bind(row.target_user)
                .bind(row.workspace)
                .bind(&row.params)
                .bind(row.state)
                .bind(row.message)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                tx.commit().await?;
                Ok(id)
            }

            async fn append_outcome(&self, row: &OutcomeRow) -> Result<(), sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                // A row spooled before a restart may have been written already.
                sqlx::query(
                    "INSERT INTO audit_outcomes (action_id, at, outcome, slack_error, message)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (action_id) DO NOTHING",
                )
                .bind(row.action_id)
                .bind(row.at)
                .bind(&row.outcome)
                .bind(&row.slack_error)
                .bind(&row.message)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }

            async fn page(&self, f: &PageFilter<'_>) -> Result<Vec<EntryRow>, sqlx::Error> {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT a.id, a.at, a.request_id, a.actor_email, a.role, a.action,
                            a.target_user, a.workspace, a.params, a.state, a.message,
                            o.outcome, o.slack_error, o.message AS outcome_message
                     FROM audit_actions a LEFT JOIN audit_outcomes o ON o.action_id = a.id
                     WHERE 1 = 1",
                );
                if let Some(id) = f.before {
                    q.push(" AND a.id < ").push_bind(id);
                }
                match f.whose {
                    Whose::Everything => {}
                    Whose::Own => {
                        q.push(" AND lower(a.actor_email) = lower(")
                            .push_bind(f.actor.to_string())
                            .push(")");
                    }
                    Whose::Workspaces(workspaces) => {
                        q.push(" AND (lower(a.actor_email) = lower(")
                            .push_bind(f.actor.to_string())
                            .push(") OR (o.outcome = 'ok' AND a.workspace IN (");
                        if workspaces.is_empty() {
                            q.push("NULL");
                        }
                        let mut list = q.separated(", ");
                        for w in workspaces {
                            list.push_bind(w.clone());
                        }
                        q.push(")))");
                    }
                }
                let query = f.query;
                if let Some(actor) = query.actor.as_deref().filter(|s| !s.is_empty()) {
                    q.push(" AND lower(a.actor_email) LIKE lower(")
                        .push_bind(format!("%{}%", like_escape(actor)))
                        .push(") ESCAPE '\\'");
                }
                if let Some(target) = query.target.as_deref().filter(|s| !s.is_empty()) {
                    q.push(" AND lower(a.target_user) LIKE lower(")
                        .push_bind(format!("%{}%", like_escape(target)))
                        .push(") ESCAPE '\\'");
                    // A filter never matches a value the reader may not see: others'
                    // addresses.
                    if f.hides_email {
                        q.push(" AND (a.target_user NOT LIKE '%@%' OR lower(a.actor_email) = lower(")
                            .push_bind(f.actor.to_string())
                            .push("))");
                    }
                }
                if let Some(action) = query.action.as_deref().filter(|s| !s.is_empty()) {
                    q.push(" AND a.action = ").push_bind(action.to_string());
                }
                if let Some(from) = query.from {
                    q.push(" AND a.at >= ").push_bind(from);
                }
                if let Some(to) = query.to {
                    q.push(" AND a.at < ").push_bind(to);
                }
                match query.outcome {
                    None => {}
                    Some(outcome @ (AuditOutcome::Denied | AuditOutcome::Invalid)) => {
                        q.push(" AND a.state = ")
                            .push_bind(outcome.as_str().to_string());
                    }
                    Some(AuditOutcome::Pending) => {
                        q.push(" AND a.state = 'pending' AND o.outcome IS NULL AND a.at >= ")
                            .push_bind(f.opened_at);
                    }
                    Some(AuditOutcome::Unknown) => {
                        q.push(" AND ((a.state = 'pending' AND o.outcome IS NULL AND a.at < ")
                            .push_bind(f.opened_at)
                            .push(") OR o.outcome = 'unknown')");
                    }
                    Some(outcome @ (AuditOutcome::Ok | AuditOutcome::SlackError)) => {
                        q.push(" AND o.outcome = ")
                            .push_bind(outcome.as_str().to_string());
                    }
                }
                q.push(" ORDER BY a.id DESC LIMIT ").push_bind(f.limit + 1);
                q.build_query_as().fetch_all(&self.pool).await
            }

            async fn handled(&self, requests: &[String]) -> Result<Vec<HandledRow>, sqlx::Error> {
                let mut found = Vec::new();
                // SQLite binds at most 32,766 parameters; a page holds far fewer requests.
                for chunk in requests.chunks(1_000) {
                    let mut q = QueryBuilder::<$db>::new(
                        "SELECT a.target_user, a.actor_email, a.params
                         FROM audit_actions a JOIN audit_outcomes o ON o.action_id = a.id
                         WHERE o.outcome = 'ok' AND a.action IN ('approve_request', 'deny_request')
                           AND a.target_user IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.clone());
                    }
                    q.push(") ORDER BY a.id");
                    for row in q.build().fetch_all(&self.pool).await? {
                        found.push(HandledRow {
                            request: row.try_get(0)?,
                            actor_email: row.try_get(1)?,
                            params: row.try_get(2)?,
                        });
                    }
                }
                Ok(found)
            }

            async fn count(&self) -> Result<i64, sqlx::Error> {
                sqlx::query("SELECT COUNT(*) FROM audit_actions")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)
            }

            async fn probe(&self, at: i64) -> Result<(), sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO storage_probe (id, at) VALUES (1, $1)
                     ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                )
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
        }

        #[async_trait]
        impl JobStore for $store {
            async fn create(&self, job: &NewJob<'_>) -> Result<i64, sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                let id: i64 = sqlx::query(
                    "INSERT INTO jobs (title, created_at, creator_subject, creator_email,
                                       creator_groups, creator_role, state)
                     VALUES ($1, $2, $3, $4, $5, $6, 'running') RETURNING id",
                )
                .bind(job.title)
                .bind(job.created_at)
                .bind(job.creator_subject)
                .bind(job.creator_email)
                .bind(&job.creator_groups)
                .bind(job.creator_role)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                for (i, (op, state, message)) in job.operations.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO job_operations (job_id, idx, operation, state, message, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id)
                    .bind(i as i64)
                    .bind(op)
                    .bind(state.as_str())
                    .bind(message)
                    .bind(job.created_at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            async fn job(&self, id: i64) -> Result<Option<JobRecord>, sqlx::Error> {
                sqlx::query_as("SELECT * FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
            }

            async fn jobs(
                &self,
                creator: Option<&str>,
                limit: i64,
            ) -> Result<Vec<JobRecord>, sqlx::Error> {
                match creator {
                    Some(email) => {
                        sqlx::query_as(
                            "SELECT * FROM jobs WHERE lower(creator_email) = lower($1)
                             ORDER BY id DESC LIMIT $2",
                        )
                        .bind(email)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                    }
                    None => {
                        sqlx::query_as("SELECT * FROM jobs ORDER BY id DESC LIMIT $1")
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await
                    }
                }
            }

            async fn unfinished(&self) -> Result<Vec<JobRecord>, sqlx::Error> {
                sqlx::query_as(
                    "SELECT * FROM jobs WHERE state IN ('running', 'paused') ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
            }

            async fn operations(&self, job: i64) -> Result<Vec<OperationRecord>, sqlx::Error> {
                sqlx::query_as("SELECT * FROM job_operations WHERE job_id = $1 ORDER BY idx")
                    .bind(job)
                    .fetch_all(&self.pool)
                    .await
            }

            async fn operation(
                &self,
                job: i64,
                idx: i64,
            ) -> Result<Option<OperationRecord>, sqlx::Error> {
                sqlx::query_as("SELECT * FROM job_operations WHERE job_id = $1 AND idx = $2")
                    .bind(job)
                    .bind(idx)
                    .fetch_optional(&self.pool)
                    .await
            }

            async fn set_op(
                &self,
                job: i64,
                idx: i64,
                c: &OpChange<'_>,
            ) -> Result<bool, sqlx::Error> {
                let done = sqlx::query(
                    "UPDATE job_operations SET state = $1, message = $2, slack_error = $3,
                       audit_id = COALESCE($4, audit_id), attempts = attempts + $5, updated_at = $6
                     WHERE job_id = $7 AND idx = $8",
                )
                .bind(c.state.as_str())
                .bind(c.message)
                .bind(c.slack_error)
                .bind(c.audit_id)
                .bind(i64::from(c.attempt))
                .bind(c.at)
                .bind(job)
                .bind(idx)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn move_ops(
                &self,
                job: i64,
                from: &[OpState],
                to: OpState,
                message: Option<&str>,
                at: i64,
            ) -> Result<u64, sqlx::Error> {
                let mut moved = 0;
                for state in from {
                    moved += sqlx::query(
                        "UPDATE job_operations SET state = $1, message = $2, slack_error = NULL,
                           updated_at = $3
                         WHERE job_id = $4 AND state = $5",
                    )
                    .bind(to.as_str())
                    .bind(message)
                    .bind(at)
                    .bind(job)
                    .bind(state.as_str())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                }
                Ok(moved)
            }

            async fn finish(&self, job: i64, at: i64) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "UPDATE jobs SET state = 'finished', finished_at = $1
                     WHERE id = $2 AND state = 'running'",
                )
                .bind(at)
                .bind(job)
                .execute(&self.pool)
                .await
                .map(drop)
            }

            async fn set_state(
                &self,
                job: i64,
                state: JobState,
                finished_at: Option<i64>,
            ) -> Result<(), sqlx::Error> {
                sqlx::query("UPDATE jobs SET state = $1, finished_at = $2 WHERE id = $3")
                    .bind(state.as_str())
                    .bind(finished_at)
                    .bind(job)
                    .execute(&self.pool)
                    .await
                    .map(drop)
            }

            async fn counts(&self, job: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
                sqlx::query_as(
                    "SELECT state, count(*) AS n FROM job_operations WHERE job_id = $1
                     GROUP BY state",
                )
                .bind(job)
                .fetch_all(&self.pool)
                .await
            }

            async fn ended_since(
                &self,
                job: i64,
                since: i64,
            ) -> Result<(i64, Option<i64>), sqlx::Error> {
                sqlx::query_as(
                    "SELECT count(*) AS n, min(updated_at) AS first FROM job_operations
                     WHERE job_id = $1 AND state IN ('done', 'failed') AND attempts > 0
                       AND updated_at >= $2",
                )
                .bind(job)
                .bind(since)
                .fetch_one(&self.pool)
                .await
            }
        }
    };
}

sql_stores!(Sqlite, sqlx::Sqlite);
sql_stores!(Postgres, sqlx::Postgres);
