//! The router, the page frame, and the app-wide contexts: who is signed in and what they
//! may do ([`Session`]), and notifications ([`Toasts`]).

use leptos::prelude::*;
use roster_api::{Mode, Permission};

use crate::{
    components::{DemoBanner, Door, SyncStatus, ToastRegion, Toasts, focus},
    lazy::{later, lazy_view},
    pages::{
        NotFound,
        audit::AuditPage,
        import::ImportPage,
        invite::InvitePage,
        jobs::{JobPage, JobsPage},
        requests::{PendingCount, RequestsPage},
        users::{UserPage, UsersPage},
    },
    router::{A, Location, NavigateOptions},
    session::Session,
};

/// The app's pages, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// `/`, which leads to the users list.
    Home,
    Users,
    /// `/users/:id`
    User,
    Invite,
    Import,
    Jobs,
    /// `/jobs/:id`
    Job,
    Audit,
    Requests,
    NotFound,
}

impl Page {
    /// The page at `path`.
    fn at(path: &str) -> Page {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [] => Page::Home,
            ["users"] => Page::Users,
            ["users", _] => Page::User,
            ["invite"] => Page::Invite,
            ["import"] => Page::Import,
            ["jobs"] => Page::Jobs,
            ["jobs", _] => Page::Job,
            ["audit"] => Page::Audit,
            ["requests"] => Page::Requests,
            _ => Page::NotFound,
        }
    }
}

/// The skip link moves focus (not only the view) to the page's content, so the next Tab
/// starts there.
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    focus::by_id("main");
}

/// The whole app: frame, navigation and the routed page.
#[component]
pub fn App() -> impl IntoView {
    let location = Location::provide();
    let session = Session::new();
    provide_context(session);
    provide_context(Toasts::default());
    let page = Memo::new(move |_| Page::at(&location.pathname.get()));
    Effect::new(move |_| {
        if page.get() == Page::Home {
            location.go(
                "/users",
                NavigateOptions {
                    replace: true,
                    scroll: false,
                },
            );
        }
    });
    let routed = move || match page.get() {
        Page::Home => ().into_any(),
        Page::Users => view! { <UsersPage/> }.into_any(),
        Page::User => view! { <UserPage/> }.into_any(),
        Page::Invite => later(invite),
        Page::Import => later(import),
        Page::Jobs => later(jobs),
        Page::Job => later(job),
        Page::Audit => later(audit),
        Page::Requests => later(requests),
        Page::NotFound => view! { <NotFound/> }.into_any(),
    };

    view! {
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
            <main id="main" tabindex="-1">{routed}</main>
            <ToastRegion/>
    }
}

// The pages other than the users list and a person's page: with feature `split` (the
// release bundle, `cargo xtask build`), each is cut out of the first load into a wasm file
// of its own, fetched the first time it is opened.
lazy_view! {
    /// `/invite`
    fn invite() {
        view! {
            <Door title="Invite people" permission=Permission::UsersInvite doing="invite people" writes=true><InvitePage/></Door>
        }.into_any()
    }
}
lazy_view! {
    /// `/import`
    fn import() {
        view! {
            <Door title="Import CSV" permission=Permission::UsersInvite doing="invite people" writes=true><ImportPage/></Door>
        }.into_any()
    }
}
lazy_view! {
    /// `/jobs`
    fn jobs() {
        view! { <JobsPage/> }.into_any()
    }
}
lazy_view! {
    /// `/jobs/:id`
    fn job() {
        view! { <JobPage/> }.into_any()
    }
}
lazy_view! {
    /// `/audit`
    fn audit() {
        view! {
            <Door title="Audit log" permission=Permission::AuditRead doing="read the audit log"><AuditPage/></Door>
        }.into_any()
    }
}
lazy_view! {
    /// `/requests`
    fn requests() {
        view! {
            <Door title="Invite requests" permission=Permission::InvitesReview doing="answer requests for invitations"><RequestsPage/></Door>
        }.into_any()
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
