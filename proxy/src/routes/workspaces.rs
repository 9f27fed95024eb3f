//! Workspaces and their channels, for filters and pickers.

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use roster_api::{Channel, ErrorBody, Mode, Workspace};
use serde::Deserialize;
use serde_json::Value;

use crate::{
    AppState,
    error::AppError,
    policy::{Caller, Denied, Permission},
    slack::SlackMethod,
};

/// The workspaces the role covers, by name.
#[utoipa::path(get, path = "/workspaces", tag = "workspaces",
    responses((status = 200, body = Vec<Workspace>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Workspace>>, AppError> {
    if !caller.can(Permission::UsersRead) {
        return Err(Denied::Permission(Permission::UsersRead).into());
    }
    let mut workspaces = state.directory.workspaces();
    workspaces.retain(|w| caller.covers(&w.id));
    Ok(Json(workspaces))
}

/// `?q=` of the channel picker.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// Part of the channel name.
    #[serde(default)]
    q: Option<String>,
}

/// Channels of a workspace whose name contains `q` (up to 20), for the invite and assign
/// forms. Archived channels are left out.
#[utoipa::path(get, path = "/workspaces/{id}/channels", tag = "workspaces",
    params(("id" = String, Path, description = "Team ID"), ChannelQuery),
    responses((status = 200, body = Vec<Channel>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn channels(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    query: Result<Query<ChannelQuery>, QueryRejection>,
) -> Result<Json<Vec<Channel>>, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    if !caller.can(Permission::UsersRead) {
        return Err(Denied::Permission(Permission::UsersRead).into());
    }
    // Scope first: outside the role's workspaces, one answer whether the workspace exists.
    if !caller.covers(&id) {
        return Err(Denied::Workspace(id).into());
    }
    if !state.directory.has_workspace(&id) {
        return Err(AppError::NotFound(
            "There is no such workspace in the org.".into(),
        ));
    }
    if state.connection.mode != Mode::Admin {
        return Err(AppError::ReadOnly(
            state.connection.reason.clone().unwrap_or_default(),
        ));
    }
    let mut params = vec![
        ("team_ids", id.clone()),
        ("limit", roster_api::CHANNEL_SEARCH_LIMIT.to_string()),
        (
            "search_channel_types",
            "public,private,exclude_archived".to_string(),
        ),
        ("sort", "name".to_string()),
    ];
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        params.push(("query", q.to_lowercase()));
    }
    let reply = state
        .slack
        .call(SlackMethod::AdminConversationsSearch, &params)
        .await?;
    let channels = reply
        .get("conversations")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    Some(Channel {
                        id: c.get("id")?.as_str()?.to_string(),
                        name: c.get("name")?.as_str()?.to_string(),
                        workspace: Some(id.clone()),
                        is_private: c
                            .get("is_private")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        is_archived: c
                            .get("is_archived")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        member_count: c.get("member_count").and_then(Value::as_u64),
                    })
                })
                .filter(|c| !c.is_archived)
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(channels))
}
