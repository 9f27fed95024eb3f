//! `/invite`: invite one or more people to a workspace, as members or guests.

use leptos::prelude::*;
use roster_api::{Channel, GuestType, InviteRequest, MAX_CUSTOM_MESSAGE, Permission};

use crate::{
    api::{self, ApiError},
    components::{
        ChannelPicker, ErrorNotice, ToastKind, Toasts,
        focus::{self, ErrorSummary},
    },
    format,
    session::Session,
    task::Task,
};

/// The account an invitation creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Member,
    Multi,
    Single,
}

impl Kind {
    fn guest(self) -> Option<GuestType> {
        match self {
            Kind::Member => None,
            Kind::Multi => Some(GuestType::MultiChannel),
            Kind::Single => Some(GuestType::SingleChannel),
        }
    }

    fn phrase(self) -> &'static str {
        match self {
            Kind::Member => "as members",
            Kind::Multi => "as multi-channel guests",
            Kind::Single => "as single-channel guests",
        }
    }
}

/// Splits the emails box on commas, semicolons, spaces and new lines.
fn split_emails(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|s| format::lowercase(s.trim()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether an address looks deliverable (the proxy checks again).
fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// The outcome of one invitation.
#[derive(Debug, Clone)]
struct Sent {
    email: String,
    result: Result<String, ApiError>,
}

/// The invite form.
#[component]
pub fn InvitePage() -> impl IntoView {
    let session = expect_context::<Session>();
    let toasts = expect_context::<Toasts>();
    let emails = RwSignal::new(String::new());
    let workspace = RwSignal::new(String::new());
    let guests_only = move || session.me().is_some_and(|m| m.invite_guests_only);
    let kind = RwSignal::new(Kind::Member);
    Effect::new(move |_| {
        if guests_only() && kind.get_untracked() == Kind::Member {
            kind.set(Kind::Multi);
        }
    });
    Effect::new(move |_| {
        if workspace.get_untracked().is_empty()
            && let Some(first) = session.workspace_list().first()
        {
            workspace.set(first.id.clone());
        }
    });
    let channels = RwSignal::new(Vec::<Channel>::new());
    let real_name = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let resend = RwSignal::new(false);
    let expires_on = RwSignal::new(format::to_local_input(format::now() + 30 * 86_400));
    let never = RwSignal::new(false);
    let reviewing = RwSignal::new(false);
    let sent = RwSignal::new(Vec::<Sent>::new());
    let errors = RwSignal::new(Vec::<(&'static str, String)>::new());

    let field_error = move |field: &'static str| {
        move || errors.with(|e| e.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone()))
    };
    // Changing a field takes its error away.
    let clear = move |field: &'static str| {
        if errors.with_untracked(|e| e.iter().any(|(f, _)| *f == field)) {
            errors.update(|e| e.retain(|(f, _)| *f != field));
        }
    };
    Effect::new(move |_| {
        channels.track();
        clear("channels");
    });
    let expiry = move || {
        if kind.get().guest().is_none() || never.get() {
            None
        } else {
            format::from_local_input(&expires_on.get())
        }
    };
    let validate = move || {
        let mut problems = Vec::new();
        let list = split_emails(&emails.get_untracked());
        if list.is_empty() {
            problems.push(("email", "Enter at least one email address.".to_string()));
        } else if let Some(bad) = list.iter().find(|e| !looks_like_email(e)) {
            problems.push(("email", format!("{bad} is not a valid email address.")));
        }
        if workspace.get_untracked().is_empty() {
            problems.push(("workspace", "Choose a workspace.".to_string()));
        }
        let picked = channels.get_untracked().len();
        if picked == 0 {
            problems.push(("channels", "Choose at least one channel.".to_string()));
        } else if kind.get_untracked() == Kind::Single && picked != 1 {
            problems.push((
                "channels",
                "A single-channel guest gets exactly one channel.".to_string(),
            ));
        }
        if kind.get_untracked().guest().is_some() && !never.get_untracked() {
            match format::from_local_input(&expires_on.get_untracked()) {
                None => problems.push((
                    "expires",
                    "Choose a date and time, or no expiration.".to_string(),
                )),
                Some(ts) if ts <= format::now() + 60 => problems.push((
                    "expires",
                    "The expiration must be in the future.".to_string(),
                )),
                _ => {}
            }
        }
        if message.get_untracked().chars().count() > MAX_CUSTOM_MESSAGE {
            problems.push((
                "custom_message",
                format!("At most {MAX_CUSTOM_MESSAGE} characters."),
            ));
        }
        problems
    };
    let summary = move || {
        let list = split_emails(&emails.get());
        let who = if list.len() == 1 {
            list[0].clone()
        } else {
            format!("{} people", list.len())
        };
        let chans = channels
            .get()
            .iter()
            .map(|c| format!("#{}", c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let one = list.len() == 1;
        let phrase = match (one, kind.get()) {
            (true, Kind::Member) => "as a member",
            (true, Kind::Multi) => "as a multi-channel guest",
            (true, Kind::Single) => "as a single-channel guest",
            (false, k) => k.phrase(),
        };
        let accounts = if one { "The account" } else { "Their accounts" };
        let until = match expiry() {
            Some(ts) => format!(
                " {accounts} will be disabled on {} ({}).",
                format::day_time(ts),
                format::utc(ts)
            ),
            None if kind.get().guest().is_some() => format!(" {accounts} will not expire."),
            None => String::new(),
        };
        format!(
            "Invite {who} to {} {phrase}, joining {chans}.{until}",
            session.workspace_name(&workspace.get())
        )
    };
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let problems = validate();
        let ok = problems.is_empty();
        errors.set(problems);
        reviewing.set(ok);
        if !ok {
            focus::first_error(".page-invite form");
        }
    };
    let summary_items = Signal::derive(move || {
        errors.with(|list| {
            list.iter()
                .map(|(field, message)| (field_id(field), message.clone()))
                .collect::<Vec<_>>()
        })
    });
    // Each invitation is its own request: the results list fills in as they are answered.
    // The addresses and what every invitation says, handed to `send` as it starts.
    let batch = StoredValue::new(None::<(Vec<String>, InviteRequest)>);
    let send = Task::new(move || {
        let batch = batch.try_update_value(Option::take).flatten();
        sent.set(Vec::new());
        async move {
            let Some((list, base)) = batch else {
                return Ok(());
            };
            let mut done = 0;
            for email in list {
                let request = InviteRequest {
                    email: email.clone(),
                    ..base.clone()
                };
                let result = api::invite(&request).await.map(|r| r.message);
                if result.is_ok() {
                    done += 1;
                }
                if let Err(e) = &result
                    && let Some(field) = e.field()
                {
                    let field: &'static str = match field {
                        "email" => "email",
                        "workspace" => "workspace",
                        "channels" => "channels",
                        "expires" => "expires",
                        "custom_message" => "custom_message",
                        _ => "form",
                    };
                    errors.try_update(|x| x.push((field, format!("{email}: {e}"))));
                }
                sent.try_update(|s| s.push(Sent { email, result }));
            }
            reviewing.try_set(false);
            if errors.try_with(|e| !e.is_empty()) == Some(true) {
                focus::first_error(".page-invite form");
            }
            if done > 0 {
                session.changed();
                toasts.push(
                    ToastKind::Success,
                    format!("{} sent.", format::count(done, "invitation", "invitations")),
                    session.can(Permission::AuditRead).then(|| {
                        (
                            "/audit?action=invite".to_string(),
                            "View in the audit log".to_string(),
                        )
                    }),
                );
                if sent.try_with(|s| s.iter().all(|x| x.result.is_ok())) == Some(true) {
                    emails.try_set(String::new());
                    real_name.try_set(String::new());
                }
            }
            Ok(())
        }
    });
    let sending = move || send.running();
    let confirm = move |_| {
        let list = split_emails(&emails.get_untracked());
        let base = InviteRequest {
            email: String::new(),
            workspace: workspace.get_untracked(),
            channels: channels.get_untracked().into_iter().map(|c| c.id).collect(),
            real_name: Some(real_name.get_untracked())
                .filter(|n| !n.trim().is_empty() && list.len() == 1),
            custom_message: Some(message.get_untracked()).filter(|m| !m.trim().is_empty()),
            guest: kind.get_untracked().guest(),
            expires: expiry(),
            resend: resend.get_untracked(),
        };
        batch.set_value(Some((list, base)));
        send.start();
    };
    let locked = move || reviewing.get() || sending();

    view! {
        <section class="page page-invite">
            <h1>"Invite people"</h1>
            <form class="form form-wide" on:submit=submit novalidate=true>
                <ErrorSummary problems=summary_items/>
                <div class="field">
                    <label for="invite-emails">"Email addresses"</label>
                    <textarea id="invite-emails" rows="3" placeholder="one@example.com, two@example.com"
                        aria-describedby="invite-emails-hint invite-emails-error"
                        aria-invalid=move || field_error("email")().is_some().to_string()
                        prop:value=move || emails.get() prop:disabled=locked
                        on:input:target=move |ev| { emails.set(ev.target().value()); clear("email"); }></textarea>
                    <p class="muted" id="invite-emails-hint">"Separate several addresses with commas or new lines."</p>
                    {move || field_error("email")().map(|e| view! { <p class="field-error" id="invite-emails-error">{e}</p> })}
                </div>
                <div class="field">
                    <label for="invite-workspace">"Workspace"</label>
                    <select id="invite-workspace" prop:disabled=locked
                        aria-invalid=move || field_error("workspace")().is_some().to_string()
                        on:change:target=move |ev| { workspace.set(ev.target().value()); clear("workspace"); }>
                        {move || session.workspace_list().into_iter().map(|w| {
                            let id = w.id.clone();
                            view! { <option value=w.id.clone() selected=move || workspace.get() == id>{w.name}</option> }
                        }).collect_view()}
                    </select>
                    {move || field_error("workspace")().map(|e| view! { <p class="field-error">{e}</p> })}
                </div>
                <fieldset class="field" prop:disabled=locked>
                    <legend>"Account type"</legend>
                    {[(Kind::Member, "Member", "member"), (Kind::Multi, "Multi-channel guest", "multi_channel"), (Kind::Single, "Single-channel guest", "single_channel")]
                        .into_iter()
                        .map(|(k, label, value)| view! {
                            <label class="check" class:hidden=move || k == Kind::Member && guests_only()>
                                <input type="radio" name="kind" value=value prop:checked=move || kind.get() == k
                                    on:change=move |_| {
                                        kind.set(k);
                                        if k == Kind::Single {
                                            channels.update(|c| c.truncate(1));
                                        }
                                    }/>
                                {label}
                            </label>
                        })
                        .collect_view()}
                    <Show when=guests_only>
                        <p class="muted">"Your role invites guests only."</p>
                    </Show>
                </fieldset>
                <div class="field">
                    <label for="invite-channels">{move || if kind.get() == Kind::Single { "Channel (exactly one)" } else { "Channels" }}</label>
                    <ChannelPicker workspace=workspace selected=channels single=Signal::derive(move || kind.get() == Kind::Single)
                        input_id="invite-channels" error=Signal::derive(field_error("channels"))/>
                </div>
                <Show when=move || kind.get().guest().is_some()>
                    <div class="field">
                        <label for="invite-expires">{format!("Guest expiration date ({})", format::time_zone())}</label>
                        <input id="invite-expires" type="datetime-local" prop:value=move || expires_on.get()
                            aria-invalid=move || field_error("expires")().is_some().to_string()
                            prop:disabled=move || never.get() || locked()
                            aria-describedby="invite-expires-utc"
                            on:input:target=move |ev| { expires_on.set(ev.target().value()); clear("expires"); }/>
                        <p class="muted" id="invite-expires-utc">{move || expiry().map(|ts| format!("That is {}.", format::utc(ts)))}</p>
                        <div class="quick-choices" role="group" aria-label="Choose a date from today">
                            {[("In 30 days", 30), ("In 90 days", 90)].into_iter().map(|(label, days)| view! {
                                <button type="button" class="button-quiet" prop:disabled=move || never.get() || locked()
                                    on:click=move |_| { expires_on.set(format::to_local_input(format::now() + days * 86_400)); clear("expires"); }>{label}</button>
                            }).collect_view()}
                            <button type="button" class="button-quiet" prop:disabled=move || never.get() || locked()
                                on:click=move |_| { expires_on.set(format::to_local_input(format::end_of_next_month(format::now()))); clear("expires"); }>"End of next month"</button>
                        </div>
                        <label class="check">
                            <input type="checkbox" prop:checked=move || never.get() prop:disabled=locked
                                on:change:target=move |ev| { never.set(ev.target().checked()); clear("expires"); }/>
                            "No guest expiration"
                        </label>
                        {move || field_error("expires")().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                </Show>
                <Show when=move || split_emails(&emails.get()).len() <= 1>
                    <div class="field">
                        <label for="invite-name">"Full name (optional)"</label>
                        <input id="invite-name" type="text" autocomplete="off" prop:value=move || real_name.get()
                            prop:disabled=locked on:input:target=move |ev| real_name.set(ev.target().value())/>
                    </div>
                </Show>
                <div class="field">
                    <label for="invite-message">"Message in the invitation (optional)"</label>
                    <textarea id="invite-message" rows="3" aria-describedby="invite-message-count"
                        aria-invalid=move || field_error("custom_message")().is_some().to_string()
                        prop:value=move || message.get() prop:disabled=locked
                        on:input:target=move |ev| { message.set(ev.target().value()); clear("custom_message"); }></textarea>
                    <p class="muted" id="invite-message-count">
                        {move || format!("{} / {MAX_CUSTOM_MESSAGE} characters", message.get().chars().count())}
                    </p>
                    {move || field_error("custom_message")().map(|e| view! { <p class="field-error">{e}</p> })}
                </div>
                <label class="check">
                    <input type="checkbox" prop:checked=move || resend.get() prop:disabled=locked
                        on:change:target=move |ev| resend.set(ev.target().checked())/>
                    "Allow the invitation to be resent later from Slack"
                </label>
                {move || field_error("form")().map(|e| view! { <p class="field-error">{e}</p> })}
                <Show when=move || reviewing.get() || sending()>
                    <div class="review" role="status">
                        <p><strong>"Please confirm: "</strong>{summary}</p>
                    </div>
                </Show>
                <div class="dialog-buttons">
                    {move || if sending() {
                        view! { <button type="button" class="button" disabled=true>"Sending invitations…"</button> }.into_any()
                    } else if reviewing.get() {
                        view! {
                            <button type="button" class="button-quiet" on:click=move |_| reviewing.set(false)>"Back"</button>
                            <button type="button" class="button" on:click=confirm>"Send invitations"</button>
                        }.into_any()
                    } else {
                        view! { <button type="submit" class="button">"Review"</button> }.into_any()
                    }}
                </div>
            </form>
            <Show when=move || !sent.with(Vec::is_empty)>
                <section class="results" aria-labelledby="results-h">
                    <h2 id="results-h">"Results"</h2>
                    <ul class="result-list">
                        <For each=move || sent.get() key=|s| s.email.clone() let:s>
                            {match s.result {
                                Ok(m) => view! { <li class="result-ok">"✓ " {m}</li> }.into_any(),
                                Err(e) => view! {
                                    <li class="result-error">"✗ " <strong>{s.email.clone()}</strong> <ErrorNotice error=e/></li>
                                }.into_any(),
                            }}
                        </For>
                    </ul>
                </section>
            </Show>
        </section>
    }
}

/// The id of the control of the invite form's `field`, for the error summary's links.
fn field_id(field: &str) -> Option<&'static str> {
    match field {
        "email" => Some("invite-emails"),
        "workspace" => Some("invite-workspace"),
        "channels" => Some("invite-channels"),
        "expires" => Some("invite-expires"),
        "custom_message" => Some("invite-message"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_split_and_check() {
        assert_eq!(
            split_emails("a@x.io, B@y.io\nc@z.io;"),
            ["a@x.io", "b@y.io", "c@z.io"]
        );
        assert!(looks_like_email("pat@agency.example"));
        assert!(!looks_like_email("pat"));
        assert!(!looks_like_email("pat@localhost"));
    }
}
