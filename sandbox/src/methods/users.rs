//! `users.*`.

use std::ops::Bound;

use serde_json::{Value, json};

use super::{Ctx, MethodResult, is_user_id, object, opt_team, response_metadata, start_after};
use crate::{
    org::{Org, Presence, User, UserView},
    request::Fail,
    tokens::{Install, TokenKind},
};

/// The user named by the `user` argument (default: the caller), if the token may see it.
fn target_user<'o>(org: &'o Org, ctx: &Ctx<'_>) -> Result<&'o User, Fail> {
    let id = ctx
        .args
        .opt_str("user")?
        .unwrap_or_else(|| ctx.caller().to_string());
    if !is_user_id(&id) {
        return Err(Fail::new("invalid_user"));
    }
    let user = org
        .users
        .get(&id)
        .ok_or_else(|| Fail::new("user_not_found"))?;
    if !visible(user, ctx) {
        return Err(Fail::new("user_not_visible"));
    }
    Ok(user)
}

/// A workspace token sees the users of its workspace; org-wide tokens see everyone.
fn visible(user: &User, ctx: &Ctx<'_>) -> bool {
    match &ctx.token.install {
        Install::Org => true,
        Install::Workspace(t) => user.memberships.contains_key(t),
    }
}

fn view<'a>(ctx: &'a Ctx<'_>, team: Option<&'a str>) -> UserView<'a> {
    let admin_viewer = ctx.token.has_scope("admin.users:read");
    let include_locale = ctx
        .args
        .opt_bool("include_locale")
        .ok()
        .flatten()
        .unwrap_or(false);
    UserView {
        team,
        admin_viewer,
        include_locale,
        avatar_base: ctx.avatar_base,
    }
}

fn workspace_context<'a>(ctx: &'a Ctx<'_>) -> Option<&'a str> {
    match &ctx.token.install {
        Install::Org => None,
        Install::Workspace(t) => Some(t.as_str()),
    }
}

/// `users.info`.
pub fn info(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    ctx.args.opt_bool("include_locale")?;
    if ctx.args.opt_str("user")?.is_none() {
        return Err(Fail::new("invalid_arguments").with("missing_argument", "user"));
    }
    let user = target_user(org, ctx)?;
    Ok(object([(
        "user",
        user.object(org, view(ctx, workspace_context(ctx))),
    )]))
}

/// `users.lookupByEmail`. A deactivated account is not found (`users_not_found`), as
/// Slack's method page says.
pub fn lookup_by_email(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let email = ctx.args.req_str("email")?;
    let user = org
        .user_by_email(&email)
        .filter(|u| !u.is_deactivated() && visible(u, ctx))
        .ok_or_else(|| Fail::new("users_not_found"))?;
    Ok(object([(
        "user",
        user.object(org, view(ctx, workspace_context(ctx))),
    )]))
}

/// Largest `users.list` page; above this many members a `limit` is required.
pub const USERS_LIST_MAX: i64 = 1000;

/// `users.list`: the members of the token's workspace (or of `team_id`, or the whole org
/// for org-wide tokens), deleted accounts included, ordered by ID.
pub fn list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    ctx.args.opt_bool("include_locale")?;
    let team = match &ctx.token.install {
        Install::Workspace(t) => Some(t.clone()),
        Install::Org => opt_team(org, ctx, "team_id")?,
    };
    let member = |u: &User| team.as_ref().is_none_or(|t| u.memberships.contains_key(t));
    let limit = match ctx.args.opt_int("limit")? {
        Some(l) if l < 1 => return Err(Fail::new("invalid_arguments")),
        Some(l) => l.min(USERS_LIST_MAX) as usize,
        None => {
            let size = org.users.values().filter(|u| member(u)).count();
            if size as i64 > USERS_LIST_MAX {
                return Err(Fail::new("limit_required"));
            }
            USERS_LIST_MAX as usize
        }
    };
    let after = start_after(ctx, "user")?;
    let lower = match &after {
        Some(id) => Bound::Excluded(id.as_str()),
        None => Bound::Unbounded,
    };
    let v = view(ctx, team.as_deref());
    let mut members = Vec::new();
    let mut last = None;
    let mut more = false;
    for (id, user) in org.users.range::<str, _>((lower, Bound::Unbounded)) {
        if !member(user) {
            continue;
        }
        if members.len() == limit {
            more = true;
            break;
        }
        members.push(user.object(org, v));
        last = Some(id);
    }
    let next = match (more, last) {
        (true, Some(id)) => Some(ctx.cursors.encode("user", id)),
        _ => None,
    };
    Ok(object([
        ("members", json!(members)),
        ("cache_ts", json!(ctx.now)),
        ("response_metadata", response_metadata(next)),
    ]))
}

/// `users.getPresence`: the full picture for the caller, just `presence` for others.
pub fn get_presence(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let user = target_user(org, ctx)?;
    let presence = match user.presence {
        Presence::Active => "active",
        Presence::Away => "away",
    };
    if user.id != ctx.caller() {
        return Ok(object([("presence", json!(presence))]));
    }
    let online = user.presence == Presence::Active;
    Ok(object([
        ("presence", json!(presence)),
        ("online", json!(online)),
        ("auto_away", json!(!online)),
        ("manual_away", json!(false)),
        ("connection_count", json!(u8::from(online))),
        ("last_activity", json!(user.last_activity)),
    ]))
}

/// `users.identity`: the caller, for user tokens only.
pub fn identity(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    if ctx.token.kind == TokenKind::Bot {
        return Err(Fail::new("user_is_bot"));
    }
    let user = org
        .users
        .get(ctx.caller())
        .ok_or_else(|| Fail::new("user_not_found"))?;
    let team = workspace_context(ctx)
        .map(str::to_string)
        .unwrap_or_else(|| org.enterprise_id.clone());
    Ok(object([
        ("user", json!({"id": user.id, "name": user.full_name})),
        ("team", json!({"id": team})),
    ]))
}

/// `users.deletePhoto`: removes the caller's photo. Not with a JSON body.
pub fn delete_photo(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    if ctx.json_body {
        return Err(Fail::new("invalid_form_data"));
    }
    if ctx.token.kind == TokenKind::Bot {
        return Err(Fail::new("user_is_bot"));
    }
    if !ctx.token.has_scope("users.profile:write") {
        return Err(Fail::new("missing_scope")
            .with("needed", "users.profile:write")
            .with("provided", ctx.token.scopes.join(",")));
    }
    org.touch(ctx.caller());
    let user = org
        .users
        .get_mut(ctx.caller())
        .ok_or_else(|| Fail::new("user_not_found"))?;
    user.avatar_hash = "g000000000000".into();
    user.updated = ctx.now;
    Ok(super::Body::ok())
}

const CHANNEL_TYPES: &[&str] = &["public_channel", "private_channel", "mpim", "im"];
const CONVERSATIONS_DEFAULT_LIMIT: i64 = 100;
const CONVERSATIONS_MAX_LIMIT: i64 = 1000;

/// `users.conversations`: channels the user is in that the caller may see (private ones
/// only where the caller is a member too), ordered by ID.
pub fn conversations(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let user = target_user(org, ctx)?;
    let types: Vec<String> = ctx
        .args
        .opt_list("types")?
        .unwrap_or_else(|| vec!["public_channel".into()]);
    if types.iter().any(|t| !CHANNEL_TYPES.contains(&t.as_str())) {
        return Err(Fail::new("invalid_types"));
    }
    let exclude_archived = ctx.args.opt_bool("exclude_archived")?.unwrap_or(false);
    let limit = ctx
        .args
        .opt_int("limit")?
        .unwrap_or(CONVERSATIONS_DEFAULT_LIMIT);
    if !(1..=CONVERSATIONS_MAX_LIMIT).contains(&limit) {
        return Err(Fail::new("invalid_limit"));
    }
    let after = start_after(ctx, "channel")?;
    // With an org-level token, `team_id` limits the list to one workspace; a workspace
    // token's own workspace wins over it.
    let team = match &ctx.token.install {
        Install::Workspace(t) => Some(t.clone()),
        Install::Org => opt_team(org, ctx, "team_id")?,
    };
    let caller = org.users.get(ctx.caller());
    let caller_in = |channel: &str| {
        caller.is_some_and(|c| {
            c.memberships
                .values()
                .any(|m| m.channels.iter().any(|x| x == channel))
        })
    };
    let mut ids: Vec<&String> = user
        .memberships
        .iter()
        .filter(|(t, m)| m.active && team.as_deref().is_none_or(|team| team == t.as_str()))
        .flat_map(|(_, m)| m.channels.iter())
        .collect();
    ids.sort();
    ids.dedup();
    let mut channels: Vec<Value> = Vec::new();
    let mut last = None;
    let mut more = false;
    for id in ids {
        if after.as_ref().is_some_and(|a| id <= a) {
            continue;
        }
        let Some(ch) = org.channels.get(id) else {
            continue;
        };
        let kind = if ch.is_private {
            "private_channel"
        } else {
            "public_channel"
        };
        if !types.iter().any(|t| t == kind)
            || (exclude_archived && ch.is_archived)
            || (ch.is_private && user.id != ctx.caller() && !caller_in(id))
        {
            continue;
        }
        if channels.len() == limit as usize {
            more = true;
            break;
        }
        channels.push(ch.object());
        last = Some(id.clone());
    }
    let next = match (more, last) {
        (true, Some(id)) => Some(ctx.cursors.encode("channel", &id)),
        _ => None,
    };
    Ok(object([
        ("channels", json!(channels)),
        ("response_metadata", response_metadata(next)),
    ]))
}
