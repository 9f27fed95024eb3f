//! The audit log (SQLite, WAL): an intent row before every Slack write and an outcome row
//! after it, plus refused attempts. Nothing in Roster updates or deletes a row, and triggers
//! in the schema refuse it.

use roster_api::{AuditEntry, AuditOutcome, AuditPage, AuditQuery};
use serde_json::Value;

use crate::{
    db::{Db, StorageError, WriteKind},
    policy::{Caller, Field},
    sentence::Reader,
    store::{ActionRow, EntryRow, OutcomeRow, PageFilter},
};

/// Keys whose values never go into the log.
const REDACTED_KEYS: &[&str] = &["custom_message", "token"];

/// What is being attempted.
#[derive(Debug, Clone)]
pub struct Intent<'a> {
    pub request_id: &'a str,
    pub caller: &'a Caller,
    pub action: &'a str,
    pub target_user: Option<&'a str>,
    pub workspace: Option<&'a str>,
    pub params: Value,
}

pub use crate::store::Whose;

/// Who reads the log: whose entries they may see, and the fields their role hides, which
/// are taken out of every entry they read (its target, params and sentences) except what
/// they gave themselves in their own changes.
#[derive(Debug, Clone)]
pub struct AuditReader<'a> {
    pub actor: &'a str,
    pub whose: Whose,
    pub hidden: Vec<Field>,
    /// May read other people's jobs (a role covering every workspace with
    /// `audit.read_all`): others' job rows keep the job and row they belong to.
    pub reads_others_jobs: bool,
}

/// An invite request approved or denied through Roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub actor_email: String,
    /// The reason given for a denial.
    pub reason: Option<String>,
}

/// Whether an outcome is in the log yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Recorded {
    Now,
    /// The storage could not take it: it waits, and is written before the next change.
    Pending,
}

impl AuditReader<'_> {
    /// A reader of every entry who sees every field (tests, and the server's own reads).
    pub fn everything() -> AuditReader<'static> {
        AuditReader {
            actor: "",
            whose: Whose::Everything,
            hidden: Vec::new(),
            reads_others_jobs: true,
        }
    }

    fn hides(&self, field: Field) -> bool {
        self.hidden.contains(&field)
    }

    /// An entry as this reader may read it: its sentences rendered for the reader's role,
    /// and the values the role hides taken out of what others did (an address another
    /// person typed, a date another person set).
    fn shown(&self, mut entry: AuditEntry) -> AuditEntry {
        let is_actor = entry.actor_email.eq_ignore_ascii_case(self.actor);
        let hides = |f: Field| self.hides(f);
        let reader = Reader {
            hides: &hides,
            is_actor,
        };
        entry.message = entry.message.map(|m| reader.render(&m));
        if is_actor {
            return entry;
        }
        // A job the reader may not read is not described by its entries either: which job,
        // which row, how many attempts.
        if !self.reads_others_jobs && entry.request_id.starts_with("job-") {
            entry.request_id = "job".to_string();
        }
        if self.hides(Field::Email)
            && let Some(address) = entry.target_user.take_if(|t| t.contains('@'))
        {
            // Entries written before sentences carried their marks.
            entry.message = entry
                .message
                .map(|m| m.replace(address.as_str(), "an address your role does not show"));
        }
        let mut keys: Vec<&str> = PARAMS_OF
            .iter()
            .filter(|(f, _)| self.hides(*f))
            .map(|(_, k)| *k)
            .collect();
        if !self.reads_others_jobs {
            keys.extend(["job", "row"]);
        }
        if let Ok(Value::Object(mut params)) = serde_json::from_str::<Value>(&entry.params) {
            let before = params.clone();
            params.retain(|k, _| !keys.contains(&k.as_str()));
            // Free text another person wrote (a denial's reason) loses its addresses.
            if self.hides(Field::Email)
                && let Some(Value::String(reason)) = params.get_mut("reason")
            {
                *reason =
                    crate::sentence::without_addresses(reason, crate::sentence::HIDDEN_ADDRESS);
            }
            if params != before {
                entry.params = Value::Object(params).to_string();
            }
        }
        entry
    }
}

/// The params that hold a field's values, in every kind of change.
const PARAMS_OF: [(Field, &str); 2] = [(Field::Email, "email"), (Field::Expires, "expires")];

/// The audit database.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Db,
    /// Outcomes that could not be written yet, oldest first.
    pending: std::sync::Arc<std::sync::Mutex<Vec<OutcomeRow>>>,
    /// Unix ms when this process opened the log: pending rows older than that never got an
    /// answer (Roster stopped), so they read as "unknown".
    opened_at: i64,
}

use crate::directory::unix_now_ms as now_ms;

/// Replaces sensitive values with `"[redacted]"`.
pub fn redact(mut params: Value) -> Value {
    if let Value::Object(map) = &mut params {
        for key in REDACTED_KEYS {
            if let Some(v) = map.get_mut(*key)
                && !v.is_null()
            {
                *v = Value::String("[redacted]".into());
            }
        }
    }
    params
}

impl AuditLog {
    /// The log in `db`, with the outcomes a previous run spooled waiting to be written.
    pub fn new(db: Db) -> Self {
        let spooled: Vec<OutcomeRow> = std::fs::read_to_string(db.spool())
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        if !spooled.is_empty() {
            tracing::info!(
                outcomes = spooled.len(),
                "outcomes waiting from before the restart"
            );
        }
        Self {
            db,
            pending: std::sync::Arc::new(std::sync::Mutex::new(spooled)),
            opened_at: now_ms(),
        }
    }

    /// Records an attempt before Slack is called, committed before this returns; returns
    /// its ID. Outcomes still waiting to be written go first: no change is accepted before
    /// the records of earlier ones are in.
    pub async fn intent(&self, intent: &Intent<'_>) -> Result<i64, StorageError> {
        self.flush().await?;
        self.insert(intent, "pending", None).await
    }

    /// Records an attempt Roster refused (`denied` or `invalid`) without calling Slack.
    pub async fn refused(
        &self,
        intent: &Intent<'_>,
        outcome: AuditOutcome,
        message: &str,
    ) -> Result<i64, StorageError> {
        self.insert(intent, outcome.as_str(), Some(message)).await
    }

    async fn insert(
        &self,
        intent: &Intent<'_>,
        state: &str,
        message: Option<&str>,
    ) -> Result<i64, StorageError> {
        let write = async {
            self.db.injected(WriteKind::Other)?;
            self.db
                .audit_rows()
                .append(&ActionRow {
                    at: now_ms(),
                    request_id: intent.request_id,
                    actor_subject: &intent.caller.subject,
                    actor_email: &intent.caller.email,
                    role: &intent.caller.role.name,
                    action: intent.action,
                    target_user: intent.target_user,
                    workspace: intent.workspace,
                    params: redact(intent.params.clone()).to_string(),
                    state,
                    message,
                })
                .await
        };
        match write.await {
            Ok(id) => {
                self.db.wrote();
                Ok(id)
            }
            Err(e) => Err(self.db.write_failed(e)),
        }
    }

    /// Records how an attempt ended. When the storage cannot take it (Slack has answered,
    /// so the change may be made), the outcome waits in memory and in a small file beside
    /// the database, and is written before any other change is accepted.
    pub async fn outcome(
        &self,
        action_id: i64,
        outcome: AuditOutcome,
        slack_error: Option<&str>,
        message: &str,
    ) -> Recorded {
        let row = OutcomeRow {
            action_id,
            at: now_ms(),
            outcome: outcome.as_str().to_string(),
            slack_error: slack_error.map(str::to_string),
            message: message.to_string(),
        };
        match self.write_outcome(&row).await {
            Ok(()) => {
                self.db.wrote();
                Recorded::Now
            }
            Err(e) => {
                let error = self.db.write_failed(e);
                tracing::warn!(action_id, error = %error.detail, "the outcome of a change waits to be recorded");
                self.keep(row);
                Recorded::Pending
            }
        }
    }

    async fn write_outcome(&self, row: &OutcomeRow) -> Result<(), sqlx::Error> {
        self.db.injected(WriteKind::Outcome)?;
        self.db.audit_rows().append_outcome(row).await
    }

    /// Keeps an outcome that could not be written, in memory and in the spool file (which
    /// may not take it either, on a full disk).
    fn keep(&self, row: OutcomeRow) {
        let line = serde_json::to_string(&row).expect("an outcome serialises") + "\n";
        self.pending.lock().unwrap().push(row);
        let spool = self.db.spool();
        let appended = crate::private_files::private_file(spool).and_then(|()| {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new().append(true).open(spool)?;
            file.write_all(line.as_bytes())?;
            file.sync_all()
        });
        if let Err(e) = appended {
            tracing::warn!(path = %spool.display(), error = %e, "cannot spool a waiting outcome; it is kept in memory");
        }
    }

    /// Writes the outcomes that are waiting, oldest first. Fails if any still cannot be
    /// written (they keep waiting).
    pub async fn flush(&self) -> Result<(), StorageError> {
        let waiting: Vec<OutcomeRow> = self.pending.lock().unwrap().clone();
        if waiting.is_empty() {
            return Ok(());
        }
        for (done, row) in waiting.iter().enumerate() {
            if let Err(e) = self.write_outcome(row).await {
                self.pending.lock().unwrap().drain(..done);
                return Err(self.db.write_failed(e));
            }
        }
        self.pending.lock().unwrap().drain(..waiting.len());
        self.db.wrote();
        tracing::info!(outcomes = waiting.len(), "waiting outcomes recorded");
        if let Err(e) = std::fs::write(self.db.spool(), b"") {
            tracing::warn!(error = %e, "cannot empty the outcome spool; its rows are written already");
        }
        Ok(())
    }

    /// Writes what waits, or finds out whether the storage works again (a watch calls
    /// this every few seconds while it does not).
    pub async fn recover(&self) -> Result<(), StorageError> {
        if self.waiting() > 0 {
            self.flush().await
        } else if self.storage().is_some() {
            self.db.probe().await
        } else {
            Ok(())
        }
    }

    /// Outcomes waiting to be written.
    pub fn waiting(&self) -> usize {
        self.pending.lock().unwrap().len()
    }

    /// Whether the storage can be written, as the last write found it.
    pub fn storage(&self) -> Option<crate::db::Failing> {
        self.db.state().failing()
    }

    /// A page of the log, newest first, of the entries `reader` may read.
    pub async fn list(
        &self,
        query: &AuditQuery,
        reader: &AuditReader<'_>,
    ) -> Result<AuditPage, sqlx::Error> {
        let limit = query.limit.unwrap_or(100).clamp(1, 500) as i64;
        let rows = self
            .db
            .audit_rows()
            .page(&PageFilter {
                query,
                whose: &reader.whose,
                actor: reader.actor,
                hides_email: reader.hides(Field::Email),
                opened_at: self.opened_at,
                before: query.cursor.as_deref().and_then(|c| c.parse().ok()),
                limit,
            })
            .await?;
        let more = rows.len() as i64 > limit;
        let entries: Vec<AuditEntry> = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| reader.shown(self.entry(row)))
            .collect();
        Ok(AuditPage {
            next_cursor: if more {
                entries.last().map(|e| e.id.to_string())
            } else {
                None
            },
            entries,
        })
    }

    fn entry(&self, row: EntryRow) -> AuditEntry {
        let outcome = match (row.state.as_str(), row.outcome.as_deref()) {
            (_, Some(o)) => AuditOutcome::parse(o).unwrap_or(AuditOutcome::Unknown),
            ("pending", None) if row.at < self.opened_at => AuditOutcome::Unknown,
            ("pending", None) => AuditOutcome::Pending,
            (s, None) => AuditOutcome::parse(s).unwrap_or(AuditOutcome::Unknown),
        };
        let message = row.outcome_message.or(row.message).or_else(|| {
            (outcome == AuditOutcome::Unknown).then(|| {
                "Roster stopped before Slack answered; check the user before retrying.".to_string()
            })
        });
        AuditEntry {
            id: row.id,
            at: row.at,
            request_id: row.request_id,
            actor_email: row.actor_email,
            role: row.role,
            action: row.action,
            target_user: row.target_user,
            target_name: None,
            workspace: row.workspace,
            params: row.params,
            outcome,
            slack_error: row.slack_error,
            message,
        }
    }

    /// The invite requests among `ids` approved or denied through Roster: who did it, and
    /// the reason given for a denial.
    pub async fn handled_requests(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, Handled>, sqlx::Error> {
        let mut found = std::collections::HashMap::new();
        for row in self.db.audit_rows().handled(ids).await? {
            let params: Value = serde_json::from_str(&row.params).unwrap_or(Value::Null);
            found.insert(
                row.request,
                Handled {
                    actor_email: row.actor_email,
                    reason: params["reason"].as_str().map(str::to_string),
                },
            );
        }
        Ok(found)
    }

    /// Number of action rows (tests and metrics).
    pub async fn count(&self) -> Result<i64, sqlx::Error> {
        self.db.audit_rows().count().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::RoleConfig;

    fn caller(email: &str) -> Caller {
        Caller {
            subject: email.into(),
            email: email.into(),
            groups: vec![],
            role: toml::from_str::<RoleConfig>(
                r#"name = "org-admin"
permissions = ["users.read"]"#,
            )
            .unwrap(),
        }
    }

    #[tokio::test]
    async fn intents_outcomes_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(Db::open(&dir.path().join("roster.db")).await.unwrap());
        let ada = caller("ada@larkspur.example");
        let bob = caller("bob@larkspur.example");
        let intent = |caller: &'static Caller, action: &'static str| Intent {
            request_id: "r1",
            caller,
            action,
            target_user: Some("W1"),
            workspace: Some("T1"),
            params: serde_json::json!({"email": "x@y.example", "custom_message": "secret words"}),
        };
        let ada: &'static Caller = Box::leak(Box::new(ada));
        let bob: &'static Caller = Box::leak(Box::new(bob));
        let a = log.intent(&intent(ada, "invite")).await.unwrap();
        assert_eq!(
            log.outcome(a, AuditOutcome::Ok, None, "Invited").await,
            Recorded::Now
        );
        let b = log.intent(&intent(bob, "remove")).await.unwrap();
        assert_eq!(
            log.outcome(
                b,
                AuditOutcome::SlackError,
                Some("user_not_found"),
                "No such user",
            )
            .await,
            Recorded::Now
        );
        log.refused(&intent(bob, "remove"), AuditOutcome::Denied, "not allowed")
            .await
            .unwrap();
        let pending = log.intent(&intent(ada, "assign")).await.unwrap();

        let all = log
            .list(&AuditQuery::default(), &AuditReader::everything())
            .await
            .unwrap();
        assert_eq!(all.entries.len(), 4);
        assert_eq!(all.entries[0].id, pending);
        assert_eq!(all.entries[0].outcome, AuditOutcome::Pending);
        assert!(
            !all.entries[3].params.contains("secret words"),
            "custom messages are redacted"
        );

        let mine = log
            .list(
                &AuditQuery::default(),
                &AuditReader {
                    actor: "ADA@larkspur.example",
                    whose: Whose::Own,
                    hidden: Vec::new(),
                    reads_others_jobs: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(mine.entries.len(), 2);
        let errors = log
            .list(
                &AuditQuery {
                    outcome: Some(AuditOutcome::SlackError),
                    ..Default::default()
                },
                &AuditReader::everything(),
            )
            .await
            .unwrap();
        assert_eq!(errors.entries.len(), 1);
        assert_eq!(
            errors.entries[0].slack_error.as_deref(),
            Some("user_not_found")
        );
        let denied = log
            .list(
                &AuditQuery {
                    outcome: Some(AuditOutcome::Denied),
                    ..Default::default()
                },
                &AuditReader::everything(),
            )
            .await
            .unwrap();
        assert_eq!(denied.entries.len(), 1);

        // Paging.
        let first = log
            .list(
                &AuditQuery {
                    limit: Some(3),
                    ..Default::default()
                },
                &AuditReader::everything(),
            )
            .await
            .unwrap();
        assert_eq!(first.entries.len(), 3);
        let rest = log
            .list(
                &AuditQuery {
                    limit: Some(3),
                    cursor: first.next_cursor.clone(),
                    ..Default::default()
                },
                &AuditReader::everything(),
            )
            .await
            .unwrap();
        assert_eq!(rest.entries.len(), 1);
        assert_eq!(rest.next_cursor, None);

        // The log refuses edits, whoever asks.
        let raw = sqlx::SqlitePool::connect(&format!(
            "sqlite://{}",
            dir.path().join("roster.db").display()
        ))
        .await
        .unwrap();
        let update = sqlx::query("UPDATE audit_actions SET action = 'nothing'")
            .execute(&raw)
            .await;
        assert!(update.is_err());
        let delete = sqlx::query("DELETE FROM audit_outcomes")
            .execute(&raw)
            .await;
        assert!(delete.is_err());

        // A pending row from before a restart reads as unknown.
        drop(log);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let reopened = AuditLog::new(Db::open(&dir.path().join("roster.db")).await.unwrap());
        let after = reopened
            .list(&AuditQuery::default(), &AuditReader::everything())
            .await
            .unwrap();
        assert_eq!(after.entries[0].outcome, AuditOutcome::Unknown);
        assert!(
            after.entries[0]
                .message
                .as_deref()
                .unwrap()
                .contains("stopped")
        );
    }
}
