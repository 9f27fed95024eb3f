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
    // The session being ended, asked to confirm first.
    let confirming = RwSignal::new(None::<SessionInfo>);
    let end = Task::new(move || {
        let chosen = confirming.get_untracked();
        let user = id.clone();
        async move {
            let Some(s) = chosen else { return Ok(()) };
            let operation = Operation::EndSession {
                user,
                workspace: s.workspace,
                session: s.id,
            };
            let result = api::change(&operation).await?;
            toasts.push(ToastKind::Success, result.message, None);
            confirming.try_set(None);
            session.changed();
            Ok(())
        }
    });
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
                                        move |_| { end.forget(); confirming.set(Some(chosen.clone())) }
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
                            view! {
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
            {move || confirming.get().map(|s| view! {
                <div class="review" role="status">
                    <p><strong>"Please confirm: "</strong>
                        {format!("the {} session on {} will end; the person signs in again there. Their other sessions stay.",
                            s.device.label().to_lowercase(), session.workspace_name(&s.workspace))}
                    </p>
                    {move || end.error().map(|e| view! { <ErrorNotice error=e/> })}
                    <div class="dialog-buttons">
                        <button type="button" class="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        <button type="button" class="button button-danger" prop:disabled=move || end.running()
                            on:click=move |_| end.start()>
                            {move || if end.running() { "Ending…" } else { "End this session" }}
                        </button>
                    </div>
                </div>
            })}
        </section>
    }
}

/// Whether the detail shows the section: the role sees sessions.
pub fn shown(session: &Session) -> bool {
    session.can(Permission::UsersSessions)
}
