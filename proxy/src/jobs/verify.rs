//! Whether an operation with an unknown outcome happened, asked of Slack itself, so it is
//! never repeated blindly.
//!
//! - invite: `users.lookupByEmail` finds the person on the workspace;
//! - assign / remove: `users.info` lists (or no longer lists) the workspace among the
//!   person's `enterprise_user.teams`;
//! - role on a workspace: the person's entry in `admin.users.list` for that workspace;
//!   org-wide: `enterprise_user.is_admin` / `is_owner` from `users.info`;
//! - expiration: `admin.users.getExpiration` on the workspace.

use roster_api::{AuditOutcome, InviteRequest, Operation, Role, WorkspaceRole};
use serde_json::{Map, Value, json};

use super::store::OpRow;
use crate::{
    AppState,
    audit::Intent,
    directory::Change,
    error::AppError,
    policy::Caller,
    slack::{SlackError, SlackMethod, next_cursor},
};

fn teams(user: &Value) -> Vec<String> {
    user.pointer("/enterprise_user/teams")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

async fn user_info(state: &AppState, id: &str) -> Result<Option<Value>, SlackError> {
    match state
        .slack
        .call(SlackMethod::UsersInfo, &[("user", id.to_string())])
        .await
    {
        Ok(reply) => Ok(reply.get("user").cloned()),
        Err(SlackError::Api { code, .. }) if code == "user_not_found" => Ok(None),
        Err(e) => Err(e),
    }
}

/// The workspace a set-expiration operation acts on (the guest's only one when unnamed).
fn expiration_workspace(state: &AppState, user: &str, workspace: Option<&str>) -> Option<String> {
    workspace.map(str::to_string).or_else(|| {
        state
            .directory
            .get(user)
            .filter(|u| u.summary.workspaces.len() == 1)
            .map(|u| u.summary.workspaces[0].clone())
    })
}

/// The person's row in `admin.users.list` for `team`.
async fn listed_on(
    state: &AppState,
    team: &str,
    user: &str,
) -> Result<Option<Map<String, Value>>, SlackError> {
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("team_id", team.to_string()), ("limit", "1000".to_string())];
        if let Some(c) = &cursor {
            params.push(("cursor", c.clone()));
        }
        let reply = state
            .slack
            .call(SlackMethod::AdminUsersList, &params)
            .await?;
        if let Some(found) = reply
            .get("users")
            .and_then(Value::as_array)
            .and_then(|users| {
                users
                    .iter()
                    .find(|u| u.get("id").and_then(Value::as_str) == Some(user))
            })
            .and_then(Value::as_object)
        {
            return Ok(Some(found.clone()));
        }
        match next_cursor(&reply) {
            Some(next) => cursor = Some(next),
            None => return Ok(None),
        }
    }
}

fn flag(v: &Map<String, Value>, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Whether Slack shows `op` as done.
pub async fn happened(state: &AppState, op: &Operation) -> Result<bool, SlackError> {
    match op {
        Operation::Invite(request) => {
            let email = request.email.trim().to_lowercase();
            match state
                .slack
                .call(SlackMethod::UsersLookupByEmail, &[("email", email)])
                .await
            {
                Ok(reply) => Ok(reply
                    .get("user")
                    .is_some_and(|u| teams(u).contains(&request.workspace))),
                Err(SlackError::Api { code, .. }) if code == "users_not_found" => Ok(false),
                Err(e) => Err(e),
            }
        }
        Operation::Assign {
            user, workspace, ..
        } => Ok(user_info(state, user)
            .await?
            .is_some_and(|u| teams(&u).contains(workspace))),
        Operation::Remove { user, workspace } => Ok(user_info(state, user)
            .await?
            .is_none_or(|u| !teams(&u).contains(workspace))),
        Operation::SetRole {
            user,
            workspace,
            role,
        } if workspace == roster_api::ORG_WIDE => {
            let Some(u) = user_info(state, user).await? else {
                return Ok(false);
            };
            let org = u
                .get("enterprise_user")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            Ok(match role {
                Role::Owner => flag(&org, "is_owner"),
                Role::Admin => flag(&org, "is_admin") && !flag(&org, "is_owner"),
                Role::Regular => !flag(&org, "is_admin"),
            })
        }
        Operation::SetRole {
            user,
            workspace,
            role,
        } => {
            let Some(entry) = listed_on(state, workspace, user).await? else {
                return Ok(false);
            };
            Ok(match role {
                Role::Owner => flag(&entry, "is_owner"),
                Role::Admin => flag(&entry, "is_admin") && !flag(&entry, "is_owner"),
                Role::Regular => !flag(&entry, "is_admin"),
            })
        }
        Operation::SetExpiration {
            user,
            workspace,
            expires,
        } => {
            let Some(team) = expiration_workspace(state, user, workspace.as_deref()) else {
                return Ok(false);
            };
            let reply = state
                .slack
                .call(
                    SlackMethod::AdminUsersGetExpiration,
                    &[("user_id", user.clone()), ("team_id", team)],
                )
                .await?;
            let now = reply
                .get("expiration_ts")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            Ok(now == expires.unwrap_or(0))
        }
    }
}

/// An unknown operation turned out done: the directory learns it, and the audit log gets a
/// row saying so. Returns the operation's message.
pub async fn record_done(
    state: &AppState,
    caller: Option<&Caller>,
    job: i64,
    op: &OpRow,
) -> Result<String, AppError> {
    let dir = &state.directory;
    match &op.operation {
        Operation::Invite(request) => {
            let request: &InviteRequest = request;
            crate::actions::read_back_invite(state, request, &request.email.trim().to_lowercase())
                .await;
        }
        Operation::Assign {
            user, workspace, ..
        } => {
            // The same role the assign action records.
            let role = crate::actions::guest_role(
                dir.get(user)
                    .and_then(|u| crate::actions::guest_of(u.summary.user_type)),
            );
            dir.apply(
                user,
                Change::Assigned {
                    workspace: workspace.clone(),
                    role,
                },
            );
        }
        Operation::Remove { user, workspace } => {
            dir.apply(
                user,
                Change::Removed {
                    workspace: workspace.clone(),
                },
            );
        }
        Operation::SetRole {
            user,
            workspace,
            role,
        } => {
            let role = match role {
                Role::Admin => WorkspaceRole::Admin,
                Role::Owner => WorkspaceRole::Owner,
                Role::Regular => WorkspaceRole::Member,
            };
            dir.apply(
                user,
                Change::Role {
                    workspace: (workspace != roster_api::ORG_WIDE).then(|| workspace.clone()),
                    role,
                },
            );
        }
        Operation::SetExpiration {
            user,
            workspace,
            expires,
        } => {
            if let Some(team) = expiration_workspace(state, user, workspace.as_deref()) {
                dir.apply(
                    user,
                    Change::Expiration {
                        workspace: team,
                        expires: *expires,
                    },
                );
            }
        }
    }
    let message = format!(
        "Slack did not confirm this at first; checked with Slack afterwards: it was done ({}).",
        op.operation.label().to_lowercase()
    );
    if let Some(caller) = caller {
        let request_id = format!("job-{job}-{}-check", op.index + 1);
        let id = state
            .audit
            .intent(&Intent {
                request_id: &request_id,
                caller,
                action: "check_outcome",
                target_user: Some(op.operation.target()),
                workspace: op.operation.workspace(),
                params: json!({ "job": job, "row": op.index + 1, "operation": op.operation.kind() }),
            })
            .await?;
        state
            .audit
            .outcome(id, AuditOutcome::Ok, None, &message)
            .await?;
    }
    Ok(message)
}
