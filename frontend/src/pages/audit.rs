//! `/audit`: who did what, with filters in the URL, cursor paging and CSV export.

use leptos::prelude::*;
use roster_api::{AuditOutcome, AuditQuery, Permission};

use super::users::changes::AUDIT_LABELS;
use crate::{
    api,
    components::ErrorNotice,
    format,
    router::{NavigateOptions, use_location, use_navigate},
    session::Session,
    task::Task,
};

/// Entries per request.
const PAGE: u32 = 50;

/// The audit log's names for the actions its filter offers, and how it shows them:
/// invitations, then every kind of change.
fn actions() -> impl Iterator<Item = (&'static str, &'static str)> {
    std::iter::once(("invite", "Invite")).chain(AUDIT_LABELS)
}

fn action_label(action: &str) -> String {
    actions()
        .find(|(a, _)| *a == action)
        .map_or_else(|| action.to_string(), |(_, l)| l.to_string())
}

fn outcome_class(o: AuditOutcome) -> &'static str {
    match o {
        AuditOutcome::Ok => "badge badge-active",
        AuditOutcome::Pending => "badge badge-pending",
        AuditOutcome::SlackError | AuditOutcome::Denied | AuditOutcome::Invalid => {
            "badge badge-deactivated"
        }
        AuditOutcome::Unknown => "badge badge-warn",
    }
}

/// A date input value ("2026-11-23") as Unix ms at local midnight; `end` moves to the next day.
fn day_ms(value: &str, end: bool) -> Option<i64> {
    let ts = format::from_local_input(&format!("{value}T00:00"))?;
    Some((ts + if end { 86_400 } else { 0 }) * 1000)
}

fn ms_day(ms: i64) -> String {
    format::to_local_input(ms / 1000)[..10].to_string()
}

/// The audit page.
#[component]
pub fn AuditPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let location = use_location();
    let navigate = use_navigate();
    let query = Memo::new(move |_| {
        let search = location.search.get();
        serde_urlencoded::from_str::<AuditQuery>(search.trim_start_matches('?')).unwrap_or_default()
    });
    // What the log shown answers: the filters, and the count of changes made through
    // Roster when it was asked for (`Session::version`).
    let asked = move || (query.get(), session.version.get());
    // The first page, and the pages "Load more" adds to it.
    let log = LocalResource::new(move || {
        let asked = asked();
        let q = AuditQuery {
            cursor: None,
            limit: Some(PAGE),
            ..asked.0.clone()
        };
        async move { (asked, api::audit(&q).await) }
    });
    let load_more = Task::new(move || {
        let (asked_for, cursor) = log.with(|l| match l {
            Some((asked, Ok(page))) => (Some(asked.clone()), page.next_cursor.clone()),
            _ => (None, None),
        });
        let q = AuditQuery {
            cursor,
            limit: Some(PAGE),
            ..query.get()
        };
        async move {
            let more = api::audit(&q).await?;
            // Unless the log was loaded again meanwhile (other filters, a change).
            log.try_update(|l| {
                if let Some((asked, Ok(page))) = l
                    && Some(&*asked) == asked_for.as_ref()
                {
                    page.entries.extend(more.entries);
                    page.next_cursor = more.next_cursor;
                }
            });
            Ok(())
        }
    });
    // A log loaded again is whole: a failure to add to the old one no longer matters.
    Effect::new(move |_| {
        log.track();
        load_more.forget();
    });
    let loading =
        move || load_more.running() || log.with(|l| l.as_ref().is_none_or(|(a, _)| *a != asked()));
    let error = move || {
        let failed = log.with(|l| l.as_ref().and_then(|(_, p)| p.as_ref().err().cloned()));
        failed.or_else(|| load_more.error())
    };
    let entries = move || {
        log.with(|l| match l {
            Some((_, Ok(page))) => page.entries.clone(),
            _ => Vec::new(),
        })
    };
    let navigate = StoredValue::new_local(navigate);
    let set = move |f: Box<dyn FnOnce(&mut AuditQuery)>| {
        let mut q = query.get_untracked();
        f(&mut q);
        q.cursor = None;
        navigate.with_value(|n| {
            n(
                &api::with_query("/audit", &q),
                NavigateOptions {
                    scroll: false,
                    ..Default::default()
                },
            )
        });
    };
    let text_filter = move |field: &'static str| {
        move |ev: web_sys::Event| {
            let v = event_target_value(&ev).trim().to_string();
            let v = (!v.is_empty()).then_some(v);
            set(Box::new(move |q| match field {
                "actor" => q.actor = v,
                _ => q.target = v,
            }));
        }
    };

    view! {
        <section class="page page-audit">
            <div class="page-head">
                <h1>"Audit log"</h1>
                <p class="muted">{move || if session.can(Permission::AuditReadAll) { "Everyone's actions, newest first." } else { "Your own actions, newest first." }}</p>
                <div class="page-actions">
                    <a class="button button-quiet" href=move || api::audit_csv_url(&query.get()) download="roster-audit.csv">"Export CSV"</a>
                </div>
            </div>
            <form class="filters" on:submit=move |ev| ev.prevent_default()>
                <Show when=move || session.can(Permission::AuditReadAll)>
                    <div class="field">
                        <label for="audit-actor">"Who"</label>
                        <input id="audit-actor" type="search" placeholder="Email" prop:value=move || query.get().actor.unwrap_or_default()
                            on:change=text_filter("actor")/>
                    </div>
                </Show>
                <div class="field">
                    <label for="audit-target">"User"</label>
                    <input id="audit-target" type="search" placeholder="User ID or invited email" prop:value=move || query.get().target.unwrap_or_default()
                        on:change=text_filter("target")/>
                </div>
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <select id="audit-action" on:change:target=move |ev| {
                        let v = ev.target().value();
                        set(Box::new(move |q| q.action = (!v.is_empty()).then_some(v)));
                    }>
                        <option value="" selected=move || query.get().action.is_none()>"Any action"</option>
                        {actions().map(|(a, l)| view! {
                            <option value=a selected=move || query.get().action.as_deref() == Some(a)>{l}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-outcome">"Outcome"</label>
                    <select id="audit-outcome" on:change:target=move |ev| {
                        let v = AuditOutcome::parse(&ev.target().value());
                        set(Box::new(move |q| q.outcome = v));
                    }>
                        <option value="" selected=move || query.get().outcome.is_none()>"Any outcome"</option>
                        {AuditOutcome::ALL.into_iter().map(|o| view! {
                            <option value=o.as_str() selected=move || query.get().outcome == Some(o)>{o.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-from">"From"</label>
                    <input id="audit-from" type="date" prop:value=move || query.get().from.map(ms_day).unwrap_or_default()
                        on:change:target=move |ev| { let v = day_ms(&ev.target().value(), false); set(Box::new(move |q| q.from = v)); }/>
                </div>
                <div class="field">
                    <label for="audit-to">"To"</label>
                    <input id="audit-to" type="date" prop:value=move || query.get().to.map(|t| ms_day(t - 86_400_000)).unwrap_or_default()
                        on:change:target=move |ev| { let v = day_ms(&ev.target().value(), true); set(Box::new(move |q| q.to = v)); }/>
                </div>
            </form>
            {move || error().map(|e| view! { <ErrorNotice error=e/> })}
            <div class="table-wrap" role="region" aria-label="Audit entries" tabindex="0">
                <table class="plain audit">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"User"</th>
                            <th scope="col">"Workspace"</th>
                            <th scope="col">"Outcome"</th>
                            <th scope="col">"Details"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=entries key=|e| (e.id, e.outcome) let:e>
                            <tr data-audit-id=e.id>
                                <td data-label="When"><time>{format::day_time(e.at / 1000)}</time></td>
                                <td data-label="Who">{e.actor_email.clone()}<br/><span class="muted">{e.role.clone()}</span></td>
                                <td data-label="Action">{action_label(&e.action)}</td>
                                <td data-label="User">
                                    {match (e.target_name.clone(), e.target_user.clone()) {
                                        (Some(name), Some(id)) => view! { {name}<br/><span class="muted">{id}</span> }.into_any(),
                                        (_, target) => view! { {target.unwrap_or_default()} }.into_any(),
                                    }}
                                </td>
                                <td data-label="Workspace">{e.workspace.clone().map(|w| session.workspace_name(&w)).unwrap_or_default()}</td>
                                <td data-label="Outcome"><span class=outcome_class(e.outcome)>{e.outcome.label()}</span></td>
                                <td data-label="Details">
                                    {e.message.clone()}
                                    {e.slack_error.clone().map(|c| view! { <br/><code>{c}</code> })}
                                </td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || !loading() && entries().is_empty() && error().is_none()>
                <p class="empty">"Nothing in the audit log matches these filters."</p>
            </Show>
            <Show when=loading>
                <p class="loading" aria-live="polite">"Loading…"</p>
            </Show>
            <Show when=move || log.with(|l| matches!(l, Some((_, Ok(p))) if p.next_cursor.is_some())) && !loading()>
                <button type="button" class="button button-quiet" on:click=move |_| load_more.start()>"Load more"</button>
            </Show>
        </section>
    }
}
