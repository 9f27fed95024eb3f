//! Taking someone off a workspace.

use leptos::prelude::*;
use roster_api::{Operation, Permission, RemoveRequest, UserDetail, UserType};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind, active, every_workspace, first_value,
    form::{Flow, FlowFooter},
    label_of, option_list, workspace_options,
};
use crate::{api, session::Session};

/// Remove from a workspace.
pub static REMOVE: ChangeKind = ChangeKind {
    action: "remove",
    title: "Remove from a workspace",
    button: "Remove from a workspace",
    audit_label: "Remove from workspace",
    permission: Permission::UsersRemove,
    danger: true,
    applies_to: |u| active(u) && !u.is_primary_owner && !u.workspaces.is_empty(),
    form: |user, open| view! { <RemoveForm user open/> }.into_any(),
    bulk_places: every_workspace,
    bulk_fields,
};

/// Remove from a workspace; admins and owners need their name typed.
#[component]
fn RemoveForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let options = workspace_options(&session, &user.summary.workspaces);
    let workspace = RwSignal::new(first_value(&options));
    let privileged = matches!(user.summary.user_type, UserType::Admin | UserType::Owner);
    let typed = RwSignal::new(String::new());
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let id = id.clone();
        let request = RemoveRequest {
            workspace: workspace.get_untracked(),
        };
        async move { api::remove(&id, &request).await }
    });
    let names = options.clone();
    let expected = name.clone();
    let review = Signal::derive(move || {
        let w = workspace.get();
        if w.is_empty() {
            return Err("Choose a workspace.".to_string());
        }
        if privileged && typed.get().trim() != expected {
            return Err(format!(
                "Type {expected} exactly to confirm removing an admin or owner."
            ));
        }
        let place = label_of(&names, w);
        Ok(format!(
            "{expected} will be removed from {place} and lose access to its channels."
        ))
    });
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <div class="field">
                <label for="remove-workspace">"Workspace"</label>
                <select id="remove-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                    prop:disabled=move || !flow.editing()>
                    {option_list(options, workspace)}
                </select>
                {move || flow.field_error("workspace").map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            {privileged.then(|| view! {
                <div class="field">
                    <label for="remove-confirm">{format!("{name} is an admin or owner. Type their name to confirm:")}</label>
                    <input id="remove-confirm" type="text" autocomplete="off" prop:value=move || typed.get()
                        on:input:target=move |ev| typed.set(ev.target().value())
                        prop:disabled=move || !flow.editing()/>
                </div>
            })}
            <FlowFooter flow review danger=REMOVE.danger/>
        </form>
    }
}

/// Nothing but the workspace.
fn bulk_fields(context: BulkContext) -> BulkFields {
    let session = expect_context::<Session>();
    BulkFields {
        view: Box::new(|| ().into_any()),
        read: Box::new(move || {
            let workspace = context.workspace.get_untracked();
            if workspace.is_empty() {
                return Err("Choose a workspace.".into());
            }
            Ok(BulkChange {
                title: format!("Remove from {}", session.workspace_name(&workspace)),
                operation: Box::new(move |user| Operation::Remove {
                    user,
                    workspace: workspace.clone(),
                }),
            })
        }),
    }
}
