//! The audit log's and the jobs' queries, written once for SQLite and PostgreSQL.
//!
//! Both read `$1, $2, …` placeholders (SQLite numbers them by first appearance, so each
//! query names them in order) and the same `INSERT … ON CONFLICT`, `RETURNING`,
//! `lower(…)` and `LIKE … ESCAPE`. What differs is in [`Flavor`]: PostgreSQL serialises
//! appends to the audit log so that IDs follow commit order (SQLite has one writer).

use async_trait::async_trait;
use roster_api::{AuditOutcome, JobState, OpState};
use sqlx::{QueryBuilder, Row};

use super::Whose;
use super::{
    ActionRow, AuditStore, EntryRow, Fence, HandledRow, JobEventRow, JobRecord, JobStore,
    LeaseStore, NewJob, OpChange, OperationRecord, OutcomeRow, PageFilter,
};

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
    /// The same for one job's events (`$1`: the job).
    const SERIALISE_EVENTS: Option<&'static str>;
}

impl Flavor for Sqlite {
    // One writer at a time already.
    const SERIALISE_APPENDS: Option<&'static str> = None;
    const SERIALISE_EVENTS: Option<&'static str> = None;
}

impl Flavor for Postgres {
    // Transaction-scoped advisory locks (they work through PgBouncer's transaction mode).
    const SERIALISE_APPENDS: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(7252001)");
    const SERIALISE_EVENTS: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock((7252002::bigint << 32) | $1)");
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The audit log's and the jobs' queries for one backend (`$db`, the sqlx database; `$now`,
/// its clock in Unix milliseconds).
macro_rules! sql_stores {
    ($store:ident, $db:ty, $now:literal) => {
        impl $store {
            /// ` AND` the lease of `job` is still `fence`'s, by the database's clock.
            fn fenced(q: &mut QueryBuilder<$db>, job: i64, fence: Option<Fence<'_>>) {
                if let Some(f) = fence {
                    q.push(" AND EXISTS (SELECT 1 FROM jobs WHERE id = ")
                        .push_bind(job)
                        .push(" AND owner = ")
                        .push_bind(f.owner.to_string())
                        .push(" AND term = ")
                        .push_bind(f.term)
                        .push(concat!(" AND lease_until > ", $now, ")"));
                }
            }
        }

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
                from: Option<OpState>,
                fence: Option<Fence<'_>>,
            ) -> Result<bool, sqlx::Error> {
                let mut q = QueryBuilder::<$db>::new("UPDATE job_operations SET state = ");
                q.push_bind(c.state.as_str().to_string())
                    .push(", message = ")
                    .push_bind(c.message.map(str::to_string))
                    .push(", slack_error = ")
                    .push_bind(c.slack_error.map(str::to_string))
                    .push(", audit_id = COALESCE(")
                    .push_bind(c.audit_id)
                    .push(", audit_id), attempts = attempts + ")
                    .push_bind(i64::from(c.attempt))
                    .push(", updated_at = ")
                    .push_bind(c.at)
                    .push(" WHERE job_id = ")
                    .push_bind(job)
                    .push(" AND idx = ")
                    .push_bind(idx);
                if let Some(from) = from {
                    q.push(" AND state = ").push_bind(from.as_str().to_string());
                }
                Self::fenced(&mut q, job, fence);
                let done = q.build().execute(&self.pool).await?;
                Ok(done.rows_affected() > 0)
            }

            async fn move_ops(
                &self,
                job: i64,
                from: &[OpState],
                to: OpState,
                message: Option<&str>,
                at: i64,
                fence: Option<Fence<'_>>,
            ) -> Result<u64, sqlx::Error> {
                let mut moved = 0;
                for state in from {
                    let mut q = QueryBuilder::<$db>::new("UPDATE job_operations SET state = ");
                    q.push_bind(to.as_str().to_string())
                        .push(", message = ")
                        .push_bind(message.map(str::to_string))
                        .push(", slack_error = NULL, updated_at = ")
                        .push_bind(at)
                        .push(" WHERE job_id = ")
                        .push_bind(job)
                        .push(" AND state = ")
                        .push_bind(state.as_str().to_string());
                    Self::fenced(&mut q, job, fence);
                    moved += q.build().execute(&self.pool).await?.rows_affected();
                }
                Ok(moved)
            }

            async fn finish(&self, job: i64, at: i64, fence: Fence<'_>) -> Result<bool, sqlx::Error> {
                let done = sqlx::query(concat!(
                    "UPDATE jobs SET
                       finished_at = CASE WHEN state = 'running' THEN $1 ELSE finished_at END,
                       state = CASE WHEN state = 'running' THEN 'finished' ELSE state END,
                       owner = NULL, lease_until = NULL
                     WHERE id = $2 AND owner = $3 AND term = $4 AND lease_until > ",
                    $now
                ))
                .bind(at)
                .bind(job)
                .bind(fence.owner)
                .bind(fence.term)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
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

            async fn claimable(&self) -> Result<Vec<i64>, sqlx::Error> {
                sqlx::query_scalar(concat!(
                    "SELECT id FROM jobs WHERE state IN ('running', 'paused')
                       AND (owner IS NULL OR lease_until IS NULL OR lease_until <= ",
                    $now,
                    ") ORDER BY id"
                ))
                .fetch_all(&self.pool)
                .await
            }

            async fn claim(
                &self,
                job: i64,
                owner: &str,
                lease_ms: i64,
            ) -> Result<Option<i64>, sqlx::Error> {
                // Two replicas claiming at once: the second sees the row the first wrote
                // and finds the lease taken.
                sqlx::query_scalar(concat!(
                    "UPDATE jobs SET owner = $1, term = term + 1, lease_until = ",
                    $now,
                    " + $2
                     WHERE id = $3 AND state IN ('running', 'paused')
                       AND (owner IS NULL OR lease_until IS NULL OR lease_until <= ",
                    $now,
                    ") RETURNING term"
                ))
                .bind(owner)
                .bind(lease_ms)
                .bind(job)
                .fetch_optional(&self.pool)
                .await
            }

            async fn renew(
                &self,
                job: i64,
                fence: Fence<'_>,
                lease_ms: i64,
            ) -> Result<Option<String>, sqlx::Error> {
                sqlx::query_scalar(concat!(
                    "UPDATE jobs SET lease_until = ",
                    $now,
                    " + $1 WHERE id = $2 AND owner = $3 AND term = $4 AND lease_until > ",
                    $now,
                    " RETURNING state"
                ))
                .bind(lease_ms)
                .bind(job)
                .bind(fence.owner)
                .bind(fence.term)
                .fetch_optional(&self.pool)
                .await
            }

            async fn release(&self, job: i64, fence: Fence<'_>) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "UPDATE jobs SET owner = NULL, lease_until = NULL
                     WHERE id = $1 AND owner = $2 AND term = $3",
                )
                .bind(job)
                .bind(fence.owner)
                .bind(fence.term)
                .execute(&self.pool)
                .await
                .map(drop)
            }

            async fn free_leases(&self) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "UPDATE jobs SET owner = NULL, lease_until = NULL WHERE owner IS NOT NULL",
                )
                .execute(&self.pool)
                .await
                .map(drop)
            }

            async fn owns(&self, job: i64, fence: Fence<'_>) -> Result<bool, sqlx::Error> {
                let found: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT id FROM jobs WHERE id = $1 AND owner = $2 AND term = $3
                       AND lease_until > ",
                    $now
                ))
                .bind(job)
                .bind(fence.owner)
                .bind(fence.term)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.is_some())
            }

            async fn add_event(&self, job: i64, idx: Option<i64>) -> Result<i64, sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                if let Some(lock) = <$store as Flavor>::SERIALISE_EVENTS {
                    sqlx::query(lock).bind(job).execute(&mut *tx).await?;
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO job_events (job_id, idx) VALUES ($1, $2) RETURNING id",
                )
                .bind(job)
                .bind(idx)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn events_after(
                &self,
                job: i64,
                after: i64,
            ) -> Result<Vec<JobEventRow>, sqlx::Error> {
                sqlx::query_as(
                    "SELECT id, idx FROM job_events WHERE job_id = $1 AND id > $2
                     ORDER BY id LIMIT 1000",
                )
                .bind(job)
                .bind(after)
                .fetch_all(&self.pool)
                .await
            }
        }

        #[async_trait]
        impl LeaseStore for $store {
            async fn acquire(
                &self,
                name: &str,
                owner: &str,
                lease_ms: i64,
            ) -> Result<Option<i64>, sqlx::Error> {
                // Renewed while it is the owner's and has not expired; otherwise taken over
                // with a new term (the owner's own expired lease too: it may have been taken
                // and given back meanwhile).
                sqlx::query_scalar(concat!(
                    "INSERT INTO leases (name, owner, term, expires_at) VALUES ($1, $2, 1, ",
                    $now,
                    " + $3)
                     ON CONFLICT (name) DO UPDATE SET
                       term = CASE WHEN leases.owner = excluded.owner AND leases.expires_at > ",
                    $now,
                    " THEN leases.term ELSE leases.term + 1 END,
                       owner = excluded.owner,
                       expires_at = excluded.expires_at
                     WHERE leases.owner IS NULL OR leases.owner = excluded.owner
                        OR leases.expires_at <= ",
                    $now,
                    " RETURNING term"
                ))
                .bind(name)
                .bind(owner)
                .bind(lease_ms)
                .fetch_optional(&self.pool)
                .await
            }

            async fn give_up(&self, name: &str, fence: Fence<'_>) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "UPDATE leases SET owner = NULL, expires_at = 0
                     WHERE name = $1 AND owner = $2 AND term = $3",
                )
                .bind(name)
                .bind(fence.owner)
                .bind(fence.term)
                .execute(&self.pool)
                .await
                .map(drop)
            }

            async fn holds(&self, name: &str, fence: Fence<'_>) -> Result<bool, sqlx::Error> {
                let found: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT term FROM leases WHERE name = $1 AND owner = $2 AND term = $3
                       AND expires_at > ",
                    $now
                ))
                .bind(name)
                .bind(fence.owner)
                .bind(fence.term)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.is_some())
            }

            async fn now_ms(&self) -> Result<i64, sqlx::Error> {
                sqlx::query_scalar(concat!("SELECT ", $now))
                    .fetch_one(&self.pool)
                    .await
            }
        }
    };
}

sql_stores!(
    Sqlite,
    sqlx::Sqlite,
    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
);
sql_stores!(
    Postgres,
    sqlx::Postgres,
    "(extract(epoch from clock_timestamp()) * 1000)::bigint"
);
