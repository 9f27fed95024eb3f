//! `admin.inviteRequests.*`: requests for invitations, and an admin's approval or denial.

use std::ops::Bound;

use serde_json::{Value, json};

use super::{
    Body, Ctx, MethodResult,
    admin_users::{Invitation, send_invitation},
    object, require_org_admin, response_metadata, start_after,
};
use crate::{
    org::{InviteRequest, InviteRequestState, InviteType, Org, SentInvite},
    request::Fail,
};

/// Default page size of the three listings.
pub const DEFAULT_LIMIT: i64 = 100;
/// Largest page of the three listings.
pub const MAX_LIMIT: i64 = 1000;

/// The workspace a call is about: `team_id`, which Slack requires when the org has more
/// than one workspace; with a single workspace it may be left out.
fn workspace(org: &Org, ctx: &Ctx<'_>) -> Result<String, Fail> {
    match ctx.args.opt_str("team_id")? {
        Some(t) if org.team(&t).is_some() => Ok(t),
        Some(_) => Err(Fail::new("team_not_found")),
        None if org.teams.len() == 1 => Ok(org.teams[0].id.clone()),
        None => Err(Fail::new("invalid_arguments").with("missing_argument", "team_id")),
    }
}

/// A page of the requests of one workspace that `wanted` selects, in request ID order.
fn listing(
    org: &Org,
    ctx: &Ctx<'_>,
    key: &str,
    cursor_kind: &str,
    wanted: impl Fn(&InviteRequest) -> Option<Value>,
) -> MethodResult {
    require_org_admin(org, ctx)?;
    let team = workspace(org, ctx)?;
    let limit = ctx.args.opt_int("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Fail::new("invalid_arguments").with("invalid_argument", "limit"));
    }
    let after = start_after(ctx, cursor_kind)?;
    let lower = match &after {
        Some(id) => Bound::Excluded(id.as_str()),
        None => Bound::Unbounded,
    };
    let mut page = Vec::new();
    let mut last = None;
    let mut more = false;
    for (id, request) in org
        .invite_requests
        .range::<str, _>((lower, Bound::Unbounded))
    {
        if request.team_id != team {
            continue;
        }
        let Some(item) = wanted(request) else {
            continue;
        };
        if page.len() == limit as usize {
            more = true;
            break;
        }
        page.push(item);
        last = Some(id);
    }
    let next = match (more, last) {
        (true, Some(id)) => Some(ctx.cursors.encode(cursor_kind, id)),
        _ => None,
    };
    Ok(object([
        (key, Value::Array(page)),
        ("response_metadata", response_metadata(next)),
    ]))
}

/// `admin.inviteRequests.list`: the pending requests of a workspace.
pub fn list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    listing(org, ctx, "invite_requests", "invite_request", |r| {
        r.is_pending().then(|| r.object())
    })
}

/// `admin.inviteRequests.approved.list`: approved requests, who approved them and the
/// invitation that was sent.
pub fn approved_list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let org_domain = org
        .primary_owner()
        .and_then(|o| o.email.split_once('@'))
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    listing(
        org,
        ctx,
        "approved_requests",
        "invite_request_approved",
        |r| {
            let InviteRequestState::Approved { by, invite, .. } = &r.state else {
                return None;
            };
            let mut item = json!({
                "invite_request": r.object(),
                "approved_by": {"actor_type": "user", "actor_id": by},
            });
            if let Some(invite) = invite {
                let domain = r.email.split_once('@').map(|(_, d)| d.to_lowercase());
                item["invite"] = json!({
                    "id": invite.id,
                    "email": r.email,
                    "inviter_id": invite.inviter_id,
                    "date_created": invite.date_created,
                    "is_bouncing": false,
                    "invite_preferences": {
                        "is_restricted": r.invite_type == InviteType::Restricted,
                        "is_ultra_restricted": r.invite_type == InviteType::UltraRestricted,
                        "channel_ids": invite.channel_ids,
                        "is_domain_matched": domain.as_deref() == Some(org_domain.as_str()),
                    },
                });
            }
            Some(item)
        },
    )
}

/// `admin.inviteRequests.denied.list`: denied requests and who denied them.
pub fn denied_list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    listing(org, ctx, "denied_requests", "invite_request_denied", |r| {
        let InviteRequestState::Denied { by, .. } = &r.state else {
            return None;
        };
        Some(json!({
            "invite_request": r.object(),
            "denied_by": {"actor_type": "user", "actor_id": by},
        }))
    })
}

/// The pending request a decision is about: `invalid_request` when there is no such
/// request on that workspace, `already_processed` when it was approved or denied.
fn pending_request(org: &Org, ctx: &Ctx<'_>) -> Result<(String, String), Fail> {
    let caller = require_org_admin(org, ctx)?.id.clone();
    let team = workspace(org, ctx)?;
    let id = ctx.args.req_str("invite_request_id")?;
    let request = org
        .invite_requests
        .get(&id)
        .filter(|r| r.team_id == team)
        .ok_or_else(|| Fail::new("invalid_request"))?;
    if !request.is_pending() {
        return Err(Fail::new("already_processed"));
    }
    Ok((id, caller))
}

/// `admin.inviteRequests.approve`: approves a request and sends the invitation exactly as
/// `admin.users.invite` does (a pending user, an outbox entry). A request without channels
/// invites to the workspace's #general. When the invitation cannot be sent (the address
/// belongs to a deactivated account, or is on the workspace already), the request is
/// approved all the same and the answer is `failed_to_send_invite`.
pub fn approve(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let (id, caller) = pending_request(org, ctx)?;
    let request = org.invite_requests[&id].clone();
    let channels = if request.channel_ids.is_empty() {
        org.channels
            .values()
            .filter(|c| c.team_id == request.team_id && c.name == "general")
            .map(|c| c.id.clone())
            .take(1)
            .collect()
    } else {
        request.channel_ids.clone()
    };
    let sent = send_invitation(
        org,
        Invitation {
            email: request.email.clone(),
            team: request.team_id.clone(),
            channels: channels.clone(),
            guest: request.invite_type.guest(),
            expiration: request.date_expire,
            custom_message: None,
            real_name: request.real_name.clone(),
        },
        ctx.now,
    );
    let invite = sent.is_ok().then(|| SentInvite {
        // `Ir558ULC1J` was invited as `I558ULC1J`.
        id: format!("I{}", id.strip_prefix("Ir").unwrap_or(&id)),
        inviter_id: caller.clone(),
        date_created: ctx.now,
        channel_ids: channels,
    });
    let r = org.invite_requests.get_mut(&id).expect("looked up above");
    r.state = InviteRequestState::Approved {
        by: caller,
        at: ctx.now,
        invite,
    };
    match sent {
        Ok(_) => Ok(Body::ok()),
        Err(_) => Err(Fail::new("failed_to_send_invite")),
    }
}

/// `admin.inviteRequests.deny`: denies a request; nobody is invited.
pub fn deny(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let (id, caller) = pending_request(org, ctx)?;
    let r = org.invite_requests.get_mut(&id).expect("looked up above");
    r.state = InviteRequestState::Denied {
        by: caller,
        at: ctx.now,
    };
    Ok(Body::ok())
}
