//! Paces Roster's own calls at each method's documented tier, per workspace, so it rarely
//! earns a 429; when Slack does answer 429, the method waits out `Retry-After`. Calls that
//! wait for a lane are served in turn across the people they are made for.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::oneshot;

use crate::store::PaceStore;

/// Slack's rate-limit tiers, as calls per minute (the documented floors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// 20+ per minute.
    Tier2,
    /// 50+ per minute.
    Tier3,
    /// 100+ per minute.
    Tier4,
    /// SCIM `PATCH` or `DELETE /Users/{id}`: 180 a minute, bursts of 20, for the whole org.
    ScimWrite,
    /// SCIM `GET /Users/{id}`: 300 a minute.
    ScimRead,
}

impl Tier {
    pub(crate) fn per_minute(self) -> f64 {
        match self {
            Tier::Tier2 => 20.0,
            Tier::Tier3 => 50.0,
            Tier::Tier4 => 100.0,
            Tier::ScimWrite => 180.0,
            Tier::ScimRead => 300.0,
        }
    }

    /// Calls that may go at once: a minute's worth, except where Slack documents less.
    fn burst(self) -> f64 {
        match self {
            Tier::ScimWrite => 20.0,
            other => other.per_minute(),
        }
    }
}

/// How much later than the first call Slack may start a bucket's clock (the call's trip
/// and Roster's own work between taking the slot and sending it).
const ARRIVAL_SLACK: Duration = Duration::from_millis(20);

/// Calls waiting for one lane, per payer: first in, first out within a payer, and one
/// call of each payer in turn (round robin), so one person's burst waits behind nobody
/// else's single call.
#[derive(Debug, Default)]
struct Waiting {
    /// Payers in the order they are served next, each with its calls in order.
    ring: VecDeque<(Arc<str>, VecDeque<oneshot::Sender<()>>)>,
}

impl Waiting {
    fn push(&mut self, payer: &Arc<str>, call: oneshot::Sender<()>) {
        match self.ring.iter_mut().find(|(p, _)| p == payer) {
            Some((_, calls)) => calls.push_back(call),
            None => self.ring.push_back((payer.clone(), VecDeque::from([call]))),
        }
    }

    /// Drops calls nobody waits for any more (their request ended).
    fn prune(&mut self) {
        for (_, calls) in &mut self.ring {
            calls.retain(|c| !c.is_closed());
        }
        self.ring.retain(|(_, calls)| !calls.is_empty());
    }

    fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// The next call: the first of the payer whose turn it is, who then goes to the back.
    fn next(&mut self) -> Option<oneshot::Sender<()>> {
        let (payer, mut calls) = self.ring.pop_front()?;
        let call = calls.pop_front();
        if !calls.is_empty() {
            self.ring.push_back((payer, calls));
        }
        call
    }

    /// Calls served before a new call of `payer` would be: every call of its own already
    /// waiting, and as many of each other payer's (one a turn), plus one.
    fn ahead_of(&self, payer: &str) -> usize {
        let own = self
            .ring
            .iter()
            .find(|(p, _)| &**p == payer)
            .map_or(0, |(_, calls)| calls.len());
        self.ring
            .iter()
            .filter(|(p, _)| &**p != payer)
            .map(|(_, calls)| calls.len().min(own + 1))
            .sum::<usize>()
            + own
    }

    fn len(&self) -> usize {
        self.ring.iter().map(|(_, calls)| calls.len()).sum()
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Slack said to wait until then.
    blocked_until: Option<Instant>,
    /// Calls waiting for a slot.
    waiting: Waiting,
    /// A task hands out slots to the waiting calls.
    dispatching: bool,
}

impl Bucket {
    /// How long from `now` until `short` more tokens have come in at `per_second` (the
    /// refill starts at `last`, which may be ahead of `now`).
    fn until_refilled(&self, now: Instant, short: f64, per_second: f64) -> Duration {
        self.last.saturating_duration_since(now) + Duration::from_secs_f64(short / per_second)
    }

    /// The tokens it holds at `now`, refilled at `per_second` up to `capacity`.
    fn tokens_at(&self, now: Instant, capacity: f64, per_second: f64) -> f64 {
        (self.tokens + now.saturating_duration_since(self.last).as_secs_f64() * per_second)
            .min(capacity)
    }

    /// How long until a slot is free; takes it when it is free now.
    fn take(&mut self, now: Instant, capacity: f64, per_second: f64) -> Duration {
        if let Some(until) = self.blocked_until {
            if until > now {
                return until - now;
            }
            self.blocked_until = None;
        }
        self.tokens = self.tokens_at(now, capacity, per_second);
        self.last = self.last.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Duration::ZERO
        } else {
            self.until_refilled(now, 1.0 - self.tokens, per_second)
        }
    }
}

type Key = (&'static str, String);

/// A token bucket per (method, workspace): a minute's worth of calls may go at once, then
/// one call per `60 / per_minute` seconds. Calls that must wait are served in turn across
/// payers (see [`Waiting`]).
///
/// With several replicas the tokens live in the database ([`PaceStore`]), counted with its
/// clock, so together the replicas never exceed a tier; each replica keeps its own queue of
/// waiting calls and takes tokens for them as they come due. A replica that cannot reach
/// the database paces on its own meanwhile.
#[derive(Debug)]
pub struct Limiter {
    /// Speeds the clock up (tests against a sandbox with scaled limits).
    scale: f64,
    buckets: Mutex<HashMap<Key, Bucket>>,
    /// The buckets every replica shares, once the database is PostgreSQL.
    shared: std::sync::OnceLock<Arc<dyn PaceStore>>,
}

impl Limiter {
    /// A limiter whose clock runs `scale` times faster than real time.
    pub fn new(scale: f64) -> Self {
        Self {
            scale: Self::valid_scale(scale),
            buckets: Mutex::new(HashMap::new()),
            shared: std::sync::OnceLock::new(),
        }
    }

    /// From now on, takes tokens from `store`, shared with the other replicas.
    pub fn share(&self, store: Arc<dyn PaceStore>) {
        let _ = self.shared.set(store);
    }

    /// Takes a slot of `key` now if one is free; otherwise how long until one is. From the
    /// shared buckets when there are some (their state is kept here too, for
    /// [`Limiter::expected_wait`]).
    async fn take_slot(&self, key: &Key, tier: Tier) -> Duration {
        let (capacity, per_second) = self.pace(tier);
        if let Some(shared) = self.shared.get() {
            let taken = shared
                .take(
                    key.0,
                    &key.1,
                    capacity,
                    per_second / 1_000.0,
                    ARRIVAL_SLACK.as_millis() as i64,
                )
                .await;
            match taken {
                Ok(take) => {
                    let now = Instant::now();
                    let at = |ms: i64| {
                        let ahead = ms - take.state.now_ms;
                        if ahead > 0 {
                            now + Duration::from_millis(ahead as u64)
                        } else {
                            now - Duration::from_millis((-ahead) as u64)
                        }
                    };
                    let mut buckets = self.buckets.lock().unwrap();
                    let bucket = Self::bucket(&mut buckets, key, capacity, now);
                    bucket.tokens = take.state.tokens;
                    bucket.last = at(take.state.last_ms);
                    bucket.blocked_until = (take.state.blocked_until_ms > take.state.now_ms)
                        .then(|| at(take.state.blocked_until_ms));
                    return Duration::from_millis(take.wait_ms.max(0) as u64);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "the shared pace is out of reach; pacing alone")
                }
            }
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        Self::bucket(&mut buckets, key, capacity, now).take(now, capacity, per_second)
    }

    /// A slot taken for a call nobody waits for any more goes back.
    async fn give_back(&self, key: &Key, tier: Tier) {
        let (capacity, _) = self.pace(tier);
        if let Some(shared) = self.shared.get() {
            let _ = shared.give_back(key.0, &key.1, capacity).await;
            return;
        }
        if let Some(bucket) = self.buckets.lock().unwrap().get_mut(key) {
            bucket.tokens = (bucket.tokens + 1.0).min(capacity);
        }
    }

    /// `scale` if it can speed a clock up; otherwise real time.
    pub fn valid_scale(scale: f64) -> f64 {
        if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        }
    }

    /// A tier's burst (calls that may go at once) and steady rate (calls per second, on this
    /// limiter's clock).
    pub fn pace(&self, tier: Tier) -> (f64, f64) {
        (tier.burst(), tier.per_minute() / 60.0 * self.scale)
    }

    /// The bucket of `key`, made with `tokens` if there is none yet.
    fn bucket<'a>(
        buckets: &'a mut HashMap<Key, Bucket>,
        key: &Key,
        tokens: f64,
        now: Instant,
    ) -> &'a mut Bucket {
        buckets.entry(key.clone()).or_insert(Bucket {
            tokens,
            // Slack starts counting when the first call arrives, a moment after it
            // left: refilling from a little later keeps a later call that travels faster
            // from landing just before Slack has its slot ready.
            last: now + ARRIVAL_SLACK,
            blocked_until: None,
            waiting: Waiting::default(),
            dispatching: false,
        })
    }

    /// Waits until a call of `method` on `workspace` for `payer` may go, in turn with the
    /// other payers waiting for it. Returns how long it waited.
    pub async fn acquire(
        self: &Arc<Self>,
        method: &'static str,
        workspace: &str,
        tier: Tier,
        payer: &Arc<str>,
    ) -> Duration {
        let started = Instant::now();
        let (capacity, _) = self.pace(tier);
        let key: Key = (method, workspace.to_string());
        let nobody_waits = {
            let mut buckets = self.buckets.lock().unwrap();
            let bucket = Self::bucket(&mut buckets, &key, capacity, started);
            bucket.waiting.prune();
            bucket.waiting.is_empty()
        };
        if nobody_waits && self.take_slot(&key, tier).await.is_zero() {
            return started.elapsed();
        }
        let turn = {
            let mut buckets = self.buckets.lock().unwrap();
            let bucket = Self::bucket(&mut buckets, &key, capacity, started);
            let (tell, turn) = oneshot::channel();
            bucket.waiting.push(payer, tell);
            if !bucket.dispatching {
                bucket.dispatching = true;
                tokio::spawn(self.clone().dispatch(key, tier));
            }
            turn
        };
        // The dispatcher answers every call it keeps; a dropped sender means it stopped
        // (the runtime is shutting down).
        let _ = turn.await;
        started.elapsed()
    }

    /// Hands out `key`'s slots to its waiting calls as they come free, until none waits.
    async fn dispatch(self: Arc<Self>, key: Key, tier: Tier) {
        let (capacity, _) = self.pace(tier);
        loop {
            {
                let mut buckets = self.buckets.lock().unwrap();
                let bucket = Self::bucket(&mut buckets, &key, capacity, Instant::now());
                bucket.waiting.prune();
                if bucket.waiting.is_empty() {
                    bucket.dispatching = false;
                    return;
                }
            }
            let wait = self.take_slot(&key, tier).await;
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
                continue;
            }
            let sent = {
                let mut buckets = self.buckets.lock().unwrap();
                let bucket = Self::bucket(&mut buckets, &key, capacity, Instant::now());
                bucket
                    .waiting
                    .next()
                    .is_some_and(|call| call.send(()).is_ok())
            };
            if !sent {
                // Its request ended just now: the slot is not used.
                self.give_back(&key, tier).await;
            }
        }
    }

    /// How long a call of `method` on `workspace` for `payer` would wait if asked now, in
    /// its turn behind the calls already waiting (or a 429's `Retry-After`). Takes nothing.
    pub fn expected_wait(
        &self,
        method: &'static str,
        workspace: &str,
        tier: Tier,
        payer: &str,
    ) -> Duration {
        let (capacity, per_second) = self.pace(tier);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let Some(bucket) = buckets.get_mut(&(method, workspace.to_string())) else {
            return Duration::ZERO;
        };
        bucket.waiting.prune();
        let blocked = bucket
            .blocked_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        let tokens = bucket.tokens_at(now, capacity, per_second);
        let short = bucket.waiting.ahead_of(payer) as f64 + 1.0 - tokens;
        let paced = if short > 0.0 {
            bucket.until_refilled(now, short, per_second)
        } else {
            Duration::ZERO
        };
        blocked.max(paced)
    }

    /// Calls waiting for a slot, in every lane (metrics).
    pub fn waiting(&self) -> usize {
        self.buckets
            .lock()
            .unwrap()
            .values()
            .map(|b| b.waiting.len())
            .sum()
    }

    /// Counts calls of `method` on `workspace` that an earlier run of Roster made at
    /// `ages` (how long ago each went), so a restart does not spend a burst Slack has
    /// already seen. Replays them through the bucket, oldest first.
    pub fn replay(&self, method: &'static str, workspace: &str, tier: Tier, ages: &[Duration]) {
        let (capacity, per_second) = self.pace(tier);
        let mut ages = ages.to_vec();
        ages.sort_unstable_by(|a, b| b.cmp(a));
        let mut tokens = capacity;
        let mut previous: Option<Duration> = None;
        for age in &ages {
            if let Some(prev) = previous {
                tokens = (tokens + (prev - *age).as_secs_f64() * per_second).min(capacity);
            }
            tokens -= 1.0;
            previous = Some(*age);
        }
        if let Some(last) = previous {
            tokens = (tokens + last.as_secs_f64() * per_second).min(capacity);
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = Self::bucket(
            &mut buckets,
            &(method, workspace.to_string()),
            capacity,
            now,
        );
        bucket.tokens = bucket.tokens.min(tokens.max(0.0));
    }

    /// Slack answered 429: no call of `method` on `workspace` before `retry_after` has
    /// passed, on any replica.
    pub async fn blocked(&self, method: &'static str, workspace: &str, retry_after: Duration) {
        if let Some(shared) = self.shared.get()
            && let Err(e) = shared
                .block(method, workspace, retry_after.as_millis() as i64)
                .await
        {
            tracing::debug!(error = %e, "cannot share a Retry-After");
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = Self::bucket(&mut buckets, &(method, workspace.to_string()), 0.0, now);
        bucket.tokens = 0.0;
        bucket.last = now + retry_after;
        bucket.blocked_until = Some(now + retry_after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Limiter {
        /// Takes a slot of `method` on `workspace` now if one is free; otherwise how long
        /// until one is.
        fn reserve(&self, method: &'static str, workspace: &str, tier: Tier) -> Duration {
            let (capacity, per_second) = self.pace(tier);
            let now = Instant::now();
            let mut buckets = self.buckets.lock().unwrap();
            Self::bucket(
                &mut buckets,
                &(method, workspace.to_string()),
                capacity,
                now,
            )
            .take(now, capacity, per_second)
        }
    }

    #[test]
    fn a_tier_allows_a_burst_then_paces() {
        let limiter = Limiter::new(1.0);
        for _ in 0..20 {
            assert_eq!(limiter.reserve("m", "T1", Tier::Tier2), Duration::ZERO);
        }
        let wait = limiter.reserve("m", "T1", Tier::Tier2);
        assert!(
            wait > Duration::from_secs(2) && wait <= Duration::from_secs(3) + ARRIVAL_SLACK,
            "{wait:?}"
        );
        // Other workspaces and methods are not affected.
        assert_eq!(limiter.reserve("m", "T2", Tier::Tier2), Duration::ZERO);
        assert_eq!(limiter.reserve("n", "T1", Tier::Tier2), Duration::ZERO);
    }

    #[test]
    fn the_first_slot_after_a_burst_leaves_room_for_the_trip() {
        // Tier 2 on a 60× clock: a call every 50 ms once the burst is spent. Slack's clock
        // started when the first call arrived, so the next slot is counted from a little
        // after Roster took the first.
        let limiter = Limiter::new(60.0);
        for _ in 0..20 {
            assert_eq!(limiter.reserve("m", "T1", Tier::Tier2), Duration::ZERO);
        }
        let wait = limiter.reserve("m", "T1", Tier::Tier2);
        assert!(wait > Duration::from_millis(60), "{wait:?}");
        assert!(
            wait <= Duration::from_millis(50) + ARRIVAL_SLACK,
            "{wait:?}"
        );
    }

    #[tokio::test]
    async fn retry_after_blocks_the_method() {
        let limiter = Limiter::new(1.0);
        limiter.blocked("m", "", Duration::from_secs(5)).await;
        let wait = limiter.reserve("m", "", Tier::Tier4);
        assert!(wait > Duration::from_secs(4), "{wait:?}");
    }

    #[tokio::test]
    async fn the_expected_wait_counts_the_calls_already_waiting() {
        let limiter = Arc::new(Limiter::new(1.0));
        let (ada, bob): (Arc<str>, Arc<str>) = ("ada".into(), "bob".into());
        assert_eq!(
            limiter.expected_wait("m", "T1", Tier::Tier2, &ada),
            Duration::ZERO
        );
        for _ in 0..20 {
            assert_eq!(limiter.reserve("m", "T1", Tier::Tier2), Duration::ZERO);
        }
        // One call every 3 s: the next waits about 3 s…
        let alone = limiter.expected_wait("m", "T1", Tier::Tier2, &ada);
        assert!(alone > Duration::from_secs(2) && alone <= Duration::from_secs(3) + ARRIVAL_SLACK);
        // …and with two of Ada's calls already waiting, about 9 s for her. Bob's next call
        // goes after her first, in about 6 s. Asking took no slot.
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let (limiter, ada) = (limiter.clone(), ada.clone());
                tokio::spawn(async move { limiter.acquire("m", "T1", Tier::Tier2, &ada).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let behind = limiter.expected_wait("m", "T1", Tier::Tier2, &ada);
        assert!(
            behind > Duration::from_secs(8) && behind <= Duration::from_secs(9) + ARRIVAL_SLACK,
            "{behind:?}"
        );
        let other = limiter.expected_wait("m", "T1", Tier::Tier2, &bob);
        assert!(
            other > Duration::from_secs(5) && other <= Duration::from_secs(6) + ARRIVAL_SLACK,
            "{other:?}"
        );
        for call in waiting {
            call.abort();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Cancelled calls no longer count.
        let again = limiter.expected_wait("m", "T1", Tier::Tier2, &ada);
        assert!(again <= Duration::from_secs(3) + ARRIVAL_SLACK, "{again:?}");
        // A 429's Retry-After counts too.
        limiter.blocked("n", "", Duration::from_secs(20)).await;
        assert!(limiter.expected_wait("n", "", Tier::Tier4, &ada) > Duration::from_secs(19));
    }

    #[tokio::test]
    async fn waiting_calls_are_served_in_turn_across_payers() {
        // Tier 2 on a 600× clock: a slot every 5 ms once the burst is spent.
        let limiter = Arc::new(Limiter::new(600.0));
        for _ in 0..20 {
            assert_eq!(limiter.reserve("m", "T1", Tier::Tier2), Duration::ZERO);
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let call = |who: &'static str, n: usize| {
            let (limiter, order) = (limiter.clone(), order.clone());
            tokio::spawn(async move {
                let payer: Arc<str> = who.into();
                limiter.acquire("m", "T1", Tier::Tier2, &payer).await;
                order.lock().unwrap().push(format!("{who}{n}"));
            })
        };
        // Ada queues ten calls; Bob and Cy one each a moment later.
        let mut calls: Vec<_> = (0..10).map(|n| call("ada", n)).collect();
        tokio::time::sleep(Duration::from_millis(1)).await;
        calls.push(call("bob", 0));
        calls.push(call("cy", 0));
        for c in calls {
            c.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        let position = |who: &str| order.iter().position(|o| o == who).unwrap();
        assert!(position("bob0") <= 2, "{order:?}");
        assert!(position("cy0") <= 3, "{order:?}");
        let ada: Vec<&String> = order.iter().filter(|o| o.starts_with("ada")).collect();
        assert_eq!(
            ada,
            (0..10)
                .map(|n| format!("ada{n}"))
                .collect::<Vec<_>>()
                .iter()
                .collect::<Vec<_>>(),
            "first in, first out within a payer"
        );
    }

    #[test]
    fn calls_of_an_earlier_run_use_up_the_burst() {
        let limiter = Limiter::new(1.0);
        // 20 calls in the last 10 seconds: about 3 slots have come back since.
        let ages: Vec<Duration> = (0..20).map(|i| Duration::from_millis(500 * i)).collect();
        limiter.replay("m", "T1", Tier::Tier2, &ages);
        for _ in 0..3 {
            assert_eq!(limiter.reserve("m", "T1", Tier::Tier2), Duration::ZERO);
        }
        assert!(limiter.reserve("m", "T1", Tier::Tier2) > Duration::ZERO);
        // Calls long ago leave the whole burst.
        limiter.replay("m", "T2", Tier::Tier2, &[Duration::from_secs(600)]);
        for _ in 0..20 {
            assert_eq!(limiter.reserve("m", "T2", Tier::Tier2), Duration::ZERO);
        }
        assert!(limiter.reserve("m", "T2", Tier::Tier2) > Duration::ZERO);
    }

    #[tokio::test]
    async fn scaled_clock_waits_less() {
        let limiter = Arc::new(Limiter::new(600.0));
        let payer: Arc<str> = "ada".into();
        for _ in 0..20 {
            limiter.acquire("m", "T1", Tier::Tier2, &payer).await;
        }
        let started = Instant::now();
        limiter.acquire("m", "T1", Tier::Tier2, &payer).await;
        // 20/min at 600x is 200/s: one slot is 5 ms.
        assert!(started.elapsed() < Duration::from_millis(100));
    }
}
