//! What replicas share through PostgreSQL beyond the audit log and the jobs: the directory's
//! snapshots, and the feed of what each replica changed that the others must know at once.

use super::{Fence, Postgres};

/// The database's clock in Unix milliseconds.
const NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The lease of the replica that syncs the directory.
pub const SYNC_LEASE: &str = "directory-sync";

/// A stored snapshot's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SnapshotInfo {
    pub version: i64,
    /// Unix seconds.
    pub synced_at: i64,
    pub changes_through: i64,
}

impl Postgres {
    /// Appends an event of the feed; events commit in the order of their numbers.
    pub async fn publish(&self, origin: &str, at: i64, event: &str) -> Result<i64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7252003)")
            .execute(&mut *tx)
            .await?;
        let seq = sqlx::query_scalar(
            "INSERT INTO replica_events (at, origin, event) VALUES ($1, $2, $3) RETURNING seq",
        )
        .bind(at)
        .bind(origin)
        .bind(event)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// The feed's events after `after`, oldest first, without those of `except` (none
    /// left out when it is `None`).
    pub async fn feed_after(
        &self,
        after: i64,
        except: Option<&str>,
    ) -> Result<Vec<(i64, String)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT seq, event FROM replica_events
             WHERE seq > $1 AND ($2::text IS NULL OR origin <> $2)
             ORDER BY seq LIMIT 1000",
        )
        .bind(after)
        .bind(except)
        .fetch_all(&self.pool)
        .await
    }

    /// The feed's last number (0: none yet).
    pub async fn feed_end(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM replica_events")
            .fetch_one(&self.pool)
            .await
    }

    /// The newest snapshot, if any.
    pub async fn latest_snapshot(&self) -> Result<Option<SnapshotInfo>, sqlx::Error> {
        sqlx::query_as(
            "SELECT version, synced_at, changes_through FROM directory_snapshots
             ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
    }

    /// A snapshot's gzipped data.
    pub async fn snapshot_data(&self, version: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
        sqlx::query_scalar("SELECT data FROM directory_snapshots WHERE version = $1")
            .bind(version)
            .fetch_optional(&self.pool)
            .await
    }

    /// Stores a snapshot, only while `fence` holds the sync's lease (a replica that lost it
    /// while it synced writes nothing), and keeps the two newest. Returns its version.
    pub async fn store_snapshot(
        &self,
        fence: Fence<'_>,
        info: SnapshotInfo,
        started_at: i64,
        users: usize,
        data: &[u8],
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let version: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "INSERT INTO directory_snapshots (synced_at, started_at, changes_through, users, data)
             SELECT $1, $2, $3, $4, $5 WHERE EXISTS (
               SELECT 1 FROM leases WHERE name = $6 AND owner = $7 AND term = $8
                 AND expires_at > {NOW})
             RETURNING version"
        )))
        .bind(info.synced_at)
        .bind(started_at)
        .bind(info.changes_through)
        .bind(users as i64)
        .bind(data)
        .bind(SYNC_LEASE)
        .bind(fence.owner)
        .bind(fence.term)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(version) = version {
            sqlx::query("DELETE FROM directory_snapshots WHERE version < $1 - 1")
                .bind(version)
                .execute(&mut *tx)
                .await?;
            // The feed before the older kept snapshot is no longer needed by anyone.
            sqlx::query(
                "DELETE FROM replica_events WHERE seq <= (
                   SELECT coalesce(min(changes_through), 0) FROM directory_snapshots)",
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(version)
    }
}
