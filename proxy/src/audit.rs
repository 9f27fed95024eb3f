//! The audit log (SQLite, WAL): an intent row before every Slack write and an outcome row
//! after it, plus refused attempts. Nothing in Roster updates or deletes a row, and triggers
//! in the schema refuse it.

use roster_api::{AuditEntry, AuditOutcome, AuditPage, AuditQuery};
use serde_json::Value;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use crate::{db::Db, policy::Caller};

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

/// Whose entries a reader of the log may see.
#[derive(Debug, Clone)]
pub enum AuditReader<'a> {
    /// Every entry (`audit.read_all` on a role that covers every workspace).
    Everything,
    /// One's own actions (`audit.read`).
    Own { actor: &'a str },
    /// One's own actions and every action on the listed workspaces (`audit.read_all` on a
    /// role limited to them): nothing about a workspace outside them, or about the whole
    /// org, unless one did it oneself.
    Workspaces {
        actor: &'a str,
        workspaces: Vec<String>,
    },
}

/// The audit database.
#[derive(Debug, Clone)]
pub struct AuditLog {
    pool: SqlitePool,
    /// Unix ms when this process opened the log: pending rows older than that never got an
    /// answer (Roster stopped), so they read as "unknown".
    opened_at: i64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

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
    /// The log in `db`.
    pub fn new(db: Db) -> Self {
        Self {
            pool: db.pool().clone(),
            opened_at: now_ms(),
        }
    }

    /// Records an attempt before Slack is called; returns its ID.
    pub async fn intent(&self, intent: &Intent<'_>) -> Result<i64, sqlx::Error> {
        self.insert(intent, "pending", None).await
    }

    /// Records an attempt Roster refused (`denied` or `invalid`) without calling Slack.
    pub async fn refused(
        &self,
        intent: &Intent<'_>,
        outcome: AuditOutcome,
        message: &str,
    ) -> Result<i64, sqlx::Error> {
        self.insert(intent, outcome.as_str(), Some(message)).await
    }

    async fn insert(
        &self,
        intent: &Intent<'_>,
        state: &str,
        message: Option<&str>,
    ) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "INSERT INTO audit_actions
               (at, request_id, actor_subject, actor_email, role, action, target_user, workspace, params, state, message)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(now_ms())
        .bind(intent.request_id)
        .bind(&intent.caller.subject)
        .bind(&intent.caller.email)
        .bind(&intent.caller.role.name)
        .bind(intent.action)
        .bind(intent.target_user)
        .bind(intent.workspace)
        .bind(redact(intent.params.clone()).to_string())
        .bind(state)
        .bind(message)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    /// Records how an attempt ended.
    pub async fn outcome(
        &self,
        action_id: i64,
        outcome: AuditOutcome,
        slack_error: Option<&str>,
        message: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO audit_outcomes (action_id, at, outcome, slack_error, message) VALUES (?, ?, ?, ?, ?)")
            .bind(action_id)
            .bind(now_ms())
            .bind(outcome.as_str())
            .bind(slack_error)
            .bind(message)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A page of the log, newest first, of the entries `reader` may read.
    pub async fn list(
        &self,
        query: &AuditQuery,
        reader: &AuditReader<'_>,
    ) -> Result<AuditPage, sqlx::Error> {
        let limit = query.limit.unwrap_or(100).clamp(1, 500) as i64;
        let before: Option<i64> = query.cursor.as_deref().and_then(|c| c.parse().ok());
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT a.id, a.at, a.request_id, a.actor_email, a.role, a.action, a.target_user,
                    a.workspace, a.params, a.state, a.message,
                    o.outcome, o.slack_error, o.message AS outcome_message
             FROM audit_actions a LEFT JOIN audit_outcomes o ON o.action_id = a.id WHERE 1 = 1",
        );
        if let Some(id) = before {
            q.push(" AND a.id < ").push_bind(id);
        }
        match reader {
            AuditReader::Everything => {}
            AuditReader::Own { actor } => {
                q.push(" AND a.actor_email = ")
                    .push_bind(*actor)
                    .push(" COLLATE NOCASE");
            }
            AuditReader::Workspaces { actor, workspaces } => {
                q.push(" AND (a.actor_email = ")
                    .push_bind(*actor)
                    .push(" COLLATE NOCASE OR a.workspace IN (");
                if workspaces.is_empty() {
                    q.push("NULL");
                }
                let mut list = q.separated(", ");
                for w in workspaces {
                    list.push_bind(w.as_str());
                }
                q.push("))");
            }
        }
        if let Some(actor) = query.actor.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND a.actor_email LIKE ")
                .push_bind(format!("%{}%", like_escape(actor)))
                .push(" ESCAPE '\\'");
        }
        if let Some(target) = query.target.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND a.target_user LIKE ")
                .push_bind(format!("%{}%", like_escape(target)))
                .push(" ESCAPE '\\'");
        }
        if let Some(action) = query.action.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND a.action = ").push_bind(action);
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
                q.push(" AND a.state = ").push_bind(outcome.as_str());
            }
            Some(AuditOutcome::Pending) => {
                q.push(" AND a.state = 'pending' AND o.outcome IS NULL AND a.at >= ")
                    .push_bind(self.opened_at);
            }
            Some(AuditOutcome::Unknown) => {
                q.push(" AND ((a.state = 'pending' AND o.outcome IS NULL AND a.at < ")
                    .push_bind(self.opened_at)
                    .push(") OR o.outcome = 'unknown')");
            }
            Some(outcome @ (AuditOutcome::Ok | AuditOutcome::SlackError)) => {
                q.push(" AND o.outcome = ").push_bind(outcome.as_str());
            }
        }
        q.push(" ORDER BY a.id DESC LIMIT ").push_bind(limit + 1);
        let rows: Vec<EntryRow> = q.build_query_as().fetch_all(&self.pool).await?;
        let more = rows.len() as i64 > limit;
        let entries: Vec<AuditEntry> = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| self.entry(row))
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
            workspace: row.workspace,
            params: row.params,
            outcome,
            slack_error: row.slack_error,
            message,
        }
    }

    /// Number of action rows (tests and metrics).
    pub async fn count(&self) -> Result<i64, sqlx::Error> {
        Ok(sqlx::query("SELECT COUNT(*) FROM audit_actions")
            .fetch_one(&self.pool)
            .await?
            .get(0))
    }
}

/// One row of the log's query.
#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    at: i64,
    request_id: String,
    actor_email: String,
    role: String,
    action: String,
    target_user: Option<String>,
    workspace: Option<String>,
    params: String,
    state: String,
    message: Option<String>,
    outcome: Option<String>,
    slack_error: Option<String>,
    outcome_message: Option<String>,
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
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
        log.outcome(a, AuditOutcome::Ok, None, "Invited")
            .await
            .unwrap();
        let b = log.intent(&intent(bob, "remove")).await.unwrap();
        log.outcome(
            b,
            AuditOutcome::SlackError,
            Some("user_not_found"),
            "No such user",
        )
        .await
        .unwrap();
        log.refused(&intent(bob, "remove"), AuditOutcome::Denied, "not allowed")
            .await
            .unwrap();
        let pending = log.intent(&intent(ada, "assign")).await.unwrap();

        let all = log
            .list(&AuditQuery::default(), &AuditReader::Everything)
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
                &AuditReader::Own {
                    actor: "ADA@larkspur.example",
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
                &AuditReader::Everything,
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
                &AuditReader::Everything,
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
                &AuditReader::Everything,
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
                &AuditReader::Everything,
            )
            .await
            .unwrap();
        assert_eq!(rest.entries.len(), 1);
        assert_eq!(rest.next_cursor, None);

        // The log refuses edits.
        let update = sqlx::query("UPDATE audit_actions SET action = 'nothing'")
            .execute(&log.pool)
            .await;
        assert!(update.is_err());
        let delete = sqlx::query("DELETE FROM audit_outcomes")
            .execute(&log.pool)
            .await;
        assert!(delete.is_err());

        // A pending row from before a restart reads as unknown.
        drop(log);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let reopened = AuditLog::new(Db::open(&dir.path().join("roster.db")).await.unwrap());
        let after = reopened
            .list(&AuditQuery::default(), &AuditReader::Everything)
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
