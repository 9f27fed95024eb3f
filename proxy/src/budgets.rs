//! What one person may spend per minute of Roster's own work (checking job rows, looking
//! up addresses), so one compromised or careless session cannot keep the server busy.
//! What they may spend of Slack's pace is the Slack client's: see `slack::payer`.

use std::{collections::HashMap, sync::Mutex, time::Instant};

/// Rows of job checks (dry runs, and the check before a job is created) per person per
/// minute: two full jobs' worth. Each row is checked against the directory, which costs
/// CPU in a large org.
pub const CHECKED_ROWS_PER_MINUTE: f64 = 2.0 * roster_api::MAX_JOB_OPERATIONS as f64;
/// Addresses a person may look up per minute (`POST /api/users/by-email`): two full lists.
pub const ADDRESSES_PER_MINUTE: f64 = 2.0 * roster_api::EmailLookup::MAX_EMAILS as f64;
/// People whose buckets are kept before idle ones are forgotten.
const BUCKETS_KEPT: usize = 1_000;

/// Token buckets per person, refilled continuously up to one minute's allowance.
#[derive(Debug)]
struct Buckets {
    per_minute: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Buckets {
    fn new(per_minute: f64) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` from `who`'s bucket, or nothing when it does not hold that much.
    fn take(&self, who: &str, cost: f64) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap();
        if buckets.len() >= BUCKETS_KEPT {
            // A bucket that has refilled is the same as none: forget it.
            let rate = self.per_minute / 60.0;
            buckets.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * rate < self.per_minute
            });
        }
        let (tokens, last) = buckets
            .entry(who.to_lowercase())
            .or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_minute / 60.0)
            .min(self.per_minute);
        *last = now;
        if *tokens >= cost {
            *tokens -= cost;
            true
        } else {
            false
        }
    }

    fn len(&self) -> usize {
        self.buckets.lock().unwrap().len()
    }
}

/// What one person may spend per minute of Roster's own work, so one compromised or
/// careless session cannot keep the server busy checking jobs or looking up addresses.
/// (What they may spend of Slack's pace is the Slack client's: see `slack::payer`.) With
/// several replicas the budgets are kept in the database, so that N replicas do not give a
/// person N budgets.
#[derive(Debug)]
pub struct WriteLimiter {
    checks: Buckets,
    addresses: Buckets,
    shared: std::sync::OnceLock<std::sync::Arc<dyn crate::store::PaceStore>>,
}

impl Default for WriteLimiter {
    fn default() -> Self {
        Self {
            checks: Buckets::new(CHECKED_ROWS_PER_MINUTE),
            addresses: Buckets::new(ADDRESSES_PER_MINUTE),
            shared: std::sync::OnceLock::new(),
        }
    }
}

impl WriteLimiter {
    /// From now on, the budgets are kept in `store`, shared by every replica.
    pub fn share(&self, store: std::sync::Arc<dyn crate::store::PaceStore>) {
        let _ = self.shared.set(store);
    }

    /// Takes `units` of `who`'s budget `kind`: shared when there are replicas (and the
    /// database answers), else this process's.
    async fn take(&self, who: &str, kind: &str, units: f64) -> bool {
        let (local, per_minute) = match kind {
            "checks" => (&self.checks, CHECKED_ROWS_PER_MINUTE),
            _ => (&self.addresses, ADDRESSES_PER_MINUTE),
        };
        if let Some(shared) = self.shared.get() {
            match shared
                .spend(&who.to_lowercase(), kind, units, per_minute)
                .await
            {
                Ok(wait) => return wait == 0,
                Err(e) => tracing::debug!(error = %e, "the shared budgets are out of reach"),
            }
        }
        local.take(who, units)
    }

    /// Takes `rows` job rows to check from `who`'s budget.
    pub async fn allow_checks(&self, who: &str, rows: usize) -> bool {
        self.take(who, "checks", rows as f64).await
    }

    /// Takes `count` addresses to look up from `who`'s budget, or refuses them all.
    pub async fn allow_addresses(
        &self,
        who: &str,
        count: usize,
    ) -> Result<(), crate::error::AppError> {
        if self.take(who, "addresses", count as f64).await {
            Ok(())
        } else {
            Err(crate::error::AppError::TooManyAddresses {
                per_minute: ADDRESSES_PER_MINUTE as usize,
            })
        }
    }

    /// People with a bucket (tests: the map does not grow without bound).
    pub fn tracked(&self) -> usize {
        self.checks.len() + self.addresses.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_and_are_forgotten_once_full() {
        let buckets = Buckets::new(60.0);
        assert!(buckets.take("Ada", 60.0));
        assert!(!buckets.take("ada", 1.0), "one bucket per person, any case");
        assert!(buckets.take("bob", 1.0));

        // A quick refill, so the test need not wait a minute.
        let fast = Buckets::new(600_000.0);
        for i in 0..BUCKETS_KEPT * 2 {
            assert!(fast.take(&format!("p{i}"), 1.0));
            if i % 100 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        assert!(
            fast.len() <= BUCKETS_KEPT,
            "{} buckets kept: full ones are forgotten",
            fast.len()
        );
    }
}
