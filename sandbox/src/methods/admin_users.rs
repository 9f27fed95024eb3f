//! `admin.users.*`.

use std::ops::Bound;

use serde::Serialize;
use serde_json::{Value, json};

use super::{
    Body, Ctx, MethodResult, object, opt_team, req_team, req_user, require_org_admin, start_after,
};
use crate::{
    org::{GuestKind, Membership, Org, OrgRole, Presence, SentInvitation, TeamRole, User},
    request::Fail,
    tokens::Install,
};

/// `admin.users.list`: default page size.
pub const LIST_DEFAULT_LIMIT: i64 = 100;
/// `admin.users.list`: largest page; larger `limit`s are clamped (the docs give no maximum).
pub const LIST_MAX_LIMIT: i64 = 1000;

/// Whether `user` is active in the listing's context (org-wide or on one workspace).
fn active_in(user: &User, team: Option<&str>) -> bool {
    !user.is_deactivated() && team.is_none_or(|t| user.memberships.get(t).is_some_and(|m| m.active))
}

/// `admin.users.list`: users of the org or of one workspace, ordered by ID.
pub fn list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let args = ctx.args;
    let team = opt_team(org, ctx, "team_id")?;
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
    let mut users = Vec::with_capacity(limit);
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
    let next_cursor = match (more, last_id) {
        (true, Some(id)) => ctx.cursors.encode("user", id),
        _ => String::new(),
    };
    let reply = ListReply {
        ok: true,
        users,
        response_metadata: Metadata { next_cursor },
    };
    // Sized up front: growing a 400 KB buffer by doubling is most of the cost otherwise.
    let mut out = Vec::with_capacity(512 + reply.users.len() * 420);
    serde_json::to_writer(&mut out, &reply).expect("the listing serialises");
    Ok(Body::Json(
        String::from_utf8(out).expect("serde_json writes UTF-8"),
    ))
}

#[derive(Serialize)]
struct ListReply<'a> {
    ok: bool,
    users: Vec<crate::org::AdminListEntry<'a>>,
    response_metadata: Metadata,
}

#[derive(Serialize)]
struct Metadata {
    next_cursor: String,
}

/// The `channel_ids` argument, in any of Slack's list forms.
fn channel_list(ctx: &Ctx<'_>) -> Result<Vec<String>, Fail> {
    Ok(ctx.args.opt_list("channel_ids")?.unwrap_or_default())
}

/// Whether every channel exists on `team`.
fn channels_on_team(org: &Org, channels: &[String], team: &str) -> bool {
    channels
        .iter()
        .all(|c| org.channels.get(c).is_some_and(|ch| ch.team_id == team))
}

/// The guest kind asked for by `is_restricted` / `is_ultra_restricted`.
fn guest_flags(ctx: &Ctx<'_>) -> Result<Option<GuestKind>, Fail> {
    let multi = ctx.args.opt_bool("is_restricted")?.unwrap_or(false);
    let single = ctx.args.opt_bool("is_ultra_restricted")?.unwrap_or(false);
    match (multi, single) {
        (true, true) => Err(Fail::new("invalid_arguments")),
        (true, false) => Ok(Some(GuestKind::MultiChannel)),
        (false, true) => Ok(Some(GuestKind::SingleChannel)),
        (false, false) => Ok(None),
    }
}

fn ok() -> MethodResult {
    Ok(Body::ok())
}

fn user_mut<'o>(org: &'o mut Org, id: &str) -> &'o mut User {
    org.touch(id);
    org.users.get_mut(id).expect("the user was looked up first")
}

/// `admin.users.assign`: adds an org user to a workspace.
pub fn assign(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let team = req_team(org, ctx, "team_id")?;
    let user = req_user(org, ctx, "user_id")?;
    let guest = guest_flags(ctx)?;
    let channels = channel_list(ctx)?;
    if user.is_bot {
        return Err(Fail::new("user_is_bot"));
    }
    if user.memberships.get(&team).is_some_and(|m| m.active) {
        return Err(Fail::new("user_already_team_member"));
    }
    if user.is_deactivated() {
        return Err(Fail::new("invited_user_not_reactivated"));
    }
    // A guest stays a guest of the same kind everywhere; a full member cannot become a
    // guest on one workspace.
    if guest != user.guest {
        return Err(Fail::new("invalid_role_for_user"));
    }
    if !channels_on_team(org, &channels, &team) {
        return Err(Fail::new("invitor_cannot_see_channel"));
    }
    if guest == Some(GuestKind::SingleChannel) && channels.len() != 1 {
        return Err(Fail::new("invalid_arguments"));
    }
    let id = user.id.clone();
    let now = ctx.now;
    let u = user_mut(org, &id);
    let m = u.memberships.entry(team).or_insert(Membership {
        role: TeamRole::Regular,
        active: true,
        expiration_ts: 0,
        channels: vec![],
    });
    m.active = true;
    for c in channels {
        if !m.channels.contains(&c) {
            m.channels.push(c);
        }
    }
    u.updated = now;
    ok()
}

/// `admin.users.getExpiration`: a guest's expiration, on `target_team` or the earliest.
pub fn get_expiration(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let team = match ctx.args.opt_str("target_team")? {
        None => None,
        Some(t) if org.team(&t).is_some() => Some(t),
        Some(_) => return Err(Fail::new("target_team_not_on_org")),
    };
    // `user_id` is optional: without it the method reads the calling user.
    let id = ctx
        .args
        .opt_str("user_id")?
        .unwrap_or_else(|| ctx.caller().to_string());
    let user = org
        .users
        .get(&id)
        .ok_or_else(|| Fail::new("user_not_found"))?;
    if user.guest.is_none() {
        return Err(Fail::new("user_is_not_guest"));
    }
    if let Some(t) = &team
        && !user.memberships.contains_key(t)
    {
        return Err(Fail::new("user_not_found"));
    }
    Ok(object([(
        "expiration_ts",
        json!(user.expiration_on(team.as_deref())),
    )]))
}

/// Longest `custom_message` accepted.
pub const MAX_CUSTOM_MESSAGE: usize = 1_000;

/// Whether an address looks deliverable: one `@`, a dotted domain, no spaces.
pub(crate) fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| c.is_ascii_graphic())
}

/// `real_name` is a plain name, or the JSON object `{"full_name": …}` the reference shows.
fn real_name(ctx: &Ctx<'_>) -> Result<Option<String>, Fail> {
    if let Some(Value::Object(o)) = ctx.args.get("real_name") {
        return Ok(o
            .get("full_name")
            .and_then(Value::as_str)
            .map(str::to_string));
    }
    let Some(raw) = ctx.args.opt_str("real_name")? else {
        return Ok(None);
    };
    if raw.trim_start().starts_with('{') {
        let parsed: Value =
            serde_json::from_str(&raw).map_err(|_| Fail::new("invalid_arguments"))?;
        return Ok(parsed
            .get("full_name")
            .and_then(Value::as_str)
            .map(str::to_string));
    }
    Ok(Some(raw))
}

/// `guest_expiration_ts`: epoch seconds, possibly with a fraction (`0123456789.012345`).
fn expiration_arg(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, Fail> {
    let bad = || Fail::new("failed_to_validate_expiration");
    match ctx.args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(|f| Some(f.floor() as i64)).ok_or_else(bad),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| Some(f.floor() as i64))
            .ok_or_else(bad),
        Some(Value::Array(_)) => Err(Fail::new("invalid_array_arg")),
        Some(_) => Err(bad()),
    }
}

/// `admin.users.invite`: invites an email to a workspace, creating a pending user.
pub fn invite(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let channels = channel_list(ctx)?;
    let email = ctx.args.req_str("email")?;
    let team = req_team(org, ctx, "team_id")?;
    let guest = guest_flags(ctx)?;
    let expiration = expiration_arg(ctx, "guest_expiration_ts")?;
    let custom_message = ctx.args.opt_str("custom_message")?;
    let name = real_name(ctx)?;
    ctx.args.opt_bool("resend")?;
    ctx.args.opt_bool("email_password_policy_enabled")?;

    if channels.is_empty() {
        return Err(Fail::new("invalid_arguments").with("missing_argument", "channel_ids"));
    }
    if !valid_email(&email) {
        return Err(Fail::new("invalid_email"));
    }
    send_invitation(
        org,
        Invitation {
            email,
            team,
            channels,
            guest,
            expiration,
            custom_message,
            real_name: name,
        },
        ctx.now,
    )?;
    ok()
}

/// One invitation, as `admin.users.invite` sends it and an approved invite request does.
#[derive(Debug, Clone)]
pub(crate) struct Invitation {
    pub email: String,
    pub team: String,
    pub channels: Vec<String>,
    pub guest: Option<GuestKind>,
    /// Guest expiration, Unix seconds.
    pub expiration: Option<i64>,
    pub custom_message: Option<String>,
    pub real_name: Option<String>,
}

/// Sends an invitation: a new pending user (`is_invited_user`), or an org member added to
/// the workspace, and an entry in the outbox. Returns the user's ID.
pub(crate) fn send_invitation(org: &mut Org, inv: Invitation, now: i64) -> Result<String, Fail> {
    let Invitation {
        email,
        team,
        channels,
        guest,
        expiration,
        custom_message,
        real_name: name,
    } = inv;
    if !channels_on_team(org, &channels, &team) {
        return Err(Fail::new("failed_to_validate_channels"));
    }
    if guest == Some(GuestKind::SingleChannel) && channels.len() != 1 {
        return Err(Fail::new("failed_to_validate_channels"));
    }
    if custom_message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_CUSTOM_MESSAGE)
    {
        return Err(Fail::new("failed_to_validate_custom_message"));
    }
    if let Some(ts) = expiration
        && (guest.is_none() || ts <= now)
    {
        return Err(Fail::new("failed_to_validate_expiration"));
    }

    let sent = SentInvitation {
        email: email.to_lowercase(),
        team_id: team.clone(),
        channel_ids: channels.clone(),
        custom_message,
        sent: now,
    };
    let membership = Membership {
        role: TeamRole::Regular,
        active: true,
        expiration_ts: expiration.unwrap_or(0),
        channels,
    };
    if let Some(existing) = org.user_by_email(&email) {
        if existing.is_deactivated() {
            return Err(Fail::new("user_disabled"));
        }
        if existing.memberships.get(&team).is_some_and(|m| m.active) {
            return Err(Fail::new(if existing.invited {
                "already_in_team_invited_user"
            } else {
                "already_in_team"
            }));
        }
        if guest != existing.guest {
            return Err(Fail::new("invalid_role_for_user"));
        }
        let id = existing.id.clone();
        let u = user_mut(org, &id);
        u.memberships.insert(team, membership);
        u.updated = now;
        org.outbox.push(sent);
        return Ok(id);
    }

    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    let full_name = name.filter(|n| !n.trim().is_empty()).unwrap_or_default();
    let mut parts = full_name.split_whitespace();
    let first = parts.next().unwrap_or_default().to_string();
    let last = parts.collect::<Vec<_>>().join(" ");
    let id = org.mint_user_id();
    let user = User {
        id: id.clone(),
        username: local,
        display_name: first.clone(),
        first_name: first,
        last_name: last,
        full_name,
        email: email.to_lowercase(),
        secondary_email: String::new(),
        title: String::new(),
        phone: String::new(),
        tz: "America/Los_Angeles".into(),
        tz_label: "Pacific Standard Time".into(),
        tz_offset: -28_800,
        color: "9f69e7".into(),
        avatar_hash: format!(
            "{:012x}",
            id.bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))
                & 0xffff_ffff_ffff
        ),
        is_bot: false,
        is_app_user: false,
        org_role: OrgRole::Regular,
        guest,
        memberships: [(team, membership)].into_iter().collect(),
        deactivated_ts: 0,
        invited: true,
        has_2fa: false,
        has_sso: false,
        date_created: now,
        updated: now,
        presence: Presence::Away,
        last_activity: 0,
        locale: "en-US".into(),
    };
    org.insert_user(user);
    org.outbox.push(sent);
    Ok(id)
}

/// `admin.users.remove`: takes a user off a workspace.
pub fn remove(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let team = req_team(org, ctx, "team_id")?;
    let user = req_user(org, ctx, "user_id")?;
    if user.org_role == OrgRole::PrimaryOwner {
        return Err(Fail::new("cannot_modify_primary_owner"));
    }
    if user.is_deactivated() {
        return Err(Fail::new("user_already_deleted"));
    }
    if !user.memberships.get(&team).is_some_and(|m| m.active) {
        return Err(Fail::new("user_not_found"));
    }
    // Org owners belong to every workspace of the org; Slack will not take them off one.
    if user.org_role == OrgRole::Owner {
        return Err(Fail::new("failed_to_remove_user_from_workspace"));
    }
    let id = user.id.clone();
    let now = ctx.now;
    let u = user_mut(org, &id);
    let m = u.memberships.get_mut(&team).expect("checked above");
    m.active = false;
    m.role = TeamRole::Regular;
    m.channels.clear();
    m.expiration_ts = 0;
    u.updated = now;
    ok()
}

/// Where a role change applies: one workspace, or the whole org (`team_id` = enterprise ID).
enum Scope {
    Org,
    Team(String),
}

fn role_scope(org: &Org, ctx: &Ctx<'_>) -> Result<Scope, Fail> {
    let team = ctx.args.req_str("team_id")?;
    if team == org.enterprise_id {
        Ok(Scope::Org)
    } else if org.team(&team).is_some() {
        Ok(Scope::Team(team))
    } else {
        Err(Fail::new("team_not_found"))
    }
}

/// The checks every role change shares; returns the user's ID.
fn role_target(org: &Org, ctx: &Ctx<'_>, scope: &Scope) -> Result<String, Fail> {
    let user = req_user(org, ctx, "user_id")?;
    if user.org_role == OrgRole::PrimaryOwner {
        return Err(Fail::new("cannot_modify_primary_owner"));
    }
    if let Scope::Team(t) = scope
        && !user.memberships.get(t).is_some_and(|m| m.active)
    {
        return Err(Fail::new("user_not_found"));
    }
    Ok(user.id.clone())
}

/// `admin.users.setAdmin`: makes a regular user or owner an admin.
pub fn set_admin(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let scope = role_scope(org, ctx)?;
    let id = role_target(org, ctx, &scope)?;
    let user = &org.users[&id];
    if user.is_bot || user.guest.is_some() || user.is_deactivated() {
        return Err(Fail::new("invalid_role_for_user"));
    }
    let now = ctx.now;
    let u = user_mut(org, &id);
    match scope {
        Scope::Org => u.org_role = OrgRole::Admin,
        Scope::Team(t) => {
            if u.org_role >= OrgRole::Admin {
                // An org admin or owner already holds at least admin everywhere.
                return Err(Fail::new("invalid_role_for_user"));
            }
            u.memberships.get_mut(&t).expect("member").role = TeamRole::Admin;
        }
    }
    u.updated = now;
    ok()
}

/// `admin.users.setOwner`: makes a regular user or admin an owner.
pub fn set_owner(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let caller_is_owner = org
        .users
        .get(ctx.caller())
        .is_some_and(|u| u.org_role >= OrgRole::Owner);
    if !caller_is_owner {
        return Err(Fail::new("not_an_owner"));
    }
    let scope = role_scope(org, ctx)?;
    let id = role_target(org, ctx, &scope)?;
    let user = &org.users[&id];
    if user.is_bot || user.guest.is_some() || user.is_deactivated() {
        return Err(Fail::new("invalid_role_for_user"));
    }
    if user.active_teams().next().is_none() {
        return Err(Fail::new("user_must_be_in_workspace"));
    }
    let now = ctx.now;
    let u = user_mut(org, &id);
    match scope {
        Scope::Org => u.org_role = OrgRole::Owner,
        Scope::Team(t) => {
            if u.org_role >= OrgRole::Owner {
                return Err(Fail::new("invalid_role_for_user"));
            }
            u.memberships.get_mut(&t).expect("member").role = TeamRole::Owner;
        }
    }
    u.updated = now;
    ok()
}

/// `admin.users.setRegular`: makes a guest, admin or owner a regular member.
pub fn set_regular(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let scope = role_scope(org, ctx)?;
    let id = role_target(org, ctx, &scope)?;
    let user = &org.users[&id];
    if user.is_bot || user.is_deactivated() {
        return Err(Fail::new("failed_to_set_user_to_regular"));
    }
    if let Scope::Team(_) = scope {
        if user.org_role >= OrgRole::Admin {
            return Err(Fail::new(
                "cannot_set_org_admin_to_regular_at_workspace_level",
            ));
        }
        if user.guest.is_some() && user.active_teams().count() > 1 {
            return Err(Fail::new("cannot_set_this_guest_to_regular_at_team_level"));
        }
    }
    let now = ctx.now;
    let u = user_mut(org, &id);
    match scope {
        Scope::Org => {
            u.org_role = OrgRole::Regular;
            for m in u.memberships.values_mut() {
                m.role = TeamRole::Regular;
            }
        }
        Scope::Team(t) => u.memberships.get_mut(&t).expect("member").role = TeamRole::Regular,
    }
    if u.guest.take().is_some() {
        for m in u.memberships.values_mut() {
            m.expiration_ts = 0;
        }
    }
    u.updated = now;
    ok()
}

/// `admin.users.setExpiration`: sets (or, with 0, clears) a guest's expiration.
pub fn set_expiration(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let user = req_user(org, ctx, "user_id")?;
    let ts = ctx
        .args
        .opt_int("expiration_ts")
        .map_err(|_| Fail::new("failed_to_validate_expiration"))?
        .ok_or_else(|| Fail::new("invalid_arguments").with("missing_argument", "expiration_ts"))?;
    let team = opt_team(org, ctx, "team_id")?;
    if user.is_deactivated() {
        return Err(Fail::new("user_is_deactivated"));
    }
    if user.guest.is_none() {
        return Err(Fail::new("user_is_not_a_guest"));
    }
    if ts != 0 && ts <= ctx.now {
        return Err(Fail::new("failed_to_validate_expiration"));
    }
    let active: Vec<String> = user.active_teams().map(str::to_string).collect();
    let team = match team {
        Some(t) if active.contains(&t) => t,
        Some(_) => return Err(Fail::new("user_not_found")),
        None if active.len() == 1 => active[0].clone(),
        None => return Err(Fail::new("team_id_required_for_enterprise")),
    };
    let id = user.id.clone();
    let now = ctx.now;
    let u = user_mut(org, &id);
    u.memberships.get_mut(&team).expect("member").expiration_ts = ts;
    u.updated = now;
    ok()
}

/// `admin.users.deactivate`: deactivates a user on the whole org (every workspace) and ends
/// their sessions. Deactivating a deactivated account changes nothing and succeeds.
pub fn deactivate(org: &mut Org, ctx: &Ctx<'_>) -> MethodResult {
    let caller_role = require_org_admin(org, ctx)?.org_role;
    let user = req_user(org, ctx, "user_id")?;
    // The page's error list (alphabetical, cut off after `ekm_access_denied`) has no
    // `cannot_*` code: every refusal is `deactivation_failed`.
    let refused = user.org_role == OrgRole::PrimaryOwner
        || user.is_bot
        || (user.org_role >= OrgRole::Owner && caller_role < OrgRole::Owner);
    if refused {
        return Err(Fail::new("deactivation_failed"));
    }
    let id = user.id.clone();
    org.deactivate(&id, ctx.now);
    ok()
}
