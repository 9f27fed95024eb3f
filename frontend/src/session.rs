//! Who is signed in and what their role allows ([`Session`]): the app-wide context every
//! page and component reads, provided once by [`crate::app::App`].

use std::time::Duration;

use leptos::prelude::*;
use roster_api::{Field, Me, Mode, Permission, ServerStatus, Workspace};

use crate::{api, loaded::Loaded};

/// Who is signed in, what the role allows, and the org's workspaces.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Loaded<Me>,
    pub status: Loaded<ServerStatus>,
    pub workspaces: Loaded<Vec<Workspace>>,
    /// Bumped after every change, so lists and details load again.
    pub version: RwSignal<u64>,
    /// Unix seconds, ticking every 15 s, for "synced 3 min ago".
    pub clock: RwSignal<i64>,
    /// People who changed (in Slack, or through another page) since the pages loaded.
    pub live: RwSignal<LiveChanges>,
    /// Bumped when Slack's events bring a new invite request the role reviews.
    pub requests: RwSignal<u64>,
}

/// What the server said changed since the pages loaded.
#[derive(Clone, Debug, Default)]
pub struct LiveChanges {
    /// The people the latest such answer named.
    pub latest: Vec<String>,
    /// Everyone named since the lists were last reloaded.
    pub pending: std::collections::HashSet<String>,
}

/// How often open pages ask what changed.
const FOLLOW_EVERY: Duration = Duration::from_secs(3);

impl Session {
    /// Loads who is signed in, the server's status and the workspaces, and keeps the clock
    /// ticking.
    pub fn new() -> Self {
        let version = RwSignal::new(0u64);
        // Each status answer says who changed since the one before.
        let since = StoredValue::new(None::<i64>);
        let session = Session {
            me: Loaded::starting_with(api::answered_early("/api/me"), api::me),
            status: Loaded::starting_with(api::answered_early("/api/status"), move || {
                version.track();
                api::status(since.get_value())
            }),
            workspaces: Loaded::starting_with(
                api::answered_early("/api/workspaces"),
                api::list_workspaces,
            ),
            version,
            clock: RwSignal::new(crate::format::now()),
            live: RwSignal::new(LiveChanges::default()),
            requests: RwSignal::new(0),
        };
        // When an invite request last arrived; `i64::MIN` until the first answer (what
        // arrived before the pages loaded is in them).
        let requests_at = StoredValue::new(Some(i64::MIN));
        Effect::new(move |_| {
            let Some(Ok(status)) = session.status.get() else {
                return;
            };
            let before = requests_at.get_value();
            if before != status.requests_at {
                requests_at.set_value(status.requests_at);
                if before != Some(i64::MIN) {
                    session.requests.update(|n| *n += 1);
                }
            }
            let Some(until) = status.changes_until else {
                return;
            };
            let first = since.get_value().is_none();
            since.set_value(Some(until));
            if first {
                return;
            }
            if status.reload {
                session.changed();
            } else if !status.changed.is_empty() {
                session.live.update(|l| {
                    l.pending.extend(status.changed.iter().cloned());
                    l.latest = status.changed;
                });
            }
        });
        let clock = session.clock;
        let status = session.status;
        // Open pages follow what changes: the status is asked every few seconds.
        let _ = set_interval_with_handle(move || status.refetch(), FOLLOW_EVERY);
        // Keep relative times fresh. The status (a running sync, whether Roster can record
        // changes, the live updates, who changed) is asked every few seconds above.
        let tick = move || clock.set(crate::format::now());
        let _ = set_interval_with_handle(tick, Duration::from_secs(15));
        session
    }

    /// The signed-in person, once loaded.
    pub fn me(&self) -> Option<Me> {
        self.me.get().and_then(Result::ok)
    }

    /// Whether the role grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.me.with(|m| m.is_some_and(|m| m.can(permission)))
    }

    /// Whether admin actions are possible (not read-only mode).
    pub fn writable(&self) -> bool {
        self.status
            .with(|s| s.is_some_and(|s| s.mode == Mode::Admin))
    }

    /// Whether the role may change users in any way (and so start and steer jobs).
    pub fn can_change_users(&self) -> bool {
        Permission::WRITES.into_iter().any(|p| self.can(p))
    }

    /// Whether the role covers every workspace (org-wide roles, and changes that reach a
    /// person's whole account).
    pub fn covers_every_workspace(&self) -> bool {
        self.me.with(|m| m.is_some_and(|m| m.workspaces.is_none()))
    }

    /// Whether `field` is hidden from the role.
    pub fn hides(&self, field: Field) -> bool {
        self.me.with(|m| m.is_none_or(|m| m.hides(field)))
    }

    /// The workspaces the role covers.
    pub fn workspace_list(&self) -> Vec<Workspace> {
        self.workspaces
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// A workspace's name (its ID until the names are loaded).
    pub fn workspace_name(&self, id: &str) -> String {
        self.workspaces
            .with(|ws| ws?.iter().find(|w| w.id == id).map(|w| w.name.clone()))
            .unwrap_or_else(|| id.to_string())
    }

    /// Something changed through Roster: reload what shows it.
    pub fn changed(&self) {
        self.live.update(|l| l.pending.clear());
        self.version.update(|v| *v += 1);
    }
}
