//! `admin.analytics.getFile`: a day's member file, gzipped newline-delimited JSON, from a
//! seeded history; and Slack's documented errors.

mod common;

use std::{collections::BTreeMap, io::Read};

use common::*;
use roster_sandbox::{
    SlackReply, analytics,
    analytics::AnalyticsMode,
    request::{Args, Call},
    unix_now,
};
use serde_json::Value;

/// The rows of `date`'s member file, or the error code.
fn member_file(sb: &roster_sandbox::Sandbox, date: &str) -> Result<Vec<Value>, String> {
    let call = Call {
        token: Some(sb.tokens().org_admin.clone()),
        args: Args::from_pairs([("type", "member"), ("date", date)]),
        json_body: false,
    };
    match sb.handle("admin.analytics.getFile", &call) {
        SlackReply::File(gz) => {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut text)
                .expect("a gzipped file");
            Ok(text
                .lines()
                .map(|l| serde_json::from_str(l).expect("a JSON row"))
                .collect())
        }
        SlackReply::Fail(f) => Err(f.code.to_string()),
        other => panic!("unexpected reply {other:?}"),
    }
}

fn today() -> i64 {
    unix_now() / 86_400
}

#[test]
fn a_day_has_a_row_per_person_and_workspace_with_every_documented_field() {
    let sb = sandbox(400);
    let newest = analytics::newest_published(unix_now(), &Default::default());
    let date = analytics::format_day(newest);
    let rows = member_file(&sb, &date).unwrap();
    let fields = [
        "enterprise_id",
        "team_id",
        "date",
        "user_id",
        "email_address",
        "is_guest",
        "is_billable_seat",
        "is_active",
        "is_active_ios",
        "is_active_android",
        "is_active_desktop",
        "reactions_added_count",
        "messages_posted_count",
        "channel_messages_posted_count",
        "files_added_count",
        "is_active_apps",
        "is_active_workflows",
        "is_active_slack_connect",
        "total_calls_count",
        "slack_calls_count",
        "slack_huddles_count",
        "search_count",
        "date_claimed",
    ];
    for row in &rows {
        for f in fields {
            assert!(row.get(f).is_some(), "{f} missing from {row}");
        }
        assert_eq!(row["date"], date.as_str());
    }
    // Everyone on a workspace (bots aside, and people removed or deactivated long ago)
    // has a row, active or not; nobody has two on one workspace.
    let mut seen = BTreeMap::new();
    for row in &rows {
        let key = (
            row["user_id"].as_str().unwrap().to_string(),
            row["team_id"].as_str().unwrap().to_string(),
        );
        assert!(seen.insert(key, row.clone()).is_none(), "twice: {row}");
    }
    sb.with_org(|org| {
        for user in org.users.values().filter(|u| !u.is_bot && !u.is_app_user) {
            for (team, m) in &user.memberships {
                if m.active && user.deactivated_ts == 0 {
                    let row = seen
                        .get(&(user.id.clone(), team.clone()))
                        .unwrap_or_else(|| panic!("no row for {} on {team}", user.id));
                    assert_eq!(row["email_address"], user.email.as_str());
                    assert_eq!(row["is_guest"], user.guest.is_some());
                    if user.invited {
                        assert_eq!(row["is_active"], false);
                        assert_eq!(row["date_claimed"], 0);
                    }
                }
            }
        }
    });
    // Clients only when active.
    for row in &rows {
        if row["is_active"] == false {
            assert_eq!(row["is_active_desktop"], false);
            assert_eq!(row["messages_posted_count"], 0);
        }
    }
}

#[test]
fn the_history_holds_regulars_the_lapsed_and_the_never_active() {
    let sb = sandbox(600);
    let now = unix_now();
    let mut buckets = BTreeMap::from([
        ("0-7", 0),
        ("8-30", 0),
        ("31-90", 0),
        (">90", 0),
        ("never", 0),
    ]);
    let mut never_guests = 0;
    sb.with_org(|org| {
        for user in org
            .users
            .values()
            .filter(|u| !u.is_bot && !u.is_deactivated())
        {
            for (team, m) in user.memberships.iter().filter(|(_, m)| m.active) {
                let _ = m;
                let last = analytics::last_active_day(org, user, team, now);
                let bucket = match last.map(|d| today() - d) {
                    None => {
                        never_guests += usize::from(user.guest.is_some());
                        "never"
                    }
                    Some(0..=7) => "0-7",
                    Some(8..=30) => "8-30",
                    Some(31..=90) => "31-90",
                    Some(_) => ">90",
                };
                *buckets.get_mut(bucket).unwrap() += 1;
            }
        }
    });
    let total: usize = buckets.values().sum();
    assert!(buckets["0-7"] * 100 / total >= 70, "{buckets:?}");
    for bucket in ["8-30", "31-90", ">90", "never"] {
        assert!(buckets[bucket] > 0, "no one in {bucket}: {buckets:?}");
    }
    assert!(never_guests > 0, "guests who never came back: {buckets:?}");
}

#[test]
fn the_files_agree_with_the_last_active_day_the_sandbox_knows() {
    let sb = sandbox(150);
    let now = unix_now();
    let newest = analytics::newest_published(now, &Default::default());
    let oldest = analytics::oldest_kept(now);
    let mut last: BTreeMap<(String, String), i64> = BTreeMap::new();
    for day in oldest..=newest {
        for row in member_file(&sb, &analytics::format_day(day)).unwrap() {
            if row["is_active"] == true {
                last.insert(
                    (
                        row["user_id"].as_str().unwrap().to_string(),
                        row["team_id"].as_str().unwrap().to_string(),
                    ),
                    day,
                );
            }
        }
    }
    sb.with_org(|org| {
        for user in org.users.values() {
            for team in user.memberships.keys() {
                assert_eq!(
                    analytics::last_active_day(org, user, team, now),
                    last.get(&(user.id.clone(), team.clone())).copied(),
                    "{} on {team}",
                    user.id
                );
            }
        }
    });
}

#[test]
fn documented_errors() {
    let sb = sandbox(50);
    let day = |d: i64| analytics::format_day(d);
    assert_eq!(
        member_file(&sb, &day(today())).unwrap_err(),
        "file_not_yet_available"
    );
    assert_eq!(
        member_file(&sb, &day(today() + 30)).unwrap_err(),
        "file_not_yet_available"
    );
    assert_eq!(
        member_file(&sb, &day(today() - 400)).unwrap_err(),
        "data_not_available"
    );
    assert_eq!(member_file(&sb, "2026-02-30").unwrap_err(), "invalid_date");
    let org = sb.tokens().org_admin.clone();
    let yesterday = day(today() - 2);
    for (args, error) in [
        (
            vec![("type", "people"), ("date", yesterday.as_str())],
            "invalid_type",
        ),
        (
            vec![("type", "public_channel"), ("metadata_only", "true")],
            "metadata_not_available",
        ),
    ] {
        assert_eq!(
            call(&sb, "admin.analytics.getFile", &org, &args).unwrap_err(),
            error
        );
    }
    // A later publication: yesterday is not there until the lag has passed.
    sb.with_org_mut(|o| o.analytics.lag_hours = 48);
    assert_eq!(
        member_file(&sb, &day(today() - 1)).unwrap_err(),
        "file_not_yet_available"
    );
    for (mode, error) in [
        (
            AnalyticsMode::EmailsHidden,
            "org_level_email_display_disabled",
        ),
        (
            AnalyticsMode::MemberAnalyticsDisabled,
            "member_analytics_disabled",
        ),
        (AnalyticsMode::NotOnPlan, "feature_not_available"),
    ] {
        sb.with_org_mut(|o| o.analytics.mode = mode);
        assert_eq!(member_file(&sb, &yesterday).unwrap_err(), error);
    }
    sb.with_org_mut(|o| o.analytics.mode = AnalyticsMode::On);
    assert!(member_file(&sb, &day(today() - 3)).is_ok());
    // A workspace token lacks the scope.
    assert_eq!(
        call(
            &sb,
            "admin.analytics.getFile",
            &sb.tokens().workspace.clone(),
            &[("type", "member"), ("date", yesterday.as_str())]
        )
        .unwrap_err(),
        "missing_scope"
    );
}
