//! The router, the page frame, and the app-wide contexts: who is signed in and what they
//! may do ([`Session`]), and notifications ([`Toasts`]).

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::{
    components::{A, Redirect, Route, Router, Routes},
    path,
};
use roster_api::{Field, Me, Mode, Permission, ServerStatus, Workspace};

use crate::{
    api::{self, ApiError},
    components::{DemoBanner, SyncStatus, ToastRegion, Toasts},
    pages::{
        NotFound,
        audit::AuditPage,
        import::ImportPage,
        invite::InvitePage,
        jobs::{JobPage, JobsPage},
        users::{UserPage, UsersPage},
    },
};

/// Who is signed in, what the role allows, and the org's workspaces.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: LocalResource<Result<Me, ApiError>>,
    pub status: LocalResource<Result<ServerStatus, ApiError>>,
    pub workspaces: LocalResource<Result<Vec<Workspace>, ApiError>>,
    /// Bumped after every change, so lists and details load again.
    pub version: RwSignal<u64>,
    /// Unix seconds, ticking every 15 s, for "synced 3 min ago".
    pub clock: RwSignal<i64>,
}

impl Session {
    fn new() -> Self {
        let version = RwSignal::new(0u64);
        let session = Session {
            me: LocalResource::new(api::me),
            status: LocalResource::new(move || {
                version.track();
                api::status()
            }),
            workspaces: LocalResource::new(api::list_workspaces),
            version,
            clock: RwSignal::new(crate::format::now()),
        };
        let clock = session.clock;
        let status = session.status;
        // Keep relative times fresh, and follow a running sync.
        let tick = move || {
            clock.set(crate::format::now());
            let running = status
                .get()
                .and_then(Result::ok)
                .is_some_and(|s| s.sync.state == roster_api::SyncState::Running);
            if running {
                status.refetch();
            }
        };
        let _ = set_interval_with_handle(tick, Duration::from_secs(15));
        session
    }

    /// The signed-in person, once loaded.
    pub fn me(&self) -> Option<Me> {
        self.me.get().and_then(Result::ok)
    }

    /// Whether the role grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.me().is_some_and(|m| m.can(permission))
    }

    /// Whether admin actions are possible (not read-only mode).
    pub fn writable(&self) -> bool {
        self.status
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.mode == Mode::Admin)
    }

    /// Whether the role may change users in any way (and so start and steer jobs).
    pub fn can_change_users(&self) -> bool {
        Permission::WRITES.into_iter().any(|p| self.can(p))
    }

    /// Whether `field` is hidden from the role.
    pub fn hides(&self, field: Field) -> bool {
        self.me().is_none_or(|m| m.hides(field))
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
            .get()
            .and_then(Result::ok)
            .and_then(|ws| ws.into_iter().find(|w| w.id == id).map(|w| w.name))
            .unwrap_or_else(|| id.to_string())
    }

    /// Something changed through Roster: reload what shows it.
    pub fn changed(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// The whole app: frame, navigation and the routed page.
#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    provide_context(Toasts::default());

    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <DemoBanner/>
            <header class="topbar">
                <A href="/users" attr:class="brand">
                    <img src="/favicon.svg" alt="" width="24" height="24"/>
                    <span>"Roster"</span>
                </A>
                <nav aria-label="Main">
                    <A href="/users">"Users"</A>
                    <Show when=move || session.can(Permission::UsersInvite) && session.writable()>
                        <A href="/invite">"Invite"</A>
                        <A href="/import">"Import"</A>
                    </Show>
                    <Show when=move || session.can_change_users()>
                        <A href="/jobs">"Jobs"</A>
                    </Show>
                    <Show when=move || session.can(Permission::AuditRead)>
                        <A href="/audit">"Audit log"</A>
                    </Show>
                </nav>
                <div class="topbar-end">
                    <SyncStatus/>
                    {move || session.me().map(|me| view! {
                        <span class="whoami" title=me.email.clone()>
                            <span class="whoami-email">{me.email.clone()}</span>
                            <span class="badge badge-role">{me.role.clone()}</span>
                        </span>
                    })}
                </div>
            </header>
            <ReadOnlyNotice/>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/users"/> }/>
                    <Route path=path!("/users") view=UsersPage/>
                    <Route path=path!("/users/:id") view=UserPage/>
                    <Route path=path!("/invite") view=InvitePage/>
                    <Route path=path!("/import") view=ImportPage/>
                    <Route path=path!("/jobs") view=JobsPage/>
                    <Route path=path!("/jobs/:id") view=JobPage/>
                    <Route path=path!("/audit") view=AuditPage/>
                </Routes>
            </main>
            <ToastRegion/>
        </Router>
    }
}

/// Explains why admin actions are off when the token is not an org admin token.
#[component]
fn ReadOnlyNotice() -> impl IntoView {
    let session = expect_context::<Session>();
    move || {
        session.status.get().and_then(Result::ok).and_then(|s| {
            (s.mode == Mode::ReadOnly).then(|| {
                view! {
                    <div class="notice notice-warn page-notice" role="status">
                        <strong>"Read-only: "</strong>
                        {s.reason.unwrap_or_default()}
                    </div>
                }
            })
        })
    }
}
