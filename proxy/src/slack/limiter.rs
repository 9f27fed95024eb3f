//! Paces Roster's own calls at each method's documented tier, per workspace, so it rarely
//! earns a 429; when Slack does answer 429, the method waits out `Retry-After`.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

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
    fn per_minute(self) -> f64 {
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

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Slack said to wait until then.
    blocked_until: Option<Instant>,
    /// Calls waiting in [`Limiter::acquire`] for this bucket.
    waiting: u32,
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
}

/// A token bucket per (method, workspace): a minute's worth of calls may go at once, then
/// one call per `60 / per_minute` seconds.
#[derive(Debug)]
pub struct Limiter {
    /// Speeds the clock up (tests against a sandbox with scaled limits).
    scale: f64,
    buckets: Mutex<HashMap<(&'static str, String), Bucket>>,
}

impl Limiter {
    /// A limiter whose clock runs `scale` times faster than real time.
    pub fn new(scale: f64) -> Self {
        Self {
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// A tier's burst (calls that may go at once) and steady rate (calls per second, on this
    /// limiter's clock).
    pub fn pace(&self, tier: Tier) -> (f64, f64) {
        (tier.burst(), tier.per_minute() / 60.0 * self.scale)
    }

    /// The bucket of (`method`, `workspace`), made with `tokens` if there is none yet.
    fn bucket<'a>(
        buckets: &'a mut HashMap<(&'static str, String), Bucket>,
        method: &'static str,
        workspace: &str,
        tokens: f64,
        now: Instant,
    ) -> &'a mut Bucket {
        buckets
            .entry((method, workspace.to_string()))
            .or_insert(Bucket {
                tokens,
                // Slack starts counting when the first call arrives, a moment after it
                // left: refilling from a little later keeps a later call that travels faster
                // from landing just before Slack has its slot ready.
                last: now + ARRIVAL_SLACK,
                blocked_until: None,
                waiting: 0,
            })
    }

    /// How long to wait before the next call of `method` on `workspace` may go; takes the
    /// slot when it is free now.
    fn reserve(&self, method: &'static str, workspace: &str, tier: Tier) -> Duration {
        let (capacity, per_second) = self.pace(tier);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = Self::bucket(&mut buckets, method, workspace, capacity, now);
        if let Some(until) = bucket.blocked_until {
            if until > now {
                return until - now;
            }
            bucket.blocked_until = None;
        }
        bucket.tokens = bucket.tokens_at(now, capacity, per_second);
        bucket.last = bucket.last.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Duration::ZERO
        } else {
            bucket.until_refilled(now, 1.0 - bucket.tokens, per_second)
        }
    }

    /// Waits until a call of `method` on `workspace` may go. Returns how long it waited.
    pub async fn acquire(&self, method: &'static str, workspace: &str, tier: Tier) -> Duration {
        let mut waited = Duration::ZERO;
        let mut queued: Option<Queued<'_>> = None;
        loop {
            let wait = self.reserve(method, workspace, tier);
            if wait.is_zero() {
                return waited;
            }
            if queued.is_none() {
                queued = Some(Queued::join(self, method, workspace));
            }
            waited += wait;
            tokio::time::sleep(wait).await;
        }
    }

    /// How long a call of `method` on `workspace` would wait if asked now, counting the
    /// calls already waiting for that bucket. Takes nothing.
    pub fn expected_wait(&self, method: &'static str, workspace: &str, tier: Tier) -> Duration {
        let (capacity, per_second) = self.pace(tier);
        let now = Instant::now();
        let buckets = self.buckets.lock().unwrap();
        let Some(bucket) = buckets.get(&(method, workspace.to_string())) else {
            return Duration::ZERO;
        };
        let blocked = bucket
            .blocked_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        let tokens = bucket.tokens_at(now, capacity, per_second);
        let short = f64::from(bucket.waiting) + 1.0 - tokens;
        let paced = if short > 0.0 {
            bucket.until_refilled(now, short, per_second)
        } else {
            Duration::ZERO
        };
        blocked.max(paced)
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
        let bucket = Self::bucket(&mut buckets, method, workspace, capacity, now);
        bucket.tokens = bucket.tokens.min(tokens.max(0.0));
    }

    /// Slack answered 429: no call of `method` on `workspace` before `retry_after` has passed.
    pub fn blocked(&self, method: &'static str, workspace: &str, retry_after: Duration) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = Self::bucket(&mut buckets, method, workspace, 0.0, now);
        bucket.tokens = 0.0;
        bucket.last = now + retry_after;
        bucket.blocked_until = Some(now + retry_after);
    }
}

/// A call counted among a bucket's waiting calls until it is dropped (it got its slot or
/// was cancelled).
struct Queued<'a> {
    limiter: &'a Limiter,
    key: (&'static str, String),
}

impl<'a> Queued<'a> {
    fn join(limiter: &'a Limiter, method: &'static str, workspace: &str) -> Self {
        let key = (method, workspace.to_string());
        if let Some(bucket) = limiter.buckets.lock().unwrap().get_mut(&key) {
            bucket.waiting += 1;
        }
        Queued { limiter, key }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if let Ok(mut buckets) = self.limiter.buckets.lock()
            && let Some(bucket) = buckets.get_mut(&self.key)
        {
            bucket.waiting = bucket.waiting.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn retry_after_blocks_the_method() {
        let limiter = Limiter::new(1.0);
        limiter.blocked("m", "", Duration::from_secs(5));
        let wait = limiter.reserve("m", "", Tier::Tier4);
        assert!(wait > Duration::from_secs(4), "{wait:?}");
    }

    #[tokio::test]
    async fn the_expected_wait_counts_the_calls_already_waiting() {
        let limiter = std::sync::Arc::new(Limiter::new(1.0));
        assert_eq!(
            limiter.expected_wait("m", "T1", Tier::Tier2),
            Duration::ZERO
        );
        for _ in 0..20 {
            assert_eq!(limiter.reserve("m", "T1", Tier::Tier2), Duration::ZERO);
        }
        // One call every 3 s: the next waits about 3 s…
        let alone = limiter.expected_wait("m", "T1", Tier::Tier2);
        assert!(alone > Duration::from_secs(2) && alone <= Duration::from_secs(3) + ARRIVAL_SLACK);
        // …and with two calls already waiting, about 9 s. Asking took no slot.
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.acquire("m", "T1", Tier::Tier2).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let behind = limiter.expected_wait("m", "T1", Tier::Tier2);
        assert!(
            behind > Duration::from_secs(8) && behind <= Duration::from_secs(9) + ARRIVAL_SLACK,
            "{behind:?}"
        );
        for call in waiting {
            call.abort();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Cancelled calls no longer count.
        let again = limiter.expected_wait("m", "T1", Tier::Tier2);
        assert!(again <= Duration::from_secs(3) + ARRIVAL_SLACK, "{again:?}");
        // A 429's Retry-After counts too.
        limiter.blocked("n", "", Duration::from_secs(20));
        assert!(limiter.expected_wait("n", "", Tier::Tier4) > Duration::from_secs(19));
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
        let limiter = Limiter::new(600.0);
        for _ in 0..20 {
            limiter.acquire("m", "T1", Tier::Tier2).await;
        }
        let started = Instant::now();
        limiter.acquire("m", "T1", Tier::Tier2).await;
        // 20/min at 600x is 200/s: one slot is 5 ms.
        assert!(started.elapsed() < Duration::from_millis(100));
    }
}
