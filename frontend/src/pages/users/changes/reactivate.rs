//! Reactivation: bringing a deactivated account back, optionally with a new address.

use leptos::prelude::*;
use roster_api::{Field, Operation, Permission, UserDetail, UserStatus};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind,
    form::{Flow, FlowFooter},
    offboard::whole_org,
};
use crate::{api, session::Session};

/// Reactivate.
pub static REACTIVATE: ChangeKind = ChangeKind {
    action: "reactivate",
    title: "Reactivate",
    button: "Reactivate",
    audit_label: "Reactivate",
    permission: Permission::UsersReactivate,
    danger: false,
    applies_to: |u| u.status == UserStatus::Deactivated,
    form: |user, open| view! { <ReactivateForm user open/> }.into_any(),
    bulk_places: whole_org,
    bulk_fields,
};

/// Reactivate, and optionally change the address they sign in with.
#[component]
fn ReactivateForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let sees_email = !session.hides(Field::Email);
    let email = RwSignal::new(String::new());
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let new = email.get_untracked().trim().to_string();
        let operation = Operation::Reactivate {
            user: id.clone(),
            email: (!new.is_empty()).then_some(new),
        };
        async move { api::change(&operation).await }
    });
    let review = Signal::derive(move || {
        let new = email.get();
        let new = new.trim();
        let address = if new.is_empty() {
            String::new()
        } else {
            format!(" Their address becomes {new}.")
        };
        Ok(format!(
            "{name} will be active again on the workspaces they were on when deactivated, and \
             can sign in.{address} They are not put back in their channels."
        ))
    });
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <div class="field">
                <label for="reactivate-email">"New email address (optional)"</label>
                <input id="reactivate-email" type="email" autocomplete="off" placeholder="Leave empty to keep it"
                    prop:value=move || email.get() on:input:target=move |ev| email.set(ev.target().value())
                    aria-describedby="reactivate-email-hint" prop:disabled=move || !flow.editing()/>
                <p class="hint" id="reactivate-email-hint">{if sees_email {
                    "For someone who comes back with a different address."
                } else {
                    "Your role does not show addresses; the current one is kept unless you type a new one."
                }}</p>
                {move || flow.field_error("email").map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            <FlowFooter flow review/>
        </form>
    }
}

/// Nothing to choose.
fn bulk_fields(context: BulkContext) -> BulkFields {
    BulkFields {
        view: Box::new(|| ().into_any()),
        read: Box::new(move || {
            if context.workspace.get_untracked().is_empty() {
                return Err("Only a role that covers every workspace can reactivate.".into());
            }
            Ok(BulkChange {
                title: "Reactivate".into(),
                operation: Box::new(|user| Operation::Reactivate { user, email: None }),
            })
        }),
    }
}
