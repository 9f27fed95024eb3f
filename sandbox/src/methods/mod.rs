//! The Slack methods the sandbox answers, with each one's tier, token rules and scopes.

mod admin_teams;
mod admin_users;
mod auth;

use serde_json::{Map, Value};

use crate::{
    cursor::CursorCodec,
    org::Org,
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
}

/// A method's successful body (without `ok`), or its error.
pub type MethodResult = Result<Map<String, Value>, Fail>;

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
    MethodSpec {
        name: "auth.test",
        tier: Tier::Tier4,
        access: Access::Any,
        scopes: &[],
        org_install: false,
        handler: Handler::Read(auth::test),
    },
    MethodSpec {
        name: "admin.teams.list",
        tier: Tier::Tier3,
        access: Access::UserOnly,
        scopes: &["admin.teams:read"],
        org_install: true,
        handler: Handler::Read(admin_teams::list),
    },
    MethodSpec {
        name: "admin.users.list",
        tier: Tier::Tier4,
        access: Access::UserOnly,
        scopes: &["admin.users:read"],
        org_install: true,
        handler: Handler::Read(admin_users::list),
    },
];

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

/// Builds a JSON object from `(key, value)` pairs.
pub(crate) fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
