//! A job's operations, one row each, with a filter by state.

use leptos::prelude::*;
use roster_api::{Field, GuestType, JobOperation, ORG_WIDE, OpState, Operation};

use crate::{format, router::A, session::Session};

/// The badge class of an operation's state.
fn op_badge(state: OpState) -> &'static str {
    match state {
        OpState::Done => "badge badge-active",
        OpState::Failed => "badge badge-deactivated",
        OpState::Running | OpState::Unknown => "badge badge-warn",
        OpState::Pending | OpState::Skipped => "badge",
    }
}

/// What an operation does, in a few words (`hidden`: fields the reader's role does not
/// show, taken out of the operation).
fn describe(op: &Operation, hidden: &[Field]) -> String {
    match op {
        Operation::SetExpiration { .. } if hidden.contains(&Field::Expires) => {
            "Set or remove guest expiration (the date is hidden by your role)".into()
        }
        Operation::Invite(r) => match r.guest {
            None => "Invite as member".into(),
            Some(GuestType::MultiChannel) => "Invite as multi-channel guest".into(),
            Some(GuestType::SingleChannel) => "Invite as single-channel guest".into(),
        },
        Operation::Assign { channels, .. } if !channels.is_empty() => format!(
            "Add to workspace with {}",
            format::count(channels.len(), "channel", "channels")
        ),
        Operation::SetRole { role, .. } => format!("Make {}", role.label()),
        Operation::SetExpiration {
            expires: Some(t), ..
        } => format!("Set guest expiration to {}", format::utc(*t)),
        Operation::SetExpiration { expires: None, .. } => "Remove guest expiration".into(),
        op => op.label().into(),
    }
}

/// Who an operation is about: the user's name linked to their detail, with the ID, or
/// the invited email.
fn who(op: &JobOperation) -> AnyView {
    let target = op.operation.target().to_string();
    match (&op.operation, op.user_name.clone()) {
        (Operation::Invite(_), _) if op.hidden.contains(&Field::Email) => {
            view! { <span class="muted">"Address hidden by your role"</span> }.into_any()
        }
        (Operation::Invite(_), _) => target.into_any(),
        (_, Some(name)) => view! {
            <A href=format!("/users/{target}")>{name}</A>
            <span class="muted op-user-id">{target}</span>
        }
        .into_any(),
        (_, None) => view! { <code>{target}</code> }.into_any(),
    }
}

/// The filter and the table of `operations`.
#[component]
pub fn Operations(operations: RwSignal<Vec<JobOperation>>) -> impl IntoView {
    let session = expect_context::<Session>();
    let filter = RwSignal::new(None::<OpState>);
    view! {
        <div class="filters">
            <div class="field">
                <label for="job-filter">"Show"</label>
                <select id="job-filter" on:change:target=move |ev| filter.set(OpState::parse(&ev.target().value()))>
                    <option value="" selected=move || filter.get().is_none()>"Every operation"</option>
                    {OpState::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || filter.get() == Some(s)>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
        </div>
        <div class="table-wrap" role="region" aria-label="The job's rows" tabindex="0">
            <table class="plain job-ops">
                <thead>
                    <tr>
                        <th scope="col">"#"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"Workspace"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || {
                            let only = filter.get();
                            operations.with(|ops| ops.iter().filter(|o| only.is_none_or(|s| o.state == s)).cloned().collect::<Vec<_>>())
                        }
                        key=|o| (o.index, o.state, o.message.clone(), o.attempts)
                        let:op
                    >
                        <tr data-op-index=op.index data-state=op.state.as_str()>
                            <td>{op.index + 1}</td>
                            <td>{describe(&op.operation, &op.hidden)}</td>
                            <td>{who(&op)}</td>
                            <td>{op.operation.workspace().map(|w| if w == ORG_WIDE { "The whole org".to_string() } else { session.workspace_name(w) })}</td>
                            <td><span class=op_badge(op.state)>{op.state.label()}</span></td>
                            <td>
                                {op.message.clone()}
                                {op.slack_error.clone().map(|c| view! {
                                    <details class="notice-code">
                                        <summary>"Details"</summary>
                                        "Slack error code: "<code>{c}</code>
                                    </details>
                                })}
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}
