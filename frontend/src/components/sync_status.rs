//! "Synced 3 min ago" or "Syncing… 12,000 users", always visible in the header.

use leptos::prelude::*;
use roster_api::SyncState;

use crate::{format, session::Session};

/// The directory's freshness.
#[component]
pub fn SyncStatus() -> impl IntoView {
    let session = expect_context::<Session>();
    move || {
        let status = session.status.get().and_then(Result::ok)?;
        let now = session.clock.get();
        let sync = status.sync;
        let (class, text) = match sync.state {
            // Roles limited to some workspaces are not told the org's count.
            SyncState::Running if sync.fetched == 0 => {
                ("sync sync-running", "Syncing…".to_string())
            }
            SyncState::Running => (
                "sync sync-running",
                format!(
                    "Syncing… {} fetched",
                    format::count(sync.fetched as usize, "user", "users")
                ),
            ),
            SyncState::Failed => (
                "sync sync-failed",
                format!(
                    "Sync failed{}",
                    sync.error.map(|e| format!(": {e}")).unwrap_or_default()
                ),
            ),
            SyncState::Done | SyncState::Idle => match sync.finished_at {
                Some(at) => ("sync", format!("Synced {}", format::ago(now - at))),
                None => ("sync", "Not synced yet".to_string()),
            },
        };
        Some(view! { <span class=class data-testid="sync-status">{text}</span> })
    }
}
