//! "Live", "Synced 3 min ago" or "Syncing… 12,000 users", always visible in the header; when
//! Slack's events stop arriving, since when and how old the directory is.

use leptos::prelude::*;
use roster_api::{LiveState, SyncState};

use crate::{format, session::Session};

/// The directory's freshness.
#[component]
pub fn SyncStatus() -> impl IntoView {
    let session = expect_context::<Session>();
    move || {
        let status = session.status.get().and_then(Result::ok)?;
        let now = session.clock.get();
        let sync = status.sync;
        let live = status.live;
        let synced = sync
            .finished_at
            .map(|at| format!("last full sync {}", format::clock_time(at)))
            .unwrap_or_else(|| "no full sync yet".into());
        let since = live
            .paused_since
            .map(format::clock_time)
            .unwrap_or_else(|| "start-up".into());
        // The header has room for a few words; the whole sentence is the title.
        let full = format!("Live updates paused since {since}; {synced}. Reconnecting…");
        let (class, text) = match (live.state, sync.state) {
            (LiveState::Paused, _) => (
                "sync sync-failed",
                format!("Paused since {since} · reconnecting…"),
            ),
            (LiveState::Live, SyncState::Done | SyncState::Idle) if live.silent.is_empty() => {
                ("sync sync-live", format!("Live · {synced}"))
            }
            // Some workspaces send no events: live elsewhere, and which ones are not.
            (LiveState::Live, SyncState::Done | SyncState::Idle) => {
                let not = match live.silent.as_slice() {
                    [one] => one.name.clone(),
                    more => format!("{} workspaces", more.len()),
                };
                ("sync sync-live", format!("Live, not {not} · {synced}"))
            }
            (_, state) => match state {
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
            },
        };
        let title = match live.state {
            LiveState::Paused => Some(full),
            LiveState::Live if !live.silent.is_empty() => {
                let names: Vec<&str> = live.silent.iter().map(|w| w.name.as_str()).collect();
                Some(format!(
                    "Slack sends no events from {}: changes made there show after the next \
                     full sync ({synced}). An org admin adds Roster's app to those \
                     workspaces in Slack's admin pages.",
                    names.join(", ")
                ))
            }
            _ => None,
        };
        Some(
            view! { <span class=class data-testid="sync-status" title=title.clone() aria-label=title>{text}</span> },
        )
    }
}
