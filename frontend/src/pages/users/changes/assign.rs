//! Adding someone to another workspace, with channels to join there.

use leptos::prelude::*;
use roster_api::{AssignRequest, Channel, Operation, Permission, UserDetail, UserType};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind, active, every_workspace, first_value,
    form::{Flow, FlowFooter},
    label_of, option_list,
};
use crate::{api, components::ChannelPicker, session::Session};

/// Add to a workspace.
pub static ASSIGN: ChangeKind = ChangeKind {
    action: "assign",
    title: "Add to a workspace",
    button: "Add to a workspace",
    audit_label: "Add to workspace",
    permission: Permission::UsersAssign,
    danger: false,
    applies_to: |u| active(u) && u.user_type != UserType::Bot,
    form: |user, open| view! { <AssignForm user open/> }.into_any(),
    bulk_places: every_workspace,
    bulk_fields,
};

/// " and join #a, #b", or nothing without channels.
fn joining(channels: &[Channel]) -> String {
    if channels.is_empty() {
        return String::new();
    }
    let names: Vec<String> = channels.iter().map(|c| format!("#{}", c.name)).collect();
    format!(" and join {}", names.join(", "))
}

/// Add to another workspace, with channels.
#[component]
fn AssignForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let options: Vec<(String, String)> = every_workspace(&session)
        .into_iter()
        .filter(|(id, _)| !user.summary.is_on(id))
        .collect();
    let workspace = RwSignal::new(first_value(&options));
    let channels = RwSignal::new(Vec::<Channel>::new());
    let single = user.summary.user_type == UserType::SingleChannelGuest;
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let id = id.clone();
        let request = AssignRequest {
            workspace: workspace.get_untracked(),
            channels: channels.get_untracked().into_iter().map(|c| c.id).collect(),
        };
        async move { api::assign(&id, &request).await }
    });
    let names = options.clone();
    let review = Signal::derive(move || {
        let w = workspace.get();
        if w.is_empty() {
            return Err("Choose a workspace.".to_string());
        }
        let picked = channels.get();
        if single && picked.len() != 1 {
            return Err("A single-channel guest needs exactly one channel.".to_string());
        }
        let place = label_of(&names, w);
        Ok(format!(
            "{name} will be added to {place}{}.",
            joining(&picked)
        ))
    });
    let empty = options.is_empty();
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            {empty.then(|| view! { <p class="muted">"This person is already on every workspace you look after."</p> })}
            <div class="field">
                <label for="assign-workspace">"Workspace"</label>
                <select id="assign-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                    prop:disabled=move || !flow.editing()>
                    {option_list(options, workspace)}
                </select>
                {move || flow.field_error("workspace").map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            <div class="field">
                <label for="assign-channels">{if single { "Channel (exactly one)" } else { "Channels (optional)" }}</label>
                <ChannelPicker workspace=workspace selected=channels single=single input_id="assign-channels"
                    error=Signal::derive(move || flow.field_error("channels"))/>
            </div>
            <FlowFooter flow review/>
        </form>
    }
}

/// Channels to join on the workspace (optional).
fn bulk_fields(context: BulkContext) -> BulkFields {
    let session = expect_context::<Session>();
    let workspace = context.workspace;
    let channels = RwSignal::new(Vec::<Channel>::new());
    // Channels belong to their workspace: another one (or another kind, which chooses its
    // own workspace) starts with none.
    Effect::new(move |previous: Option<String>| {
        let chosen = workspace.get();
        if previous.is_some_and(|p| p != chosen) {
            channels.set(Vec::new());
        }
        chosen
    });
    BulkFields {
        view: Box::new(move || {
            view! {
                <div class="field">
                    <label for="bulk-channels">"Channels (optional)"</label>
                    <ChannelPicker workspace=workspace selected=channels single=false input_id="bulk-channels"
                        error=Signal::derive(|| None::<String>)/>
                </div>
            }
            .into_any()
        }),
        read: Box::new(move || {
            let workspace = workspace.get_untracked();
            if workspace.is_empty() {
                return Err("Choose a workspace.".into());
            }
            let channels: Vec<String> =
                channels.get_untracked().into_iter().map(|c| c.id).collect();
            Ok(BulkChange {
                title: format!("Add to {}", session.workspace_name(&workspace)),
                operation: Box::new(move |user| Operation::Assign {
                    user,
                    workspace: workspace.clone(),
                    channels: channels.clone(),
                }),
            })
        }),
    }
}
