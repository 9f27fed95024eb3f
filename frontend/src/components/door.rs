//! The door of a page a role cannot use: it says so before the person fills anything in.

use leptos::prelude::*;
use roster_api::{Mode, Permission};

use crate::session::Session;

/// What the door lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Way {
    /// Who is signed in is not known yet.
    Loading,
    /// The role (named) lacks the permission.
    Refused(String),
    /// Roster cannot change anything.
    ReadOnly,
    Open,
}

/// Shows `children` to a role with `permission` (and, for a page that changes things,
/// while Roster can change them); any other role reads why not, and nothing else.
#[component]
pub fn Door(
    /// The page's heading, also shown to a role turned away.
    title: &'static str,
    permission: Permission,
    /// "invite people": what the page is for, after "cannot".
    doing: &'static str,
    /// The page changes things in Slack.
    #[prop(optional)]
    writes: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let session = expect_context::<Session>();
    // A memo: the status read every 15 s must not build the page (and its form) anew.
    let way = Memo::new(move |_| {
        let read_only = session
            .status
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.mode != Mode::Admin);
        match session.me() {
            None => Way::Loading,
            Some(me) if !me.can(permission) => Way::Refused(me.role),
            Some(_) if writes && read_only => Way::ReadOnly,
            Some(_) => Way::Open,
        }
    });
    let turned_away = move |why: AnyView| {
        view! {
            <section class="page">
                <div class="page-head"><h1>{title}</h1></div>
                <div class="notice notice-warn" role="status" data-testid="door">{why}</div>
            </section>
        }
        .into_any()
    };
    move || {
        match way.get() {
        Way::Loading => view! { <p class="loading">"Loading…"</p> }.into_any(),
        Way::Refused(role) => turned_away(
            view! {
                <p>{format!("Your role ({role}) cannot {doing}.")}</p>
                <details>
                    <summary>"Details"</summary>
                    <p>"Needs the permission "<code>{permission.as_str()}</code>". An org admin can do this for you, or give your role that permission in Roster's configuration."</p>
                </details>
            }
            .into_any(),
        ),
        Way::ReadOnly => turned_away(
            view! { <p>{format!("Roster is read-only, so it cannot {doing} (see the notice above).")}</p> }
                .into_any(),
        ),
        Way::Open => children().into_any(),
    }
    }
}
