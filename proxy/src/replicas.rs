//! Several replicas of Roster on one PostgreSQL: one directory, one sync, and no stale
//! state between them.
//!
//! - **One sync.** The replica holding the `directory-sync` lease syncs the directory from
//!   Slack when the newest stored snapshot is older than the refresh interval (or there is
//!   none), and stores the result (fenced by the lease: a replica that lost it while it
//!   synced stores nothing). The others load each new snapshot within a few seconds.
//! - **The feed.** What a replica changes that the others must know (a person changed
//!   through Roster, what it forgot of a person, an invite request answered) is an event in
//!   `replica_events`, numbered in commit order; each replica applies the others' events
//!   after the last it applied, twice a second, so a change shows on every replica within
//!   a second or so. After loading a snapshot, a replica applies again every event since
//!   the sync began, its own included (the sync may have read Slack before them).
//!
//! With SQLite there is one process, and none of this runs.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    core::Core,
    directory::unix_now,
    feed::{Feed, Shared},
    store::{
        Fence, LeaseStore, Postgres,
        replicas::{SYNC_LEASE, SnapshotInfo},
    },
};

/// How often a replica applies the others' events.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// How often it looks for a new snapshot (every this many follows).
const SNAPSHOT_EVERY: u32 = 4;
/// How often a replica tries for the sync's lease (and the leader renews it).
const LEAD_EVERY: Duration = Duration::from_secs(5);
/// How long the sync's lease lasts unless renewed. A sync of a large org takes longer than
/// this: the leader renews it while it syncs.
const SYNC_LEASE_LENGTH: Duration = Duration::from_secs(30);

/// This replica among the others.
#[derive(Debug)]
pub struct Replicas {
    rows: Postgres,
    me: Arc<str>,
    outbox: Feed,
    /// What [`Replicas::share`] queued, until [`Replicas::run`] writes it.
    inbox: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Shared>>>,
    /// Whether this replica holds the sync's lease now.
    leader: AtomicBool,
    /// The snapshot the directory was last replaced with.
    loaded: AtomicI64,
    /// The last event of the feed applied here.
    seen: AtomicI64,
}

impl Replicas {
    /// Where this replica's news go (the feed's writer keeps their order).
    pub fn feed(&self) -> Feed {
        self.outbox.clone()
    }

    /// Whether this replica syncs the directory for all.
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::Relaxed)
    }

    /// This replica's name.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// This replica on the database of `pool` (PostgreSQL only), named `me`.
    pub fn new(pool: sqlx::PgPool, me: Arc<str>) -> Self {
        let (outbox, inbox) = Feed::channel();
        Replicas {
            rows: Postgres { pool },
            me,
            outbox,
            inbox: std::sync::Mutex::new(Some(inbox)),
            leader: AtomicBool::new(false),
            loaded: AtomicI64::new(0),
            seen: AtomicI64::new(0),
        }
    }

    /// Runs the feed's writer, the follower and the sync's leadership for `state`; the
    /// leader syncs at most every `refresh`. Once.
    pub fn run(self: &Arc<Self>, state: &Arc<Core>, refresh: Duration) {
        let Some(mut inbox) = self.inbox.lock().unwrap().take() else {
            return;
        };
        // The directory's changes go to the feed too.
        let (made_tx, mut made_rx) = tokio::sync::mpsc::unbounded_channel();
        state.directory.outbox(made_tx);
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            while let Some(made) = made_rx.recv().await {
                outbox.share(Shared::Directory(made));
            }
        });
        let writer = self.clone();
        tokio::spawn(async move {
            while let Some(event) = inbox.recv().await {
                writer.write(&event).await;
            }
        });
        let follower = self.clone();
        let follow_state = state.clone();
        tokio::spawn(async move {
            let mut ticks = 0u32;
            loop {
                if ticks.is_multiple_of(SNAPSHOT_EVERY) {
                    follower.load_newer_snapshot(&follow_state).await;
                }
                follower.follow(&follow_state).await;
                ticks = ticks.wrapping_add(1);
                tokio::time::sleep(FOLLOW_EVERY).await;
            }
        });
        let leader = self.clone();
        let lead_state = state.clone();
        tokio::spawn(async move {
            loop {
                leader.lead(&lead_state, refresh).await;
                tokio::time::sleep(LEAD_EVERY).await;
            }
        });
    }

    /// Writes one event to the feed, trying again while the database is away.
    async fn write(&self, event: &Shared) {
        let Ok(json) = serde_json::to_string(event) else {
            return;
        };
        let mut wait = Duration::from_millis(200);
        loop {
            match self
                .rows
                .publish(&self.me, crate::directory::unix_now_ms(), &json)
                .await
            {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tell the other replicas; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// Applies the others' events since the last applied here.
    async fn follow(&self, state: &Core) {
        let after = self.seen.load(Ordering::SeqCst);
        match self.rows.feed_after(after, Some(&self.me)).await {
            Ok(events) => self.apply(state, events),
            Err(e) => tracing::debug!(error = %e, "cannot read the other replicas' events"),
        }
    }

    fn apply(&self, state: &Core, events: Vec<(i64, String)>) {
        for (seq, json) in events {
            match serde_json::from_str::<Shared>(&json) {
                Ok(Shared::Directory(made)) => state.directory.receive(made),
                Ok(Shared::Forget { user, touched }) => state.live.forget(&user, touched.touched()),
                Ok(Shared::Request {
                    workspace,
                    request,
                    how,
                }) => state.invite_requests.mark(&workspace, &request, how),
                Ok(Shared::Requested { workspace, request }) => {
                    state.invite_requests.arrived(&workspace, request)
                }
                Err(e) => tracing::warn!(seq, error = %e, "skipping an event of another version"),
            }
            self.seen.fetch_max(seq, Ordering::SeqCst);
        }
    }

    /// Loads the newest snapshot if it is newer than the one here, then applies again every
    /// event since its sync began.
    async fn load_newer_snapshot(&self, state: &Core) {
        let latest = match self.rows.latest_snapshot().await {
            Ok(Some(latest)) if latest.version > self.loaded.load(Ordering::SeqCst) => latest,
            Ok(_) => return,
            Err(e) => {
                tracing::debug!(error = %e, "cannot look for a directory snapshot");
                return;
            }
        };
        let data = match self.rows.snapshot_data(latest.version).await {
            Ok(Some(data)) => data,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the directory snapshot");
                return;
            }
        };
        let directory = state.directory.clone();
        let imported =
            tokio::task::spawn_blocking(move || directory.import(&data, latest.synced_at))
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r);
        match imported {
            Ok(users) => {
                tracing::info!(
                    version = latest.version,
                    users,
                    "loaded the directory another replica synced"
                );
                self.loaded.fetch_max(latest.version, Ordering::SeqCst);
                self.catch_up(state, latest.changes_through).await;
            }
            Err(e) => tracing::warn!(error = %e, "cannot load the directory snapshot"),
        }
    }

    /// After the directory was replaced as of `since`: every event after it, this
    /// replica's own too.
    async fn catch_up(&self, state: &Core, since: i64) {
        let mut after = since;
        loop {
            match self.rows.feed_after(after, None).await {
                Ok(events) if events.is_empty() => return,
                Ok(events) => {
                    after = events.last().map_or(after, |(seq, _)| *seq);
                    self.apply(state, events);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot catch up with the other replicas' events");
                    return;
                }
            }
        }
    }

    /// Takes or keeps the sync's lease; the holder syncs when the newest snapshot is older
    /// than `refresh`, or there is none.
    async fn lead(&self, state: &Core, refresh: Duration) {
        let leases = state.db.leases();
        let term = match leases
            .acquire(SYNC_LEASE, &self.me, SYNC_LEASE_LENGTH.as_millis() as i64)
            .await
        {
            Ok(Some(term)) => term,
            Ok(None) => {
                self.leader.store(false, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "cannot reach the sync's lease");
                self.leader.store(false, Ordering::Relaxed);
                return;
            }
        };
        if !self.leader.swap(true, Ordering::Relaxed) {
            tracing::info!(term, "this replica syncs the directory for all");
        }
        let fence = Fence {
            owner: &self.me,
            term,
        };
        let due = match self.rows.latest_snapshot().await {
            Ok(Some(latest)) => {
                unix_now() - latest.synced_at
                    >= state.directory.sync_every(refresh).as_secs() as i64
            }
            Ok(None) => true,
            Err(_) => false,
        };
        if due {
            self.sync_for_all(state, leases.as_ref(), fence).await;
        }
    }

    /// Syncs the directory from Slack and stores it for the others, renewing the lease
    /// while the sync runs.
    async fn sync_for_all(&self, state: &Core, leases: &dyn LeaseStore, fence: Fence<'_>) {
        let changes_through = match self.rows.feed_end().await {
            Ok(end) => end,
            Err(_) => return,
        };
        let started_at = unix_now();
        let started = Instant::now();
        let sync = state.directory.sync(&state.source);
        tokio::pin!(sync);
        let synced = loop {
            tokio::select! {
                synced = &mut sync => break synced,
                () = tokio::time::sleep(SYNC_LEASE_LENGTH / 3) => {
                    let _ = leases
                        .acquire(SYNC_LEASE, fence.owner, SYNC_LEASE_LENGTH.as_millis() as i64)
                        .await;
                }
            }
        };
        if synced.is_err() {
            return;
        }
        let directory = state.directory.clone();
        let exported = tokio::task::spawn_blocking(move || directory.export()).await;
        let Ok(Ok((data, users))) = exported else {
            tracing::warn!("cannot export the synced directory");
            return;
        };
        let info = SnapshotInfo {
            version: 0,
            synced_at: unix_now(),
            changes_through,
        };
        match self
            .rows
            .store_snapshot(fence, info, started_at, users, &data)
            .await
        {
            Ok(Some(version)) => {
                self.loaded.fetch_max(version, Ordering::SeqCst);
                tracing::info!(
                    version,
                    users,
                    bytes = data.len(),
                    seconds = started.elapsed().as_secs(),
                    "stored the directory for the other replicas"
                );
                // The sync read Slack while events came in: apply them again on top.
                self.catch_up(state, changes_through).await;
            }
            Ok(None) => {
                tracing::warn!("the sync's lease was lost while it ran; its result is not stored");
                self.leader.store(false, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(error = %e, "cannot store the synced directory"),
        }
    }
}
