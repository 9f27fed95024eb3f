//! `/users`: the whole org in one table, with filters, sort and selection in the URL, and a
//! user's detail in a side panel (`?user=W…`).

use leptos::prelude::*;
use roster_api::{Field, Permission, SortDir, SortKey, UserQuery};

use super::{
    bulk::BulkActionDialog, by_email::SelectByEmailDialog, changes::REACH, detail::user_detail,
};
use crate::{
    api,
    components::{FilterBar, History, Selection, UserTable},
    format,
    lazy::later,
    router::{NavigateOptions, use_location, use_navigate},
    session::Session,
};

/// The users query in a URL's query string (`?type=admin&sort=created&dir=desc`).
pub fn parse_query(search: &str) -> Option<UserQuery> {
    let search = search.trim_start_matches('?');
    serde_urlencoded::from_str::<UserQuery>(search)
        .ok()
        .map(|mut q| {
            q.offset = None;
            q.limit = None;
            q
        })
}

/// `/users?…` for a query and an open user.
pub fn users_url(query: &UserQuery, user: Option<&str>) -> String {
    let mut url = api::with_query("/users", query);
    if let Some(id) = user {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("user=");
        url.push_str(&String::from(js_sys::encode_uri_component(id)));
    }
    url
}

/// Below this width (CSS pixels, as `style/roster.css` folds the table into cards), a
/// person opens as a page of their own rather than beside the table.
const PHONE_WIDTH: f64 = 700.0;

/// The Users page.
#[component]
pub fn UsersPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let location = use_location();
    let navigate = use_navigate();
    let parsed = Memo::new(move |_| parse_query(&location.search.get()));
    let query = Memo::new(move |_| parsed.get().unwrap_or_default());
    let open_user = Memo::new(move |_| location.query("user"));
    let selection = Selection::default();
    let total = RwSignal::new(None::<usize>);
    let searching = RwSignal::new(true);

    let go = {
        let navigate = navigate.clone();
        move |q: UserQuery, user: Option<String>, history: History| {
            navigate(
                &users_url(&q, user.as_deref()),
                NavigateOptions {
                    scroll: false,
                    replace: history == History::Replace,
                },
            );
        }
    };
    // Filters change what "selected" means: start again.
    Effect::new(move |_| {
        query.track();
        selection.clear();
    });
    let on_change = {
        let go = go.clone();
        Callback::new(move |(q, history): (UserQuery, History)| go(q, None, history))
    };
    let on_sort = {
        let go = go.clone();
        Callback::new(move |(key, dir): (SortKey, SortDir)| {
            let mut q = query.get_untracked();
            q.sort = Some(key);
            q.dir = Some(dir);
            go(q, open_user.get_untracked(), History::Push);
        })
    };
    // A phone has no room beside the table: the person opens as a page of their own.
    let on_open = {
        let go = go.clone();
        let navigate = navigate.clone();
        Callback::new(move |id: String| {
            let narrow = window()
                .inner_width()
                .ok()
                .and_then(|w| w.as_f64())
                .is_some_and(|w| w < PHONE_WIDTH);
            if narrow {
                navigate(
                    &format!("/users/{}", String::from(js_sys::encode_uri_component(&id))),
                    NavigateOptions::default(),
                );
            } else {
                go(query.get_untracked(), Some(id), History::Push)
            }
        })
    };
    let close_panel = {
        let go = go.clone();
        Callback::new(move |()| go(query.get_untracked(), None, History::Push))
    };

    let matched_by_email = RwSignal::new(None::<String>);
    let summary = move || {
        let n = total.get()?;
        let count = format::count(n, "user", "users");
        Some(match matched_by_email.get() {
            Some(_) => format!("{count}, matched by email address"),
            None => count,
        })
    };
    let selected_count = move || {
        if selection.all_matching.get() {
            total.get().unwrap_or(0)
        } else {
            selection.ids.with(|s| s.len())
        }
    };
    let bulk_open = RwSignal::new(false);
    let by_email_open = RwSignal::new(false);
    let bulk_allowed = move || {
        session.writable()
            && REACH.into_iter().any(|kind| {
                session.can(kind.permission) && !(kind.bulk_places)(&session).is_empty()
            })
    };

    view! {
        <section class="page page-users">
            <div class="page-head">
                <h1>"Users"</h1>
                <p class="result-count" data-testid="total" aria-live="polite">{summary}</p>
                <p class="searching" role="status">{move || searching.get().then_some("Searching…")}</p>
                <div class="page-actions">
                    <a class="button button-quiet" href=move || api::users_csv_url(&query.get()) download="roster-users.csv">
                        "Export CSV"
                    </a>
                    <Show when=move || bulk_allowed() && (!session.hides(Field::Email) || session.can(Permission::UsersLookupByEmail))>
                        <button type="button" class="button button-quiet" aria-haspopup="dialog" on:click=move |_| by_email_open.set(true)>
                            "Select by email…"
                        </button>
                    </Show>
                    <Show when=move || session.can(Permission::UsersInvite) && session.writable()>
                        <a class="button" href="/invite">"Invite people"</a>
                    </Show>
                </div>
            </div>
            <Show when=move || parsed.get().is_none()>
                <div class="notice notice-warn" role="status">
                    "This link has filters Roster does not understand; showing everyone instead."
                </div>
            </Show>
            <FilterBar query on_change/>
            <Show when=move || session.live.with(|l| !l.pending.is_empty())>
                <div class="notice notice-info live-changes" role="status" data-testid="live-changes">
                    {move || {
                        let n = session.live.with(|l| l.pending.len());
                        format!("{} changed since this list loaded.", format::count(n, "person", "people"))
                    }}
                    " "
                    <button type="button" class="link" on:click=move |_| session.changed()>"Show the changes"</button>
                </div>
            </Show>
            <Show when=move || { selected_count() > 0 }>
                <div class="selection-bar" role="region" aria-label="Selection">
                    <strong data-testid="selected-count">{move || format!("{} selected", format::thousands(selected_count()))}</strong>
                    <Show when=move || !selection.all_matching.get() && total.get().is_some_and(|t| t > selected_count())>
                        <button type="button" class="link" on:click=move |_| selection.all_matching.set(true)>
                            {move || format!("Select all {} matching", format::thousands(total.get().unwrap_or(0)))}
                        </button>
                    </Show>
                    <button type="button" class="link" on:click=move |_| selection.clear()>"Clear selection"</button>
                    <Show when=bulk_allowed>
                        <button type="button" class="button" aria-haspopup="dialog" on:click=move |_| bulk_open.set(true)>"Bulk action…"</button>
                    </Show>
                </div>
            </Show>
            <BulkActionDialog open=bulk_open selection query count=Signal::derive(selected_count)/>
            <SelectByEmailDialog open=by_email_open selection bulk_open/>
            <div class="users-layout" class:with-panel=move || open_user.get().is_some()>
                <UserTable query selection on_sort on_open total matched_by_email searching/>
                {move || open_user.get().map(|id| {
                    let id = Signal::derive(move || id.clone());
                    view! {
                    <aside class="side-panel" aria-label="User detail">
                        {later(move || user_detail(id, Some(close_panel)))}
                    </aside>
                    }
                })}
            </div>
        </section>
    }
}
