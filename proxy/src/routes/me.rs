//! The signed-in person, the connection to Slack, and the demo's role switcher.

use axum::{
    Json,
    extract::{
        Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use roster_api::{DemoRole, ErrorBody, Me, ServerStatus, StatusQuery};

use crate::{
    AppState,
    auth::DEV_ROLE_COOKIE,
    error::AppError,
    policy::{Caller, Permission},
};

/// The signed-in person, their role, permissions, workspaces and hidden fields.
#[utoipa::path(get, path = "/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    let role = &caller.role;
    Json(Me {
        email: caller.email.clone(),
        role: role.name.clone(),
        permissions: role.permissions.iter().copied().collect(),
        workspaces: match &role.workspaces {
            crate::policy::WorkspaceScope::All(_) => None,
            crate::policy::WorkspaceScope::Only(teams) => Some(teams.iter().cloned().collect()),
        },
        hidden_fields: caller.hidden_fields(),
        invite_guests_only: role.invite_guests_only,
        demo_roles: state
            .auth
            .is_dev()
            .then(|| state.roles.iter().map(|r| r.name.clone()).collect()),
    })
}

/// The connection to Slack: admin or read-only mode, the org, and the directory sync.
#[utoipa::path(get, path = "/status", tag = "session", params(StatusQuery),
    responses((status = 200, body = ServerStatus), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<StatusQuery>, QueryRejection>,
) -> Result<Json<ServerStatus>, AppError> {
    if !caller.can(Permission::UsersRead) && !caller.can(Permission::AuditRead) {
        return Err(crate::policy::Denied::Permission(Permission::UsersRead).into());
    }
    let Query(query) = query.map_err(super::bad_query)?;
    let mut status = state.status();
    status.sync = caller.sync_status(&state.directory);
    status.live.silent = state
        .silent_workspaces()
        .into_iter()
        .filter(|w| caller.covers(&w.id))
        .collect();
    if caller.can(Permission::InvitesReview) {
        status.requests_at = state
            .invite_requests
            .last_arrival(|workspace| caller.covers(workspace));
    }
    // Who changed since the page last asked (roles that read the directory).
    if caller.can(Permission::UsersRead) {
        let since = query.changes_since.unwrap_or(i64::MAX);
        let (changes, until) = super::user_changes::changed_since(&state, &caller, since);
        status.changes_until = Some(until);
        if query.changes_since.is_some() {
            match changes {
                None => status.reload = true,
                Some(changes) => status.changed = changes.into_iter().map(|c| c.id).collect(),
            }
        }
    }
    Ok(Json(status))
}

/// Demo only: switches the role the page acts with.
#[utoipa::path(post, path = "/dev/role", tag = "session", request_body = DemoRole,
    responses((status = 204, description = "Switched"), (status = 404, body = ErrorBody, description = "Not the demo"),
        (status = 422, body = ErrorBody)))]
pub async fn set_demo_role(
    State(state): State<AppState>,
    body: Result<Json<DemoRole>, JsonRejection>,
) -> Result<Response, AppError> {
    if !state.auth.is_dev() {
        return Err(AppError::NotFound("There is no such API route.".into()));
    }
    let Json(body) = body.map_err(super::bad_json)?;
    if !state.roles.iter().any(|r| r.name == body.role) {
        return Err(AppError::invalid("role", "There is no such role."));
    }
    let cookie = format!(
        "{DEV_ROLE_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
        body.role
    );
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
