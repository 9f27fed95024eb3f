//! Changes to users as single actions: each route makes its change and hands it to the
//! runner (see `crate::changes`).

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
    http::HeaderMap,
};
use roster_api::{
    ActionResult, AssignRequest, ErrorBody, ExpirationRequest, Expirations, InviteRequest,
    Operation, RemoveRequest, RoleRequest, UserType, WorkspaceExpiration,
};

use crate::{
    AppState,
    changes::{self, Assign, Change, Invite, Pace, Remove, Runner, SetExpiration, SetRole},
    error::AppError,
    middleware::request_id,
    policy::{Caller, Denied, Field, Permission},
    slack::methods::AdminUsersGetExpiration,
};

/// Makes `change` as the caller, now.
async fn run<C: Change>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    change: C,
) -> Result<Json<ActionResult>, AppError> {
    let runner = Runner {
        state,
        caller,
        request_id: request_id(headers),
        pace: Pace::Person,
        guard: None,
    };
    let done = runner.run(&change).await?;
    Ok(Json(runner.answer(done)))
}

/// Makes any one change now, as the caller: the same operation a job row holds. Every kind
/// of change is reachable here; the routes below are the same changes under their own paths.
#[utoipa::path(post, path = "/changes", tag = "users", request_body = Operation,
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Roster cannot record changes right now")))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<Operation>, JsonRejection>,
) -> Result<Json<ActionResult>, AppError> {
    let Json(operation) = body.map_err(super::bad_json)?;
    let runner = Runner {
        state: &state,
        caller: &caller,
        request_id: request_id(&headers),
        pace: Pace::Person,
        guard: None,
    };
    let done = changes::of(operation).run(&runner).await?;
    Ok(Json(runner.answer(done)))
}

/// Invites an email to a workspace (as a member or a guest).
#[utoipa::path(post, path = "/users/invite", tag = "users", request_body = InviteRequest,
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Read-only mode"), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody, description = "Slack refused, or the outcome is unknown")))]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<InviteRequest>, JsonRejection>,
) -> Result<Json<ActionResult>, AppError> {
    let Json(body) = body.map_err(super::bad_json)?;
    run(&state, &caller, &headers, Invite(body)).await
}

/// Adds a user to another workspace.
#[utoipa::path(post, path = "/users/{id}/assign", tag = "users", request_body = AssignRequest,
    params(("id" = String, Path, description = "Slack user ID")),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<AssignRequest>, JsonRejection>,
) -> Result<Json<ActionResult>, AppError> {
    let Json(body) = body.map_err(super::bad_json)?;
    let change = Assign {
        user: id,
        workspace: body.workspace,
        channels: body.channels,
    };
    run(&state, &caller, &headers, change).await
}

/// Takes a user off a workspace.
#[utoipa::path(post, path = "/users/{id}/remove", tag = "users", request_body = RemoveRequest,
    params(("id" = String, Path, description = "Slack user ID")),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<RemoveRequest>, JsonRejection>,
) -> Result<Json<ActionResult>, AppError> {
    let Json(body) = body.map_err(super::bad_json)?;
    let change = Remove {
        user: id,
        workspace: body.workspace,
    };
    run(&state, &caller, &headers, change).await
}

/// Makes a user an admin, an owner or a regular member, on one workspace or org-wide.
#[utoipa::path(post, path = "/users/{id}/role", tag = "users", request_body = RoleRequest,
    params(("id" = String, Path, description = "Slack user ID")),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<RoleRequest>, JsonRejection>,
) -> Result<Json<ActionResult>, AppError> {
    let Json(body) = body.map_err(super::bad_json)?;
    let change = SetRole {
        user: id,
        workspace: body.workspace,
        role: body.role,
    };
    run(&state, &caller, &headers, change).await
}

/// Sets or clears a guest's expiration on a workspace.
#[utoipa::path(post, path = "/users/{id}/expiration", tag = "users", request_body = ExpirationRequest,
    params(("id" = String, Path, description = "Slack user ID")),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn set_expiration(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ExpirationRequest>, JsonRejection>,
) -> Result<Json<ActionResult>, AppError> {
    let Json(body) = body.map_err(super::bad_json)?;
    let change = SetExpiration {
        user: id,
        workspace: body.workspace,
        expires: body.expires,
        extend_days: body.extend_days,
    };
    run(&state, &caller, &headers, change).await
}

/// A guest's expiration on each workspace (in the role's scope), read from Slack.
#[utoipa::path(get, path = "/users/{id}/expiration", tag = "users",
    params(("id" = String, Path, description = "Slack user ID")),
    responses((status = 200, body = Expirations), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn get_expiration(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Expirations>, AppError> {
    if !caller.can(Permission::UsersRead) {
        return Err(Denied::Permission(Permission::UsersRead).into());
    }
    if caller.hides(Field::Expires) {
        return Err(Denied::Field(Field::Expires.as_str()).into());
    }
    let user = caller.user(&state.directory, &id)?;
    if !matches!(
        user.summary.user_type,
        UserType::MultiChannelGuest | UserType::SingleChannelGuest
    ) {
        return Err(AppError::invalid(
            "id",
            crate::slack::messages::describe("user_is_not_guest"),
        ));
    }
    let mut expirations = Vec::new();
    for m in &user.memberships {
        let reply = state
            .slack
            .send(&AdminUsersGetExpiration {
                user_id: id.clone(),
                target_team: m.workspace.to_string(),
            })
            .await?;
        expirations.push(WorkspaceExpiration {
            workspace: m.workspace.to_string(),
            expires: reply.expires(),
        });
    }
    Ok(Json(Expirations {
        user: id,
        expirations,
    }))
}
