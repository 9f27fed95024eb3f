//! A person's sessions (`GET /api/users/{id}/sessions`) and the requests for invitations
//! (`GET /api/invite-requests`): what the help desk reads before signing someone out or
//! answering a request.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use roster_api::{
    ErrorBody, InviteRequestInfo, InviteRequestList, InviteRequestQuery, RequestState, Requester,
    SessionInfo, Sessions,
};

use crate::{
    AppState,
    audit::Handled,
    changes::{device_of, guest_type, sessions_on},
    error::AppError,
    policy::{Caller, Denied, Field, Permission},
    slack::{
        SlackError,
        methods::{AdminUsersSessionGetSettings, HandledRequest, InviteRequestObject},
    },
};

/// A person's active sessions on the workspaces the role covers (every page, each
/// workspace asked concurrently), and their own session duration for a role with
/// `users.session_settings`. The addresses a session signed in from are shown only with
/// `users.read_sensitive`.
#[utoipa::path(get, path = "/users/{id}/sessions", tag = "users",
    params(("id" = String, Path, description = "Slack user ID")),
    responses((status = 200, body = Sessions), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Sessions>, AppError> {
    if !caller.can(Permission::UsersSessions) {
        return Err(Denied::Permission(Permission::UsersSessions).into());
    }
    // The person as the role sees them: only their memberships on its workspaces.
    let user = caller.user(&state.directory, &id)?;
    let listings = futures_util::future::join_all(
        user.summary
            .workspaces
            .iter()
            .map(|w| async { (w.clone(), sessions_on(&state, &id, w).await) }),
    );
    let settings = async {
        if caller.can(Permission::UsersSessionSettings) {
            Some(
                state
                    .slack
                    .send(&AdminUsersSessionGetSettings {
                        user_ids: id.clone(),
                    })
                    .await,
            )
        } else {
            None
        }
    };
    let (listings, settings) = tokio::join!(listings, settings);
    // Not asked for now, to keep within Slack's pace: the whole answer says when to come
    // back, rather than a list that looks complete.
    if let Some(paced) = listings
        .iter()
        .filter_map(|(_, listing)| listing.as_ref().err())
        .chain(settings.as_ref().and_then(|s| s.as_ref().err()))
        .find(|e| matches!(e, SlackError::Paced { .. }))
    {
        return Err(AppError::Slack(paced.clone()));
    }
    let sensitive = caller.can(Permission::UsersReadSensitive);
    let mut warnings = Vec::new();
    let mut sessions = Vec::new();
    for (workspace, listing) in listings {
        match listing {
            // Only this person's sessions on this workspace, whatever else Slack sends.
            Ok(found) => sessions.extend(
                found
                    .into_iter()
                    .filter(|s| s.user_id == id && *s.team_id == *workspace)
                    .map(|s| {
                        let device = device_of(&s);
                        let created = s.created.unwrap_or_default();
                        let recent_ip = s
                            .recent
                            .and_then(|r| r.ip)
                            .filter(|ip| Some(ip) != created.ip.as_ref());
                        SessionInfo {
                            id: s.session_id.to_string(),
                            workspace: workspace.to_string(),
                            device,
                            hardware: created.device_hardware,
                            os: match (created.os, created.os_version) {
                                (Some(os), Some(v)) if !v.is_empty() => Some(format!("{os} {v}")),
                                (os, _) => os,
                            },
                            client_version: created.slack_client_version,
                            ip: created.ip.filter(|_| sensitive),
                            recent_ip: recent_ip.filter(|_| sensitive),
                        }
                    }),
            ),
            Err(e) => warnings.push(super::not_loaded(&format!("Sessions on {workspace}"), &e)),
        }
    }
    let (duration, duration_known) = match settings {
        None => (None, false),
        Some(Ok(reply)) => (
            reply
                .session_settings
                .into_iter()
                .find(|s| s.user_id == id)
                .and_then(|s| s.duration),
            true,
        ),
        Some(Err(e)) => {
            warnings.push(super::not_loaded("The session duration", &e));
            (None, false)
        }
    };
    Ok(Json(Sessions {
        user: id,
        sessions,
        duration,
        duration_known,
        warnings,
    }))
}

/// The requests for invitations on the role's workspaces (or one of them): pending ones
/// (the default), or those approved or denied, newest first. The address to invite is
/// shown only to a role that sees emails; a requester is named only when the role sees
/// them. A denial made in Roster carries its reason and who gave it.
#[utoipa::path(get, path = "/invite-requests", tag = "users",
    params(InviteRequestQuery),
    responses((status = 200, body = InviteRequestList), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn invite_requests(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<InviteRequestQuery>, QueryRejection>,
) -> Result<Json<InviteRequestList>, AppError> {
    if !caller.can(Permission::InvitesReview) {
        return Err(Denied::Permission(Permission::InvitesReview).into());
    }
    let Query(query) = query.map_err(super::bad_query)?;
    // Scope first: a workspace outside the role gets the same answer whether it exists.
    let workspaces: Vec<String> = match query.workspace.as_deref().filter(|w| !w.is_empty()) {
        Some(w) if !caller.covers(w) => return Err(Denied::Workspace(w.to_string()).into()),
        Some(w) if !state.directory.has_workspace(w) => {
            return Err(AppError::NotFound("There is no such workspace.".into()));
        }
        Some(w) => vec![w.to_string()],
        None => state
            .directory
            .workspaces()
            .into_iter()
            .map(|w| w.id)
            .filter(|w| caller.covers(w))
            .collect(),
    };
    let requests = &state.invite_requests;
    let pending = futures_util::future::join_all(
        workspaces
            .iter()
            .map(|w| async { (w.clone(), requests.pending(&state.slack, w, false).await) }),
    )
    .await;
    let mut warnings = Vec::new();
    let mut count = 0;
    let mut found: Vec<(String, RequestState, InviteRequestObject, Option<String>)> = Vec::new();
    for (w, listing) in pending {
        match listing {
            Ok(items) => {
                count += items.len();
                if query.state == RequestState::Pending {
                    found.extend(
                        items
                            .into_iter()
                            .map(|r| (w.clone(), RequestState::Pending, r, None)),
                    );
                }
            }
            Err(e) => warnings.push(super::not_loaded(&format!("Requests on {w}"), &e)),
        }
    }
    if query.state != RequestState::Pending {
        let handled = futures_util::future::join_all(workspaces.iter().map(|w| async {
            (
                w.clone(),
                requests.handled(&state.slack, w, query.state).await,
            )
        }))
        .await;
        for (w, listing) in handled {
            match listing {
                Ok(items) => found.extend(items.into_iter().map(
                    |HandledRequest { invite_request, by }| {
                        let actor = by.and_then(|b| b.actor_id);
                        (w.clone(), query.state, invite_request, actor)
                    },
                )),
                Err(e) => warnings.push(super::not_loaded(&format!("Requests on {w}"), &e)),
            }
        }
    }
    found.sort_by_key(|(_, _, r, _)| std::cmp::Reverse(r.date_created));
    let ids: Vec<String> = found.iter().map(|(_, _, r, _)| r.id.clone()).collect();
    let in_roster = if query.state == RequestState::Pending {
        HashMap::new()
    } else {
        state.audit.handled_requests(&ids).await?
    };
    let hides_emails = caller.hides(Field::Email);
    let hides_expirations = caller.hides(Field::Expires);
    // Others' answers in Roster are theirs to read in the audit log: with audit.read_all.
    let reads_others = caller.can(Permission::AuditReadAll);
    // Free text someone wrote, without addresses for a role that does not see them.
    let free_text = |text: &str| {
        if hides_emails {
            crate::sentence::without_addresses(text, crate::sentence::HIDDEN_ADDRESS)
        } else {
            text.to_string()
        }
    };
    let name_of = |id: &str| match caller.user(&state.directory, id) {
        Ok(u) => Requester {
            id: Some(id.to_string()),
            name: Some(u.summary.name),
        },
        Err(_) => Requester::default(),
    };
    let requests = found
        .into_iter()
        .map(|(workspace, request_state, r, actor)| {
            let roster: Option<&Handled> = in_roster
                .get(&r.id)
                .filter(|h| reads_others || h.actor_email.eq_ignore_ascii_case(&caller.email));
            InviteRequestInfo {
                workspace,
                state: request_state,
                email: (!hides_emails).then_some(r.email),
                real_name: r.real_name.filter(|n| !n.is_empty()),
                guest: guest_type(&r.invite_type),
                channels: r.channel_ids,
                requested_by: r.requester_ids.iter().map(|id| name_of(id)).collect(),
                reason: r
                    .request_reason
                    .filter(|s| !s.is_empty())
                    .map(|s| free_text(&s)),
                created: r.date_created,
                expires: r.date_expire.filter(|&e| e > 0 && !hides_expirations),
                handled_by: match roster {
                    Some(h) => Some(Requester {
                        id: Some(h.actor_email.clone()),
                        name: Some(format!("{} (in Roster)", h.actor_email)),
                    }),
                    // Answered through Roster by someone this role may not read about.
                    None if in_roster.contains_key(&r.id) => None,
                    None => actor.as_deref().map(name_of).filter(|p| p.id.is_some()),
                },
                deny_reason: roster.and_then(|h| h.reason.as_deref().map(free_text)),
                id: r.id,
            }
        })
        .collect();
    Ok(Json(InviteRequestList {
        state: query.state,
        requests,
        pending: count,
        warnings,
    }))
}
