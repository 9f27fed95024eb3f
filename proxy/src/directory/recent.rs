//! The directory's changes of the last minutes, so pages already open can follow them: a
//! person's page shows a change made in Slack, the users list offers what changed since it
//! loaded. Each change keeps the person before and after; a reader is told of it only when
//! its own view of that person changed (see `GET /api/users/changes`), so a change outside
//! its scope, or to fields it may not see, is invisible, in content, count and timing.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use super::{DirUser, unix_now_ms};

/// How long changes are kept.
pub const KEPT_MS: i64 = 15 * 60 * 1000;
/// At most this many changes are kept (about 2 KB each).
const MAX_KEPT: usize = 50_000;

/// One change of one person.
#[derive(Debug, Clone)]
pub struct Change {
    /// Unix milliseconds.
    pub at: i64,
    pub before: Option<DirUser>,
    pub after: DirUser,
}

#[derive(Debug, Default)]
struct Log {
    changes: VecDeque<Arc<Change>>,
    /// Before this (Unix milliseconds), changes are not kept: asking from earlier means
    /// reloading.
    horizon: i64,
}

/// The recent changes.
#[derive(Debug, Default)]
pub struct Recent(Mutex<Log>);

/// What a reader asking from `since` gets.
#[derive(Debug)]
pub enum Since {
    /// Every change after `since`, oldest first.
    Changes(Vec<Arc<Change>>),
    /// The directory was replaced (a full sync), or changes that old are gone: reload.
    Reload,
}

impl Recent {
    /// Records a change made now.
    pub fn record(&self, before: Option<DirUser>, after: DirUser) {
        let now = unix_now_ms();
        let mut log = self.0.lock().unwrap();
        log.changes.push_back(Arc::new(Change {
            at: now,
            before,
            after,
        }));
        while log
            .changes
            .front()
            .is_some_and(|c| c.at < now - KEPT_MS || log.changes.len() > MAX_KEPT)
        {
            let dropped = log.changes.pop_front().expect("checked above");
            log.horizon = log.horizon.max(dropped.at);
        }
    }

    /// The whole directory was replaced now.
    pub fn replaced(&self) {
        let mut log = self.0.lock().unwrap();
        log.changes.clear();
        log.horizon = unix_now_ms();
    }

    /// The changes from `since` (Unix milliseconds; a change of that very millisecond may
    /// come twice), and the moment to ask from next.
    pub fn since(&self, since: i64) -> (Since, i64) {
        let log = self.0.lock().unwrap();
        let now = unix_now_ms();
        if since < log.horizon || since < now - KEPT_MS || since > now {
            return (Since::Reload, now);
        }
        let changes = log
            .changes
            .iter()
            .filter(|c| c.at >= since)
            .cloned()
            .collect();
        (Since::Changes(changes), now)
    }
}
