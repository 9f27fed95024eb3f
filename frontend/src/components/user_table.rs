//! The users table.

use std::collections::HashMap;

use leptos::prelude::*;
use roster_api::{UserStatus, UserSummary};

/// A table of users; `workspace_names` maps team IDs to names.
#[component]
pub fn UserTable(
    users: Vec<UserSummary>,
    workspace_names: HashMap<String, String>,
) -> impl IntoView {
    let rows = users
        .into_iter()
        .map(|user| {
            let mut workspaces: Vec<String> = user
                .workspaces
                .iter()
                .map(|id| workspace_names.get(id).cloned().unwrap_or_else(|| id.clone()))
                .collect();
            workspaces.sort();
            let workspaces = workspaces.join(", ");
            let status_class = match user.status {
                UserStatus::Active => "badge badge-active",
                UserStatus::Deactivated => "badge badge-deactivated",
                UserStatus::Pending => "badge badge-pending",
            };
            let type_label = if user.is_primary_owner { "Primary owner" } else { user.user_type.label() };
            view! {
                <tr data-user-id=user.id.clone()>
                    <td class="col-name">
                        <span class="name">{user.name}</span>
                        <span class="username">"@"{user.username}</span>
                    </td>
                    <td class="col-email">{user.email.unwrap_or_default()}</td>
                    <td class="col-type">{type_label}</td>
                    <td class="col-workspaces">{workspaces}</td>
                    <td class="col-status"><span class=status_class>{user.status.label()}</span></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="users">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Workspaces"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
