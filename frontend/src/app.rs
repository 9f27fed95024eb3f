//! The router, the page frame, and the app-wide contexts: who is signed in and what they
//! may do ([`Session`]), and notifications ([`Toasts`]).

use leptos::prelude::*;
use leptos_router::{
    Lazy, LazyRoute,
    components::{A, Redirect, Route, Router, Routes},
    path,
};
use roster_api::{Mode, Permission};

use crate::{
    components::{DemoBanner, Door, SyncStatus, ToastRegion, Toasts, focus},
    pages::{
        NotFound,
        audit::AuditPage,
        import::ImportPage,
        invite::InvitePage,
        jobs::{JobPage, JobsPage},
        requests::{PendingCount, RequestsPage},
        users::{UserPage, UsersPage},
    },
    session::Session,
};

/// The skip link moves focus (not only the view) to the page's content, so the next Tab
/// starts there.
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    focus::by_id("main");
}

/// The whole app: frame, navigation and the routed page.
#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    provide_context(Toasts::default());

    view! {
        <Router>
            <a class="skip-link" href="#main" on:click=skip_to_main>"Skip to content"</a>
            <DemoBanner/>
            {move || session.status.get().and_then(Result::ok).and_then(|s| s.changes_refused).map(|why| view! {
                <div class="notice notice-error storage-banner" role="alert">
                    <strong>"Changes are paused. "</strong>{why}
                    " Every change is refused until it can record them again; everything can still be read."
                </div>
            })}
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
                    <Show when=move || session.can(Permission::InvitesReview)>
                        <A href="/requests">"Requests" <PendingCount/></A>
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
                    <Route path=path!("/invite") view={Lazy::<InviteRoute>::new()}/>
                    <Route path=path!("/import") view={Lazy::<ImportRoute>::new()}/>
                    <Route path=path!("/jobs") view={Lazy::<JobsRoute>::new()}/>
                    <Route path=path!("/jobs/:id") view={Lazy::<JobRoute>::new()}/>
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()}/>
                    <Route path=path!("/requests") view={Lazy::<RequestsRoute>::new()}/>
                </Routes>
            </main>
            <ToastRegion/>
        </Router>
    }
}

/// A page whose code is loaded the first time it is opened. The release bundle
/// (`cargo xtask build`, feature `split`) cuts each one out of the first load into a wasm
/// file of its own; without the feature the page is compiled in and shown at once.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $view:expr) => {
        $(#[$doc])*
        struct $route;

        #[cfg(feature = "split")]
        #[leptos_router::lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }
            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }

        #[cfg(not(feature = "split"))]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }
            async fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/invite`
    InviteRoute => view! {
        <Door title="Invite people" permission=Permission::UsersInvite doing="invite people" writes=true><InvitePage/></Door>
    }
);
lazy_page!(
    /// `/import`
    ImportRoute => view! {
        <Door title="Import CSV" permission=Permission::UsersInvite doing="invite people" writes=true><ImportPage/></Door>
    }
);
lazy_page!(
    /// `/jobs`
    JobsRoute => view! { <JobsPage/> }
);
lazy_page!(
    /// `/jobs/:id`
    JobRoute => view! { <JobPage/> }
);
lazy_page!(
    /// `/audit`
    AuditRoute => view! {
        <Door title="Audit log" permission=Permission::AuditRead doing="read the audit log"><AuditPage/></Door>
    }
);
lazy_page!(
    /// `/requests`
    RequestsRoute => view! {
        <Door title="Invite requests" permission=Permission::InvitesReview doing="answer requests for invitations"><RequestsPage/></Door>
    }
);

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
