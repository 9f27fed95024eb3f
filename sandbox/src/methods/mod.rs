//! The Slack methods the sandbox answers, with each one's tier, token rules and scopes.

mod admin_analytics;
mod admin_conversations;
mod admin_teams;
mod admin_users;
mod auth;
mod invite_requests;
mod sessions;
mod users;

pub(crate) use admin_users::valid_email;

use serde_json::{Map, Value};

use crate::{
    cursor::CursorCodec,
    org::{Org, OrgRole, User},
    ratelimit::Tier,
    request::{Args, Fail},
    tokens::TokenInfo,
};

/// Which tokens a method accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// User tokens only (admin.* and a few users.* methods).
    UserOnly,
    /// User or bot tokens.
    Any,
}

/// Everything a method sees.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub args: &'a Args,
    pub token: &'a TokenInfo,
    pub cursors: &'a CursorCodec,
    /// Unix seconds.
    pub now: i64,
    /// Base URL of profile images.
    pub avatar_base: &'a str,
    /// Whether the arguments came in a JSON body (users.deletePhoto takes form data only).
    pub json_body: bool,
}

impl Ctx<'_> {
    /// The ID of the user the token acts as.
    pub fn caller(&self) -> &str {
        &self.token.user_id
    }
}

/// A method's successful reply, or its error.
pub type MethodResult = Result<Body, Fail>;

/// A successful reply body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Fields of the reply; `"ok": true` is added.
    Fields(Map<String, Value>),
    /// A complete JSON object, `"ok": true` included (big listings serialise straight from
    /// the org, without building a `Value` per item).
    Json(String),
    /// A gzipped file (`admin.analytics.getFile`), sent as `application/gzip`.
    Gzip(Vec<u8>),
}

impl Body {
    /// `{"ok": true}` and nothing else.
    pub fn ok() -> Self {
        Body::Fields(Map::new())
    }

    /// The reply as the sandbox sends it: JSON text, or a file.
    pub fn into_reply(self) -> crate::SlackReply {
        match self {
            Body::Fields(mut fields) => {
                fields.insert("ok".into(), Value::Bool(true));
                crate::SlackReply::Ok(Value::Object(fields).to_string())
            }
            Body::Json(text) => crate::SlackReply::Ok(text),
            Body::Gzip(bytes) => crate::SlackReply::File(bytes),
        }
    }
}

/// A method's implementation: reads take the org shared, writes exclusive.
#[derive(Debug, Clone, Copy)]
pub enum Handler {
    Read(fn(&Org, &Ctx<'_>) -> MethodResult),
    Write(fn(&mut Org, &Ctx<'_>) -> MethodResult),
}

/// One Slack Web API method.
#[derive(Debug, Clone, Copy)]
pub struct MethodSpec {
    pub name: &'static str,
    pub tier: Tier,
    pub access: Access,
    /// The token needs any one of these scopes.
    pub scopes: &'static [&'static str],
    /// Only for tokens of an org-wide install (admin.* methods).
    pub org_install: bool,
    /// Whether it changes the org (a `fatal_error` fault applies the change first).
    pub write: bool,
    pub handler: Handler,
}

/// Every method the sandbox knows, by name.
pub fn lookup(name: &str) -> Option<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name == name)
}

/// Every method the sandbox knows.
pub fn all() -> &'static [MethodSpec] {
    METHODS
}

static METHODS: &[MethodSpec] = &[
    read(
        "auth.test",
        Tier::Tier4,
        Access::Any,
        &[],
        false,
        auth::test,
    ),
    read(
        "auth.teams.list",
        Tier::Tier2,
        Access::Any,
        &[],
        false,
        auth::teams_list,
    ),
    read(
        "admin.analytics.getFile",
        Tier::Tier2,
        Access::UserOnly,
        &["admin.analytics:read"],
        true,
        admin_analytics::get_file,
    ),
    read(
        "admin.conversations.search",
        Tier::Tier2,
        Access::UserOnly,
        &["admin.conversations:read"],
        true,
        admin_conversations::search,
    ),
    read(
        "admin.teams.list",
        Tier::Tier3,
        Access::UserOnly,
        &["admin.teams:read"],
        true,
        admin_teams::list,
    ),
    read(
        "admin.inviteRequests.approved.list",
        Tier::Tier2,
        Access::UserOnly,
        &["admin.invites:read"],
        true,
        invite_requests::approved_list,
    ),
    admin_write(
        "admin.inviteRequests.approve",
        Tier::Tier2,
        &["admin.invites:write"],
        invite_requests::approve,
    ),
    read(
        "admin.inviteRequests.denied.list",
        Tier::Tier2,
        Access::UserOnly,
        &["admin.invites:read"],
        true,
        invite_requests::denied_list,
    ),
    admin_write(
        "admin.inviteRequests.deny",
        Tier::Tier2,
        &["admin.invites:write"],
        invite_requests::deny,
    ),
    read(
        "admin.inviteRequests.list",
        Tier::Tier2,
        Access::UserOnly,
        &["admin.invites:read"],
        true,
        invite_requests::list,
    ),
    write("admin.users.assign", Tier::Tier2, admin_users::assign),
    // Tier not documented; Slack's other admin.users writes are Tier 2.
    write(
        "admin.users.deactivate",
        Tier::Tier2,
        admin_users::deactivate,
    ),
    read(
        "admin.users.getExpiration",
        Tier::Tier4,
        Access::UserOnly,
        &["admin.users:read"],
        true,
        admin_users::get_expiration,
    ),
    write("admin.users.invite", Tier::Tier2, admin_users::invite),
    read(
        "admin.users.list",
        Tier::Tier4,
        Access::UserOnly,
        &["admin.users:read"],
        true,
        admin_users::list,
    ),
    write("admin.users.remove", Tier::Tier2, admin_users::remove),
    write(
        "admin.users.session.clearSettings",
        Tier::Tier4,
        sessions::clear_settings,
    ),
    read(
        "admin.users.session.getSettings",
        Tier::Tier4,
        Access::UserOnly,
        &["admin.users:read"],
        true,
        sessions::get_settings,
    ),
    write(
        "admin.users.session.invalidate",
        Tier::Tier2,
        sessions::invalidate,
    ),
    read(
        "admin.users.session.list",
        Tier::Tier2,
        Access::UserOnly,
        &["admin.users:read"],
        true,
        sessions::list,
    ),
    write("admin.users.session.reset", Tier::Tier2, sessions::reset),
    write(
        "admin.users.session.resetBulk",
        Tier::Tier2,
        sessions::reset_bulk,
    ),
    write(
        "admin.users.session.setSettings",
        Tier::Tier4,
        sessions::set_settings,
    ),
    write("admin.users.setAdmin", Tier::Tier2, admin_users::set_admin),
    write(
        "admin.users.setExpiration",
        Tier::Tier2,
        admin_users::set_expiration,
    ),
    write("admin.users.setOwner", Tier::Tier2, admin_users::set_owner),
    write(
        "admin.users.setRegular",
        Tier::Tier2,
        admin_users::set_regular,
    ),
    read(
        "users.conversations",
        Tier::Tier3,
        Access::Any,
        &[
            "conversations:read",
            "channels:read",
            "groups:read",
            "im:read",
            "mpim:read",
        ],
        false,
        users::conversations,
    ),
    MethodSpec {
        name: "users.deletePhoto",
        tier: Tier::Tier2,
        // Bot tokens reach the method and get its own `user_is_bot`.
        access: Access::Any,
        scopes: &[],
        org_install: false,
        write: true,
        handler: Handler::Write(users::delete_photo),
    },
    read(
        "users.getPresence",
        Tier::Tier3,
        Access::Any,
        &["users:read"],
        false,
        users::get_presence,
    ),
    read(
        "users.identity",
        Tier::Tier4,
        Access::Any,
        &[],
        false,
        users::identity,
    ),
    read(
        "users.info",
        Tier::Tier4,
        Access::Any,
        &["users:read"],
        false,
        users::info,
    ),
    read(
        "users.list",
        Tier::Tier2,
        Access::Any,
        &["users:read"],
        false,
        users::list,
    ),
    read(
        "users.lookupByEmail",
        Tier::Tier3,
        Access::Any,
        &["users:read.email"],
        false,
        users::lookup_by_email,
    ),
];

const fn read(
    name: &'static str,
    tier: Tier,
    access: Access,
    scopes: &'static [&'static str],
    org_install: bool,
    handler: fn(&Org, &Ctx<'_>) -> MethodResult,
) -> MethodSpec {
    MethodSpec {
        name,
        tier,
        access,
        scopes,
        org_install,
        write: false,
        handler: Handler::Read(handler),
    }
}

/// An admin.users.* write: user tokens of an org-wide install with `admin.users:write`.
const fn write(
    name: &'static str,
    tier: Tier,
    handler: fn(&mut Org, &Ctx<'_>) -> MethodResult,
) -> MethodSpec {
    admin_write(name, tier, &["admin.users:write"], handler)
}

/// An admin.* write: user tokens of an org-wide install with one of `scopes`.
const fn admin_write(
    name: &'static str,
    tier: Tier,
    scopes: &'static [&'static str],
    handler: fn(&mut Org, &Ctx<'_>) -> MethodResult,
) -> MethodSpec {
    MethodSpec {
        name,
        tier,
        access: Access::UserOnly,
        scopes,
        org_install: true,
        write: true,
        handler: Handler::Write(handler),
    }
}

/// `{"next_cursor": ...}` for the last item of a page, or `""` when the listing ended.
pub(crate) fn response_metadata(next_cursor: Option<String>) -> Value {
    serde_json::json!({ "next_cursor": next_cursor.unwrap_or_default() })
}

/// Reads `cursor` for a listing of `kind`: the ID to start after, if any.
pub(crate) fn start_after(ctx: &Ctx<'_>, kind: &str) -> Result<Option<String>, Fail> {
    match ctx.args.opt_str("cursor")? {
        None => Ok(None),
        Some(c) => ctx
            .cursors
            .decode(kind, &c)
            .map(Some)
            .ok_or_else(|| Fail::new("invalid_cursor")),
    }
}

/// Reply fields from `(key, value)` pairs.
pub(crate) fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A reply with these fields.
pub(crate) fn object<const N: usize>(pairs: [(&str, Value); N]) -> Body {
    Body::Fields(fields(pairs))
}

/// A required `team_id`-like argument naming a workspace of the org.
pub(crate) fn req_team(org: &Org, ctx: &Ctx<'_>, name: &str) -> Result<String, Fail> {
    let team = ctx.args.req_str(name)?;
    if org.team(&team).is_some() {
        Ok(team)
    } else {
        Err(Fail::new("team_not_found"))
    }
}

/// An optional `team_id`-like argument naming a workspace of the org.
pub(crate) fn opt_team(org: &Org, ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, Fail> {
    match ctx.args.opt_str(name)? {
        None => Ok(None),
        Some(t) if org.team(&t).is_some() => Ok(Some(t)),
        Some(_) => Err(Fail::new("team_not_found")),
    }
}

/// A required user ID of the org; unknown gives `user_not_found`.
pub(crate) fn req_user<'o>(org: &'o Org, ctx: &Ctx<'_>, name: &str) -> Result<&'o User, Fail> {
    let id = ctx.args.req_str(name)?;
    org.users
        .get(&id)
        .ok_or_else(|| Fail::new("user_not_found"))
}

/// Whether `id` looks like a Slack user ID (`U…` or `W…`).
pub(crate) fn is_user_id(id: &str) -> bool {
    id.len() >= 3
        && (id.starts_with('U') || id.starts_with('W'))
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The calling user, who must be an org admin or owner (`not_an_admin` otherwise).
pub(crate) fn require_org_admin<'o>(org: &'o Org, ctx: &Ctx<'_>) -> Result<&'o User, Fail> {
    org.users
        .get(ctx.caller())
        .filter(|u| u.org_role >= OrgRole::Admin && !u.is_deactivated())
        .ok_or_else(|| Fail::new("not_an_admin"))
}
