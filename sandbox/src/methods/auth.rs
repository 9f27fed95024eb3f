//! `auth.test` and `auth.teams.list`.

use serde_json::json;

use super::{Body, Ctx, MethodResult, fields, object, response_metadata};
use crate::{org::Org, tokens::Install};

/// Who the token belongs to, and whether it is an org-wide install.
pub fn test(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let user = org
        .users
        .get(&ctx.token.user_id)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let (team, team_id, url) = match &ctx.token.install {
        Install::Org => (
            org.name.clone(),
            org.enterprise_id.clone(),
            format!("https://{}.enterprise.slack.com/", org.domain),
        ),
        Install::Workspace(t) => {
            let team = org.team(t);
            (
                team.map(|t| t.name.clone()).unwrap_or_default(),
                t.clone(),
                format!(
                    "https://{}.slack.com/",
                    team.map(|t| t.domain.as_str()).unwrap_or_default()
                ),
            )
        }
    };
    let mut body = fields([
        ("url", json!(url)),
        ("team", json!(team)),
        ("user", json!(user)),
        ("team_id", json!(team_id)),
        ("user_id", json!(ctx.token.user_id)),
        ("enterprise_id", json!(org.enterprise_id)),
        (
            "is_enterprise_install",
            json!(ctx.token.install == Install::Org),
        ),
    ]);
    if ctx.token.kind == crate::tokens::TokenKind::Bot {
        body.insert(
            "bot_id".into(),
            json!(format!("B{}", &ctx.token.user_id[1..])),
        );
    }
    Ok(Body::Fields(body))
}

/// `auth.teams.list`: the workspaces the token's app is added to (an org-wide app: those
/// an admin added it to; a workspace app: its own), ordered by ID, cursor-paginated.
pub fn teams_list(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    let added = |id: &str| match &ctx.token.install {
        Install::Org => org.app_on(id),
        Install::Workspace(t) => t == id,
    };
    let teams = org.teams.iter().filter(|t| added(&t.id)).collect();
    let (page, next) = super::admin_teams::page_of(teams, ctx, "app_team")?;
    let include_icon = ctx.args.opt_bool("include_icon")?.unwrap_or(false);
    let teams: Vec<_> = page
        .iter()
        .map(|t| {
            let mut team = json!({"id": t.id, "name": t.name});
            if include_icon {
                team["icon"] = json!({
                    "image_default": true,
                    "image_34": format!("{}/team/{}-34.png", ctx.avatar_base, t.id),
                    "image_44": format!("{}/team/{}-44.png", ctx.avatar_base, t.id),
                });
            }
            team
        })
        .collect();
    Ok(object([
        ("teams", json!(teams)),
        ("response_metadata", response_metadata(next)),
    ]))
}
