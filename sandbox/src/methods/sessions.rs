//! `admin.users.session.*`: users' signed-in sessions, and their own session settings.

use std::collections::BTreeSet;
use std::ops::Bound;

use serde_json::{Value, json};

use super::{Body, Ctx, MethodResult, object, req_user, require_org_admin, response_metadata};
use crate::{
    org::{DeviceFilter, Org, OrgRole, SessionResetJob, User},
    request::Fail,
};

/// `admin.users.session.list`: default and largest page.
pub const LIST_MAX_LIMIT: i64 = 1000;
/// Most users one call of resetBulk, getSettings, setSettings or clearSettings takes.
pub const MAX_USER_IDS: usize = 1000;
/// `admin.users.session.setSettings`: shortest and longest `duration`, in seconds (8 hours
/// and 10 years, as the method's page says).
pub const MIN_DURATION: i64 = 28_800;
pub const MAX_DURATION: i64 = 315_569_520;

fn invalid(name: &str) -> Fail {
    Fail::new("invalid_arguments").with("invalid_argument", name)
}

/// `admin.users.session.list`: every active session of the org, or of one user on one
/// workspace (`team_id` and `user_id` together), in session ID order.
pub fn list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    require_org_admin(org, ctx)?;
    let team = ctx.args.opt_str("team_id")?;
    let user = ctx.args.opt_str("user_id")?;
    match (&team, &user) {
        (Some(_), None) => return Err(Fail::new("missing_user")),
        (None, Some(_)) => return Err(Fail::new("missing_team")),
        _ => {}
    }
    let limit = ctx.args.opt_int("limit")?.unwrap_or(LIST_MAX_LIMIT);
    if !(1..=LIST_MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit"));
    }
    let after = match super::start_after(ctx, "session")? {
        None => None,
        Some(p) => Some(p.parse::<u64>().map_err(|_| Fail::new("invalid_cursor"))?),
    };
    if let Some(t) = &team
        && org.team(t).is_none()
    {
        return Err(Fail::new("team_not_found"));
    }
    if let Some(u) = &user {
        let u = org
            .users
            .get(u)
            .ok_or_else(|| Fail::new("user_not_found"))?;
        if u.is_bot {
            return Err(Fail::new("bots_not_allowed"));
        }
    }
    let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut page = Vec::new();
    let mut last = None;
    let mut more = false;
    for (id, session) in org.sessions.range((lower, Bound::Unbounded)) {
        if user.as_ref().is_some_and(|u| &session.user_id != u)
            || team.as_ref().is_some_and(|t| &session.team_id != t)
        {
            continue;
        }
        if page.len() == limit as usize {
            more = true;
            break;
        }
        page.push(session.object());
        last = Some(*id);
    }
    if page.is_empty() && after.is_none() {
        return Err(Fail::new("no_active_sessions"));
    }
    let next = match (more, last) {
        (true, Some(id)) => Some(ctx.cursors.encode("session", &id.to_string())),
        _ => None,
    };
    Ok(object([
        ("active_sessions", Value::Array(page)),
        ("response_metadata", response_metadata(next)),
    ]))
}

fn device_filter(ctx: &Ctx<'_>) -> Result<DeviceFilter, Fail> {
    Ok(DeviceFilter {
        mobile_only: ctx.args.opt_bool("mobile_only")?.unwrap_or(false),
        web_only: ctx.args.opt_bool("web_only")?.unwrap_or(false),
    })
}

/// Why the caller may not reset `user`'s sessions, if it may not.
fn reset_refusal(user: &User, caller_is_primary: bool) -> Option<&'static str> {
    if user.is_bot {
        Some("cannot_reset_bot")
    } else if user.org_role == OrgRole::PrimaryOwner && !caller_is_primary {
        Some("cannot_reset_primary_owner")
    } else {
        None
    }
}

/// `admin.users.session.reset`: ends a user's sessions at once: all of them, or only the
/// mobile (`mobile_only`) or web (`web_only`) ones.
pub fn reset(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let caller_is_primary = require_org_admin(org, ctx)?.org_role == OrgRole::PrimaryOwner;
    let user = req_user(org, ctx, "user_id")?;
    let devices = device_filter(ctx)?;
    if let Some(code) = reset_refusal(user, caller_is_primary) {
        return Err(Fail::new(code));
    }
    let id = user.id.clone();
    org.end_sessions(&id, devices);
    Ok(Body::ok())
}

/// The `user_ids` list of the bulk and settings methods: 1 to 1,000 IDs, duplicates dropped.
fn user_ids(ctx: &Ctx<'_>) -> Result<Vec<String>, Fail> {
    let ids = ctx.args.req_list("user_ids")?;
    if ids.len() > MAX_USER_IDS {
        return Err(invalid("user_ids"));
    }
    let mut seen = BTreeSet::new();
    Ok(ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect())
}

/// `admin.users.session.resetBulk`: queues a job that ends the sessions of up to 1,000
/// users; `ok` means queued, and the sessions end shortly after. Users the caller may not
/// reset are left out: a single one gives its own error, several give
/// `failed_for_some_users` with each one in `response_metadata.messages` (the others are
/// still queued).
pub fn reset_bulk(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let caller_is_primary = require_org_admin(org, ctx)?.org_role == OrgRole::PrimaryOwner;
    let ids = user_ids(ctx)?;
    let devices = device_filter(ctx)?;
    let mut queued = Vec::new();
    let mut failed: Vec<(&str, &'static str)> = Vec::new();
    for id in &ids {
        let refusal = match org.users.get(id) {
            None => Some("user_not_found"),
            Some(user) => reset_refusal(user, caller_is_primary),
        };
        match refusal {
            None => queued.push(id.clone()),
            Some(code) => failed.push((id, code)),
        }
    }
    let fail = match failed.as_slice() {
        [] => None,
        [(_, code)] if ids.len() == 1 => Some(Fail::new(code)),
        _ => Some(Fail::new("failed_for_some_users").with(
            "response_metadata",
            json!({
                "messages": failed
                    .iter()
                    .map(|(id, code)| format!("[ERROR] {code} [user_id: {id}]"))
                    .collect::<Vec<_>>()
            }),
        )),
    };
    if !queued.is_empty() {
        org.session_jobs.push(SessionResetJob {
            user_ids: queued,
            devices,
            queued: std::time::Instant::now(),
        });
    }
    match fail {
        Some(f) => Err(f),
        None => Ok(Body::ok()),
    }
}

/// `admin.users.session.invalidate`: ends one session. `session_id` with `user_id` (the
/// current form) or with `team_id` (the older form the SDKs still send), or both.
pub fn invalidate(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let caller_is_primary = require_org_admin(org, ctx)?.org_role == OrgRole::PrimaryOwner;
    let session_id = ctx
        .args
        .opt_int("session_id")?
        .ok_or_else(|| Fail::new("invalid_arguments").with("missing_argument", "session_id"))?;
    let user = ctx.args.opt_str("user_id")?;
    let team = ctx.args.opt_str("team_id")?;
    if user.is_none() && team.is_none() {
        return Err(Fail::new("invalid_arguments").with("missing_argument", "user_id"));
    }
    if let Some(u) = &user
        && !org.users.contains_key(u)
    {
        return Err(Fail::new("user_not_found"));
    }
    let session = u64::try_from(session_id)
        .ok()
        .and_then(|id| org.sessions.get(&id))
        .filter(|s| user.as_ref().is_none_or(|u| &s.user_id == u))
        .filter(|s| team.as_ref().is_none_or(|t| &s.team_id == t))
        .ok_or_else(|| Fail::new("session_not_found"))?;
    let owner_session = org
        .users
        .get(&session.user_id)
        .is_some_and(|u| u.org_role == OrgRole::PrimaryOwner);
    if owner_session && !caller_is_primary {
        return Err(Fail::new("cannot_invalidate_primary_owner"));
    }
    let id = session.id;
    org.sessions.remove(&id);
    Ok(Body::ok())
}

/// Checks that every ID is a user whose settings may be read or changed.
fn settings_users(org: &Org, ids: &[String]) -> Result<(), Fail> {
    for id in ids {
        let user = org
            .users
            .get(id)
            .ok_or_else(|| Fail::new("user_not_found"))?;
        if user.is_bot {
            return Err(Fail::new("bots_not_allowed"));
        }
    }
    Ok(())
}

/// `admin.users.session.getSettings`: the users' own session settings; users without any
/// are listed in `no_settings_applied`.
pub fn get_settings(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    require_org_admin(org, ctx)?;
    let ids = user_ids(ctx)?;
    settings_users(org, &ids)?;
    let mut settings = Vec::new();
    let mut none = Vec::new();
    for id in ids {
        match org.session_settings.get(&id) {
            Some(s) => settings.push(json!({
                "user_id": id,
                "desktop_app_browser_quit": s.desktop_app_browser_quit,
                "duration": s.duration,
            })),
            None => none.push(id),
        }
    }
    Ok(object([
        ("session_settings", json!(settings)),
        ("no_settings_applied", json!(none)),
    ]))
}

/// `admin.users.session.setSettings`: sets a session duration and/or whether sessions end
/// when the app or browser closes, for up to 1,000 users. Only the settings given change.
/// A new duration applies to existing sessions: those already older end at once.
pub fn set_settings(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    require_org_admin(org, ctx)?;
    let ids = user_ids(ctx)?;
    let duration = ctx.args.opt_int("duration")?;
    let quit = ctx.args.opt_bool("desktop_app_browser_quit")?;
    if duration.is_none() && quit.is_none() {
        return Err(Fail::new("at_least_one_session_setting_required"));
    }
    if duration.is_some_and(|d| !(MIN_DURATION..=MAX_DURATION).contains(&d)) {
        return Err(invalid("duration"));
    }
    settings_users(org, &ids)?;
    for id in &ids {
        let s = org.session_settings.entry(id.clone()).or_default();
        if duration.is_some() {
            s.duration = duration;
        }
        if quit.is_some() {
            s.desktop_app_browser_quit = quit;
        }
    }
    if let Some(d) = duration {
        let now = ctx.now;
        let ids: BTreeSet<&String> = ids.iter().collect();
        org.sessions
            .retain(|_, s| !(ids.contains(&s.user_id) && s.created + d <= now));
    }
    Ok(Body::ok())
}

/// `admin.users.session.clearSettings`: removes the users' own session settings.
pub fn clear_settings(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    require_org_admin(org, ctx)?;
    let ids = user_ids(ctx)?;
    settings_users(org, &ids)?;
    for id in &ids {
        org.session_settings.remove(id);
    }
    Ok(Body::ok())
}
