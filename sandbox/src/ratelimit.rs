//! Slack's per-method rate-limit tiers, enforced per token, method and workspace.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Slack's documented tiers, as calls per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// 1+ per minute.
    Tier1,
    /// 20+ per minute.
    Tier2,
    /// 50+ per minute.
    Tier3,
    /// 100+ per minute.
    Tier4,
}

impl Tier {
    /// Calls allowed per minute (the documented floor).
    pub fn per_minute(self) -> f64 {
        match self {
            Tier::Tier1 => 1.0,
            Tier::Tier2 => 20.0,
            Tier::Tier3 => 50.0,
            Tier::Tier4 => 100.0,
        }
    }
}

/// How the sandbox enforces rate limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateLimitMode {
    /// Slack's documented per-minute floors.
    Real,
    /// No limits.
    Off,
    /// The limiter's clock runs this many times faster, so tests reach a limit in seconds.
    Scale(f64),
}

impl FromStr for RateLimitMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "real" => Ok(RateLimitMode::Real),
            "off" => Ok(RateLimitMode::Off),
            _ => {
                let factor = s
                    .strip_prefix("scale=")
                    .and_then(|f| f.parse::<f64>().ok())
                    .filter(|f| f.is_finite() && *f > 0.0)
                    .ok_or_else(|| {
                        format!("expected real, off or scale=F with F > 0, not {s:?}")
                    })?;
                Ok(RateLimitMode::Scale(factor))
            }
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// Refills the bucket up to now; the seconds until one call is admitted (0 if now).
    fn refill(&mut self, now: Instant, per_second: f64, capacity: f64) -> f64 {
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            0.0
        } else {
            (1.0 - self.tokens) / per_second
        }
    }
}

/// A budget shared by every caller (the SCIM API's limits are per org, not per app):
/// `burst` calls at once, then `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub name: &'static str,
    pub per_minute: f64,
    pub burst: f64,
}

/// A token bucket per (token, method, workspace): a minute's worth of calls may burst,
/// then calls are admitted at the tier's steady rate. Shared [`Budget`]s have a bucket each.
#[derive(Debug)]
pub struct RateLimiter {
    mode: Mutex<RateLimitMode>,
    buckets: Mutex<HashMap<(String, &'static str, String), Bucket>>,
    shared: Mutex<HashMap<&'static str, Bucket>>,
}

impl RateLimiter {
    /// A limiter in `mode`.
    pub fn new(mode: RateLimitMode) -> Self {
        Self {
            mode: Mutex::new(mode),
            buckets: Mutex::new(HashMap::new()),
            shared: Mutex::new(HashMap::new()),
        }
    }

    /// Admits one call that spends from every budget in `budgets` (a call is admitted only
    /// when all of them have room), or says after how many whole seconds to retry.
    pub fn check_budgets(&self, budgets: &[Budget]) -> Result<(), u64> {
        let scale = match *self.mode.lock().unwrap() {
            RateLimitMode::Off => return Ok(()),
            RateLimitMode::Real => 1.0,
            RateLimitMode::Scale(f) => f,
        };
        let now = Instant::now();
        let mut shared = self.shared.lock().unwrap();
        let mut wait: f64 = 0.0;
        for b in budgets {
            let bucket = shared.entry(b.name).or_insert(Bucket {
                tokens: b.burst,
                last: now,
            });
            wait = wait.max(bucket.refill(now, b.per_minute / 60.0 * scale, b.burst));
        }
        if wait > 0.0 {
            return Err(wait.ceil().max(1.0) as u64);
        }
        for b in budgets {
            shared.get_mut(b.name).expect("refilled above").tokens -= 1.0;
        }
        Ok(())
    }

    /// Changes the mode and forgets past calls.
    pub fn set_mode(&self, mode: RateLimitMode) {
        *self.mode.lock().unwrap() = mode;
        self.buckets.lock().unwrap().clear();
        self.shared.lock().unwrap().clear();
    }

    /// Admits one call, or says after how many whole seconds to retry.
    pub fn check(
        &self,
        token: &str,
        method: &'static str,
        workspace: &str,
        tier: Tier,
    ) -> Result<(), u64> {
        let scale = match *self.mode.lock().unwrap() {
            RateLimitMode::Off => return Ok(()),
            RateLimitMode::Real => 1.0,
            RateLimitMode::Scale(f) => f,
        };
        let capacity = tier.per_minute();
        let per_second = capacity / 60.0 * scale;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = buckets
            .entry((token.to_string(), method, workspace.to_string()))
            .or_insert(Bucket {
                tokens: capacity,
                last: now,
            });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / per_second);
            Err(wait.as_secs_f64().ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse() {
        assert_eq!("real".parse(), Ok(RateLimitMode::Real));
        assert_eq!("off".parse(), Ok(RateLimitMode::Off));
        assert_eq!("scale=60".parse(), Ok(RateLimitMode::Scale(60.0)));
        assert!("scale=0".parse::<RateLimitMode>().is_err());
        assert!("fast".parse::<RateLimitMode>().is_err());
    }

    #[test]
    fn a_tier_2_method_admits_a_minutes_burst_then_asks_to_wait() {
        let limiter = RateLimiter::new(RateLimitMode::Real);
        for i in 0..20 {
            assert_eq!(
                limiter.check("t", "m", "T1", Tier::Tier2),
                Ok(()),
                "call {i}"
            );
        }
        let retry = limiter.check("t", "m", "T1", Tier::Tier2).unwrap_err();
        assert!((1..=3).contains(&retry), "retry after {retry}s");
        // Other workspaces, methods and tokens have their own budgets.
        assert_eq!(limiter.check("t", "m", "T2", Tier::Tier2), Ok(()));
        assert_eq!(limiter.check("t", "other", "T1", Tier::Tier2), Ok(()));
        assert_eq!(limiter.check("u", "m", "T1", Tier::Tier2), Ok(()));
    }

    #[test]
    fn shared_budgets_admit_a_burst_and_need_room_in_each() {
        let limiter = RateLimiter::new(RateLimitMode::Real);
        let org = Budget {
            name: "org",
            per_minute: 600.0,
            burst: 180.0,
        };
        let one = Budget {
            name: "one",
            per_minute: 180.0,
            burst: 20.0,
        };
        for i in 0..20 {
            assert_eq!(limiter.check_budgets(&[org, one]), Ok(()), "call {i}");
        }
        let retry = limiter.check_budgets(&[org, one]).unwrap_err();
        assert_eq!(retry, 1, "180 a minute: one every third of a second");
        // The org-wide budget was not spent by the refused call, and still has room.
        assert_eq!(limiter.check_budgets(&[org]), Ok(()));
        limiter.set_mode(RateLimitMode::Off);
        for _ in 0..500 {
            assert_eq!(limiter.check_budgets(&[org, one]), Ok(()));
        }
    }

    #[test]
    fn off_never_limits() {
        let limiter = RateLimiter::new(RateLimitMode::Off);
        for _ in 0..1_000 {
            assert_eq!(limiter.check("t", "m", "T1", Tier::Tier2), Ok(()));
        }
    }
}
