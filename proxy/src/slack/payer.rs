//! Who each Slack call is made for, and what each person may spend of Slack's pace.
//!
//! Slack's limits are per method and workspace, for the whole org. Every call Roster makes
//! is charged to someone: the person whose request it serves, the creator of the job whose
//! row it runs, or Roster itself (the sync, the token check). The limiter serves the calls
//! waiting for one lane in turn across those payers ([`super::limiter`]), and each person
//! has a budget a minute, counted in units that weigh a call by its method's tier: a call
//! of a Tier 2 method (20 a minute) costs 5, Tier 3 (50) costs 2, Tier 4 (100) costs 1. A
//! person may so spend, each minute, about one whole lane's worth of changes, and a few
//! lanes' worth of reads, whatever mix of methods they use.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::Tier;

/// Who a call is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Payer {
    /// A person's address (lowercased), or [`ROSTER`].
    pub who: Arc<str>,
    /// Someone waits for the answer: the call is refused with a time to try again rather
    /// than kept waiting long for its turn, and it is charged to the person's budget.
    pub interactive: bool,
}

/// The payer of Roster's own calls (sync, checks).
pub const ROSTER: &str = "roster";

impl Payer {
    /// A person's request.
    pub fn person(email: &str) -> Self {
        Payer {
            who: email.to_lowercase().into(),
            interactive: true,
        }
    }

    /// A row of a job a person created: it waits its turn in the lane, as the person, and
    /// is paced by the job rather than charged to the person's budget.
    pub fn job(creator: &str) -> Self {
        Payer {
            who: creator.to_lowercase().into(),
            interactive: false,
        }
    }

    /// Roster's own work.
    pub fn roster() -> Self {
        Payer {
            who: ROSTER.into(),
            interactive: false,
        }
    }
}

tokio::task_local! {
    static PAYER: Payer;
}

/// The payer of the calls made in the current task (Roster's own outside any request).
pub fn current() -> Payer {
    PAYER
        .try_with(Payer::clone)
        .unwrap_or_else(|_| Payer::roster())
}

/// Runs `work` with its Slack calls charged to `payer`.
pub async fn paid_by<F: Future>(payer: Payer, work: F) -> F::Output {
    PAYER.scope(payer, work).await
}

/// What a call of a tier costs in budget units: a minute of a lane is 100.
pub fn cost(tier: Tier) -> f64 {
    100.0 / tier.per_minute()
}

/// Units of changes a person may spend a minute: one Tier 2 lane (20 changes).
pub const CHANGE_UNITS_PER_MINUTE: f64 = 100.0;
/// Units of reads a person may spend a minute: three lanes (60 uncached details, say).
pub const READ_UNITS_PER_MINUTE: f64 = 300.0;
/// People whose buckets are kept before idle ones are forgotten.
const KEPT: usize = 1_000;

/// A budget a minute per person, refilled continuously, on the limiter's clock.
#[derive(Debug)]
pub struct Budget {
    per_minute: f64,
    /// Speeds the clock up like the limiter's (tests against a faster sandbox).
    scale: f64,
    buckets: Mutex<HashMap<Arc<str>, (f64, Instant)>>,
}

impl Budget {
    pub fn new(per_minute: f64, scale: f64) -> Self {
        Budget {
            per_minute,
            scale,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn per_second(&self) -> f64 {
        self.per_minute / 60.0 * self.scale
    }

    /// Takes `units` from `who`, or says how long until they have them.
    pub fn take(&self, who: &Arc<str>, units: f64) -> Result<(), Duration> {
        let now = Instant::now();
        let rate = self.per_second();
        let mut buckets = self.buckets.lock().unwrap();
        if buckets.len() >= KEPT {
            // A bucket that has refilled is the same as none: forget it.
            buckets.retain(|_, (units, last)| {
                *units + now.duration_since(*last).as_secs_f64() * rate < self.per_minute
            });
        }
        let (left, last) = buckets.entry(who.clone()).or_insert((self.per_minute, now));
        *left = (*left + now.duration_since(*last).as_secs_f64() * rate).min(self.per_minute);
        *last = now;
        if *left >= units {
            *left -= units;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((units - *left) / rate))
        }
    }

    /// People with a bucket (tests: the map does not grow without bound).
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_costs_by_its_tier() {
        assert_eq!(cost(Tier::Tier2), 5.0);
        assert_eq!(cost(Tier::Tier3), 2.0);
        assert_eq!(cost(Tier::Tier4), 1.0);
    }

    #[test]
    fn a_budget_refills_and_is_per_person() {
        let budget = Budget::new(100.0, 1.0);
        let (ada, bob): (Arc<str>, Arc<str>) = ("ada".into(), "bob".into());
        for _ in 0..20 {
            assert!(budget.take(&ada, cost(Tier::Tier2)).is_ok());
        }
        let wait = budget.take(&ada, cost(Tier::Tier2)).unwrap_err();
        assert!(
            wait > Duration::from_secs(2) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );
        assert!(budget.take(&bob, cost(Tier::Tier2)).is_ok());
    }

    #[tokio::test]
    async fn the_payer_follows_the_task() {
        assert_eq!(current(), Payer::roster());
        let seen = paid_by(Payer::person("Ada@Example.com"), async { current() }).await;
        assert_eq!(&*seen.who, "ada@example.com");
        assert!(seen.interactive);
    }
}
