//! `admin.analytics.getFile` (see [`crate::analytics`]).

use super::{Body, Ctx, MethodResult, require_org_admin};
use crate::{
    analytics::{self, AnalyticsMode},
    org::Org,
    request::Fail,
};

/// A day's member file, gzipped, or Slack's error for why there is none.
pub fn get_file(org: &Org, ctx: &Ctx<'_>) -> MethodResult {
    require_org_admin(org, ctx)?;
    let kind = ctx.args.req_str("type")?;
    match org.analytics.mode {
        AnalyticsMode::NotOnPlan => return Err(Fail::new("feature_not_available")),
        AnalyticsMode::EmailsHidden => return Err(Fail::new("org_level_email_display_disabled")),
        AnalyticsMode::MemberAnalyticsDisabled if kind == "member" => {
            return Err(Fail::new("member_analytics_disabled"));
        }
        _ => {}
    }
    let metadata_only = ctx.args.opt_bool("metadata_only")?.unwrap_or(false);
    match kind.as_str() {
        "member" if metadata_only => return Err(Fail::new("invalid_type")),
        "member" => {}
        // Channel files are not modelled (Roster reads member files only).
        "public_channel" if metadata_only && ctx.args.opt_str("date")?.is_some() => {
            return Err(Fail::new("metadata_only_does_not_support_date"));
        }
        "public_channel" if metadata_only => return Err(Fail::new("metadata_not_available")),
        "public_channel" => return Err(Fail::new("file_not_found")),
        _ => return Err(Fail::new("invalid_type")),
    }
    let date = ctx.args.req_str("date")?;
    let day = analytics::parse_day(&date).ok_or_else(|| Fail::new("invalid_date"))?;
    if day < analytics::oldest_kept(ctx.now) {
        return Err(Fail::new("data_not_available"));
    }
    if day > analytics::newest_published(ctx.now, &org.analytics) {
        return Err(Fail::new("file_not_yet_available"));
    }
    Ok(Body::Gzip(analytics::member_file(org, day, ctx.now)))
}
