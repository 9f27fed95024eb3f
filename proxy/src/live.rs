//! The parts of a person's detail that Roster reads live from Slack (profile, presence,
//! channels, guest expirations), kept for a while so a busy help desk does not queue
//! behind Slack's limits.
//!
//! Each part of each person is one slot. A request answers from a fresh slot at once. For
//! a stale or empty slot it starts one fetch, or joins the one already running, so people
//! opening the same person at once cost Slack one call. It waits for the fetch only until
//! its deadline; the fetch goes on without it and fills the slot, and the console asks
//! again for what was still loading. A fetch that would wait long for Slack's limit is not
//! made: the part keeps its older value (with its age) and says when to try again.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use roster_api::{Channel, Presence};

use crate::slack::methods::SlackUser;

/// What one fetch of a part gave: the value, or why there is none.
pub type Fetched<V> = Result<V, Problem>;

/// A part as one request sees it.
#[derive(Debug, Clone)]
pub struct Seen<V> {
    /// The latest value Slack gave, if any.
    pub value: Option<V>,
    /// How long ago Slack gave `value`.
    pub age: Option<Duration>,
    /// A fetch is still running: asking again later gives its result.
    pub loading: bool,
    /// Why the part could not be refreshed.
    pub problem: Option<Problem>,
}

/// Why a part could not be refreshed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Slack could not give it, in words.
    Failed(String),
    /// Slack's limit: try again after this long.
    Limited(Duration),
}

impl<V> Seen<V> {
    /// What a request sees: `old` (the last value and its age, if any) with its state.
    fn of(old: Option<(V, Duration)>, loading: bool, problem: Option<Problem>) -> Self {
        let (value, age) = old.unzip();
        Seen {
            value,
            age,
            loading,
            problem,
        }
    }
}

/// Whether a cached answer or failure is still recent enough to give without asking Slack.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    /// A value is given as it is for this long.
    pub value: Duration,
    /// A failure is repeated, without asking Slack again, for this long.
    pub failure: Duration,
}

type Fetch<V> = Shared<BoxFuture<'static, Fetched<V>>>;

struct Slot<V> {
    /// Tells this slot from one made after it was forgotten.
    generation: u64,
    value: Option<(V, Instant)>,
    failure: Option<(String, Instant)>,
    fetching: Option<Fetch<V>>,
}

/// One kind of part, per key (a person, or a person on a workspace).
pub struct Parts<K, V> {
    slots: Arc<Mutex<HashMap<K, Slot<V>>>>,
    freshness: Freshness,
    /// Slots kept before old ones are dropped.
    capacity: usize,
}

static GENERATION: AtomicU64 = AtomicU64::new(0);

impl<K, V> Parts<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(freshness: Freshness, capacity: usize) -> Self {
        Parts {
            slots: Arc::default(),
            freshness,
            capacity,
        }
    }

    /// The part under `key`: at once if it is fresh; otherwise from a fetch (`fetch`,
    /// started unless one is already running), waited for until `deadline`.
    pub async fn get<F>(&self, key: K, deadline: Instant, fetch: F) -> Seen<V>
    where
        F: FnOnce() -> BoxFuture<'static, Fetched<V>>,
    {
        let now = Instant::now();
        let (running, old) = {
            let mut slots = self.slots.lock().unwrap();
            if !slots.contains_key(&key) && slots.len() >= self.capacity {
                self.prune(&mut slots, now);
            }
            let slot = slots.entry(key.clone()).or_insert_with(|| Slot {
                generation: GENERATION.fetch_add(1, Ordering::Relaxed),
                value: None,
                failure: None,
                fetching: None,
            });
            let old = slot
                .value
                .as_ref()
                .map(|(v, at)| (v.clone(), now.saturating_duration_since(*at)));
            if old
                .as_ref()
                .is_some_and(|(_, age)| *age < self.freshness.value)
            {
                return Seen::of(old, false, None);
            }
            if slot.fetching.is_none()
                && let Some((why, at)) = &slot.failure
                && now.saturating_duration_since(*at) < self.freshness.failure
            {
                let problem = Problem::Failed(why.clone());
                return Seen::of(old, false, Some(problem));
            }
            let running = match &slot.fetching {
                Some(running) => running.clone(),
                None => {
                    let running = self.start(key, slot.generation, fetch());
                    slot.fetching = Some(running.clone());
                    running
                }
            };
            (running, old)
        };
        match tokio::time::timeout_at(deadline.into(), running).await {
            Ok(Ok(value)) => Seen::of(Some((value, Duration::ZERO)), false, None),
            Ok(Err(problem)) => Seen::of(old, false, Some(problem)),
            Err(_) => Seen::of(old, true, None),
        }
    }

    /// Runs `fetch` on its own task (it finishes even if every request waiting for it has
    /// answered) and files its result in the slot, unless the slot was forgotten meanwhile.
    fn start(&self, key: K, generation: u64, fetch: BoxFuture<'static, Fetched<V>>) -> Fetch<V> {
        let slots = self.slots.clone();
        // Charged to the person whose request started it.
        let payer = crate::slack::payer::current();
        let task = tokio::spawn(async move {
            let fetched = crate::slack::payer::paid_by(payer, fetch).await;
            let mut slots = slots.lock().unwrap();
            if let Some(slot) = slots.get_mut(&key)
                && slot.generation == generation
            {
                slot.fetching = None;
                let now = Instant::now();
                match &fetched {
                    Ok(value) => {
                        slot.value = Some((value.clone(), now));
                        slot.failure = None;
                    }
                    Err(Problem::Failed(why)) => slot.failure = Some((why.clone(), now)),
                    Err(Problem::Limited(_)) => {}
                }
            }
            fetched
        });
        task.map(|joined| {
            joined.unwrap_or_else(|_| Err(Problem::Failed("Roster stopped asking Slack.".into())))
        })
        .boxed()
        .shared()
    }

    /// Drops slots that are neither fresh nor being fetched.
    fn prune(&self, slots: &mut HashMap<K, Slot<V>>, now: Instant) {
        let keep = self.freshness.value;
        slots.retain(|_, slot| {
            slot.fetching.is_some()
                || slot
                    .value
                    .as_ref()
                    .is_some_and(|(_, at)| now.saturating_duration_since(*at) < keep)
        });
    }

    /// Forgets every slot whose key `matches` (a change was made to that person). A fetch
    /// already running files nothing.
    pub fn forget(&self, matches: impl Fn(&K) -> bool) {
        self.slots.lock().unwrap().retain(|key, _| !matches(key));
    }

    /// Slots held (tests: the map is bounded).
    pub fn len(&self) -> usize {
        self.slots.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A user's channels: the first page, and whether there are more.
pub type Channels = (Vec<Channel>, bool);

/// Whose slots a part is kept in. Roles that cover every workspace share theirs; each role
/// limited to some workspaces has its own, so what it is shown (a value's age, whether it
/// was there already) never comes from what other roles opened, and which slots are fresh
/// does not tell it what kind of role opened someone.
pub type Scope = std::sync::Arc<str>;

/// The scope of roles that cover every workspace.
pub const EVERY_WORKSPACE: &str = "*";

/// A person's parts under one scope: (scope, user ID).
pub type PersonKey = (Scope, String);
/// A person's part on one workspace under one scope: (scope, user ID, team ID or `""` for
/// channels on every workspace, asked for by a role that covers all).
pub type WorkspaceKey = (Scope, String, String);

/// Every live part Roster keeps.
pub struct LiveParts {
    pub profiles: Parts<PersonKey, SlackUser>,
    pub presence: Parts<PersonKey, Option<Presence>>,
    pub channels: Parts<WorkspaceKey, Channels>,
    pub expirations: Parts<WorkspaceKey, Option<i64>>,
}

/// What a change made through Roster may have changed among a person's live parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touched<'a> {
    /// None of them (a role, a session, an invitation answered).
    Nothing,
    /// Their channels on this workspace (added to it, removed from it).
    Channels(&'a str),
    /// Their guest expiration on this workspace.
    Expiration(&'a str),
    /// Their account (deactivated, reactivated): every part, for everyone.
    Account,
    /// Their profile and guest expirations, changed in Slack (an event told of it).
    Profile,
}

/// People whose parts are kept at most (each part bounded separately).
const CAPACITY: usize = 20_000;

impl Default for LiveParts {
    fn default() -> Self {
        // Values kept for `secs`; failures repeated for 15 s.
        let keep = |secs: u64| Freshness {
            value: Duration::from_secs(secs),
            failure: Duration::from_secs(15),
        };
        LiveParts {
            profiles: Parts::new(keep(5 * 60), CAPACITY),
            presence: Parts::new(keep(60), CAPACITY),
            channels: Parts::new(keep(5 * 60), CAPACITY),
            expirations: Parts::new(keep(5 * 60), CAPACITY),
        }
    }
}

impl std::fmt::Debug for LiveParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveParts")
            .field("profiles", &self.profiles.len())
            .field("presence", &self.presence.len())
            .field("channels", &self.channels.len())
            .field("expirations", &self.expirations.len())
            .finish()
    }
}

impl LiveParts {
    /// Forgets what Slack said about `user` that a change made through Roster may have
    /// changed, and only in the scopes that see it: a change on a workspace leaves the
    /// slots of roles that do not cover that workspace as they were (their view did not
    /// change, and a fresh age would tell them that something happened elsewhere). A slot
    /// of one workspace is only ever filled for a scope that covers it; `""` (channels on
    /// every workspace) only for roles that cover all.
    pub fn forget(&self, user: &str, touched: Touched<'_>) {
        match touched {
            Touched::Nothing => {}
            Touched::Account => {
                self.profiles.forget(|(_, u)| u == user);
                self.presence.forget(|(_, u)| u == user);
                self.channels.forget(|(_, u, _)| u == user);
                self.expirations.forget(|(_, u, _)| u == user);
            }
            Touched::Channels(team) => self
                .channels
                .forget(|(_, u, t)| u == user && (t == team || t.is_empty())),
            Touched::Expiration(team) => {
                self.expirations.forget(|(_, u, t)| u == user && t == team)
            }
            Touched::Profile => {
                self.profiles.forget(|(_, u)| u == user);
                self.expirations.forget(|(_, u, _)| u == user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn parts() -> Parts<String, u32> {
        Parts::new(
            Freshness {
                value: Duration::from_millis(300),
                failure: Duration::from_millis(100),
            },
            4,
        )
    }

    /// A fetch that counts its calls, answers `value` after `after`.
    fn fetch(
        calls: &Arc<AtomicUsize>,
        after: Duration,
        value: u32,
    ) -> impl FnOnce() -> BoxFuture<'static, Fetched<u32>> {
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(after).await;
                Ok(value)
            }
            .boxed()
        }
    }

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn requests_at_once_share_one_fetch_and_a_fresh_value_is_reused() {
        let p = parts();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = futures_util::future::join_all((0..5).map(|_| {
            p.get(
                "U1".into(),
                soon(500),
                fetch(&calls, Duration::from_millis(20), 7),
            )
        }))
        .await;
        assert!(seen.iter().all(|s| s.value == Some(7) && !s.loading));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let again = p
            .get("U1".into(), soon(500), fetch(&calls, Duration::ZERO, 8))
            .await;
        assert_eq!(again.value, Some(7));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_slow_fetch_answers_loading_with_the_old_value_then_fills_the_slot() {
        let p = parts();
        let calls = Arc::new(AtomicUsize::new(0));
        let first = p
            .get("U1".into(), soon(500), fetch(&calls, Duration::ZERO, 1))
            .await;
        assert_eq!(first.value, Some(1));
        tokio::time::sleep(Duration::from_millis(350)).await;
        // Stale now: the fetch takes longer than the deadline.
        let t = Instant::now();
        let slow = p
            .get(
                "U1".into(),
                soon(50),
                fetch(&calls, Duration::from_millis(200), 2),
            )
            .await;
        assert!(t.elapsed() < Duration::from_millis(150));
        assert!(slow.loading);
        assert_eq!(slow.value, Some(1));
        assert!(slow.age.unwrap() >= Duration::from_millis(350));
        // The fetch went on without the request.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let filled = p
            .get("U1".into(), soon(50), fetch(&calls, Duration::ZERO, 3))
            .await;
        assert_eq!(filled.value, Some(2));
        assert!(!filled.loading);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_skipped_fetch_keeps_the_old_value_and_says_when_to_retry() {
        let p = parts();
        let skipped = p
            .get("U1".into(), soon(50), || {
                async { Err(Problem::Limited(Duration::from_secs(20))) }.boxed()
            })
            .await;
        assert_eq!(skipped.value, None);
        assert_eq!(
            skipped.problem,
            Some(Problem::Limited(Duration::from_secs(20)))
        );
    }

    #[tokio::test]
    async fn a_failure_is_repeated_briefly_without_asking_again() {
        let p = parts();
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = |calls: &Arc<AtomicUsize>| {
            let calls = calls.clone();
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(Problem::Failed("no".to_string())) }.boxed()
            }
        };
        for _ in 0..3 {
            let seen = p.get("U1".into(), soon(50), failing(&calls)).await;
            assert_eq!(seen.problem, Some(Problem::Failed("no".into())));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(120)).await;
        p.get("U1".into(), soon(50), failing(&calls)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_forgotten_slot_is_fetched_again_and_a_late_fetch_files_nothing() {
        let p = parts();
        let calls = Arc::new(AtomicUsize::new(0));
        let slow = p
            .get(
                "U1".into(),
                soon(10),
                fetch(&calls, Duration::from_millis(100), 1),
            )
            .await;
        assert!(slow.loading);
        p.forget(|k| k == "U1");
        tokio::time::sleep(Duration::from_millis(150)).await;
        // The fetch started before the change did not file its answer.
        let after = p
            .get("U1".into(), soon(200), fetch(&calls, Duration::ZERO, 2))
            .await;
        assert_eq!(after.value, Some(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_slots_are_bounded() {
        let p = parts();
        let calls = Arc::new(AtomicUsize::new(0));
        for i in 0..4 {
            p.get(format!("U{i}"), soon(100), fetch(&calls, Duration::ZERO, i))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(350)).await;
        p.get("U9".into(), soon(100), fetch(&calls, Duration::ZERO, 9))
            .await;
        assert_eq!(p.len(), 1);
    }
}
