//! Search and filters of the users table; every change goes into the URL.

use std::time::Duration;

use leptos::prelude::*;
use roster_api::{Field, Permission, UserQuery, UserStatus, UserType};

use crate::session::Session;

/// How a filter change enters the browser history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// A new entry (Back returns to the previous filters).
    Push,
    /// Replaces the current entry: the rest of a word being typed.
    Replace,
}

/// The filters for `query`; `on_change` receives the new query and how to record it.
#[component]
pub fn FilterBar(
    query: Memo<UserQuery>,
    on_change: Callback<(UserQuery, History)>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    // The search box keeps what is typed; the table follows at once. The first keystroke
    // of a search adds a history entry, the rest of the word replaces it, so Back leaves
    // the search instead of removing one letter.
    let typed = RwSignal::new(query.get_untracked().q.unwrap_or_default());
    Effect::new(move |_| {
        let q = query.get().q.unwrap_or_default();
        if q.trim() != typed.get_untracked().trim() {
            typed.set(q);
        }
    });
    let typing = StoredValue::new(None::<TimeoutHandle>);
    let on_search = move |value: String| {
        typed.set(value.clone());
        let history = match typing.get_value() {
            Some(h) => {
                h.clear();
                History::Replace
            }
            None => History::Push,
        };
        let pause =
            set_timeout_with_handle(move || typing.set_value(None), Duration::from_millis(1_000));
        typing.set_value(pause.ok());
        let mut q = query.get_untracked();
        let value = value.trim().to_string();
        let value = (!value.is_empty()).then_some(value);
        if q.q != value {
            q.q = value;
            on_change.run((q, history));
        }
    };
    let change = move |f: Box<dyn FnOnce(&mut UserQuery)>| {
        let mut q = query.get_untracked();
        f(&mut q);
        on_change.run((q, History::Push));
    };

    // Only what the role can search by.
    let search_hint = move || {
        if !session.hides(Field::Email) {
            "Name, username, email or ID"
        } else if session.can(Permission::UsersLookupByEmail) {
            "Name, username, ID or complete email"
        } else {
            "Name, username or ID"
        }
    };

    // On a phone the filters fold behind a button that counts those in use.
    let unfolded = RwSignal::new(false);
    let in_use = move || {
        query.with(|q| {
            [
                q.user_type.is_some(),
                q.status.is_some(),
                q.workspace.is_some(),
                q.expires_within_days.is_some(),
                q.has_2fa.is_some(),
                q.has_sso.is_some(),
            ]
            .into_iter()
            .filter(|used| *used)
            .count()
        })
    };

    view! {
        <form id="filter-fields" class="filters" class:unfolded=move || unfolded.get() role="search" on:submit=move |ev| ev.prevent_default()>
            <div class="field field-search">
                <label for="filter-q">"Search"</label>
                <input id="filter-q" type="search" placeholder=search_hint autocomplete="off"
                    aria-describedby="filter-q-keys"
                    prop:value=move || typed.get()
                    on:input:target=move |ev| on_search(ev.target().value())
                    on:keydown=move |ev| {
                        if ev.key() == "ArrowDown" && crate::components::focus_first_row() {
                            ev.prevent_default();
                        }
                    }/>
                <span id="filter-q-keys" class="visually-hidden">"Down arrow: to the results."</span>
            </div>
            <button type="button" class="button-quiet filters-toggle" aria-controls="filter-fields"
                aria-expanded=move || unfolded.get().to_string() on:click=move |_| unfolded.update(|u| *u = !*u)>
                {move || match in_use() {
                    0 => "Filters".to_string(),
                    n => format!("Filters ({n})"),
                }}
            </button>
            <div class="field">
                <label for="filter-type">"Type"</label>
                <select id="filter-type" on:change:target=move |ev| {
                    let v = ev.target().value();
                    change(Box::new(move |q| q.user_type = UserType::parse(&v)));
                }>
                    <option value="" selected=move || query.get().user_type.is_none()>"Any type"</option>
                    {UserType::ALL.into_iter().map(|t| view! {
                        <option value=t.as_str() selected=move || query.get().user_type == Some(t)>{t.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" on:change:target=move |ev| {
                    let v = ev.target().value();
                    change(Box::new(move |q| q.status = UserStatus::parse(&v)));
                }>
                    <option value="" selected=move || query.get().status.is_none()>"Any status"</option>
                    {UserStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || query.get().status == Some(s)>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-workspace">"Workspace"</label>
                <select id="filter-workspace" on:change:target=move |ev| {
                    let v = ev.target().value();
                    change(Box::new(move |q| q.workspace = (!v.is_empty()).then_some(v)));
                }>
                    <option value="" selected=move || query.get().workspace.is_none()>"All workspaces"</option>
                    {move || session.workspace_list().into_iter().map(|w| {
                        let id = w.id.clone();
                        view! {
                            <option value=w.id.clone() selected=move || query.get().workspace.as_deref() == Some(id.as_str())>{w.name}</option>
                        }
                    }).collect_view()}
                </select>
            </div>
            <Show when=move || !session.hides(Field::Expires)>
                <div class="field">
                    <label for="filter-expiring">"Guest expiration"</label>
                    <select id="filter-expiring" on:change:target=move |ev| {
                        let v = ev.target().value().parse::<u32>().ok();
                        change(Box::new(move |q| q.expires_within_days = v));
                    }>
                        <option value="" selected=move || query.get().expires_within_days.is_none()>"Any"</option>
                        {[7u32, 14, 30, 90].into_iter().map(|d| view! {
                            <option value=d.to_string() selected=move || query.get().expires_within_days == Some(d)>
                                {format!("Within {d} days")}
                            </option>
                        }).collect_view()}
                    </select>
                </div>
            </Show>
            <div class="field field-checks">
                <Show when=move || !session.hides(Field::Has2fa)>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || query.get().has_2fa == Some(false)
                            on:change:target=move |ev| {
                                let on = ev.target().checked();
                                change(Box::new(move |q| q.has_2fa = on.then_some(false)));
                            }/>
                        "2FA off"
                    </label>
                </Show>
                <Show when=move || !session.hides(Field::HasSso)>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || query.get().has_sso == Some(false)
                            on:change:target=move |ev| {
                                let on = ev.target().checked();
                                change(Box::new(move |q| q.has_sso = on.then_some(false)));
                            }/>
                        "SSO off"
                    </label>
                </Show>
            </div>
            <Show when=move || query.get() != UserQuery { sort: query.get().sort, dir: query.get().dir, ..Default::default() }>
                <button type="button" class="button-quiet" on:click=move |_| {
                    typed.set(String::new());
                    change(Box::new(|q| *q = UserQuery { sort: q.sort, dir: q.dir, ..Default::default() }));
                }>"Clear filters"</button>
            </Show>
        </form>
    }
}
