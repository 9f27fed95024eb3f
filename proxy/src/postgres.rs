//! `[database]`: PostgreSQL for several replicas. Connecting, migrating one replica at a
//! time, and refusing to start, in words, on a database that cannot be reached or whose
//! schema an older Roster cannot use.

use std::{path::PathBuf, str::FromStr, time::Duration};

use serde::Deserialize;
use sqlx::{
    PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::config_error::ConfigError;

/// The migrations this binary knows.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// `[database]` in `roster.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://user@host:5432/roster?sslmode=verify-full&sslrootcert=/etc/roster/ca.pem`;
    /// without it, SQLite in `data_dir`. Never with a password: see `password_file`.
    pub url: Option<String>,
    /// A file holding the password (else libpq's `PGPASSFILE`, or `~/.pgpass`).
    pub password_file: Option<PathBuf>,
    /// Connections each replica keeps at most.
    #[serde(default = "default_connections")]
    pub max_connections: u32,
}

fn default_connections() -> u32 {
    10
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        message: message.into(),
    }
}

impl DatabaseConfig {
    /// The connection options, checked: a PostgreSQL URL without a password in it, and the
    /// password from `password_file` if there is one.
    pub fn options(&self) -> Result<Option<PgConnectOptions>, ConfigError> {
        let Some(raw) = self.url.as_deref().filter(|u| !u.trim().is_empty()) else {
            if self.password_file.is_some() {
                return Err(invalid(
                    "database.password_file",
                    "is set, but database.url is not: set both, or neither for SQLite",
                ));
            }
            return Ok(None);
        };
        let parsed = url::Url::parse(raw).map_err(|e| {
            invalid(
                "database.url",
                format!("is not a URL ({e}); write postgres://user@host:5432/roster"),
            )
        })?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(invalid(
                "database.url",
                format!(
                    "must be a postgres:// URL, not {}://; without it Roster uses SQLite in data_dir",
                    parsed.scheme()
                ),
            ));
        }
        if parsed.password().is_some()
            || parsed
                .query_pairs()
                .any(|(k, _)| k.eq_ignore_ascii_case("password"))
        {
            return Err(invalid(
                "database.url",
                "holds a password; it must not be written in the configuration or on a \
                 command line: put it in a file named by database.password_file (readable \
                 only by Roster), or in libpq's PGPASSFILE",
            ));
        }
        let mut options = PgConnectOptions::from_str(raw)
            .map_err(|e| invalid("database.url", format!("cannot be used: {e}")))?
            .application_name("roster");
        if let Some(file) = &self.password_file {
            let password = std::fs::read_to_string(file).map_err(|e| {
                invalid(
                    "database.password_file",
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                return Err(invalid("database.password_file", "is empty"));
            }
            options = options.password(password);
        }
        if self.max_connections < 2 {
            return Err(invalid("database.max_connections", "must be at least 2"));
        }
        Ok(Some(options))
    }
}

/// Why Roster could not start on its database, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error(
        "Roster cannot reach its database at {at}: {error}. Check database.url and that \
         PostgreSQL is running and reachable from here; Roster does not start without it."
    )]
    Unreachable { at: String, error: sqlx::Error },
    #[error(
        "The database at {at} has a schema from a newer Roster (migration {found}; this Roster \
         knows up to {known}, and that migration needs Roster {needs} or later to run). Run the \
         newer Roster, or restore the database from a backup taken before the upgrade."
    )]
    TooNew {
        at: String,
        found: i64,
        known: i64,
        needs: i64,
    },
    #[error("Roster could not prepare its tables in the database at {at}: {error}")]
    Migration {
        at: String,
        error: sqlx::migrate::MigrateError,
    },
}

/// Where the options point, for messages (never the password).
fn place(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    )
}

/// The latest migration this binary knows.
pub fn latest_known() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Connects and brings the schema up to date, one replica at a time (the migrator holds an
/// advisory lock while it runs). A schema newer than this binary is used as it is when its
/// migrations say an older Roster still works with it (`roster_schema.oldest_binary`);
/// otherwise start-up stops.
pub async fn connect(
    options: PgConnectOptions,
    max_connections: u32,
) -> Result<PgPool, DatabaseError> {
    let at = place(&options);
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|error| DatabaseError::Unreachable {
            at: at.clone(),
            error,
        })?;
    let known = latest_known();
    let applied: Option<i64> = sqlx::query_scalar(
        "SELECT max(version) FROM _sqlx_migrations
         WHERE to_regclass('_sqlx_migrations') IS NOT NULL",
    )
    .fetch_optional(&pool)
    .await
    .ok()
    .flatten()
    .flatten();
    if let Some(found) = applied.filter(|v| *v > known) {
        // A newer Roster migrated already; an older one may go on if it still fits.
        let needs: i64 = sqlx::query_scalar("SELECT oldest_binary FROM roster_schema")
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten()
            .unwrap_or(found);
        if needs > known {
            return Err(DatabaseError::TooNew {
                at,
                found,
                known,
                needs,
            });
        }
        tracing::info!(
            schema = found,
            known,
            "the database's schema is newer than this Roster and works with it"
        );
        return Ok(pool);
    }
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|error| DatabaseError::Migration { at, error })?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> DatabaseConfig {
        DatabaseConfig {
            url: Some(url.into()),
            password_file: None,
            max_connections: 10,
        }
    }

    #[test]
    fn a_password_never_comes_from_the_configuration() {
        for bad in [
            "postgres://roster:secret@db.example:5432/roster",
            "postgres://roster@db.example/roster?password=secret",
        ] {
            let error = config(bad).options().unwrap_err().to_string();
            assert!(error.starts_with("database.url:"), "{error}");
            assert!(error.contains("password_file"), "{error}");
            assert!(!error.contains("secret"), "{error}");
        }
        let error = config("mysql://db/roster")
            .options()
            .unwrap_err()
            .to_string();
        assert!(error.contains("postgres://"), "{error}");
        assert!(
            DatabaseConfig::default().options().unwrap().is_none(),
            "SQLite without a URL"
        );
    }

    #[test]
    fn the_password_file_and_tls_settings_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let options = DatabaseConfig {
            password_file: Some(file),
            ..config("postgres://roster@db.example:6543/roster?sslmode=verify-full&sslrootcert=/etc/roster/ca.pem")
        }
        .options()
        .unwrap()
        .unwrap();
        assert_eq!(options.get_port(), 6543);
        assert!(matches!(
            options.get_ssl_mode(),
            sqlx::postgres::PgSslMode::VerifyFull
        ));
        assert_eq!(place(&options), "db.example:6543/roster");
    }
}
