//! The org directory: an in-memory copy of every user, synced from Slack in the
//! background, persisted so a restart serves the last copy at once, and queried by
//! `GET /api/users` without calling Slack.

mod index;
mod query;
pub mod recent;
mod snapshot;
mod sync;
mod user;

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, RwLock},
};

use roster_api::{Membership, SyncState, SyncStatus, UserStatus, Workspace, WorkspaceRole};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

pub use query::{Page, Visibility};
pub use snapshot::Made;
pub use sync::{Source, role_from_flags, role_of_user, summary_from_user_object};
pub use user::{DirUser, Teams, valid_email};

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

/// Unix seconds now.
pub fn unix_now() -> i64 {
    unix_now_ms().div_euclid(1000)
}

/// Unix milliseconds now.
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A change Roster made through Slack, applied to the directory at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Change {
    /// Added to a workspace.
    Assigned {
        workspace: String,
        role: WorkspaceRole,
    },
    /// Taken off a workspace.
    Removed { workspace: String },
    /// New role on one workspace, or on all of them (`None`: org-wide).
    Role {
        workspace: Option<String>,
        role: WorkspaceRole,
    },
    /// Guest expiration on a workspace (`None` clears it).
    Expiration {
        workspace: String,
        expires: Option<i64>,
    },
    /// Deactivated on the whole org, at this Unix time.
    Deactivated { at: i64 },
    /// Active again, with a new email address if given.
    Reactivated { email: Option<String> },
}

#[derive(Debug, Default)]
struct Data {
    users: Vec<DirUser>,
    workspaces: Vec<Workspace>,
    synced_at: Option<i64>,
    /// (hash of the ID, user index), sorted: a compact ID lookup.
    by_id: Vec<(u32, u32)>,
    /// (hash of the lower-cased email, user index), sorted: a compact email lookup.
    by_email: Vec<(u32, u32)>,
    index: index::Index,
}

fn email_hash(email: &str) -> u32 {
    key_hash(&email.to_lowercase())
}

/// The user indexes filed under `hash` in a sorted list of (hash, index).
fn with_hash(list: &[(u32, u32)], hash: u32) -> impl Iterator<Item = usize> + '_ {
    let start = list.partition_point(|(h, _)| *h < hash);
    list[start..]
        .iter()
        .take_while(move |(h, _)| *h == hash)
        .map(|(_, i)| *i as usize)
}

/// 32 bits of the key's hash: a lookup checks the key of each user it finds, so a rare
/// collision costs a comparison, and each list is 8 bytes a user instead of 16.
fn key_hash(key: &str) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish() as u32
}

impl Data {
    fn new(mut users: Vec<DirUser>, workspaces: Vec<Workspace>, synced_at: Option<i64>) -> Self {
        let mut teams = Teams::default();
        for user in &mut users {
            teams.share(user);
        }
        let mut data = Data {
            users,
            workspaces,
            synced_at,
            by_id: Vec::new(),
            by_email: Vec::new(),
            index: index::Index::default(),
        };
        data.reindex();
        data
    }

    /// Rebuilds the lookups after any change (tens of milliseconds at 100,000 users; changes
    /// come at most a few a second).
    fn reindex(&mut self) {
        self.by_id = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (key_hash(&u.summary.id), i as u32))
            .collect();
        self.by_id.sort_unstable();
        self.by_email = self
            .users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| Some((email_hash(u.summary.email.as_deref()?), i as u32)))
            .collect();
        self.by_email.sort_unstable();
        self.index = index::Index::build(&self.users);
    }

    /// The index of the user with ID `id`.
    fn position(&self, id: &str) -> Option<usize> {
        with_hash(&self.by_id, key_hash(id)).find(|&i| self.users[i].summary.id == id)
    }

    /// Every user whose email is `email` as written, case aside (not folded: an address
    /// that differs by an accent is someone else's, or nobody's).
    fn with_email<'a>(&'a self, email: &str) -> impl Iterator<Item = usize> + 'a {
        let key = email.to_lowercase();
        with_hash(&self.by_email, email_hash(&key)).filter(move |&i| {
            self.users[i]
                .summary
                .email
                .as_deref()
                .is_some_and(|e| e.to_lowercase() == key)
        })
    }
}

/// The directory: the current copy, its sort orders and the sync's progress.
#[derive(Debug, Default)]
pub struct Directory {
    data: Arc<RwLock<Data>>,
    sorts: query::SortCache,
    status: Mutex<SyncStatus>,
    /// The status as the last sync to end left it (what roles limited to some workspaces
    /// are shown: when a sync starts and how long it runs follow the org's size).
    completed: Mutex<SyncStatus>,
    /// Where the copy is persisted.
    path: Option<PathBuf>,
    /// Keeps the file from going back in time when saves finish out of order.
    saves: Arc<snapshot::SaveOrder>,
    /// Where changes made here go for the other replicas, when there are any.
    outbox: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<snapshot::Made>>,
    /// Serialises syncs.
    sync_lock: tokio::sync::Mutex<()>,
    /// While Slack's events arrive, full syncs only reconcile, this often.
    live: std::sync::OnceLock<LiveHint>,
    /// The changes of the last minutes, for pages already open.
    recent: recent::Recent,
}

/// How often a full sync runs while events keep the directory current, and whether they do.
pub struct LiveHint {
    pub reconcile: std::time::Duration,
    pub is_live: Box<dyn Fn() -> bool + Send + Sync>,
}

impl std::fmt::Debug for LiveHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHint")
            .field("reconcile", &self.reconcile)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Replaces everything (tests, and the end of a sync).
    pub fn replace(&self, users: Vec<DirUser>, workspaces: Vec<Workspace>, synced_at: i64) {
        *self.data.write().unwrap() = Data::new(users, workspaces, Some(synced_at));
        self.sorts.clear();
        self.recent.replaced();
    }

    /// The changes since `since_ms`, for pages already open (see [`recent`]).
    pub fn recent(&self) -> &recent::Recent {
        &self.recent
    }

    /// The sync's progress.
    pub fn status(&self) -> SyncStatus {
        self.status.lock().unwrap().clone()
    }

    /// The status as the last sync to end left it, without its count and start.
    pub fn completed_status(&self) -> SyncStatus {
        self.completed.lock().unwrap().clone()
    }

    fn update_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        let mut status = self.status.lock().unwrap();
        f(&mut status);
        if matches!(status.state, SyncState::Done | SyncState::Failed) {
            *self.completed.lock().unwrap() = SyncStatus {
                fetched: 0,
                started_at: None,
                ..status.clone()
            };
        }
    }

    /// When the served copy was completed.
    pub fn synced_at(&self) -> Option<i64> {
        self.data.read().unwrap().synced_at
    }

    /// Users in the copy.
    pub fn len(&self) -> usize {
        self.data.read().unwrap().users.len()
    }

    /// Whether the copy is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The org's workspaces, by name.
    pub fn workspaces(&self) -> Vec<Workspace> {
        self.data.read().unwrap().workspaces.clone()
    }

    /// Whether `team` is a workspace of the org.
    pub fn has_workspace(&self, team: &str) -> bool {
        self.data
            .read()
            .unwrap()
            .workspaces
            .iter()
            .any(|w| w.id == team)
    }

    /// One user.
    pub fn get(&self, id: &str) -> Option<DirUser> {
        let data = self.data.read().unwrap();
        data.position(id).map(|i| data.users[i].clone())
    }

    /// The user with this email, case-insensitively.
    pub fn find_email(&self, email: &str) -> Option<DirUser> {
        let data = self.data.read().unwrap();
        data.with_email(email).next().map(|i| data.users[i].clone())
    }

    /// What `view` makes of the person with this address, looked at in place: nothing of
    /// someone `view` refuses is copied.
    pub fn find_email_as<T>(&self, email: &str, view: impl Fn(&DirUser) -> Option<T>) -> Option<T> {
        let data = self.data.read().unwrap();
        data.with_email(email)
            .next()
            .and_then(|i| view(&data.users[i]))
    }

    /// Applies a change made through Slack; returns the user as it now is.
    pub fn apply(&self, id: &str, change: Change) -> Option<DirUser> {
        self.tell_replicas(snapshot::Made::Applied {
            user: id.to_string(),
            change: change.clone(),
        });
        self.apply_here(id, change)
    }

    /// [`Directory::apply`] without telling the other replicas.
    fn apply_here(&self, id: &str, change: Change) -> Option<DirUser> {
        let (before, updated) = {
            let mut data = self.data.write().unwrap();
            let index = data.position(id)?;
            let before = data.users[index].clone();
            let user = &mut data.users[index];
            match change {
                Change::Assigned { workspace, role } => {
                    if !user.memberships.iter().any(|m| *m.workspace == *workspace) {
                        user.memberships.push(Membership {
                            workspace: workspace.into(),
                            role,
                            expires: None,
                        });
                    }
                }
                Change::Removed { workspace } => {
                    user.memberships.retain(|m| *m.workspace != *workspace)
                }
                Change::Role { workspace, role } => {
                    for m in &mut user.memberships {
                        if workspace.as_deref().is_none_or(|w| *w == *m.workspace) {
                            m.role = role;
                            if role == WorkspaceRole::Member {
                                m.expires = None;
                            }
                        }
                    }
                }
                Change::Expiration { workspace, expires } => {
                    if let Some(m) = user
                        .memberships
                        .iter_mut()
                        .find(|m| *m.workspace == *workspace)
                    {
                        m.expires = expires;
                    }
                }
                Change::Deactivated { at } => {
                    user.summary.status = UserStatus::Deactivated;
                    user.summary.deactivated = Some(at);
                }
                Change::Reactivated { email } => {
                    user.summary.status = UserStatus::Active;
                    user.summary.deactivated = None;
                    if email.is_some() {
                        user.summary.email = email;
                    }
                }
            }
            user.rederive();
            let updated = user.clone();
            data.reindex();
            (before, updated)
        };
        self.recent.record(Some(before), updated.clone());
        self.sorts.clear();
        self.persist_soon();
        Some(updated)
    }

    /// Adds or replaces a user (after an invite).
    pub fn upsert(&self, user: DirUser) -> DirUser {
        self.tell_replicas(snapshot::Made::Upserted {
            user: Box::new(user.clone()),
        });
        self.upsert_here(user)
    }

    /// Adds or replaces several people at once (Slack's events, applied in batches: the
    /// lookups are rebuilt once for all of them).
    pub fn upsert_many(&self, users: Vec<DirUser>) {
        let changes: Vec<(Option<DirUser>, DirUser)> = {
            let mut data = self.data.write().unwrap();
            let changes = users
                .into_iter()
                .filter_map(|mut user| {
                    let before = match data.position(&user.summary.id) {
                        // Changed meanwhile (Roster's own change, read back from Slack): a
                        // newer state stays, and what Slack's user object does not carry
                        // (the creation date, SSO) is kept from it.
                        Some(i) if data.users[i].updated > user.updated => return None,
                        Some(i) => {
                            let held = &data.users[i].summary;
                            if held.created > 0 {
                                user.summary.created = held.created;
                            }
                            user.summary.has_sso = user.summary.has_sso.or(held.has_sso);
                            Some(std::mem::replace(&mut data.users[i], user.clone()))
                        }
                        None => {
                            // Each person is once in a batch: the lookups are rebuilt below.
                            data.users.push(user.clone());
                            None
                        }
                    };
                    Some((before, user))
                })
                .collect();
            data.reindex();
            changes
        };
        for (before, after) in changes {
            self.tell_replicas(snapshot::Made::Upserted {
                user: Box::new(after.clone()),
            });
            self.recent.record(before, after);
        }
        self.sorts.clear();
        self.persist_soon();
    }

    /// [`Directory::upsert`] without telling the other replicas.
    fn upsert_here(&self, user: DirUser) -> DirUser {
        let before = {
            let mut data = self.data.write().unwrap();
            let before = match data.position(&user.summary.id) {
                Some(i) => Some(std::mem::replace(&mut data.users[i], user.clone())),
                None => {
                    data.users.push(user.clone());
                    None
                }
            };
            data.reindex();
            before
        };
        self.recent.record(before, user.clone());
        self.sorts.clear();
        self.persist_soon();
        user
    }

    /// From now on, full syncs run every `hint.reconcile` while `hint.is_live()`.
    pub fn follow_events(&self, hint: LiveHint) {
        let _ = self.live.set(hint);
    }

    /// How long between full syncs now: `refresh`, or the reconciling interval while
    /// Slack's events arrive from every workspace.
    pub fn sync_every(&self, refresh: std::time::Duration) -> std::time::Duration {
        match self.live.get() {
            Some(hint) if (hint.is_live)() => hint.reconcile.max(refresh),
            _ => refresh,
        }
    }

    /// Starts a sync from `source`, unless one is running; the served copy stays until the
    /// new one is complete, and is kept if the sync fails.
    pub async fn sync(&self, source: &Source) -> Result<(), crate::slack::SlackError> {
        let Ok(_guard) = self.sync_lock.try_lock() else {
            return Ok(());
        };
        let started = unix_now();
        self.update_status(|s| {
            s.state = SyncState::Running;
            s.fetched = 0;
            s.started_at = Some(started);
            s.error = None;
        });
        let result = source
            .fetch(&|fetched| self.update_status(|s| s.fetched = fetched))
            .await;
        let finished = unix_now();
        match result {
            Ok((mut users, workspaces)) => {
                let count = users.len();
                // The listing shows each person as of some moment after `started`; anyone an
                // event changed since then keeps the event's state.
                {
                    let data = self.data.read().unwrap();
                    for user in &mut users {
                        user.updated = started;
                        if let Some(i) = data.position(&user.summary.id)
                            && data.users[i].updated > started
                        {
                            *user = data.users[i].clone();
                        }
                    }
                }
                self.replace(users, workspaces, finished);
                self.update_status(|s| {
                    s.state = SyncState::Done;
                    s.finished_at = Some(finished);
                });
                if let Some(path) = self.path.clone() {
                    let (data, saves) = (self.data.clone(), self.saves.clone());
                    let _ =
                        tokio::task::spawn_blocking(move || snapshot::save(&data, &saves, &path))
                            .await;
                }
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

    /// Re-syncs every `every` in the background.
    pub fn spawn_refresh(self: &Arc<Self>, source: Arc<Source>, every: std::time::Duration) {
        let directory = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let due = directory.synced_at().is_none_or(|at| {
                    unix_now() - at >= directory.sync_every(every).as_secs() as i64 - 1
                });
                if !due {
                    continue;
                }
                // Failures are in the sync status and the log; the last copy stays.
                let _ = directory.sync(&source).await;
            }
        });
    }
}

/// The status of a user from Slack's flags.
pub fn status_of(active: bool, invited: bool) -> UserStatus {
    if !active {
        UserStatus::Deactivated
    } else if invited {
        UserStatus::Pending
    } else {
        UserStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_api::{UserSummary, UserType};
    use std::io::Write;

    fn person(id: &str, teams: &[&str]) -> DirUser {
        let summary = UserSummary {
            id: id.into(),
            name: id.into(),
            username: id.to_lowercase(),
            email: None,
            user_type: UserType::Member,
            is_primary_owner: false,
            status: UserStatus::Active,
            workspaces: teams.iter().map(|&t| t.into()).collect(),
            has_2fa: None,
            has_sso: None,
            created: 0,
            expires: None,
            deactivated: None,
            last_active: None,
        };
        let memberships = teams
            .iter()
            .map(|&t| Membership {
                workspace: t.into(),
                role: WorkspaceRole::Member,
                expires: None,
            })
            .collect();
        DirUser::new(summary, memberships)
    }

    #[test]
    fn every_user_shares_one_copy_of_each_workspace_id() {
        let directory = Directory::default();
        let users = vec![person("W1", &["T1", "T2"]), person("W2", &["T2", "T1"])];
        directory.replace(users, Vec::new(), 1);
        let (a, b) = (directory.get("W1").unwrap(), directory.get("W2").unwrap());
        let t1 = &a.summary.workspaces[0];
        assert_eq!(&**t1, "T1");
        for same in [
            &b.summary.workspaces[1],
            &a.memberships[0].workspace,
            &b.memberships[1].workspace,
        ] {
            assert!(Arc::ptr_eq(t1, same), "{same} is a copy");
        }
        assert!(!Arc::ptr_eq(t1, &a.summary.workspaces[1]));
    }

    #[test]
    fn a_saved_copy_loads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("directory.json");
        let saved = Directory::persistent(&path);
        saved.replace(
            vec![person("W1", &["T1"]), person("W2", &["T1", "T2"])],
            Vec::new(),
            7,
        );
        saved.persist();
        assert!(!saved.unsaved());
        let loaded = Directory::persistent(&path);
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded.synced_at(), Some(7));
        let w2 = loaded.get("W2").unwrap();
        assert_eq!(
            w2.summary.workspaces,
            saved.get("W2").unwrap().summary.workspaces
        );
        assert!(Arc::ptr_eq(
            &w2.summary.workspaces[0],
            &loaded.get("W1").unwrap().memberships[0].workspace
        ));
    }

    #[test]
    fn an_older_snapshot_never_overwrites_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("directory.json");
        let saves = snapshot::SaveOrder::default();
        saves.save(2, &path, |w: &mut dyn Write| w.write_all(b"second"));
        saves.save(1, &path, |w: &mut dyn Write| {
            w.write_all(b"first, finishing late")
        });
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        saves.save(3, &path, |w: &mut dyn Write| w.write_all(b"third"));
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        // A save that fails leaves the way open for an older one that succeeds.
        let blocked = dir.path().join("not-a-dir");
        std::fs::write(&blocked, b"").unwrap();
        saves.save(5, &blocked.join("directory.json"), |w: &mut dyn Write| {
            w.write_all(b"fifth")
        });
        saves.save(4, &path, |w: &mut dyn Write| w.write_all(b"fourth"));
        assert_eq!(std::fs::read(&path).unwrap(), b"fourth");
    }
}
