//! One user in full, as a page (`/users/{id}`) or in the table's side panel, with the
//! actions the role allows.

use leptos::prelude::*;
use roster_api::{LiveKind, Permission, Presence, UserDetail, UserStatus, UserType};

use super::{
    actions::ActionDialog,
    changes::{ChangeKind, KINDS, Unavailable},
    sessions::{self, SessionsSection},
};
use crate::{
    api,
    components::{Avatar, ErrorNotice, focus},
    format,
    lazy::{later, lazy_view},
    router::{A, use_location},
    session::Session,
};

/// `/users/{id}`.
#[component]
pub fn UserPage() -> impl IntoView {
    let location = use_location();
    let id = Signal::derive(move || location.segment(1).unwrap_or_default());
    view! {
        <section class="page page-user">
            <p class="breadcrumb"><A href="/users">"← All users"</A></p>
            {later(move || user_detail(id, None))}
        </section>
    }
}

lazy_view! {
    /// The detail of user `id`, loaded the first time a person is opened.
    pub fn user_detail(id: Signal<String>, on_close: Option<Callback<()>>) {
        view! { <UserDetailView id on_close/> }.into_any()
    }
}

fn is_guest(t: UserType) -> bool {
    matches!(
        t,
        UserType::MultiChannelGuest | UserType::SingleChannelGuest
    )
}

/// The detail of user `id`; in the side panel, `on_close` closes it.
#[component]
fn UserDetailView(id: Signal<String>, on_close: Option<Callback<()>>) -> impl IntoView {
    let session = expect_context::<Session>();
    let detail = LocalResource::new(move || {
        session.version.track();
        let id = id.get();
        async move { api::user(&id).await }
    });
    let action = RwSignal::new(None::<&'static ChangeKind>);
    // Changed elsewhere while open (in Slack, or on another page): shown without a reload.
    Effect::new(move |_| {
        let named = session
            .live
            .with(|l| l.latest.contains(&id.get_untracked()));
        if named && action.get_untracked().is_none() {
            detail.refetch();
        }
    });
    // After a dialog, focus goes back to the button that opened it, also when the detail
    // has been redrawn meanwhile (a change reloads it): only if focus was lost, for a few
    // seconds after the dialog closed.
    let return_to = RwSignal::new(None::<&'static str>);
    Effect::new(move |_| {
        if let Some(kind) = action.get() {
            return_to.set(Some(kind.button));
        } else if return_to.get_untracked().is_some() {
            set_timeout(
                move || {
                    return_to.try_set(None);
                },
                std::time::Duration::from_secs(5),
            );
        }
    });
    Effect::new(move |_| {
        detail.track();
        if action.with(Option::is_some) {
            return;
        }
        if let Some(label) = return_to.get() {
            request_animation_frame(move || refocus(label));
        }
    });

    let body = move || {
        let result = detail.get()?;
        Some(match result {
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            Ok(d) => view! { <DetailBody d=d action/> }.into_any(),
        })
    };

    view! {
        <article class="user-detail" aria-busy=move || detail.get().is_none().to_string()>
            {on_close.map(|close| view! {
                <div class="panel-bar">
                    <A href=move || format!("/users/{}", id.get())>"Open full page"</A>
                    <button type="button" class="icon-button" aria-label="Close the detail" on:click=move |_| close.run(())>"×"</button>
                </div>
            })}
            <Show when=move || detail.get().is_none()>
                <p class="loading" aria-live="polite">"Loading the user from Slack…"</p>
            </Show>
            {body}
            {move || detail.get().and_then(Result::ok).map(|d| view! { <ActionDialog user=d action/> })}
        </article>
    }
}

/// The person's local time, from their offset from UTC.
fn local_time(offset: Option<i64>) -> Option<String> {
    let offset = offset?;
    let now = format::now();
    let browser_offset = -(js_sys::Date::new_0().get_timezone_offset() as i64) * 60;
    let their_now = now + offset - browser_offset;
    Some(format!(
        "{} ({})",
        format::day_time(their_now),
        format::utc_offset(offset)
    ))
}

/// Times a detail is asked for again while Slack's parts are still loading.
const MAX_REFRESHES: u32 = 10;

/// Asks again for the parts of `fresh`'s person still loading, after the delay the server
/// gave, until none is (or the view is gone).
fn fill_in(fresh: RwSignal<UserDetail>, attempt: u32) {
    let Some(delay) = fresh.with_untracked(|d| d.refresh_after_ms) else {
        return;
    };
    if attempt >= MAX_REFRESHES {
        return;
    }
    let id = fresh.with_untracked(|d| d.summary.id.clone());
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                let Ok(next) = api::user(&id).await else {
                    return;
                };
                // The view was closed, or shows someone else now.
                if fresh
                    .try_with_untracked(|d| d.summary.id == next.summary.id)
                    .unwrap_or(false)
                {
                    fresh.set(next);
                    fill_in(fresh, attempt + 1);
                }
            });
        },
        std::time::Duration::from_millis(delay.min(5_000)),
    );
}

/// What is still coming from Slack, and what is shown from an earlier read.
fn freshness(d: &UserDetail) -> Option<String> {
    let loading: Vec<&str> = d
        .live
        .iter()
        .filter(|p| p.loading)
        .map(|p| p.part.label())
        .collect();
    let old: Vec<String> = d
        .live
        .iter()
        .filter(|p| !p.loading)
        .filter_map(|p| {
            let age = p.age_seconds.filter(|a| *a >= 60)?;
            Some(format!(
                "{} as of {}",
                p.part.label(),
                format::ago(age as i64)
            ))
        })
        .collect();
    let mut text = Vec::new();
    if !loading.is_empty() {
        text.push(format!(
            "Still loading from Slack: {}.",
            loading.join(", ").to_lowercase()
        ));
    }
    if !old.is_empty() {
        text.push(format!("{}.", old.join("; ")));
    }
    (!text.is_empty()).then(|| text.join(" "))
}

/// Focuses the detail's action button labelled `label` (or, if that action no longer
/// applies, the first one), unless something already has focus.
fn refocus(label: &str) {
    let document = document();
    let lost = document
        .active_element()
        .is_none_or(|e| e.tag_name().eq_ignore_ascii_case("body"));
    if !lost {
        return;
    }
    let buttons = focus::all(document.query_selector_all(".user-detail .detail-actions button"));
    let target = buttons
        .iter()
        .find(|b| b.text_content().as_deref() == Some(label))
        .or_else(|| buttons.first());
    if let Some(button) = target {
        focus::element(button);
    }
}

/// Everything but the loading state.
#[component]
fn DetailBody(d: UserDetail, action: RwSignal<Option<&'static ChangeKind>>) -> impl IntoView {
    let session = expect_context::<Session>();
    let u = d.summary.clone();
    // The parts Slack gives fill in as they arrive; the header and the actions stay put, so
    // focus is not lost.
    let fresh = RwSignal::new(d.clone());
    fill_in(fresh, 0);
    let type_label = if u.is_primary_owner {
        "Primary owner".to_string()
    } else {
        u.user_type.label().to_string()
    };
    let status_class = match u.status {
        UserStatus::Active => "badge badge-active",
        UserStatus::Deactivated => "badge badge-deactivated",
        UserStatus::Pending => "badge badge-pending",
    };
    let guest = is_guest(u.user_type);
    // The changes the role may make to this person; a closure, so the buttons appear once
    // the session (who is asking, read-only or not) has loaded, even if the user's detail
    // came first.
    // The changes that apply to this person: those the role can make as buttons, the others
    // greyed out with the reason under them. A closure, so the buttons appear once the
    // session (who is asking, read-only or not) has loaded, even if the detail came first.
    let actions = {
        let u = u.clone();
        move || {
            if !session.writable() {
                return ().into_any();
            }
            let kinds: Vec<&'static ChangeKind> = KINDS
                .into_iter()
                .filter(|kind| (kind.applies_to)(&u))
                .collect();
            let mut why: Vec<(Unavailable, Vec<&'static str>)> = Vec::new();
            let buttons = kinds
                .into_iter()
                .map(|kind| match kind.availability(&session) {
                    Ok(()) => view! {
                        <button type="button" class="button" on:click=move |_| action.set(Some(kind))>{kind.button}</button>
                    }
                    .into_any(),
                    Err(reason) => {
                        match why.iter_mut().find(|(r, _)| *r == reason) {
                            Some((_, names)) => names.push(kind.button),
                            None => why.push((reason, vec![kind.button])),
                        }
                        view! {
                            <button type="button" class="button" disabled=true aria-describedby="unavailable-why"
                                title=reason.label()>{kind.button}</button>
                        }
                        .into_any()
                    }
                })
                .collect_view();
            let hint = (!why.is_empty()).then(|| {
                let text = why
                    .iter()
                    .map(|(reason, names)| format!("{}: {}.", reason.label(), names.join(", ")))
                    .collect::<Vec<_>>()
                    .join(" ");
                view! { <p class="hint unavailable" id="unavailable-why" data-testid="unavailable">{text}</p> }
            });
            view! { {buttons}{hint} }.into_any()
        }
    };
    let audit_link = format!("/audit?target={}", u.id);

    view! {
        <header class="detail-head">
            <Avatar id=u.id.clone() name=u.name.clone() large=true/>
            <div>
                <h2 class="detail-name">{u.name.clone()}</h2>
                <p class="muted">"@"{u.username.clone()} " · " <code>{u.id.clone()}</code></p>
                <p class="badges">
                    <span class="badge badge-role">{type_label}</span>
                    <span class=status_class>{u.status.label()}</span>
                    {move || fresh.with(|d| d.presence).map(|p| match p {
                        Presence::Active => view! { <span class="badge badge-active">"Online"</span> }.into_any(),
                        Presence::Away => view! { <span class="badge">"Away"</span> }.into_any(),
                    })}
                </p>
                <p class="muted live-state" role="status" data-testid="live-state">
                    {move || fresh.with(freshness)}
                </p>
            </div>
        </header>
        {move || fresh.with(|d| (!d.warnings.is_empty()).then(|| view! {
            <div class="notice notice-warn" role="status">
                {d.warnings.iter().map(|w| view! { <p>{w.clone()}</p> }).collect_view()}
            </div>
        }))}
        <div class="detail-actions">
            {actions}
            <Show when=move || session.can(Permission::AuditRead)>
                <A href=audit_link.clone() attr:class="button button-quiet">"Audit log"</A>
            </Show>
        </div>
        <section class="detail-section" aria-labelledby="profile-h">
            <h3 id="profile-h">"Profile"</h3>
            {move || fresh.with(|d| {
            let local_time = local_time(d.timezone_offset);
            view! {
            <dl class="facts">
                {d.summary.email.clone().map(|e| view! { <dt>"Email"</dt><dd>{e}</dd> })}
                {d.display_name.clone().map(|n| view! { <dt>"Display name"</dt><dd>{n}</dd> })}
                {d.title.clone().map(|t| view! { <dt>"Title"</dt><dd>{t}</dd> })}
                {d.phone.clone().map(|p| view! { <dt>"Phone"</dt><dd>{p}</dd> })}
                {d.timezone.clone().map(|tz| view! {
                    <dt>"Time zone"</dt>
                    <dd>{d.timezone_label.clone().unwrap_or(tz)}{local_time.map(|t| format!(", local time {t}"))}</dd>
                })}
            </dl>
            }
            })}
        </section>
        <section class="detail-section" aria-labelledby="ws-h">
            <h3 id="ws-h">"Workspaces"</h3>
            {move || fresh.with(|d| if d.memberships.is_empty() {
                view! { <p class="muted">"Not on any workspace."</p> }.into_any()
            } else {
                view! {
                    <table class="plain">
                        <thead><tr><th scope="col">"Workspace"</th><th scope="col">"Role"</th>
                            {guest.then(|| view! { <th scope="col">"Expires"</th> })}</tr></thead>
                        <tbody>
                            {d.memberships.iter().map(|m| view! {
                                <tr>
                                    <td>{session.workspace_name(&m.workspace)}</td>
                                    <td>{m.role.label()}</td>
                                    {guest.then(|| view! {
                                        <td>{match m.expires {
                                            Some(ts) => format!("{} ({})", format::day_time(ts), format::until(ts - format::now())),
                                            None => "Never".to_string(),
                                        }}</td>
                                    })}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </section>
        {(sessions::shown(&session) && u.status == UserStatus::Active)
            .then(|| view! { <SessionsSection id=u.id.clone()/> })}
        <section class="detail-section" aria-labelledby="ch-h">
            <h3 id="ch-h">"Channels"</h3>
            {move || fresh.with(|d| if d.channels.is_empty() {
                let loading = d.live.iter().any(|p| p.part == LiveKind::Channels && p.loading);
                view! { <p class="muted">{if loading { "Loading the channels from Slack…" } else { "No channels." }}</p> }.into_any()
            } else {
                view! {
                    <ul class="chips">
                        {d.channels.iter().map(|c| view! {
                            <li class="chip">{if c.is_private { "" } else { "#" }}{c.name.clone()}{c.is_private.then(|| view! { <span class="private-mark">" (private)"</span> })}</li>
                        }).collect_view()}
                    </ul>
                    {d.channels_truncated.then(|| view! { <p class="muted">"The first 100 channels are shown."</p> })}
                }.into_any()
            })}
        </section>
        <section class="detail-section" aria-labelledby="acct-h">
            <h3 id="acct-h">"Account"</h3>
            <dl class="facts">
                {(u.created > 0).then(|| view! { <dt>"Created"</dt><dd>{format::day(u.created)}</dd> })}
                {u.deactivated.map(|t| view! { <dt>"Deactivated"</dt><dd>{format::day(t)}</dd> })}
                {u.has_2fa.map(|v| view! { <dt>"Two-factor authentication"</dt><dd>{if v { "On" } else { "Off" }}</dd> })}
                {u.has_sso.map(|v| view! { <dt>"Single sign-on"</dt><dd>{if v { "Yes" } else { "No" }}</dd> })}
            </dl>
        </section>
    }
}
