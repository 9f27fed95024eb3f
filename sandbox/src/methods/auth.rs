//! `auth.test`.

use serde_json::json;

use super::{Body, Ctx, MethodResult, fields};
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
