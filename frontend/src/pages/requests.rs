//! Requests for invitations (`/requests`): people ask for someone to be invited; a
//! reviewer approves (Slack sends the invitation) or denies, with a reason Roster keeps.

use leptos::prelude::*;
use roster_api::{
    GuestType, InviteRequestInfo, InviteRequestList, InviteRequestQuery, MAX_DENY_REASON,
    Operation, Permission, RequestState,
};

use crate::{
    api,
    components::{ErrorNotice, ToastKind, Toasts},
    format,
    loaded::Loaded,
    session::Session,
    task::Task,
};

/// What the reviewer is about to do to one request.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    Approve(InviteRequestInfo),
    Deny(InviteRequestInfo),
}

/// Who is to be invited, as the role may see it.
fn who(r: &InviteRequestInfo) -> String {
    match (&r.real_name, &r.email) {
        (Some(name), Some(email)) => format!("{name} ({email})"),
        (None, Some(email)) => email.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => format!("request {}", r.id),
    }
}

fn kind(guest: Option<GuestType>) -> &'static str {
    match guest {
        None => "Member",
        Some(GuestType::MultiChannel) => "Multi-channel guest",
        Some(GuestType::SingleChannel) => "Single-channel guest",
    }
}

/// `/requests`.
#[component]
pub fn RequestsPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let toasts = expect_context::<Toasts>();
    let state = RwSignal::new(RequestState::Pending);
    let workspace = RwSignal::new(String::new());
    let listing = LocalResource::new(move || {
        session.version.track();
        session.requests.track();
        let query = InviteRequestQuery {
            state: state.get(),
            workspace: Some(workspace.get()).filter(|w| !w.is_empty()),
        };
        async move { api::invite_requests(&query).await }
    });
    let decision = RwSignal::new(None::<Decision>);
    let reason = RwSignal::new(String::new());
    let send = Task::new(move || {
        let chosen = decision.get_untracked();
        let why = reason.get_untracked().trim().to_string();
        async move {
            let operation = match chosen {
                None => return Ok(()),
                Some(Decision::Approve(r)) => Operation::ApproveRequest {
                    request: r.id,
                    workspace: r.workspace,
                },
                Some(Decision::Deny(r)) => Operation::DenyRequest {
                    request: r.id,
                    workspace: r.workspace,
                    reason: (!why.is_empty()).then_some(why),
                },
            };
            let result = api::change(&operation).await?;
            toasts.push(ToastKind::Success, result.message, None);
            decision.try_set(None);
            reason.try_set(String::new());
            session.changed();
            Ok(())
        }
    });
    let may_decide = move || session.writable() && session.can(Permission::InvitesReview);
    let choose = move |d: Decision| {
        send.forget();
        reason.set(String::new());
        decision.set(Some(d));
    };

    let card = move |r: InviteRequestInfo| {
        let pending = r.state == RequestState::Pending;
        let requesters = r
            .requested_by
            .iter()
            .map(|p| {
                p.name
                    .clone()
                    .unwrap_or_else(|| "someone outside your workspaces".into())
            })
            .collect::<Vec<_>>()
            .join(", ");
        let handled = r
            .handled_by
            .as_ref()
            .and_then(|h| h.name.clone().or_else(|| h.id.clone()));
        let (approve, deny) = (r.clone(), r.clone());
        let this = StoredValue::new(r.id.clone());
        let is_open = move || {
            decision.with(|d| match d {
                Some(Decision::Approve(x) | Decision::Deny(x)) => this.with_value(|id| &x.id == id),
                None => false,
            })
        };
        view! {
            <li class="request-card">
                <div class="request-head">
                    <strong>{who(&r)}</strong>
                    <span class="badge badge-role">{kind(r.guest)}</span>
                    <span class="muted">{session.workspace_name(&r.workspace)}</span>
                </div>
                <dl class="facts">
                    <dt>"Asked by"</dt><dd>{requesters}</dd>
                    <dt>"Asked"</dt><dd>{format::day(r.created)}</dd>
                    {r.reason.clone().map(|why| view! { <dt>"Why"</dt><dd>{why}</dd> })}
                    {(!r.channels.is_empty()).then(|| view! {
                        <dt>"Channels"</dt><dd>{format::count(r.channels.len(), "channel", "channels")}</dd>
                    })}
                    {r.expires.map(|t| view! { <dt>"Guest expiration"</dt><dd>{format::day(t)}</dd> })}
                    {handled.map(|h| view! { <dt>{if r.state == RequestState::Denied { "Denied by" } else { "Approved by" }}</dt><dd>{h}</dd> })}
                    {r.deny_reason.clone().map(|why| view! { <dt>"Reason for the denial"</dt><dd>{why}</dd> })}
                </dl>
                <Show when=move || pending && may_decide() && !is_open()>
                    <div class="detail-actions">
                        <button type="button" class="button" on:click={
                            let r = approve.clone();
                            move |_| choose(Decision::Approve(r.clone()))
                        }>"Approve"</button>
                        <button type="button" class="button button-quiet" on:click={
                            let r = deny.clone();
                            move |_| choose(Decision::Deny(r.clone()))
                        }>"Deny"</button>
                    </div>
                </Show>
                <Show when=is_open>
                    {move || decision.get().map(|d| {
                        let (text, deny) = match &d {
                            Decision::Approve(r) => (format!(
                                "Slack will invite {} to {} as {}.", who(r),
                                session.workspace_name(&r.workspace), kind(r.guest).to_lowercase()), false),
                            Decision::Deny(r) => (format!(
                                "The request to invite {} will be denied; Slack does not tell the person who asked.",
                                who(r)), true),
                        };
                        view! {
                            <div class="review" role="status">
                                {deny.then(|| view! {
                                    <div class="field">
                                        <label for="deny-reason">"Reason (kept in Roster's audit log, optional)"</label>
                                        <input id="deny-reason" type="text" maxlength=MAX_DENY_REASON.to_string()
                                            prop:value=move || reason.get() on:input:target=move |ev| reason.set(ev.target().value())/>
                                    </div>
                                })}
                                <p><strong>"Please confirm: "</strong>{text}</p>
                                {move || send.error().map(|e| view! { <ErrorNotice error=e/> })}
                                <div class="dialog-buttons">
                                    <button type="button" class="button" on:click=move |_| decision.set(None)>"Cancel"</button>
                                    <button type="button" class=if deny { "button button-danger" } else { "button" }
                                        prop:disabled=move || send.running() on:click=move |_| send.start()>
                                        {move || match (send.running(), deny) {
                                            (true, _) => "Sending to Slack…",
                                            (false, true) => "Deny the request",
                                            (false, false) => "Approve and invite",
                                        }}
                                    </button>
                                </div>
                            </div>
                        }
                    })}
                </Show>
            </li>
        }
    };

    let list = move || {
        listing.get().map(|answer| match answer {
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            Ok(InviteRequestList { requests, warnings, .. }) => view! {
                {warnings.into_iter().map(|w| view! { <p class="notice notice-warn">{w}</p> }).collect_view()}
                {if requests.is_empty() {
                    view! { <p class="muted">{match state.get_untracked() {
                        RequestState::Pending => "No requests are waiting for an answer.",
                        RequestState::Approved => "No approved requests.",
                        RequestState::Denied => "No denied requests.",
                    }}</p> }.into_any()
                } else {
                    view! { <ul class="request-list">{requests.into_iter().map(card).collect_view()}</ul> }.into_any()
                }}
            }.into_any(),
        })
    };

    view! {
        <section class="page page-requests">
            <h1>"Invite requests"</h1>
            <p class="muted">"People in your workspaces ask for someone to be invited. Approving sends the invitation from Slack; a denial's reason stays in Roster's audit log."</p>
            <div class="filters">
                <div class="segmented" role="group" aria-label="Which requests">
                    {RequestState::ALL.into_iter().map(|s| view! {
                        <button type="button" class="button button-quiet" aria-pressed=move || (state.get() == s).to_string()
                            on:click=move |_| { decision.set(None); state.set(s) }>
                            {match s {
                                RequestState::Pending => "Waiting",
                                RequestState::Approved => "Approved",
                                RequestState::Denied => "Denied",
                            }}
                        </button>
                    }).collect_view()}
                </div>
                <label class="field-inline">
                    <span>"Workspace"</span>
                    <select on:change:target=move |ev| workspace.set(ev.target().value())>
                        <option value="">"All your workspaces"</option>
                        {move || session.workspace_list().into_iter().map(|w| view! {
                            <option value=w.id.clone()>{w.name}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <Show when=move || listing.get().is_none()>
                <p class="loading" aria-live="polite">"Asking Slack for the requests…"</p>
            </Show>
            {list}
        </section>
    }
}

/// The number of requests waiting on the role's workspaces, for the navigation.
#[component]
pub fn PendingCount() -> impl IntoView {
    let session = expect_context::<Session>();
    let count = Loaded::new(move || {
        session.version.track();
        session.requests.track();
        api::pending_invite_requests()
    });
    move || {
        count.get().and_then(Result::ok).filter(|&n| n > 0).map(
            |n| view! { <span class="count-badge" aria-label=format!("{n} waiting")>{n}</span> },
        )
    }
}
