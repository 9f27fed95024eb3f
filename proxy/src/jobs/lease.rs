//! Who runs each job: one replica at a time, through a lease in the database.
//!
//! Every replica looks for jobs no one holds (never taken, given up, or whose lease expired
//! by the database's clock) and claims them; the claim raises the job's term. The owner
//! renews its lease on a heartbeat and learns there what other replicas asked of the job
//! (pause, resume, cancel, retry). Every write it makes carries its term, so once another
//! replica has taken over, the old owner writes nothing; and it calls Slack only while its
//! own clock says the lease still holds (with a margin), so an owner paused past its lease
//! (a stopped process, a long pause of the machine) does not call Slack when it wakes.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::store::Fence;

/// How long a lease lasts unless renewed.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often the owner renews it.
const HEARTBEAT: Duration = Duration::from_millis(2_500);
/// How often a replica looks for jobs no one holds.
pub const CLAIM_EVERY: Duration = Duration::from_secs(1);
/// The part of a lease an owner does not count on: the database's clock may be ahead of
/// the moment the renewal left.
const MARGIN: Duration = Duration::from_secs(2);

/// A lease this replica holds on one job.
#[derive(Debug)]
pub struct Lease {
    pub owner: Arc<str>,
    pub term: i64,
    /// Until when this replica may act on the job, by its own clock.
    valid_until: Mutex<Instant>,
    /// Set once the lease is known to be lost.
    lost: std::sync::atomic::AtomicBool,
}

impl Lease {
    /// A lease just taken, its request sent at `sent_at`.
    pub fn new(owner: Arc<str>, term: i64, sent_at: Instant) -> Self {
        Lease {
            owner,
            term,
            valid_until: Mutex::new(sent_at + LEASE - MARGIN),
            lost: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// What its writes carry.
    pub fn fence(&self) -> Fence<'_> {
        Fence {
            owner: &self.owner,
            term: self.term,
        }
    }

    /// Whether this replica may still act (write, call Slack) for the job.
    pub fn holds(&self) -> bool {
        !self.lost.load(std::sync::atomic::Ordering::SeqCst)
            && Instant::now() < *self.valid_until.lock().unwrap()
    }

    /// Renewed: valid until `LEASE` after the renewal left.
    pub fn renewed(&self, sent_at: Instant) {
        let mut until = self.valid_until.lock().unwrap();
        *until = (*until).max(sent_at + LEASE - MARGIN);
    }

    /// Another replica holds the job now.
    pub fn lose(&self) {
        self.lost.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Its renewal heartbeat's period.
    pub fn heartbeat() -> Duration {
        HEARTBEAT
    }
}

/// This replica's name in leases: its host, process and a random part, so a restarted
/// process never passes for the one before it.
pub fn replica_id() -> Arc<str> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "roster".into());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_holds_until_its_margin_and_never_after_it_is_lost() {
        let lease = Lease::new("a".into(), 3, Instant::now());
        assert!(lease.holds());
        assert_eq!(lease.fence().term, 3);
        let old = Lease::new("a".into(), 3, Instant::now() - LEASE);
        assert!(!old.holds(), "past the lease minus the margin");
        old.renewed(Instant::now());
        assert!(old.holds());
        old.lose();
        old.renewed(Instant::now());
        assert!(!old.holds());
    }
}
