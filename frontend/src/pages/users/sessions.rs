//! A person's sessions on the detail: where they are signed in, ending one, and their own
//! session duration.

use leptos::prelude::*;
use roster_api::{Operation, Permission, SessionInfo};

use crate::{
    api,
    components::{ErrorNotice, ToastKind, Toasts},
    session::Session,
    task::Task,
};

/// "8 hours", "30 days".
fn duration_words(seconds: i64) -> String {
    if seconds % 86_400 == 0 {
        crate::format::count((seconds / 86_400) as usize, "day", "days")
    } else {
        crate::format::count((seconds / 3_600) as usize, "hour", "hours")
    }
}

/// The "Sessions" section of user `id`'s detail.
#[component]
pub fn SessionsSection(id: String) -> impl IntoView {
    let session = expect_context::<Session>();
    let toasts = expect_context::<Toasts>();
    let fetch_id = id.clone();
    let listing = LocalResource::new(move || {
        session.version.track();
        let id = fetch_id.clone();
        async move { api::sessions(&id).await }
    });
    // The sessions being ended (one, or all of them listed), asked to confirm first.
    let confirming = RwSignal::new(None::<Vec<SessionInfo>>);
    let end = Task::new(move || {
        let chosen = confirming.get_untracked().unwrap_or_default();
        let user = id.clone();
        async move {
            let total = chosen.len();
            let mut last = None;
            for (done, s) in chosen.into_iter().enumerate() {
                let operation = Operation::EndSession {
                    user: user.clone(),
                    workspace: s.workspace,
                    session: s.id,
                };
                match api::change(&operation).await {
                    Ok(result) => last = Some(result.message),
                    Err(e) => {
                        // What ended stays ended: the list is read again.
                        if done > 0 {
                            session.changed();
                        }
                        return Err(e);
                    }
                }
            }
            let message = match (total, last) {
                (1, Some(message)) => message,
                _ => format!("{total} sessions ended."),
            };
            toasts.push(ToastKind::Success, message, None);
            confirming.try_set(None);
            session.changed();
            Ok(())
        }
    });
    // A role that covers every workspace signs people out with "Sign out"; a narrower
    // one ends each session on its workspaces, all at once from here.
    let can_end_all = move || session.writable() && !session.covers_every_workspace();
    let can_end = move || session.writable();
    let rows = move |list: Vec<SessionInfo>| {
        list.into_iter()
            .map(|s| {
                let client = [s.os.clone(), s.hardware.clone(), s.client_version.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · ");
                let place = session.workspace_name(&s.workspace);
                let label = format!("End the {} session on {place}", s.device.label().to_lowercase());
                let from = s.ip.clone();
                let chosen = s.clone();
                view! {
                    <tr>
                        <td>{s.device.label()}</td>
                        <td>{client}</td>
                        <td>{place}</td>
                        {from.map(|ip| view! { <td><code>{ip}</code></td> })}
                        <td>
                            <Show when=can_end>
                                <button type="button" class="button button-quiet" aria-label=label.clone()
                                    on:click={
                                        let chosen = chosen.clone();
                                        move |_| { end.forget(); confirming.set(Some(vec![chosen.clone()])) }
                                    }>"End"</button>
                            </Show>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="detail-section" aria-labelledby="sessions-h">
            <h3 id="sessions-h">"Sessions"</h3>
            {move || match listing.get() {
                None => view! { <p class="loading">"Asking Slack for their sessions…"</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(found)) => {
                    let shows_ip = found.sessions.iter().any(|s| s.ip.is_some());
                    let duration = found.duration_known.then(|| match found.duration {
                        Some(s) => format!("Their own session duration: {}.", duration_words(s)),
                        None => "They follow the org's session duration.".to_string(),
                    });
                    view! {
                        {found.warnings.into_iter().map(|w| view! { <p class="notice notice-warn">{w}</p> }).collect_view()}
                        {if found.sessions.is_empty() {
                            view! { <p class="muted">"Not signed in anywhere on your workspaces."</p> }.into_any()
                        } else {
                            let all = found.sessions.clone();
                            let count = all.len();
                            view! {
                                <Show when=move || { can_end_all() && count > 1 }>
                                    <p>
                                        <button type="button" class="button button-quiet" on:click={
                                            let all = all.clone();
                                            move |_| { end.forget(); confirming.set(Some(all.clone())) }
                                        }>{format!("End all {count} sessions")}</button>
                                    </p>
                                </Show>
                                <table class="plain">
                                    <thead><tr>
                                        <th scope="col">"Device"</th><th scope="col">"Client"</th>
                                        <th scope="col">"Workspace"</th>
                                        {shows_ip.then(|| view! { <th scope="col">"Signed in from"</th> })}
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>{rows(found.sessions)}</tbody>
                                </table>
                            }.into_any()
                        }}
                        {duration.map(|d| view! { <p class="muted">{d}</p> })}
                    }.into_any()
                }
            }}
            {move || confirming.get().map(|chosen| view! {
                <div class="review" role="status">
                    <p><strong>"Please confirm: "</strong>{ending_sentence(&session, &chosen)}</p>
                    {move || end.error().map(|e| view! { <ErrorNotice error=e/> })}
                    <div class="dialog-buttons">
                        <button type="button" class="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        <button type="button" class="button button-danger" prop:disabled=move || end.running()
                            on:click=move |_| end.start()>
                            {move || match (end.running(), count_of(confirming)) {
                                (true, _) => "Ending…".to_string(),
                                (false, 1) => "End this session".to_string(),
                                (false, n) => format!("End {n} sessions"),
                            }}
                        </button>
                    </div>
                </div>
            })}
        </section>
    }
}

/// How many sessions are being confirmed.
fn count_of(confirming: RwSignal<Option<Vec<SessionInfo>>>) -> usize {
    confirming.with(|c| c.as_ref().map_or(0, Vec::len))
}

/// What ending `chosen` does, in words.
fn ending_sentence(session: &Session, chosen: &[SessionInfo]) -> String {
    match chosen {
        [s] => format!(
            "the {} session on {} will end; the person signs in again there. Their other sessions stay.",
            s.device.label().to_lowercase(),
            session.workspace_name(&s.workspace)
        ),
        all => format!(
            "all {} sessions listed will end; the person signs in again on each device. \
             Sessions on workspaces outside your role are not changed.",
            all.len()
        ),
    }
}

/// Whether the detail shows the section: the role sees sessions.
pub fn shown(session: &Session) -> bool {
    session.can(Permission::UsersSessions)
}
