//! Member analytics: `admin.analytics.getFile` (`type=member`), one gzipped file of
//! newline-delimited JSON a day.
//!
//! The history is not stored: whether someone was active on a workspace on a day is a pure
//! function of the org, the person, the workspace and the day ([`Habits`]), so a file is
//! the same whenever it is asked for, and tests can ask the sandbox what the truth is
//! ([`last_active_day`]). Habits are drawn per person: most are active most weekdays and
//! some weekends; some stopped weeks or months ago; some guests never came back after their
//! first days; invited people never signed in; some people moved from one workspace to
//! another; removed memberships and deactivated accounts stop having rows.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use serde::Serialize;

use crate::org::{GuestKind, Org, User};

/// Days Slack keeps: a rolling 13 months.
pub const KEPT_DAYS: i64 = 395;
const DAY: i64 = 86_400;

/// What `admin.analytics.getFile` answers for the whole org (a control sets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalyticsMode {
    /// Files are served.
    #[default]
    On,
    /// The org hides email addresses: `org_level_email_display_disabled`.
    EmailsHidden,
    /// Member analytics are turned off: `member_analytics_disabled`.
    MemberAnalyticsDisabled,
    /// A plan without analytics: `feature_not_available`.
    NotOnPlan,
}

/// The analytics settings of the org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyticsSettings {
    pub mode: AnalyticsMode,
    /// Hours after a day ends (UTC) before its file is published.
    pub lag_hours: i64,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        AnalyticsSettings {
            mode: AnalyticsMode::On,
            lag_hours: 6,
        }
    }
}

/// The day (Unix seconds / 86,400) of a `YYYY-MM-DD` date, or `None` when it is not one.
pub fn parse_day(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (y, m, d) = (num(&date[0..4])?, num(&date[5..7])?, num(&date[8..10])?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `YYYY-MM-DD` of a day.
pub fn format_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The newest day whose file is published at `now`.
pub fn newest_published(now: i64, settings: &AnalyticsSettings) -> i64 {
    (now - settings.lag_hours * 3600) / DAY - 1
}

/// The oldest day Slack still keeps at `now`.
pub fn oldest_kept(now: i64) -> i64 {
    now / DAY - KEPT_DAYS
}

/// A stable 64-bit mix of the parts (SplitMix64 over FNV-1a): the same on every machine.
fn mix(parts: &[&[u8]], n: i64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h ^ (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number in [0, 1) from the parts.
fn unit(parts: &[&[u8]], n: i64) -> f64 {
    (mix(parts, n) >> 11) as f64 / (1u64 << 53) as f64
}

/// How one person uses one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Habits {
    /// First day with a row (joined, or the oldest day kept).
    pub first_day: i64,
    /// Days with a row end here (removed or deactivated), if they do.
    pub rows_until: Option<i64>,
    /// No activity after this day (stopped using Slack, or moved elsewhere).
    pub active_until: Option<i64>,
    /// No activity before this day (moved here).
    pub active_from: i64,
    /// Chance of being active on a weekday and on a weekend day.
    pub weekday: f64,
    pub weekend: f64,
    pub desktop: bool,
    pub ios: bool,
    pub android: bool,
}

/// `user`'s habits on `team` as of `today` (Unix day), or `None` when they never have a
/// row there (bots, no membership).
pub fn habits(org: &Org, user: &User, team: &str, today: i64) -> Option<Habits> {
    if user.is_bot || user.is_app_user {
        return None;
    }
    let membership = user.memberships.get(team)?;
    let seed = org.enterprise_id.as_bytes();
    let id = user.id.as_bytes();
    let r = |salt: &str| unit(&[seed, id, salt.as_bytes()], 0);
    let kept = today - KEPT_DAYS;
    // Joined: the creation day when it falls in the kept window (seeded orgs may date
    // people after the wall clock: they count as having joined long ago).
    let created = user.date_created / DAY;
    let first_day = if (kept..today).contains(&created) {
        created
    } else {
        kept
    };
    let mut rows_until = None;
    if user.deactivated_ts != 0 {
        rows_until = Some((user.deactivated_ts / DAY).min(today - 1));
    }
    if !membership.active {
        // Removed from the workspace some time ago.
        let removed = today - 20 - (r("removed") * 200.0) as i64;
        rows_until = Some(rows_until.map_or(removed, |d: i64| d.min(removed)));
    }
    let mut habits = Habits {
        first_day,
        rows_until,
        active_until: None,
        active_from: first_day,
        weekday: 0.6 + 0.35 * r("weekday"),
        weekend: 0.05 + 0.25 * r("weekend"),
        desktop: r("desktop") < 0.9,
        ios: r("ios") < 0.45,
        android: r("android") < 0.3,
    };
    let kind = r("kind");
    if user.invited {
        // Never signed in.
        habits.active_until = Some(first_day - 1);
    } else if user.guest.is_some() && kind < 0.3 {
        // A guest who never came back after their first days.
        habits.active_until = Some(first_day + (r("stayed") * 3.0) as i64 - 1);
    } else if kind < 0.08 {
        // Stopped weeks or months ago.
        habits.active_until = Some(today - 31 - (r("stopped") * 270.0) as i64);
    } else if kind < 0.15 {
        // Stopped in the last month.
        habits.active_until = Some(today - 8 - (r("stopped") * 22.0) as i64);
    }
    // Some memberships are where someone moved from (they stopped there) or to (they
    // started there), each drawn on its own so one workspace's history never depends on
    // another's.
    let here = |salt: &str| unit(&[seed, id, team.as_bytes(), salt.as_bytes()], 0);
    if user.guest.is_none() && !user.invited && here("moves") < 0.15 {
        let moved = today - 30 - (here("moved") * 170.0) as i64;
        if here("direction") < 0.5 {
            habits.active_until = Some(habits.active_until.map_or(moved - 1, |d| d.min(moved - 1)));
        } else {
            habits.active_from = habits.active_from.max(moved);
        }
    }
    // A single-channel guest uses Slack less.
    if user.guest == Some(GuestKind::SingleChannel) {
        habits.weekday *= 0.5;
    }
    Some(habits)
}

impl Habits {
    /// Whether there is a row for `day`.
    pub fn has_row(&self, day: i64) -> bool {
        day >= self.first_day && self.rows_until.is_none_or(|u| day <= u)
    }

    /// Whether the person was active on `day` (`salt`: who and where, for the draw).
    fn active_on(&self, day: i64, draw: f64) -> bool {
        if !self.has_row(day) || day < self.active_from {
            return false;
        }
        if self.active_until.is_some_and(|u| day > u) {
            return false;
        }
        // 1970-01-01 was a Thursday: days 2 and 3 (mod 7) are Saturday and Sunday.
        let weekend = matches!(day.rem_euclid(7), 2 | 3);
        draw < if weekend { self.weekend } else { self.weekday }
    }
}

/// Whether `user` was active on `team` on `day`, and on which clients.
pub fn activity(org: &Org, user: &User, team: &str, habits: &Habits, day: i64) -> Activity {
    let seed = org.enterprise_id.as_bytes();
    let key = [seed, user.id.as_bytes(), team.as_bytes()];
    let active = habits.active_on(day, unit(&key, day));
    let client = |salt: &str, uses: bool| {
        active && uses && unit(&[seed, user.id.as_bytes(), salt.as_bytes()], day) < 0.8
    };
    Activity {
        active,
        desktop: client("d", habits.desktop),
        ios: client("i", habits.ios),
        android: client("a", habits.android),
        messages: if active {
            (mix(&key, day ^ 0x5a5a) % 40) as u32
        } else {
            0
        },
    }
}

/// One person's day on one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    pub active: bool,
    pub desktop: bool,
    pub ios: bool,
    pub android: bool,
    pub messages: u32,
}

/// The last day `user` was active on `team` among the days kept and published at `now`,
/// as the files tell it (for tests: the truth Roster must find).
pub fn last_active_day(org: &Org, user: &User, team: &str, now: i64) -> Option<i64> {
    let today = now / DAY;
    let habits = habits(org, user, team, today)?;
    let newest = newest_published(now, &org.analytics);
    (oldest_kept(now)..=newest)
        .rev()
        .find(|&day| activity(org, user, team, &habits, day).active)
}

/// One row of a member file.
#[derive(Debug, Serialize)]
struct MemberRow<'a> {
    enterprise_id: &'a str,
    team_id: &'a str,
    date: &'a str,
    user_id: &'a str,
    email_address: &'a str,
    is_guest: bool,
    is_billable_seat: bool,
    is_active: bool,
    is_active_ios: bool,
    is_active_android: bool,
    is_active_desktop: bool,
    reactions_added_count: u32,
    messages_posted_count: u32,
    channel_messages_posted_count: u32,
    files_added_count: u32,
    is_active_apps: bool,
    is_active_workflows: bool,
    is_active_slack_connect: bool,
    total_calls_count: u32,
    slack_calls_count: u32,
    slack_huddles_count: u32,
    search_count: u32,
    date_claimed: i64,
}

/// The member file of `day`, gzipped newline-delimited JSON: a row per person and
/// workspace they belonged to that day, active or not.
pub fn member_file(org: &Org, day: i64, now: i64) -> Vec<u8> {
    let today = now / DAY;
    let date = format_day(day);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    let mut line = Vec::with_capacity(512);
    for user in org.users.values() {
        for team in user.memberships.keys() {
            let Some(habits) = habits(org, user, team, today) else {
                continue;
            };
            if !habits.has_row(day) {
                continue;
            }
            let a = activity(org, user, team, &habits, day);
            let row = MemberRow {
                enterprise_id: &org.enterprise_id,
                team_id: team,
                date: &date,
                user_id: &user.id,
                email_address: &user.email,
                is_guest: user.guest.is_some(),
                // Enterprise seats: every account but single-channel guests holds one.
                is_billable_seat: user.guest != Some(GuestKind::SingleChannel),
                is_active: a.active,
                is_active_ios: a.ios,
                is_active_android: a.android,
                is_active_desktop: a.desktop,
                reactions_added_count: a.messages / 3,
                messages_posted_count: a.messages,
                channel_messages_posted_count: a.messages / 2,
                files_added_count: a.messages / 10,
                is_active_apps: a.active && a.messages.is_multiple_of(5),
                is_active_workflows: a.active && a.messages.is_multiple_of(7),
                is_active_slack_connect: false,
                total_calls_count: a.messages / 8,
                slack_calls_count: a.messages / 8,
                slack_huddles_count: a.messages / 12,
                search_count: a.messages / 4,
                date_claimed: if user.invited { 0 } else { user.date_created },
            };
            line.clear();
            serde_json::to_writer(&mut line, &row).expect("a row serialises");
            line.push(b'\n');
            gz.write_all(&line).expect("writing to memory");
        }
    }
    gz.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        for date in ["1970-01-01", "2024-02-29", "2026-12-08", "2099-12-31"] {
            assert_eq!(format_day(parse_day(date).unwrap()), date);
        }
        assert_eq!(parse_day("1970-01-02"), Some(1));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "yesterday",
            "2026-12-32",
            "",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
