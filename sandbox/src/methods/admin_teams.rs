//! `admin.teams.list`.

use serde_json::json;

use super::{Ctx, MethodResult, object, response_metadata, start_after};
use crate::{
    org::{Org, Team},
    request::Fail,
};

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

/// One page of `teams` by ID (`limit` 1–1000, default 100; `cursor` of `kind`), and the
/// cursor of the next page.
pub(super) fn page_of<'o>(
    mut teams: Vec<&'o Team>,
    ctx: &Ctx<'_>,
    kind: &str,
) -> Result<(Vec<&'o Team>, Option<String>), Fail> {
    let limit = ctx.args.opt_int("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Fail::new("invalid_limit"));
    }
    let after = start_after(ctx, kind)?;
    teams.sort_by(|a, b| a.id.cmp(&b.id));
    let mut page: Vec<&Team> = teams
        .into_iter()
        .filter(|t| after.as_deref().is_none_or(|a| t.id.as_str() > a))
        .take(limit as usize + 1)
        .collect();
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let next = more.then(|| ctx.cursors.encode(kind, &page[page.len() - 1].id));
    Ok((page, next))
}

/// The org's workspaces, ordered by ID, cursor-paginated.
pub fn list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let (page, next) = page_of(org.teams.iter().collect(), ctx, "team")?;
    let owner = org.primary_owner();
    let teams: Vec<_> = page
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name,
                "discoverability": t.discoverability,
                "primary_owner": {
                    "user_id": owner.map(|o| o.id.as_str()).unwrap_or_default(),
                    "email": owner.map(|o| o.email.as_str()).unwrap_or_default(),
                },
                "team_url": format!("https://{}.slack.com/", t.domain),
            })
        })
        .collect();
    Ok(object([
        ("teams", json!(teams)),
        ("response_metadata", response_metadata(next)),
    ]))
}
