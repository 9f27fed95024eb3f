//! Offboarding: deactivating someone on the whole org, which ends every session at once.

use leptos::prelude::*;
use roster_api::{ORG_WIDE, Operation, Permission, UserDetail, UserStatus, UserType};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind,
    form::{Flow, FlowFooter},
};
use crate::{api, format, session::Session};

/// Offboard.
pub static OFFBOARD: ChangeKind = ChangeKind {
    action: "offboard",
    title: "Offboard (deactivate everywhere)",
    button: "Offboard",
    audit_label: "Offboard",
    permission: Permission::UsersDeactivate,
    danger: true,
    applies_to: |u| {
        u.status != UserStatus::Deactivated && !u.is_primary_owner && u.user_type != UserType::Bot
    },
    form: |user, open| view! { <OffboardForm user open/> }.into_any(),
    bulk_places: whole_org,
    bulk_fields,
};

/// The whole org, for a role that covers every workspace (no other may offboard).
pub(super) fn whole_org(session: &Session) -> Vec<(String, String)> {
    if session.covers_every_workspace() {
        vec![(
            ORG_WIDE.to_string(),
            "Every workspace of the org".to_string(),
        )]
    } else {
        Vec::new()
    }
}

/// Deactivate everywhere; owners and admins need their name typed.
#[component]
fn OffboardForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let privileged = matches!(user.summary.user_type, UserType::Admin | UserType::Owner);
    let typed = RwSignal::new(String::new());
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let session = expect_context::<Session>();
    let names: Vec<String> = user
        .memberships
        .iter()
        .map(|m| session.workspace_name(&m.workspace))
        .collect();
    let places = match names.as_slice() {
        [] => "the workspaces your role does not show".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let expirations = user
        .memberships
        .iter()
        .filter(|m| m.expires.is_some())
        .count();
    let expirations = if expirations > 0 {
        format!(
            " The guest {} set there no longer apply.",
            format::count(expirations, "expiration", "expirations")
        )
    } else {
        String::new()
    };
    let flow = Flow::new(open, move || {
        let operation = Operation::Offboard { user: id.clone() };
        async move { api::change(&operation).await }
    });
    let expected = name.clone();
    let review = Signal::derive(move || {
        if privileged && typed.get().trim() != expected {
            return Err(format!(
                "Type {expected} exactly to confirm offboarding an admin or owner."
            ));
        }
        Ok(format!(
            "{expected} will be deactivated on every workspace of the org, and leave {places}: \
             signed out of every device at once and unable to sign in.{expirations} Their \
             messages and files stay, and the account can be reactivated later."
        ))
    });
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <p>"For someone who has left: their account is deactivated on the whole org, which ends every session on every device now."</p>
            {privileged.then(|| view! {
                <div class="field">
                    <label for="offboard-confirm">{format!("{name} is an admin or owner. Type their name to confirm:")}</label>
                    <input id="offboard-confirm" type="text" autocomplete="off" prop:value=move || typed.get()
                        on:input:target=move |ev| typed.set(ev.target().value())
                        prop:disabled=move || !flow.editing()/>
                </div>
            })}
            <FlowFooter flow review danger=OFFBOARD.danger/>
        </form>
    }
}

/// Nothing to choose.
fn bulk_fields(context: BulkContext) -> BulkFields {
    BulkFields {
        view: Box::new(|| ().into_any()),
        read: Box::new(move || {
            if context.workspace.get_untracked().is_empty() {
                return Err("Only a role that covers every workspace can offboard.".into());
            }
            Ok(BulkChange {
                title: "Offboard".into(),
                operation: Box::new(|user| Operation::Offboard { user }),
            })
        }),
    }
}
