//! Changing someone's role on one workspace or across the whole org.

use leptos::prelude::*;
use roster_api::{
    ORG_WIDE, Operation, Permission, Role, RoleRequest, UserDetail, UserSummary, UserType,
};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind, active, every_workspace, first_value,
    form::{Flow, FlowFooter},
    label_of, option_list, workspace_options,
};
use crate::{api, session::Session};

/// Change role.
pub static SET_ROLE: ChangeKind = ChangeKind {
    action: "set_role",
    title: "Change role",
    button: "Change role",
    audit_label: "Change role",
    permission: Permission::UsersSetRole,
    danger: false,
    applies_to: |u| active(u) && u.user_type != UserType::Bot && !u.is_primary_owner,
    form: |user, open| view! { <RoleForm user open/> }.into_any(),
    bulk_places,
    bulk_fields,
};

/// The roles, as the radio buttons name them.
const ROLES: [(Role, &str); 3] = [
    (Role::Admin, "Admin"),
    (Role::Owner, "Owner"),
    (Role::Regular, "Regular member"),
];

/// What a role is called in a sentence ("an admin").
fn a_role(role: Role) -> &'static str {
    match role {
        Role::Admin => "an admin",
        Role::Owner => "an owner",
        Role::Regular => "a regular member",
    }
}

/// Where a role applies, in a sentence: "across the whole org" or "on Engineering".
fn place(workspace: &str, name: String) -> String {
    if workspace == ORG_WIDE {
        "across the whole org".to_string()
    } else {
        format!("on {name}")
    }
}

fn is_guest(user: &UserSummary) -> bool {
    matches!(
        user.user_type,
        UserType::MultiChannelGuest | UserType::SingleChannelGuest
    )
}

/// Change role on one workspace or org-wide.
#[component]
fn RoleForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let mut options = workspace_options(&session, &user.summary.workspaces);
    options.retain(|(id, _)| {
        session
            .me()
            .is_some_and(|m| m.workspaces.as_ref().is_none_or(|w| w.contains(id)))
    });
    if session.covers_every_workspace() {
        options.insert(0, (ORG_WIDE.to_string(), "The whole org".to_string()));
    }
    // A person on one workspace is changed there unless the whole org is chosen.
    let on_one: Vec<&(String, String)> = options.iter().filter(|(id, _)| id != ORG_WIDE).collect();
    let workspace = RwSignal::new(match on_one.as_slice() {
        [(only, _)] => only.clone(),
        _ => first_value(&options),
    });
    // Their role now, on each workspace the role covers.
    let now = user
        .memberships
        .iter()
        .filter(|m| options.iter().any(|(id, _)| **id == *m.workspace))
        .map(|m| {
            format!(
                "{} on {}",
                m.role.label(),
                session.workspace_name(&m.workspace)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let guest = is_guest(&user.summary);
    let role = RwSignal::new(if guest { Role::Regular } else { Role::Admin });
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let id = id.clone();
        let request = RoleRequest {
            workspace: workspace.get_untracked(),
            role: role.get_untracked(),
        };
        async move { api::set_role(&id, &request).await }
    });
    let names = options.clone();
    let review = Signal::derive(move || {
        let w = workspace.get();
        if w.is_empty() {
            return Err("Choose where the role applies.".to_string());
        }
        let place = place(&w, label_of(&names, w.clone()));
        Ok(format!(
            "{name} will become {} {place}.",
            a_role(role.get())
        ))
    });
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <p data-testid="role-now"><strong>{user.summary.name.clone()}</strong>" is now: "{now}"."</p>
            {guest.then(|| view! { <p class="muted">"Guests must become regular members before they can be admins or owners."</p> })}
            <div class="field">
                <label for="role-workspace">"Where"</label>
                <select id="role-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                    aria-describedby="role-workspace-error" prop:disabled=move || !flow.editing()>
                    {option_list(options, workspace)}
                </select>
                {move || flow.field_error("workspace").map(|e| view! { <p class="field-error" id="role-workspace-error">{e}</p> })}
            </div>
            <fieldset class="field" prop:disabled=move || !flow.editing()>
                <legend>"New role"</legend>
                {ROLES.into_iter().filter(|(r, _)| !guest || *r == Role::Regular).map(|(r, label)| view! {
                    <label class="check">
                        <input type="radio" name="role" value=r.as_str() prop:checked=move || role.get() == r
                            on:change=move |_| role.set(r)/>
                        {label}
                    </label>
                }).collect_view()}
                {move || flow.field_error("role").map(|e| view! { <p class="field-error">{e}</p> })}
            </fieldset>
            <FlowFooter flow review/>
        </form>
    }
}

/// Every workspace, and the whole org for a role that covers it.
fn bulk_places(session: &Session) -> Vec<(String, String)> {
    let mut places = every_workspace(session);
    if session.covers_every_workspace() {
        places.insert(0, (ORG_WIDE.to_string(), "The whole org".to_string()));
    }
    places
}

/// The new role.
fn bulk_fields(context: BulkContext) -> BulkFields {
    let session = expect_context::<Session>();
    let role = RwSignal::new(Role::Admin);
    let busy = context.busy;
    BulkFields {
        view: Box::new(move || {
            view! {
                <fieldset class="field" prop:disabled=busy>
                    <legend>"New role"</legend>
                    {ROLES.into_iter().map(|(r, label)| view! {
                        <label class="check">
                            <input type="radio" name="bulk-role" prop:checked=move || role.get() == r on:change=move |_| role.set(r)/>
                            {label}
                        </label>
                    }).collect_view()}
                    <p class="muted">"Guests must become regular members before they can be admins or owners."</p>
                </fieldset>
            }
            .into_any()
        }),
        read: Box::new(move || {
            let workspace = context.workspace.get_untracked();
            if workspace.is_empty() {
                return Err("Choose a workspace.".into());
            }
            let role = role.get_untracked();
            let place = place(&workspace, session.workspace_name(&workspace));
            Ok(BulkChange {
                title: format!("Make {} {place}", role.label()),
                operation: Box::new(move |user| Operation::SetRole {
                    user,
                    workspace: workspace.clone(),
                    role,
                }),
            })
        }),
    }
}
