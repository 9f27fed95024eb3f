//! A job's progress as events, for whoever follows it on any replica.
//!
//! Each change of a job (an operation's state, the job's own) is a row in `job_events`,
//! numbered in the order they commit for that job. A reader sends what changed after the
//! last event it sent, by ID, so a reader that reconnects (to any replica, with
//! `Last-Event-ID`) misses nothing. Events carry no data of their own: the reader reads the
//! operation or the job as it is now, for its role. Readers on the replica running the job
//! are woken at once; others look every half second.

use std::{sync::Arc, time::Duration};

use roster_api::{JobEvent, JobState};
use tokio::sync::broadcast;

use super::Jobs;
use crate::error::AppError;

/// How often a reader looks for events when nothing woke it.
pub const POLL: Duration = Duration::from_millis(500);

impl Jobs {
    /// Records that job `id` (or its operation `index`) changed, and wakes this replica's
    /// readers. A record that cannot be written is skipped: the next one, or the job's
    /// end, tells the readers again.
    pub(super) async fn emit(&self, id: i64, index: Option<usize>) {
        if let Err(e) = self.store.add_event(id, index).await {
            tracing::debug!(job = id, error = %e, "cannot record a job event");
        }
        let mut wakes = self.wakes.lock().unwrap();
        if let Some(wake) = wakes.get(&id) {
            if wake.receiver_count() == 0 {
                wakes.remove(&id);
            } else {
                let _ = wake.send(());
            }
        }
    }

    pub(super) async fn progress(&self, id: i64) {
        self.emit(id, None).await;
    }

    pub(super) async fn op_event(&self, id: i64, index: usize) {
        self.emit(id, Some(index)).await;
    }

    /// Woken when this replica records an event of job `id`.
    pub fn wake_on(&self, id: i64) -> broadcast::Receiver<()> {
        self.wakes
            .lock()
            .unwrap()
            .entry(id)
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    /// The last event of job `id` so far (0: none).
    pub async fn last_event(&self, id: i64) -> Result<i64, AppError> {
        let mut last = 0;
        loop {
            let batch = self.store.events_after(id, last).await?;
            match batch.last() {
                Some(e) => last = e.id,
                None => return Ok(last),
            }
        }
    }

    /// What happened to job `id` after event `after`, oldest first, as (event ID, event):
    /// each operation that changed once (as it is now), and the job's summary last if it
    /// changed. Empty when nothing did.
    pub async fn events_after(
        self: &Arc<Self>,
        id: i64,
        after: i64,
    ) -> Result<Vec<(i64, JobEvent)>, AppError> {
        let rows = self.store.events_after(id, after).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            return Ok(Vec::new());
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        let mut progress = false;
        for row in &rows {
            match row.idx {
                Some(idx) if seen.insert(idx) => {
                    if let Some(op) = self.store.operation(id, idx as usize).await? {
                        out.push((row.id, JobEvent::Operation(op.to_api())));
                    }
                }
                Some(_) => {}
                None => progress = true,
            }
        }
        // The summary follows every batch that changed something, under the batch's last
        // ID: counts move with every operation.
        if (progress || !out.is_empty())
            && let Some(summary) = self.summary(id).await?
        {
            out.push((last, JobEvent::Progress(summary)));
        } else if let Some((id, _)) = out.last_mut() {
            *id = last;
        }
        Ok(out)
    }
}

/// Whether an event says the job has ended.
pub fn ends(e: &JobEvent) -> bool {
    matches!(e, JobEvent::Progress(s) if matches!(s.state, JobState::Finished | JobState::Cancelled))
}
