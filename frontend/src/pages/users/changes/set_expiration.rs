//! Setting or clearing the date a guest's account is disabled.

use leptos::prelude::*;
use roster_api::{ExpirationRequest, Operation, Permission, UserDetail, UserType};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind, active, every_workspace, first_value,
    form::{Flow, FlowFooter},
    label_of, option_list, workspace_options,
};
use crate::{api, format, session::Session};

/// Guest expiration.
pub static SET_EXPIRATION: ChangeKind = ChangeKind {
    action: "set_expiration",
    title: "Guest expiration",
    button: "Set expiration",
    audit_label: "Guest expiration",
    permission: Permission::UsersSetExpiration,
    danger: false,
    applies_to: |u| {
        active(u)
            && matches!(
                u.user_type,
                UserType::MultiChannelGuest | UserType::SingleChannelGuest
            )
    },
    form: |user, open| view! { <ExpirationForm user open/> }.into_any(),
    bulk_places,
    bulk_fields,
};

/// How far ahead a new expiration starts.
const DEFAULT_AHEAD: i64 = 30 * 86_400;

/// Why `expires` cannot be a guest's expiration, if it cannot.
fn too_soon(expires: i64) -> Option<String> {
    (expires <= format::now() + 60).then(|| "The expiration must be in the future.".to_string())
}

/// Set or clear a guest's expiration, in the admin's time zone, shown in UTC too.
#[component]
fn ExpirationForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let options = workspace_options(&session, &user.summary.workspaces);
    let workspace = RwSignal::new(first_value(&options));
    let initial = user
        .memberships
        .iter()
        .find(|m| m.workspace == workspace.get_untracked())
        .and_then(|m| m.expires)
        .unwrap_or_else(|| format::now() + DEFAULT_AHEAD);
    let when = RwSignal::new(format::to_local_input(initial));
    let clear = RwSignal::new(false);
    let parsed = Signal::derive(move || format::from_local_input(&when.get()));
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let id = id.clone();
        let request = ExpirationRequest {
            workspace: Some(workspace.get_untracked()),
            expires: if clear.get_untracked() {
                None
            } else {
                parsed.get_untracked()
            },
        };
        async move { api::set_expiration(&id, &request).await }
    });
    let name = user.summary.name.clone();
    let names = options.clone();
    let review = Signal::derive(move || {
        let place = label_of(&names, workspace.get());
        if clear.get() {
            return Ok(format!(
                "{name}'s account on {place} will no longer expire."
            ));
        }
        match parsed.get() {
            None => Err("Choose a date and time.".to_string()),
            Some(ts) => match too_soon(ts) {
                Some(problem) => Err(problem),
                None => Ok(format!(
                    "{name}'s account on {place} will be disabled on {} ({}).",
                    format::day_time(ts),
                    format::utc(ts)
                )),
            },
        }
    });
    let zone = format::time_zone();
    let multiple = options.len() > 1;
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <Show when=move || multiple>
                <div class="field">
                    <label for="exp-workspace">"Workspace"</label>
                    <select id="exp-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                        prop:disabled=move || !flow.editing()>
                        {option_list(options.clone(), workspace)}
                    </select>
                </div>
            </Show>
            <div class="field">
                <label for="exp-when">{format!("Disable the account on ({zone})")}</label>
                <input id="exp-when" type="datetime-local" prop:value=move || when.get()
                    aria-describedby="exp-utc"
                    on:input:target=move |ev| when.set(ev.target().value())
                    prop:disabled=move || clear.get() || !flow.editing()/>
                <p class="muted" id="exp-utc">{move || parsed.get().map(|ts| format!("That is {}.", format::utc(ts)))}</p>
                {move || flow.field_error("expires").map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || clear.get() on:change:target=move |ev| clear.set(ev.target().checked())
                    prop:disabled=move || !flow.editing()/>
                "Remove the expiration"
            </label>
            <FlowFooter flow review/>
        </form>
    }
}

/// Every workspace, and each guest's only one (the proxy picks it).
fn bulk_places(session: &Session) -> Vec<(String, String)> {
    let mut places = every_workspace(session);
    places.push((String::new(), "Each guest's only workspace".to_string()));
    places
}

/// The operation for one guest; no `workspace` means each guest's only one.
fn operation(user: String, workspace: &str, expires: Option<i64>) -> Operation {
    Operation::SetExpiration {
        user,
        workspace: (!workspace.is_empty()).then(|| workspace.to_string()),
        expires,
    }
}

/// The date the accounts are disabled on, or none.
fn bulk_fields(context: BulkContext) -> BulkFields {
    let session = expect_context::<Session>();
    let when = RwSignal::new(format::to_local_input(format::now() + DEFAULT_AHEAD));
    let clear = RwSignal::new(false);
    let expires = Signal::derive(move || format::from_local_input(&when.get()));
    let busy = context.busy;
    BulkFields {
        view: Box::new(move || {
            view! {
                <div class="field">
                    <label for="bulk-when">{format!("Disable the guest accounts on ({})", format::time_zone())}</label>
                    <input id="bulk-when" type="datetime-local" aria-describedby="bulk-when-utc"
                        prop:value=move || when.get() prop:disabled=move || clear.get() || busy.get()
                        on:input:target=move |ev| when.set(ev.target().value())/>
                    <p class="muted" id="bulk-when-utc">{move || expires.get().map(|ts| format!("That is {}.", format::utc(ts)))}</p>
                </div>
                <label class="check">
                    <input type="checkbox" prop:checked=move || clear.get() prop:disabled=busy
                        on:change:target=move |ev| clear.set(ev.target().checked())/>
                    "Remove the expiration instead"
                </label>
            }
            .into_any()
        }),
        read: Box::new(move || {
            let workspace = context.workspace.get_untracked();
            let expires = if clear.get_untracked() {
                None
            } else {
                let expires = expires
                    .get_untracked()
                    .ok_or("Choose a date and time, or remove the expiration.")?;
                if let Some(problem) = too_soon(expires) {
                    return Err(problem);
                }
                Some(expires)
            };
            let place = if workspace.is_empty() {
                "on each guest's only workspace".to_string()
            } else {
                format!("on {}", session.workspace_name(&workspace))
            };
            Ok(BulkChange {
                title: match expires {
                    Some(ts) => format!("Expire guests at {} {place}", format::utc(ts)),
                    None => format!("Remove guest expiration {place}"),
                },
                operation: Box::new(move |user| operation(user, &workspace, expires)),
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_workspace_means_each_guests_only_one() {
        assert_eq!(
            operation("W1".into(), "", Some(4_000_000_000)),
            Operation::SetExpiration {
                user: "W1".into(),
                workspace: None,
                expires: Some(4_000_000_000)
            }
        );
        assert_eq!(operation("W2".into(), "T1", None).workspace(), Some("T1"));
    }
}
