//! Roster's database: one SQLite file in `data_dir` (WAL, synchronous writes) for one
//! process, or PostgreSQL for several replicas, holding the audit log and the jobs. [`Db`]
//! owns the connection pool, the migrations and whether writes work; the audit log and
//! the jobs use its stores (see [`crate::store`]).

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Arc, Mutex},
};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{
    private_files,
    store::{self, AuditStore, JobStore},
};

/// The database.
#[derive(Debug, Clone)]
pub struct Db {
    audit: Arc<dyn AuditStore>,
    jobs: Arc<dyn JobStore>,
    leases: Arc<dyn store::LeaseStore>,
    activity: Arc<dyn store::ActivityStore>,
    /// The pool, when the database is PostgreSQL (shared by replicas).
    postgres: Option<sqlx::PgPool>,
    state: Arc<StorageState>,
    /// Where outcomes that could not be written wait (beside the database, or in
    /// `data_dir` for PostgreSQL).
    spool: PathBuf,
}

impl Db {
    /// Opens (creating if needed) `path`, private to Roster's user, and applies the
    /// migrations.
    pub async fn open(path: &Path) -> Result<Self, sqlx::Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_files::private_dir(dir).map_err(sqlx::Error::Io)?;
        }
        private_files::private_file(path).map_err(sqlx::Error::Io)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut companion = path.as_os_str().to_owned();
            companion.push(suffix);
            private_files::private_if_present(Path::new(&companion)).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let mut spool = path.as_os_str().to_owned();
        spool.push(".pending-outcomes");
        let rows = store::Sqlite { pool };
        Ok(Self {
            audit: Arc::new(rows.clone()),
            jobs: Arc::new(rows.clone()),
            activity: Arc::new(rows.clone()),
            leases: Arc::new(rows),
            postgres: None,
            state: Arc::default(),
            spool: spool.into(),
        })
    }

    /// Roster's rows in PostgreSQL, over `pool` (migrated already, see
    /// [`crate::postgres::connect`]); outcomes wait in `spool` while the database is away.
    pub fn postgres(pool: sqlx::PgPool, spool: PathBuf) -> Self {
        let rows = store::Postgres { pool: pool.clone() };
        Self {
            audit: Arc::new(rows.clone()),
            jobs: Arc::new(rows.clone()),
            activity: Arc::new(rows.clone()),
            leases: Arc::new(rows),
            postgres: Some(pool),
            state: Arc::default(),
            spool,
        }
    }

    /// The file outcomes wait in while they cannot be written.
    pub fn spool(&self) -> &Path {
        &self.spool
    }

    /// The audit log's rows.
    pub fn audit_rows(&self) -> &Arc<dyn AuditStore> {
        &self.audit
    }

    /// The jobs' rows.
    pub fn job_rows(&self) -> &Arc<dyn JobStore> {
        &self.jobs
    }

    /// What Roster keeps of Slack's member analytics.
    pub fn activity_rows(&self) -> &Arc<dyn store::ActivityStore> {
        &self.activity
    }

    /// The PostgreSQL pool, when several replicas share the database.
    pub fn shared(&self) -> Option<&sqlx::PgPool> {
        self.postgres.as_ref()
    }

    /// Slack's pace shared by the replicas (PostgreSQL only).
    pub fn shared_pace(&self) -> Option<Arc<dyn store::PaceStore>> {
        self.postgres
            .clone()
            .map(|pool| Arc::new(store::Postgres { pool }) as Arc<dyn store::PaceStore>)
    }

    /// Leases of work one replica does for all.
    pub fn leases(&self) -> &Arc<dyn store::LeaseStore> {
        &self.leases
    }
}

/// Why Roster could not write to its storage (a change is then refused: nothing was
/// changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} Nothing was changed.", why(*.full))]
pub struct StorageError {
    /// The disk (or quota) is full.
    pub full: bool,
    /// What the database said, for the log.
    pub detail: String,
}

/// Why changes are refused, in one sentence.
fn why(full: bool) -> &'static str {
    if full {
        "Roster cannot record changes right now: its storage is full."
    } else {
        "Roster cannot record changes right now: its storage cannot be written."
    }
}

impl StorageError {
    /// Why changes are refused, without the refusal's "Nothing was changed." (the
    /// console's banner).
    pub fn reason(&self) -> &'static str {
        why(self.full)
    }
}

/// A write failure tests can inject behind [`Db`] (there is no way to set one from the
/// configuration or over HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    /// Every write fails, as on a full disk.
    Everything,
    /// Only the records of how changes ended fail (the moment after Slack answered).
    Outcomes,
}

/// Which write is being made, for [`WriteFault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// How a change ended: an audit outcome row, a job row's final state.
    Outcome,
    /// Anything else.
    Other,
}

/// Whether the storage can be written, as the last write found it.
#[derive(Debug, Default)]
pub struct StorageState {
    failing: Mutex<Option<Failing>>,
    fault: Mutex<Option<WriteFault>>,
}

/// Since when, and why, writes fail.
#[derive(Debug, Clone)]
pub struct Failing {
    /// Unix seconds of the first failure.
    pub since: i64,
    pub error: StorageError,
}

impl Db {
    /// Whether the storage can be written.
    pub fn state(&self) -> &StorageState {
        &self.state
    }

    /// Makes the writes `fault` names fail (`None`: none), as a full disk would.
    pub fn inject(&self, fault: Option<WriteFault>) {
        *self.state.fault.lock().unwrap() = fault;
    }

    /// Before a write: the injected failure, if one applies.
    pub fn injected(&self, kind: WriteKind) -> Result<(), sqlx::Error> {
        let fault = *self.state.fault.lock().unwrap();
        let fails = match fault {
            Some(WriteFault::Everything) => true,
            Some(WriteFault::Outcomes) => kind == WriteKind::Outcome,
            None => false,
        };
        if fails {
            return Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device (injected)",
            )));
        }
        Ok(())
    }

    /// Writes one small row, to find out whether the storage can be written.
    pub async fn probe(&self) -> Result<(), StorageError> {
        let write = async {
            self.injected(WriteKind::Other)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            self.audit.probe(now).await
        };
        match write.await {
            Ok(()) => {
                self.wrote();
                Ok(())
            }
            Err(e) => Err(self.write_failed(e)),
        }
    }

    /// A write succeeded: the storage works (logged once, when it comes back).
    pub fn wrote(&self) {
        if let Some(failing) = self.state.failing.lock().unwrap().take() {
            tracing::info!(
                since = failing.since,
                "Roster's storage can be written again; changes are accepted"
            );
        }
    }

    /// A write failed: why, as a [`StorageError`] (logged once, when writes start failing).
    pub fn write_failed(&self, error: sqlx::Error) -> StorageError {
        let storage = StorageError {
            full: is_full(&error),
            detail: error.to_string(),
        };
        let mut failing = self.state.failing.lock().unwrap();
        if failing.is_none() {
            tracing::error!(
                error = %storage.detail,
                full = storage.full,
                "Roster's storage cannot be written: changes are refused until it can"
            );
            *failing = Some(Failing {
                since: crate::directory::unix_now(),
                error: storage.clone(),
            });
        }
        storage
    }
}

impl StorageState {
    /// Since when and why writes fail; `None` while they work.
    pub fn failing(&self) -> Option<Failing> {
        self.failing.lock().unwrap().clone()
    }
}

/// Whether a database error means the disk (or quota) is full.
fn is_full(error: &sqlx::Error) -> bool {
    match error {
        // SQLITE_FULL, and PostgreSQL's disk_full.
        sqlx::Error::Database(e) => {
            matches!(e.code().as_deref(), Some("13" | "53100")) || e.message().contains("full")
        }
        sqlx::Error::Io(e) => e.kind() == std::io::ErrorKind::StorageFull,
        _ => error.to_string().contains("full"),
    }
}
