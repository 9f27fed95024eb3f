//! `admin.users.*`.

use std::ops::Bound;

use serde_json::{Value, json};

use super::{Ctx, MethodResult, object, response_metadata, start_after};
use crate::{
    org::{Org, User},
    request::Fail,
    tokens::Install,
};

/// `admin.users.list`: default page size.
pub const LIST_DEFAULT_LIMIT: i64 = 100;
/// `admin.users.list`: largest page; larger `limit`s are clamped (the docs give no maximum).
pub const LIST_MAX_LIMIT: i64 = 1000;

/// Resolves an optional `team_id` argument to a team of the org.
fn team_arg(org: &Org, ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, Fail> {
    match ctx.args.opt_str(name)? {
        None => Ok(None),
        Some(t) if org.team(&t).is_some() => Ok(Some(t)),
        Some(_) => Err(Fail::new("team_not_found")),
    }
}

/// Whether `user` is active in the listing's context (org-wide or on one workspace).
fn active_in(user: &User, team: Option<&str>) -> bool {
    !user.is_deactivated() && team.is_none_or(|t| user.memberships.get(t).is_some_and(|m| m.active))
}

/// `admin.users.list`: users of the org or of one workspace, ordered by ID.
pub fn list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let args = ctx.args;
    let team = team_arg(org, ctx, "team_id")?;
    let include_admins = args.opt_bool("include_admins")?.unwrap_or(false);
    let include_owners = args.opt_bool("include_owners")?.unwrap_or(false);
    let only_guests = args.opt_bool("only_guests")?.unwrap_or(false);
    let is_active = args.opt_bool("is_active")?.unwrap_or(true);
    let include_deactivated_ws = args
        .opt_bool("include_deactivated_user_workspaces")?
        .unwrap_or(false);
    let org_token = ctx.token.install == Install::Org;
    if include_deactivated_ws && (team.is_some() || !org_token) {
        return Err(Fail::new("include_deactivated_user_workspaces_invalid"));
    }
    if only_guests && (include_admins || include_owners) {
        return Err(Fail::new("invalid_arguments"));
    }
    let limit = match args.opt_int("limit")? {
        None => LIST_DEFAULT_LIMIT,
        Some(l) if l < 1 => return Err(Fail::new("invalid_arguments")),
        Some(l) => l.min(LIST_MAX_LIMIT),
    } as usize;
    let after = start_after(ctx, "user")?;

    let lower = match &after {
        Some(id) => Bound::Excluded(id.as_str()),
        None => Bound::Unbounded,
    };
    let team_ref = team.as_deref();
    let with_security = org_token && team.is_none();
    let mut users: Vec<Value> = Vec::with_capacity(limit);
    let mut last_id: Option<&str> = None;
    let mut more = false;
    for (id, user) in org.users.range::<str, _>((lower, Bound::Unbounded)) {
        if team_ref.is_some_and(|t| !user.memberships.contains_key(t)) {
            continue;
        }
        if active_in(user, team_ref) != is_active {
            continue;
        }
        if only_guests && user.guest.is_none() {
            continue;
        }
        if include_admins || include_owners {
            let (admin, owner, _) = user.role_on(team_ref);
            let wanted = (include_admins && admin && !owner) || (include_owners && owner);
            if !wanted {
                continue;
            }
        }
        if users.len() == limit {
            more = true;
            break;
        }
        users.push(user.admin_list_entry(team_ref, with_security, include_deactivated_ws));
        last_id = Some(id);
    }
    let next = match (more, last_id) {
        (true, Some(id)) => Some(ctx.cursors.encode("user", id)),
        _ => None,
    };
    Ok(object([
        ("users", json!(users)),
        ("response_metadata", response_metadata(next)),
    ]))
}
