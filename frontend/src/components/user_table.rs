//! The users table, virtualized: only the rows in view (plus a margin) are in the DOM, all
//! rows have one fixed height, and pages of 200 users are fetched as they scroll into view.
//! It stays smooth at 100,000 users.

use std::collections::{HashMap, HashSet};

use leptos::{either::Either, html, prelude::*, task::spawn_local};
use roster_api::{
    Field, SortDir, SortKey, UserQuery, UserStatus, UserSummary, UserType, UsersPage,
};
use wasm_bindgen::JsCast;

use crate::{
    api::{self, ApiError},
    components::{Avatar, ErrorNotice, focus},
    format, perf,
    session::Session,
};

/// Row height in pixels; must match `--row-height` in roster.css.
const ROW_HEIGHT_PX: usize = 44;
/// [`ROW_HEIGHT_PX`] for scroll arithmetic.
pub const ROW_HEIGHT: f64 = ROW_HEIGHT_PX as f64;
/// The CSS height of `rows` rows, in whole pixels.
fn rows_height(rows: usize) -> String {
    format!("{}px", rows * ROW_HEIGHT_PX)
}

/// Moves the focus to the name of the first row shown; whether there was one.
pub fn focus_first_row() -> bool {
    document()
        .query_selector("tr[data-user-id] button.name")
        .ok()
        .flatten()
        .is_some_and(|name| focus::element(&name))
}

/// The column headers are one Tab stop (the sorted column's); left and right arrows, Home
/// and End move between them.
fn on_sort_key(ev: web_sys::KeyboardEvent) {
    let Some(th) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("th").ok().flatten())
    else {
        return;
    };
    let Some(row) = th.parent_element() else {
        return;
    };
    let buttons = focus::all(row.query_selector_all("button.sort"));
    let Some(at) = buttons
        .iter()
        .position(|b| b.closest("th").ok().flatten().as_ref() == Some(&th))
    else {
        return;
    };
    let to = match ev.key().as_str() {
        "ArrowLeft" => at.checked_sub(1),
        "ArrowRight" => Some(at + 1).filter(|i| *i < buttons.len()),
        "Home" => Some(0),
        "End" => buttons.len().checked_sub(1),
        _ => return,
    };
    ev.prevent_default();
    if let Some(button) = to.and_then(|i| buttons.get(i)) {
        focus::element(button);
    }
}

/// Up and down arrows on a row's name go to the row above or below; up from the first row
/// goes back to the search box.
fn on_row_key(ev: web_sys::KeyboardEvent) {
    let up = match ev.key().as_str() {
        "ArrowDown" => false,
        "ArrowUp" => true,
        _ => return,
    };
    let Some(row) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .filter(|t| t.matches("button.name").unwrap_or(false))
        .and_then(|t| t.closest("tr").ok().flatten())
    else {
        return;
    };
    let next = if up {
        row.previous_element_sibling()
    } else {
        row.next_element_sibling()
    };
    let name = next
        .filter(|r| r.has_attribute("data-user-id"))
        .and_then(|r| r.query_selector("button.name").ok().flatten());
    match name {
        Some(name) => {
            ev.prevent_default();
            focus::element(&name);
        }
        None if up => {
            ev.prevent_default();
            if let Some(search) = document().get_element_by_id("filter-q") {
                focus::element(&search);
            }
        }
        None => {}
    }
}

/// Rows fetched per request.
const PAGE: usize = 200;
/// Rows rendered above and below the viewport, once the rows in view are painted: a new
/// result is drawn with the rows in view alone, so it shows a frame sooner.
const OVERSCAN: usize = 8;
/// The viewport's height before it has been measured: `style/roster.css` sizes
/// `.table-viewport` at `calc(100vh - 290px)` and at least 320px. Estimated, so the first
/// rows are drawn without asking the browser for a layout first.
fn estimated_viewport_height() -> f64 {
    window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .map_or(600.0, |h| (h - 290.0).max(320.0))
}

/// Which rows are selected for a bulk action.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    pub ids: RwSignal<HashSet<String>>,
    /// Every user matching the filters, loaded or not.
    pub all_matching: RwSignal<bool>,
    /// Row index of the last plain click, for shift-click ranges.
    anchor: RwSignal<Option<usize>>,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            ids: RwSignal::new(HashSet::new()),
            all_matching: RwSignal::new(false),
            anchor: RwSignal::new(None),
        }
    }
}

impl Selection {
    /// Forgets the selection.
    pub fn clear(&self) {
        self.ids.set(HashSet::new());
        self.all_matching.set(false);
        self.anchor.set(None);
    }
}

/// A column of the table, in the order the table shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Email,
    Type,
    Workspaces,
    Status,
    Has2fa,
    HasSso,
    Created,
    Expires,
    Username,
}

impl Column {
    /// Every column, left to right.
    const ALL: [Column; 10] = [
        Column::Name,
        Column::Email,
        Column::Type,
        // Before the wide workspace list, so it stays in view beside the side panel.
        Column::Status,
        Column::Workspaces,
        Column::Has2fa,
        Column::HasSso,
        Column::Created,
        Column::Expires,
        Column::Username,
    ];

    /// The header's text.
    fn label(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Email => "Email",
            Column::Type => "Type",
            Column::Workspaces => "Workspaces",
            Column::Status => "Status",
            Column::Has2fa => "2FA",
            Column::HasSso => "SSO",
            Column::Created => "Created",
            Column::Expires => "Expires",
            Column::Username => "Username",
        }
    }

    /// The CSS class of its header and cells (roster.css sizes columns by class).
    fn class(self) -> &'static str {
        match self {
            Column::Name => "col-name",
            Column::Email => "col-email",
            Column::Type => "col-type",
            Column::Workspaces => "col-workspaces",
            Column::Status => "col-status",
            Column::Has2fa | Column::HasSso => "col-flag",
            Column::Created | Column::Expires => "col-date",
            Column::Username => "col-username",
        }
    }

    /// The sort its header asks the proxy for.
    fn sort_key(self) -> SortKey {
        match self {
            Column::Name => SortKey::Name,
            Column::Email => SortKey::Email,
            Column::Type => SortKey::Type,
            Column::Workspaces => SortKey::Workspaces,
            Column::Status => SortKey::Status,
            Column::Has2fa => SortKey::Has2fa,
            Column::HasSso => SortKey::HasSso,
            Column::Created => SortKey::Created,
            Column::Expires => SortKey::Expires,
            Column::Username => SortKey::Username,
        }
    }

    /// The field the role must see for the column to show.
    fn field(self) -> Option<Field> {
        match self {
            Column::Email => Some(Field::Email),
            Column::Has2fa => Some(Field::Has2fa),
            Column::HasSso => Some(Field::HasSso),
            Column::Created => Some(Field::Created),
            Column::Expires => Some(Field::Expires),
            Column::Name
            | Column::Type
            | Column::Workspaces
            | Column::Status
            | Column::Username => None,
        }
    }
}

fn status_class(s: UserStatus) -> &'static str {
    match s {
        UserStatus::Active => "badge badge-active",
        UserStatus::Deactivated => "badge badge-deactivated",
        UserStatus::Pending => "badge badge-pending",
    }
}

fn type_label(u: &UserSummary) -> &'static str {
    if u.is_primary_owner {
        "Primary owner"
    } else {
        u.user_type.label()
    }
}

fn flag(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "On",
        Some(false) => "Off",
        None => "—",
    }
}

/// What a phone shows under a person's name, the other columns being folded away there.
fn phone_line(u: &UserSummary) -> String {
    [
        Some(
            u.email
                .clone()
                .unwrap_or_else(|| format!("@{}", u.username)),
        ),
        Some(u.user_type.label().to_string()),
        Some(u.status.label().to_string()),
        u.expires.map(|e| format!("expires {}", format::day(e))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
}

/// A cell of a column other than the name: its text, class and tooltip.
fn cell(
    c: Column,
    u: &UserSummary,
    session: &Session,
) -> (String, Option<&'static str>, Option<String>) {
    let flag_class = |v: Option<bool>| (v == Some(false)).then_some("flag-off");
    match c {
        Column::Name => (u.name.clone(), None, None),
        Column::Username => (format!("@{}", u.username), Some("muted"), None),
        Column::Email => (u.email.clone().unwrap_or_default(), None, None),
        Column::Type => (type_label(u).to_string(), None, None),
        Column::Workspaces => {
            let mut names: Vec<String> = u
                .workspaces
                .iter()
                .map(|w| session.workspace_name(w))
                .collect();
            names.sort();
            let names = names.join(", ");
            (names.clone(), None, Some(names))
        }
        Column::Status => (
            u.status.label().to_string(),
            Some(status_class(u.status)),
            None,
        ),
        Column::Has2fa => (flag(u.has_2fa).to_string(), flag_class(u.has_2fa), None),
        Column::HasSso => (flag(u.has_sso).to_string(), flag_class(u.has_sso), None),
        Column::Created => (
            if u.created > 0 {
                format::day(u.created)
            } else {
                String::new()
            },
            None,
            None,
        ),
        Column::Expires => {
            let soon = u.expires.is_some_and(|e| e - format::now() < 7 * 86_400);
            (
                u.expires.map(format::day).unwrap_or_default(),
                soon.then_some("expires-soon"),
                None,
            )
        }
    }
}

/// The table for `query`; `on_sort` changes the sort, `on_open` opens a user.
#[component]
pub fn UserTable(
    query: Memo<UserQuery>,
    selection: Selection,
    on_sort: Callback<(SortKey, SortDir)>,
    on_open: Callback<String>,
    /// The number of matching users, once known.
    total: RwSignal<Option<usize>>,
    /// The user whose hidden address is exactly the search text.
    matched_by_email: RwSignal<Option<String>>,
    /// Whether the rows shown are those of previous filters while the new ones load.
    searching: RwSignal<bool>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let pages: RwSignal<HashMap<usize, Vec<UserSummary>>> = RwSignal::new(HashMap::new());
    let inflight = StoredValue::new(HashSet::<usize>::new());
    let error = RwSignal::new(None::<ApiError>);
    let generation = StoredValue::new(0u64);
    let scroll_top = RwSignal::new(0.0f64);
    let viewport_height = RwSignal::new(estimated_viewport_height());
    let overscan = RwSignal::new(0usize);
    let viewport = NodeRef::<html::Div>::new();
    let restored = StoredValue::new(false);
    // The rows on screen belong to the previous filters: keep them until the first answer
    // for the new ones replaces them all at once (no empty table while typing).
    let stale = StoredValue::new(false);
    // Counts those replacements; part of each row's key, so a row of the new answer is
    // rendered anew even where it shows the same user at the same place.
    let epoch = StoredValue::new(0u64);

    // An answer for `page`, asked for in generation `mine`.
    let settle = move |page: usize, mine: u64, answer: Result<UsersPage, ApiError>| {
        // A newer view started meanwhile, or the table is gone.
        if generation.try_get_value() != Some(mine) {
            return;
        }
        if page == 0 {
            searching.try_set(false);
        }
        inflight.try_update_value(|f| {
            f.remove(&page);
        });
        match answer {
            Ok(result) => {
                error.try_set(None);
                total.try_set(Some(result.total));
                if page == 0 {
                    matched_by_email.try_set(result.matched_by_email);
                }
                if stale.try_get_value() == Some(true) {
                    stale.set_value(false);
                    epoch.update_value(|e| *e += 1);
                    overscan.try_set(0);
                    pages.try_set(HashMap::from([(page, result.users)]));
                } else {
                    pages.try_update(|p| {
                        p.insert(page, result.users);
                    });
                }
            }
            Err(e) => {
                // Rows of other filters must not stand for these.
                if stale.try_get_value() == Some(true) {
                    stale.set_value(false);
                    pages.try_set(HashMap::new());
                    total.try_set(None);
                }
                error.try_set(Some(e));
            }
        }
    };

    let fetch = move |page: usize| {
        if inflight.with_value(|f| f.contains(&page)) {
            return;
        }
        inflight.update_value(|f| {
            f.insert(page);
        });
        let mine = generation.get_value();
        let mut q = query.get_untracked();
        q.offset = Some(page * PAGE);
        q.limit = Some(PAGE);
        // The first page of a cold load is often read already: drawn at once, in the
        // same frame as the rest of the page.
        if page == 0
            && let Some(answer) = api::answered_early(&api::with_query("/api/users", &q))
        {
            settle(page, mine, answer);
            return;
        }
        spawn_local(async move { settle(page, mine, api::list_users(&q).await) });
    };
    // New filters or sort, a change made through Roster, or "Try again": start over.
    let restart = move || {
        generation.update_value(|g| *g += 1);
        inflight.set_value(HashSet::new());
        stale.set_value(true);
        searching.set(true);
        fetch(0);
    };
    Effect::new(move |_| {
        query.track();
        session.version.track();
        restart();
    });

    // Rows in view.
    let range = Memo::new(move |_| {
        let n = total.get().unwrap_or(0);
        let overscan = overscan.get();
        let first = ((scroll_top.get() / ROW_HEIGHT).floor() as usize).saturating_sub(overscan);
        let shown = (viewport_height.get() / ROW_HEIGHT).ceil() as usize + 2 * overscan;
        (first.min(n), (first + shown).min(n))
    });
    // Fetch the pages the rows in view come from.
    Effect::new(move |_| {
        let (first, last) = range.get();
        if last == 0 {
            return;
        }
        let missing: Vec<usize> = pages.with(|loaded| {
            (first / PAGE..=(last - 1) / PAGE)
                .filter(|page| !loaded.contains_key(page))
                .collect()
        });
        for page in missing {
            fetch(page);
        }
    });

    // Keep the scroll position per view across visits (sessionStorage). The viewport is
    // measured when it scrolls or the window changes size, never right after new rows
    // went in: reading a size then makes the browser lay the table out an extra time.
    let storage_key = move || {
        format!(
            "roster.users.scroll?{}",
            api::with_query("", &query.get_untracked())
        )
    };
    Effect::new(move |_| {
        if restored.get_value() {
            return;
        }
        let Some(el) = viewport.get() else { return };
        if total.get().is_none() {
            return;
        }
        restored.set_value(true);
        let saved = window()
            .session_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(&storage_key()).ok().flatten())
            .and_then(|v| v.parse::<i32>().ok());
        if let Some(top) = saved {
            el.set_scroll_top(top);
            scroll_top.set(f64::from(top));
        }
    });
    let measure = move || {
        if let Some(el) = viewport.get_untracked() {
            viewport_height.set(f64::from(el.client_height()));
        }
    };
    let resized = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resized.remove());
    let on_scroll = move |_| {
        if let Some(el) = viewport.get() {
            let top = el.scroll_top();
            scroll_top.set(f64::from(top));
            measure();
            if overscan.get_untracked() != OVERSCAN {
                overscan.set(OVERSCAN);
            }
            if let Ok(Some(storage)) = window().session_storage() {
                let _ = storage.set_item(&storage_key(), &top.to_string());
            }
        }
    };
    // A new view starts at the top.
    Effect::new(move |previous: Option<UserQuery>| {
        let q = query.get();
        if previous.is_some_and(|p| p != q)
            && scroll_top.get_untracked() != 0.0
            && let Some(el) = viewport.get_untracked()
        {
            el.set_scroll_top(0);
            scroll_top.set(0.0);
        }
        q
    });

    // Mark when the first rows are in the DOM, for load-time measurements; then is the
    // time to get ready what the other pages share. Their code starts coming as soon as
    // the first rows' data is here (the network is free while they are drawn). Once the
    // rows in view are painted, the rows around them are drawn too.
    Effect::new(move |_| {
        if pages.with(|p| p.get(&0).is_some_and(|rows| !rows.is_empty())) {
            crate::lazy::warm_up();
            request_animation_frame(move || {
                if perf::mark_once(perf::FIRST_ROWS) {
                    crate::lazy::prepare();
                }
                // A task queued in the frame runs after it is painted.
                set_timeout(
                    move || {
                        if overscan.try_get_untracked().is_some_and(|o| o != OVERSCAN) {
                            overscan.set(OVERSCAN);
                        }
                    },
                    std::time::Duration::ZERO,
                );
            });
        }
    });

    let columns = move || {
        let mut shown: Vec<Column> = Column::ALL
            .into_iter()
            .filter(|c| c.field().is_none_or(|f| !session.hides(f)))
            .collect();
        // Filtering on expiration brings the dates next to the names.
        if query.with(|q| q.expires_within_days.is_some() || q.sort == Some(SortKey::Expires))
            && let Some(at) = shown.iter().position(|c| *c == Column::Expires)
        {
            let expires = shown.remove(at);
            let after_type = shown
                .iter()
                .position(|c| *c == Column::Type)
                .map_or(1, |t| t + 1);
            shown.insert(after_type, expires);
        }
        shown
    };
    let row_at = move |i: usize| {
        pages.with(|p| {
            p.get(&(i / PAGE))
                .and_then(|rows| rows.get(i % PAGE).cloned())
        })
    };

    let toggle = move |i: usize, id: String, shift: bool| {
        selection.all_matching.set(false);
        let anchor = selection.anchor.get_untracked();
        match (shift, anchor) {
            (true, Some(a)) => {
                let (lo, hi) = if a <= i { (a, i) } else { (i, a) };
                let ids: Vec<String> = (lo..=hi).filter_map(|j| row_at(j).map(|u| u.id)).collect();
                selection.ids.update(|s| s.extend(ids));
            }
            _ => {
                selection.ids.update(|s| {
                    if !s.remove(&id) {
                        s.insert(id.clone());
                    }
                });
                selection.anchor.set(Some(i));
            }
        }
    };

    let header = move || {
        let q = query.get();
        let sort = q.sort.unwrap_or(SortKey::Name);
        let dir = q.dir.unwrap_or_default();
        columns()
            .into_iter()
            .map(|c| {
                let key = c.sort_key();
                let active = key == sort;
                let aria = if active {
                    if dir == SortDir::Asc { "ascending" } else { "descending" }
                } else {
                    "none"
                };
                let next = if active && dir == SortDir::Asc { SortDir::Desc } else { SortDir::Asc };
                view! {
                    <th scope="col" class=c.class() aria-sort=aria data-sort=key.as_str()>
                        <button type="button" class="sort" tabindex=if active { "0" } else { "-1" }
                            on:keydown=on_sort_key on:click=move |_| on_sort.run((key, next))>
                            {c.label()}
                            <span class="sort-mark" aria-hidden="true">
                                {if active { if dir == SortDir::Asc { "▲" } else { "▼" } } else { "" }}
                            </span>
                        </button>
                    </th>
                }
            })
            .collect_view()
    };

    let rows = move || {
        let (first, last) = range.get();
        let epoch = epoch.get_value();
        (first..last)
            .map(|i| (epoch, i, row_at(i)))
            .collect::<Vec<_>>()
    };
    let column_count = move || columns().len() + 2;

    view! {
        {move || error.get().map(|e| view! {
            <div class="table-error">
                <ErrorNotice error=e/>
                <button type="button" class="button" on:click=move |_| {
                    error.set(None);
                    restart();
                }>"Try again"</button>
            </div>
        })}
        // Not a Tab stop of its own: the rows' names are, and moving along them scrolls it.
        <div class="table-viewport" node_ref=viewport on:scroll=on_scroll
            aria-label="Users table, scroll for more">
            <table class="users" class:stale=move || searching.get() aria-busy=move || searching.get().to_string() aria-rowcount=move || total.get().unwrap_or(0) + 1>
                <thead>
                    <tr aria-rowindex="1">
                        <th scope="col" class="col-select">
                            <input type="checkbox" data-testid="select-all"
                                aria-label=move || format!("Select all {} matching", format::thousands(total.get().unwrap_or(0)))
                                prop:checked=move || selection.all_matching.get()
                                prop:indeterminate=move || !selection.all_matching.get() && selection.ids.with(|s| !s.is_empty())
                                on:change=move |_| {
                                    if selection.all_matching.get_untracked() {
                                        selection.clear();
                                    } else {
                                        selection.all_matching.set(true);
                                    }
                                }/>
                        </th>
                        <th scope="col" class="col-avatar"><span class="visually-hidden">"Avatar"</span></th>
                        {header}
                    </tr>
                </thead>
                <tbody on:keydown=on_row_key>
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=column_count style:height=move || rows_height(range.get().0)></td>
                    </tr>
                    <For each=rows key=|(e, i, u)| (*e, *i, u.as_ref().map(|u| u.id.clone())) let:((_, i, user))>
                        {match user {
                            None => Either::Left(view! {
                                <tr class="row-loading" aria-rowindex=i + 2>
                                    <td colspan=column_count><span class="skeleton"></span></td>
                                </tr>
                            }),
                            Some(u) => {
                                let id = u.id.clone();
                                let selected = {
                                    let id = id.clone();
                                    move || selection.all_matching.get() || selection.ids.with(|s| s.contains(&id))
                                };
                                let selected2 = selected.clone();
                                let toggle_id = id.clone();
                                // One kind of cell for every column but the name: a text, its
                                // class and its tooltip.
                                let cells = columns().into_iter().map(|c| {
                                    let content = match c {
                                        Column::Name => {
                                            let open_id = id.clone();
                                            Either::Left(view! {
                                                <button type="button" class="link name" on:click=move |_| on_open.run(open_id.clone())>{u.name.clone()}</button>
                                                <span class="row-sub">{phone_line(&u)}</span>
                                            })
                                        }
                                        other => {
                                            let (text, class, title) = cell(other, &u, &session);
                                            Either::Right(view! { <span class=class title=title>{text}</span> })
                                        }
                                    };
                                    view! { <td class=c.class()>{content}</td> }
                                }).collect_view();
                                Either::Right(view! {
                                    <tr aria-rowindex=i + 2 data-user-id=id.clone() class:selected=selected
                                        class:bot=u.user_type == UserType::Bot>
                                        <td class="col-select">
                                            <input type="checkbox" aria-label=format!("Select {}", u.name)
                                                prop:checked=selected2
                                                on:click=move |ev: web_sys::MouseEvent| toggle(i, toggle_id.clone(), ev.shift_key())/>
                                        </td>
                                        <td class="col-avatar"><Avatar id=u.id.clone() name=u.name.clone()/></td>
                                        {cells}
                                    </tr>
                                })
                            }
                        }}
                    </For>
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=column_count style:height=move || {
                            let (_, last) = range.get();
                            let n = total.get().unwrap_or(0);
                            rows_height(n.saturating_sub(last))
                        }></td>
                    </tr>
                </tbody>
            </table>
            <Show when=move || total.get() == Some(0)>
                <p class="empty">"No users match these filters."</p>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use roster_api::UserQuery;

    use super::PAGE;
    use crate::api::{EARLY_USERS_URL, with_query};

    /// `index.html` starts the table's first request before the app has loaded; it only
    /// helps if it is the very URL the table asks for.
    #[test]
    fn the_request_index_html_starts_early_is_the_tables_first() {
        let first = UserQuery {
            offset: Some(0),
            limit: Some(PAGE),
            ..UserQuery::default()
        };
        assert_eq!(with_query("/api/users", &first), EARLY_USERS_URL);
        let index = include_str!("../../../index.html");
        assert!(
            index.contains(&format!("urls.push(\"{EARLY_USERS_URL}\")")),
            "index.html does not start {EARLY_USERS_URL}"
        );
        for url in ["/api/me", "/api/status", "/api/workspaces"] {
            assert!(index.contains(&format!("\"{url}\"")), "{url}");
        }
    }
}
