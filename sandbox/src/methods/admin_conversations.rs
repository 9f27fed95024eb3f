//! `admin.conversations.search`: the channel picker's source.

use std::collections::HashMap;

use serde_json::json;

use super::{Ctx, MethodResult, object};
use crate::{org::Org, request::Fail};

const DEFAULT_LIMIT: i64 = 10;
const MAX_LIMIT: i64 = 20;
const CHANNEL_TYPES: &[&str] = &[
    "private",
    "archived",
    "public",
    "exclude_archived",
    "private_exclude",
    "multi_workspace",
    "org_wide",
    "external_shared_exclude",
    "external_shared",
    "external_shared_private",
    "external_shared_archived",
];

/// Channels of the given workspaces whose name contains `query`, by name.
///
/// Like Slack, the next page's cursor is a top-level `next_cursor`.
pub fn search(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let args = ctx.args;
    let teams: Vec<String> = args.opt_list("team_ids")?.unwrap_or_default();
    if let Some(unknown) = teams.iter().find(|t| org.team(t).is_none()) {
        return Err(Fail::new("team_not_found").with("team_id", unknown.as_str()));
    }
    let query = args.opt_str("query")?.unwrap_or_default().to_lowercase();
    let limit = args.opt_int("limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Fail::new("invalid_limit"));
    }
    let types: Vec<String> = args.opt_list("search_channel_types")?.unwrap_or_default();
    if types.iter().any(|t| !CHANNEL_TYPES.contains(&t.as_str())) {
        return Err(Fail::new("invalid_search_channel_type"));
    }
    match args.opt_str("sort")?.as_deref() {
        None | Some("name" | "relevant" | "member_count" | "created") => {}
        Some(_) => return Err(Fail::new("invalid_sort")),
    }
    let descending = match args.opt_str("sort_dir")?.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(Fail::new("invalid_sort_dir")),
    };
    let after = match args.opt_str("cursor")? {
        None => None,
        Some(c) => Some(
            ctx.cursors
                .decode("conversation", &c)
                .ok_or_else(|| Fail::new("invalid_cursor"))?,
        ),
    };

    let wants = |private: bool, archived: bool| {
        let has = |t: &str| types.iter().any(|x| x == t);
        if types.is_empty() {
            return !archived;
        }
        (has("private") && private)
            || (has("public") && !private)
            || (has("archived") && archived)
            || (has("exclude_archived") && !archived)
            || (has("private_exclude") && !private)
    };
    let mut found: Vec<_> = org
        .channels
        .values()
        .filter(|c| teams.is_empty() || teams.contains(&c.team_id))
        .filter(|c| c.name.contains(&query))
        .filter(|c| wants(c.is_private, c.is_archived))
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    if descending {
        found.reverse();
    }
    let key = |c: &crate::org::Channel| format!("{}|{}", c.name, c.id);
    let start = match &after {
        None => 0,
        Some(pos) => found
            .iter()
            .position(|c| &key(c) == pos)
            .map_or(found.len(), |i| i + 1),
    };
    let page: Vec<_> = found.iter().skip(start).take(limit as usize).collect();
    let more = start + page.len() < found.len();

    let mut members: HashMap<&str, u64> = HashMap::new();
    for user in org.users.values().filter(|u| !u.is_deactivated()) {
        for m in user.memberships.values().filter(|m| m.active) {
            for c in &m.channels {
                *members.entry(c.as_str()).or_default() += 1;
            }
        }
    }
    let conversations: Vec<_> = page
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "purpose": c.purpose,
                "member_count": members.get(c.id.as_str()).copied().unwrap_or(0),
                "created": c.created,
                "creator_id": c.creator,
                "is_private": c.is_private,
                "is_archived": c.is_archived,
                "is_general": c.name == "general",
                "last_activity_ts": 0,
                "is_ext_shared": false,
                "is_global_shared": false,
                "is_org_default": false,
                "is_org_mandatory": false,
                "is_org_shared": false,
                "is_frozen": false,
                "connected_team_ids": [],
                "internal_team_ids": [c.team_id],
                "context_team_id": c.team_id,
                "conversation_host_id": c.team_id,
            })
        })
        .collect();
    let next = if more {
        page.last()
            .map(|c| ctx.cursors.encode("conversation", &key(c)))
    } else {
        None
    };
    Ok(object([
        ("conversations", json!(conversations)),
        ("next_cursor", json!(next.unwrap_or_default())),
    ]))
}
