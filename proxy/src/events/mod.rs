//! Slack's events: what changes in Slack, told to Roster as it happens, over Socket Mode
//! ([`socket`]) or signed HTTP requests ([`http`]; [`signature`]).
//!
//! Either way an event is acknowledged at once and applied after, in order of arrival, by
//! one task: an `event_id` seen already is dropped (Slack retries, and with several
//! replicas a retry may reach another one: they share what they have seen in PostgreSQL),
//! then [`apply::merge`] decides what the person becomes. A person whose event leaves a
//! workspace's role or expiration open is read again from Slack, one at a time and only
//! while Slack's pace has room, so the help desk's own calls never wait behind it.

pub mod apply;
pub mod coverage;
pub mod http;
pub mod signature;
pub mod socket;

use std::{
    collections::{BTreeSet, HashMap, HashSet, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use roster_api::{LiveState, LiveStatus, Membership};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::{
    directory::{DirUser, Directory, role_of_user, unix_now, unix_now_ms},
    slack::{
        SlackClient, SlackError,
        methods::{
            AdminUsersGetExpiration, InviteRequestObject, SlackUser, UsersInfo, UsersInfoOn,
        },
    },
};

/// Event IDs remembered to drop repeats (Slack retries within about six minutes).
const REMEMBERED: usize = 50_000;
/// Most events applied together.
const MAX_BATCH: usize = 2_000;

/// The events of this replica: how they are applied, and the secret HTTP deliveries are
/// signed with (when Roster takes them over HTTP).
#[derive(Debug)]
pub struct Events {
    pub live: Arc<LiveEvents>,
    pub signing_secret: Option<signature::SigningSecret>,
}

/// How events reach this replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    SocketMode,
    Http,
}

/// The `event_callback` envelope, as far as Roster reads it.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    event: Value,
    /// Unix seconds.
    #[serde(default)]
    event_time: i64,
}

/// The live updates' figures, for `/metrics` (and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveFigures {
    /// Open Socket Mode connections.
    pub sockets: u64,
    /// Events (and re-reads they asked for) applied since start.
    pub applied: u64,
    pub reconnects: u64,
    /// From the last event's time at Slack to its being applied.
    pub lag_ms: i64,
}

/// Counts and times of the live updates.
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub received: AtomicU64,
    pub applied: AtomicU64,
    pub duplicates: AtomicU64,
    pub reconnects: AtomicU64,
    pub sockets: AtomicU64,
    /// Unix seconds since when no socket is open (0: one is, or Socket Mode is off).
    pub down_since: AtomicI64,
    /// Milliseconds from `event_time` to applied, of the last event.
    pub lag_ms: AtomicI64,
}

/// Receives Slack's events and applies them to the directory.
#[derive(Debug)]
pub struct LiveEvents {
    directory: Arc<Directory>,
    /// What Slack said of people's profiles, forgotten when an event changes them (here,
    /// and through `feed` on the other replicas).
    parts: Arc<crate::live::LiveParts>,
    feed: crate::feed::Feed,
    /// New invite requests (`invite_requested`) join their workspace's pending copy.
    requests: Arc<crate::invite_requests::InviteRequests>,
    slack: SlackClient,
    transports: Vec<Transport>,
    queue: mpsc::UnboundedSender<Value>,
    /// Recent event IDs, oldest first.
    seen: Mutex<(VecDeque<String>, HashSet<String>)>,
    /// Event IDs shared with the other replicas.
    shared_seen: Option<sqlx::PgPool>,
    /// When this replica last removed old shared event IDs (Unix seconds).
    pruned_at: AtomicI64,
    /// People to read again from Slack.
    rereads: Mutex<BTreeSet<String>>,
    reread_wake: Notify,
    pub counters: LiveCounters,
    /// Which workspaces send events.
    pub coverage: coverage::Coverage,
}

impl LiveEvents {
    /// Starts the task that applies events and the one that reads people again.
    pub fn start(
        directory: Arc<Directory>,
        parts: Arc<crate::live::LiveParts>,
        feed: crate::feed::Feed,
        requests: Arc<crate::invite_requests::InviteRequests>,
        slack: SlackClient,
        transports: Vec<Transport>,
        shared_seen: Option<sqlx::PgPool>,
    ) -> Arc<Self> {
        let (queue, mut incoming) = mpsc::unbounded_channel::<Value>();
        let live = Arc::new(LiveEvents {
            directory,
            parts,
            feed,
            requests,
            slack,
            transports,
            queue,
            seen: Mutex::default(),
            shared_seen,
            pruned_at: AtomicI64::new(0),
            rereads: Mutex::default(),
            reread_wake: Notify::new(),
            counters: LiveCounters::default(),
            coverage: coverage::Coverage::default(),
        });
        if live.transports.contains(&Transport::SocketMode) {
            live.counters.down_since.store(unix_now(), Ordering::SeqCst);
        }
        let applier = live.clone();
        tokio::spawn(async move {
            // What arrived while the last batch was applied is applied together: the
            // directory's lookups are rebuilt once a batch, not once an event.
            let mut batch = Vec::new();
            while incoming.recv_many(&mut batch, MAX_BATCH).await > 0 {
                applier.handle_batch(std::mem::take(&mut batch)).await;
            }
        });
        let reader = live.clone();
        tokio::spawn(async move { reader.reread_loop().await });
        let checker = live.clone();
        tokio::spawn(async move { checker.coverage_loop().await });
        live
    }

    /// Asks Slack which workspaces send events, at start and every hour (sooner again
    /// after a failure), and says so in the log when it changes.
    async fn coverage_loop(self: Arc<Self>) {
        let mut told = None;
        loop {
            // The workspaces are known once the directory has synced.
            while self.directory.synced_at().is_none() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let wait = match self.coverage.check(&self.slack).await {
                Ok(()) => {
                    told = Some(self.tell_coverage(told.as_deref()));
                    coverage::CHECK_EVERY
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot ask Slack which workspaces send events");
                    Duration::from_secs(60)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Logs which workspaces send events, unless that is `told` already; the sentence.
    fn tell_coverage(&self, told: Option<&str>) -> String {
        let all = self.directory.workspaces();
        let silent = self.coverage.silent(&all);
        let sentence = coverage::describe(&silent, all.len());
        if told != Some(sentence.as_str()) {
            if silent.is_empty() {
                tracing::info!("{sentence}");
            } else {
                tracing::warn!("{sentence}");
            }
        }
        sentence
    }

    /// An envelope Slack sent: queued to be applied after the acknowledgement.
    pub fn receive(&self, envelope: Value) {
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        let _ = self.queue.send(envelope);
    }

    /// Whether `event_id` was seen before (here or, with several replicas, anywhere).
    async fn seen_before(&self, event_id: &str) -> bool {
        if event_id.is_empty() {
            return false;
        }
        {
            let mut seen = self.seen.lock().unwrap();
            if !seen.1.insert(event_id.to_string()) {
                return true;
            }
            seen.0.push_back(event_id.to_string());
            if seen.0.len() > REMEMBERED
                && let Some(old) = seen.0.pop_front()
            {
                seen.1.remove(&old);
            }
        }
        if let Some(pool) = &self.shared_seen {
            let inserted = sqlx::query(
                "INSERT INTO slack_events_seen (event_id, at) VALUES ($1, $2)
                 ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(event_id)
            .bind(unix_now())
            .execute(pool)
            .await;
            // Once every ten minutes, whatever the flow of events.
            let now = unix_now();
            let last = self.pruned_at.load(Ordering::Relaxed);
            if now - last >= 600
                && self
                    .pruned_at
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                let _ = sqlx::query("DELETE FROM slack_events_seen WHERE at < $1")
                    .bind(now - 3600)
                    .execute(pool)
                    .await;
            }
            match inserted {
                Ok(done) => return done.rows_affected() == 0,
                // Applying twice is harmless (the newer state wins): go on.
                Err(e) => tracing::warn!(error = %e, "cannot record a Slack event as seen"),
            }
        }
        false
    }

    async fn handle_batch(&self, envelopes: Vec<Value>) {
        let mut staged: HashMap<String, DirUser> = HashMap::new();
        for envelope in envelopes {
            self.handle(envelope, &mut staged).await;
        }
        let ids: Vec<String> = staged.keys().cloned().collect();
        self.directory.upsert_many(staged.into_values().collect());
        for id in ids {
            self.forget_profile(&id);
        }
        // People to read again are read after the batch is in the directory.
        self.reread_wake.notify_one();
    }

    async fn handle(&self, envelope: Value, staged: &mut HashMap<String, DirUser>) {
        let Ok(envelope) = serde_json::from_value::<Envelope>(envelope) else {
            return;
        };
        if envelope.kind != "event_callback" {
            return;
        }
        if self.seen_before(&envelope.event_id).await {
            self.counters.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let kind = envelope.event.get("type").and_then(Value::as_str);
        match kind {
            Some("team_join" | "user_change") => {
                let Some(user) = envelope
                    .event
                    .get("user")
                    .and_then(|u| serde_json::from_value::<SlackUser>(u.clone()).ok())
                else {
                    return;
                };
                self.apply_user(&user, staged);
            }
            Some("invite_requested") => {
                let request = &envelope.event["invite_request"];
                let workspace = request["team"]["id"].as_str().unwrap_or_default();
                match serde_json::from_value::<InviteRequestObject>(request.clone()) {
                    Ok(object) if !workspace.is_empty() && !object.id.is_empty() => {
                        self.requests.arrived(workspace, object.clone());
                        self.feed.share(crate::feed::Shared::Requested {
                            workspace: workspace.to_string(),
                            request: object,
                        });
                    }
                    _ => tracing::debug!("an invite_requested event without a request"),
                }
            }
            Some(kind @ ("team_access_granted" | "team_access_revoked")) => {
                let teams: Vec<String> = envelope.event["team_ids"]
                    .as_array()
                    .map(|ids| {
                        ids.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                tracing::info!(event = kind, teams = ?teams, "Slack changed the workspaces that send Roster events");
                self.coverage.follow(&teams, kind == "team_access_granted");
                if self.coverage.known() {
                    self.tell_coverage(None);
                }
            }
            _ => {}
        }
        if envelope.event_time > 0 {
            self.counters.lag_ms.store(
                unix_now_ms() - envelope.event_time * 1000,
                Ordering::Relaxed,
            );
        }
    }

    /// Merges one user object with what the directory (or this batch) holds of them.
    fn apply_user(&self, user: &SlackUser, staged: &mut HashMap<String, DirUser>) {
        let existing = staged
            .get(&user.id)
            .cloned()
            .or_else(|| self.directory.get(&user.id));
        match apply::merge(existing.as_ref(), user, unix_now()) {
            apply::Verdict::Apply { user, reread } => {
                let id = user.summary.id.clone();
                staged.insert(id.clone(), *user);
                self.counters.applied.fetch_add(1, Ordering::Relaxed);
                if reread {
                    self.rereads.lock().unwrap().insert(id);
                }
            }
            apply::Verdict::Tie => {
                self.rereads.lock().unwrap().insert(user.id.clone());
            }
            apply::Verdict::Older | apply::Verdict::Same => {}
        }
    }

    /// A person's profile changed in Slack: what was read of it before is forgotten.
    fn forget_profile(&self, user: &str) {
        self.parts.forget(user, crate::live::Touched::Profile);
        self.feed.share(crate::feed::Shared::Forget {
            user: user.to_string(),
            touched: crate::feed::Forgotten::Profile,
        });
    }

    /// Reads `user` again from Slack when there is room (coalesced: once however many
    /// events asked).
    pub fn reread(&self, user: &str) {
        self.rereads.lock().unwrap().insert(user.to_string());
        self.reread_wake.notify_one();
    }

    async fn reread_loop(self: Arc<Self>) {
        loop {
            let next = self.rereads.lock().unwrap().pop_first();
            let Some(user) = next else {
                self.reread_wake.notified().await;
                continue;
            };
            // Only with room in Slack's pace: the help desk goes first.
            let probe = UsersInfo { user: user.clone() };
            loop {
                let wait = self.slack.expected_wait(&probe);
                if wait.is_zero() {
                    break;
                }
                tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
            }
            match self.read_person(&user).await {
                Ok(Some(person)) => {
                    let newer = self
                        .directory
                        .get(&user)
                        .is_none_or(|held| held.updated <= person.updated);
                    if newer {
                        self.directory.upsert(person);
                        self.forget_profile(&user);
                        // What the events asked for is in the directory now.
                        self.counters.applied.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, user = %user, "cannot read a person again after an event");
                    // Tried again later; the reconciling sync covers it in any case.
                    let again = self.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        again.reread(&user);
                    });
                }
            }
        }
    }

    /// One person as Slack has them now: the account org-wide, then the role (and a
    /// guest's expiration) on each workspace.
    async fn read_person(&self, user: &str) -> Result<Option<DirUser>, SlackError> {
        let info = match self
            .slack
            .send(&UsersInfo {
                user: user.to_string(),
            })
            .await
        {
            Ok(reply) => reply.user,
            Err(SlackError::Api { code, .. }) if code == "user_not_found" => None,
            Err(e) => return Err(e),
        };
        let Some(info) = info else {
            return Ok(None);
        };
        // Read to settle what events could not: compared with what is held as if it
        // were older, so a state of the same second is taken.
        let held = self.directory.get(user).map(|mut held| {
            held.updated = 0;
            held
        });
        let base = apply::merge(held.as_ref(), &info, unix_now());
        let mut person = match base {
            apply::Verdict::Apply { user, .. } => *user,
            _ => match self.directory.get(user) {
                Some(held) => held,
                None => return Ok(None),
            },
        };
        let guest = role_of_user(&info).is_guest();
        let mut memberships: Vec<Membership> = Vec::new();
        for m in &person.memberships {
            let on = self
                .slack
                .send(&UsersInfoOn {
                    user: user.to_string(),
                    team_id: m.workspace.to_string(),
                })
                .await?;
            let role = on.user.as_ref().map_or(m.role, role_of_user);
            let expires = if guest {
                self.slack
                    .send(&AdminUsersGetExpiration {
                        user_id: user.to_string(),
                        target_team: m.workspace.to_string(),
                    })
                    .await?
                    .expires()
            } else {
                None
            };
            memberships.push(Membership {
                workspace: m.workspace.clone(),
                role,
                expires,
            });
        }
        person.memberships = memberships;
        person.rederive();
        person.updated = info.updated;
        Ok(Some(person))
    }

    /// Whether events are arriving: a socket is open, or (HTTP only) nothing says otherwise.
    pub fn is_live(&self) -> bool {
        !self.transports.is_empty() && self.counters.down_since.load(Ordering::SeqCst) == 0
    }

    /// Whether events arrive from every workspace of the org: only then may full syncs
    /// become rare.
    pub fn is_live_everywhere(&self) -> bool {
        self.is_live() && self.coverage.covers_all(&self.directory.workspaces())
    }

    /// What the console and `/readyz` show: the state, nothing that counts or times the
    /// org's changes.
    pub fn status(&self) -> LiveStatus {
        let down = self.counters.down_since.load(Ordering::SeqCst);
        LiveStatus {
            state: if self.transports.is_empty() {
                LiveState::Off
            } else if down == 0 {
                LiveState::Live
            } else {
                LiveState::Paused
            },
            paused_since: (down > 0).then_some(down),
            silent: Vec::new(),
        }
    }

    /// The figures `/metrics` gives operators.
    pub fn figures(&self) -> LiveFigures {
        LiveFigures {
            sockets: self.counters.sockets.load(Ordering::Relaxed),
            applied: self.counters.applied.load(Ordering::Relaxed),
            reconnects: self.counters.reconnects.load(Ordering::Relaxed),
            lag_ms: self.counters.lag_ms.load(Ordering::Relaxed),
        }
    }
}
