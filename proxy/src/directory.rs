//! The org directory: an in-memory snapshot of every user, synced from Slack's
//! `admin.users.list` and queried by `GET /api/users` without calling Slack.

use std::sync::{Arc, Mutex, RwLock};

use roster_api::{
    SyncState, SyncStatus, UserQuery, UserStatus, UserSummary, UserType, UsersPage, Workspace,
};
use serde::Deserialize;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::slack::{SlackClient, SlackError, SlackMethod, next_cursor};

/// Largest page `admin.users.list` serves.
const SYNC_PAGE_SIZE: usize = 1000;

/// A user as `admin.users.list` returns it (only the fields Roster reads).
#[derive(Debug, Deserialize)]
struct SlackAdminUser {
    id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    is_admin: bool,
    #[serde(default)]
    is_owner: bool,
    #[serde(default)]
    is_primary_owner: bool,
    #[serde(default)]
    is_restricted: bool,
    #[serde(default)]
    is_ultra_restricted: bool,
    #[serde(default)]
    is_bot: bool,
    #[serde(default = "yes")]
    is_active: bool,
    #[serde(default)]
    is_invited_user: bool,
    #[serde(default)]
    date_created: i64,
    #[serde(default)]
    deactivated_ts: i64,
    #[serde(default)]
    expiration_ts: i64,
    #[serde(default)]
    workspaces: Vec<String>,
    has_2fa: Option<bool>,
    has_sso: Option<bool>,
}

fn yes() -> bool {
    true
}

impl SlackAdminUser {
    fn into_summary(self) -> UserSummary {
        let user_type = if self.is_bot {
            UserType::Bot
        } else if self.is_owner || self.is_primary_owner {
            UserType::Owner
        } else if self.is_admin {
            UserType::Admin
        } else if self.is_ultra_restricted {
            UserType::SingleChannelGuest
        } else if self.is_restricted {
            UserType::MultiChannelGuest
        } else {
            UserType::Member
        };
        let status = if !self.is_active {
            UserStatus::Deactivated
        } else if self.is_invited_user {
            UserStatus::Pending
        } else {
            UserStatus::Active
        };
        UserSummary {
            id: self.id,
            name: if self.full_name.is_empty() {
                self.username.clone()
            } else {
                self.full_name
            },
            username: self.username,
            email: (!self.email.is_empty()).then_some(self.email),
            user_type,
            is_primary_owner: self.is_primary_owner,
            status,
            workspaces: self.workspaces,
            has_2fa: self.has_2fa,
            has_sso: self.has_sso,
            created: self.date_created,
            expires: (self.expiration_ts > 0).then_some(self.expiration_ts),
            deactivated: (self.deactivated_ts > 0).then_some(self.deactivated_ts),
        }
    }
}

/// Lower-cases and strips accents, so `"Łukasz Dvořák"` matches `"lukasz dvorak"`.
pub fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ł' => 'l',
            'ø' => 'o',
            'đ' => 'd',
            'ı' => 'i',
            'æ' => 'a',
            'œ' => 'o',
            'ß' => 's',
            other => other,
        })
        .collect()
}

#[derive(Debug)]
struct Entry {
    summary: UserSummary,
    /// Folded name, username, email and ID, separated by newlines.
    haystack: String,
}

/// One complete copy of the org's users and workspaces.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Sorted by folded name, then ID.
    entries: Vec<Entry>,
    workspaces: Vec<Workspace>,
    synced_at: Option<i64>,
}

impl Snapshot {
    fn new(users: Vec<UserSummary>, workspaces: Vec<Workspace>, synced_at: i64) -> Self {
        let mut entries: Vec<(String, Entry)> = users
            .into_iter()
            .map(|u| {
                let name = fold(&u.name);
                let haystack = format!(
                    "{name}\n{}\n{}\n{}",
                    fold(&u.username),
                    u.email.as_deref().map(fold).unwrap_or_default(),
                    u.id.to_lowercase()
                );
                (
                    name,
                    Entry {
                        summary: u,
                        haystack,
                    },
                )
            })
            .collect();
        entries
            .sort_by(|(a, ea), (b, eb)| a.cmp(b).then_with(|| ea.summary.id.cmp(&eb.summary.id)));
        Snapshot {
            entries: entries.into_iter().map(|(_, e)| e).collect(),
            workspaces,
            synced_at: Some(synced_at),
        }
    }
}

/// The directory: the current snapshot and the sync's progress.
#[derive(Debug, Default)]
pub struct Directory {
    snapshot: RwLock<Arc<Snapshot>>,
    status: Mutex<SyncStatus>,
}

impl Directory {
    /// The current snapshot (cheap: shares it).
    fn current(&self) -> Arc<Snapshot> {
        self.snapshot.read().unwrap().clone()
    }

    /// The sync's progress.
    pub fn status(&self) -> SyncStatus {
        self.status.lock().unwrap().clone()
    }

    /// The org's workspaces, by name.
    pub fn workspaces(&self) -> Vec<Workspace> {
        self.current().workspaces.clone()
    }

    /// One page of users matching `query`.
    pub fn query(&self, query: &UserQuery) -> UsersPage {
        let snapshot = self.current();
        let needle = query
            .q
            .as_deref()
            .map(fold)
            .filter(|n| !n.trim().is_empty());
        let offset = query.offset.unwrap_or(0);
        let limit = query
            .limit
            .unwrap_or(UserQuery::DEFAULT_LIMIT)
            .clamp(1, UserQuery::MAX_LIMIT);
        let mut total = 0;
        let mut users = Vec::with_capacity(limit);
        for entry in &snapshot.entries {
            if let Some(n) = &needle
                && !entry.haystack.contains(n.trim())
            {
                continue;
            }
            if total >= offset && users.len() < limit {
                users.push(entry.summary.clone());
            }
            total += 1;
        }
        UsersPage {
            users,
            total,
            offset,
            limit,
            synced_at: snapshot.synced_at,
            sync: self.status(),
        }
    }

    fn update_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        f(&mut self.status.lock().unwrap());
    }

    /// Fetches the whole org from Slack and swaps the snapshot in when complete. The
    /// previous snapshot is served until then, and kept if the sync fails.
    pub async fn sync(&self, slack: &SlackClient) -> Result<(), SlackError> {
        let started = unix_now();
        self.update_status(|s| {
            s.state = SyncState::Running;
            s.fetched = 0;
            s.started_at = Some(started);
            s.error = None;
        });
        let result = self.fetch_all(slack).await;
        let finished = unix_now();
        match result {
            Ok((users, workspaces)) => {
                let count = users.len();
                *self.snapshot.write().unwrap() =
                    Arc::new(Snapshot::new(users, workspaces, finished));
                self.update_status(|s| {
                    s.state = SyncState::Done;
                    s.finished_at = Some(finished);
                });
                tracing::info!(
                    users = count,
                    seconds = finished - started,
                    "directory synced"
                );
                Ok(())
            }
            Err(err) => {
                let message = match err.code() {
                    Some(code) => format!("{} ({code})", crate::slack::messages::describe(code)),
                    None => "Slack could not be reached.".to_string(),
                };
                self.update_status(|s| {
                    s.state = SyncState::Failed;
                    s.finished_at = Some(finished);
                    s.error = Some(message);
                });
                tracing::warn!(error = %err, "directory sync failed");
                Err(err)
            }
        }
    }

    async fn fetch_all(
        &self,
        slack: &SlackClient,
    ) -> Result<(Vec<UserSummary>, Vec<Workspace>), SlackError> {
        let mut workspaces = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![("limit", "1000".to_string())];
            if let Some(c) = &cursor {
                params.push(("cursor", c.clone()));
            }
            let reply = slack.call(SlackMethod::AdminTeamsList, &params).await?;
            for team in reply
                .get("teams")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(id), Some(name)) = (
                    team.get("id").and_then(Value::as_str),
                    team.get("name").and_then(Value::as_str),
                ) {
                    workspaces.push(Workspace {
                        id: id.to_string(),
                        name: name.to_string(),
                    });
                }
            }
            cursor = next_cursor(&reply);
            if cursor.is_none() {
                break;
            }
        }
        workspaces.sort_by_key(|w| fold(&w.name));

        // `is_active` defaults to true; deactivated accounts are a second listing.
        let mut users = Vec::new();
        for is_active in ["true", "false"] {
            let mut cursor: Option<String> = None;
            loop {
                let mut params = vec![
                    ("limit", SYNC_PAGE_SIZE.to_string()),
                    ("is_active", is_active.to_string()),
                ];
                if let Some(c) = &cursor {
                    params.push(("cursor", c.clone()));
                }
                let reply = slack.call(SlackMethod::AdminUsersList, &params).await?;
                let page: Vec<SlackAdminUser> = reply
                    .get("users")
                    .cloned()
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| SlackError::Unavailable {
                        method: SlackMethod::AdminUsersList.name(),
                        detail: format!("unexpected user shape: {e}"),
                    })?
                    .unwrap_or_default();
                users.extend(page.into_iter().map(SlackAdminUser::into_summary));
                let fetched = users.len() as u64;
                self.update_status(|s| s.fetched = fetched);
                cursor = next_cursor(&reply);
                if cursor.is_none() {
                    break;
                }
            }
        }
        Ok((users, workspaces))
    }
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Łukasz Dvořák"), "lukasz dvorak");
        assert_eq!(fold("ZOË Søndergaard"), "zoe sondergaard");
        assert_eq!(fold("José Álvarez"), "jose alvarez");
    }

    fn user(id: &str, name: &str) -> UserSummary {
        UserSummary {
            id: id.into(),
            name: name.into(),
            username: fold(name).replace(' ', "."),
            email: Some(format!("{}@larkspur.example", fold(name).replace(' ', "."))),
            user_type: UserType::Member,
            is_primary_owner: false,
            status: UserStatus::Active,
            workspaces: vec![],
            has_2fa: None,
            has_sso: None,
            created: 0,
            expires: None,
            deactivated: None,
        }
    }

    #[test]
    fn query_sorts_by_name_searches_and_pages() {
        let directory = Directory::default();
        *directory.snapshot.write().unwrap() = Arc::new(Snapshot::new(
            vec![
                user("W3", "Zoë Kim"),
                user("W1", "Ada Lee"),
                user("W2", "Łukasz Nowak"),
                user("W4", "ada Smith"),
            ],
            vec![],
            10,
        ));
        let names = |page: &UsersPage| {
            page.users
                .iter()
                .map(|u| u.name.clone())
                .collect::<Vec<_>>()
        };
        let all = directory.query(&UserQuery::default());
        assert_eq!(all.total, 4);
        assert_eq!(
            names(&all),
            ["Ada Lee", "ada Smith", "Łukasz Nowak", "Zoë Kim"]
        );
        assert_eq!(all.synced_at, Some(10));

        let q = |s: &str| UserQuery {
            q: Some(s.into()),
            ..Default::default()
        };
        assert_eq!(names(&directory.query(&q("LUKASZ"))), ["Łukasz Nowak"]);
        assert_eq!(names(&directory.query(&q("zoe"))), ["Zoë Kim"]);
        assert_eq!(directory.query(&q("w2")).users[0].id, "W2");
        assert_eq!(directory.query(&q("smith@larkspur")).total, 1);
        assert_eq!(directory.query(&q("nobody")).total, 0);

        let page = directory.query(&UserQuery {
            offset: Some(1),
            limit: Some(2),
            ..Default::default()
        });
        assert_eq!(page.total, 4);
        assert_eq!(names(&page), ["ada Smith", "Łukasz Nowak"]);
    }
}
