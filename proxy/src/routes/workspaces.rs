//! Workspaces and their channels, for filters and pickers.

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use roster_api::{Channel, ErrorBody, Mode, Workspace};
use serde::Deserialize;

use crate::{
    AppState,
    error::AppError,
    policy::{Caller, Denied, Permission},
    slack::methods::AdminConversationsSearch,
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
    let search = AdminConversationsSearch {
        team_ids: id.clone(),
        limit: roster_api::CHANNEL_SEARCH_LIMIT,
        search_channel_types: "public,private,exclude_archived".into(),
        sort: "name".into(),
        query: query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase),
    };
    let reply = state.slack.send(&search).await?;
    let channels = reply
        .conversations
        .into_iter()
        .filter(|c| !c.is_archived)
        .filter_map(|c| {
            Some(Channel {
                id: c.id?,
                name: c.name?,
                workspace: Some(id.clone()),
                is_private: c.is_private,
                is_archived: false,
                member_count: c.member_count,
            })
        })
        .collect();
    Ok(Json(channels))
}
