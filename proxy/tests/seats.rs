//! Seats: Roster reads Slack's member analytics (`admin.analytics.getFile`) from the
//! sandbox, whose seeded history knows the truth: each person's last active day per
//! workspace must be what the files say, and a backfill cut short goes on without reading
//! a recorded day again and without a gap. On SQLite and on PostgreSQL.

mod common;

use std::time::Duration;

use common::*;
use roster_proxy::{directory::unix_now, seats::Seats};
use roster_sandbox::analytics;

async fn app(kind: Kind) -> Option<TestApp> {
    let storage = match kind {
        Kind::Sqlite => Storage::Sqlite,
        Kind::Postgres => Storage::Postgres(Box::new(postgres_database().await?)),
    };
    Some(
        spawn_app(Options {
            users: 200,
            // Slack's Tier 2 on a clock 10,000 times faster: 395 days in moments.
            rate_scale: 10_000.0,
            storage,
            ..Options::default()
        })
        .await,
    )
}

/// The days the sandbox publishes now.
fn published(app: &TestApp) -> Vec<i64> {
    let now = unix_now();
    let settings = app.sandbox.sandbox.with_org(|o| o.analytics);
    (analytics::oldest_kept(now)..=analytics::newest_published(now, &settings)).collect()
}

async fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "{what}: not within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_backfill_cut_short_goes_on_and_finds_everyones_last_active_day(kind: Kind) {
    let Some(app) = app(kind).await else {
        return;
    };
    let days = published(&app);
    // Days before today Slack has not published yet: asked once by each run.
    let unpublished = (unix_now() / 86_400 - 1 - days.last().unwrap()) as u64;
    let store = app.state.db.activity_rows().clone();

    // The first run stops (as a process killed) once a hundred days are recorded.
    let seats = Seats::load(store.clone()).await.unwrap();
    let run = tokio::spawn(seats.clone().run(app.state.slack.clone(), || true));
    wait_until("a hundred days", 60, || seats.progress().days_read >= 100).await;
    run.abort();
    let _ = run.await;
    let fetched_first = app.sandbox.sandbox.handled("admin.analytics.getFile");
    let recorded_first = store.days_read().await.unwrap().len() as u64;
    assert!(
        fetched_first <= recorded_first + 1 + unpublished,
        "only the day in flight may be read and not recorded: {fetched_first} read, \
         {recorded_first} recorded, {unpublished} not published"
    );

    // A new process: loads what was recorded, reads the rest.
    let seats = Seats::load(store.clone()).await.unwrap();
    assert_eq!(seats.progress().days_read as u64, recorded_first);
    let run = tokio::spawn(seats.clone().run(app.state.slack.clone(), || true));
    wait_until("every published day", 120, || {
        seats.progress().days_read == days.len()
    })
    .await;
    run.abort();
    let recorded = store.days_read().await.unwrap();
    assert_eq!(recorded, days, "every day Slack keeps, no gap");
    let fetched = app.sandbox.sandbox.handled("admin.analytics.getFile");
    // Each day once, the one in flight at the cut perhaps twice, and the days not
    // published yet asked once by each run.
    assert!(
        fetched <= days.len() as u64 + 1 + 2 * unpublished,
        "{fetched} files read for {} days",
        days.len()
    );

    // Everyone's last active day on each workspace is the sandbox's truth, held in
    // memory and in the store alike.
    let again = Seats::load(store).await.unwrap();
    let now = unix_now();
    app.sandbox.sandbox.with_org(|org| {
        let mut checked = 0;
        for user in org.users.values() {
            for team in user.memberships.keys() {
                let Some(truth) = analytics::habits(org, user, team, now / 86_400) else {
                    continue;
                };
                if !(truth.first_day..=*days.last().unwrap()).any(|d| truth.has_row(d)) {
                    continue;
                }
                let expected = analytics::last_active_day(org, user, team, now);
                for held in [&seats, &again] {
                    let got = held
                        .of(&user.id)
                        .and_then(|teams| teams.get(team).copied())
                        .unwrap_or_else(|| panic!("nothing held of {} on {team}", user.id));
                    assert_eq!(got.last_active, expected, "{} on {team}", user.id);
                }
                checked += 1;
            }
        }
        assert!(checked > 150, "{checked}");
    });

    // `/api/users?inactive_days=N` lists exactly those the history says: listed by Slack's
    // files N days ago or before, and not active since on any workspace.
    app.state.seats.set(again).unwrap();
    let newest = *days.last().unwrap();
    for n in [30, 60, 90] {
        let since = now / 86_400 - n;
        let truth: std::collections::BTreeSet<String> = app.sandbox.sandbox.with_org(|org| {
            org.users
                .values()
                .filter(|user| {
                    let listed: Vec<(i64, Option<i64>)> = user
                        .memberships
                        .keys()
                        .filter_map(|team| {
                            let h = analytics::habits(org, user, team, now / 86_400)?;
                            let first = (days[0]..=newest).find(|&d| h.has_row(d))?;
                            Some((first, analytics::last_active_day(org, user, team, now)))
                        })
                        .collect();
                    !listed.is_empty()
                        && listed.iter().any(|(first, _)| *first <= since)
                        && listed
                            .iter()
                            .all(|(_, last)| last.is_none_or(|d| d < since))
                })
                .map(|u| u.id.clone())
                .collect()
        });
        let (status, page) = app
            .get(&format!("/api/users?inactive_days={n}&limit=1000"))
            .await;
        assert_eq!(status, 200, "{page}");
        let listed: std::collections::BTreeSet<String> = page["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                let day = u["last_active"].as_str();
                assert!(
                    day.is_none_or(|d| d < analytics::format_day(since).as_str()),
                    "{u}"
                );
                u["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(listed, truth, "inactive for {n} days");
        assert!(!truth.is_empty(), "nobody inactive for {n} days");
    }
    // A role without seats.read may not filter by activity, nor see it.
    let (status, body) = app.get_as("helpdesk", "/api/users?inactive_days=30").await;
    assert_eq!(status, 403, "{body}");
    let (_, page) = app.get_as("helpdesk", "/api/users?limit=5").await;
    assert!(page["users"][0].get("last_active").is_none(), "{page}");
}

async fn errors_reach_the_status_in_words_and_a_later_day_is_read_once_published(kind: Kind) {
    let Some(app) = app(kind).await else {
        return;
    };
    let store = app.state.db.activity_rows().clone();
    // The org hides email addresses: nothing is read, and the status says why.
    app.sandbox.sandbox.with_org_mut(|o| {
        o.analytics.mode = analytics::AnalyticsMode::EmailsHidden;
    });
    let seats = Seats::load(store.clone()).await.unwrap();
    let run = tokio::spawn(seats.clone().run(app.state.slack.clone(), || true));
    wait_until("the error", 30, || seats.progress().error.is_some()).await;
    run.abort();
    let error = seats.progress().error.unwrap();
    assert!(
        error.contains("hides members' email addresses")
            && error.ends_with("(org_level_email_display_disabled)"),
        "{error}"
    );
    assert_eq!(seats.progress().days_read, 0);

    for (mode, words) in [
        (
            analytics::AnalyticsMode::MemberAnalyticsDisabled,
            "turned off",
        ),
        (
            analytics::AnalyticsMode::NotOnPlan,
            "plan has no member analytics",
        ),
    ] {
        app.sandbox
            .sandbox
            .with_org_mut(|o| o.analytics.mode = mode);
        let seats = Seats::load(store.clone()).await.unwrap();
        let run = tokio::spawn(seats.clone().run(app.state.slack.clone(), || true));
        wait_until("the error", 30, || seats.progress().error.is_some()).await;
        run.abort();
        assert!(seats.progress().error.unwrap().contains(words));
    }

    // Analytics on, but the newest days are published two days late: read later.
    app.sandbox.sandbox.with_org_mut(|o| {
        o.analytics.mode = analytics::AnalyticsMode::On;
        o.analytics.lag_hours = 48;
    });
    let early = published(&app);
    let seats = Seats::load(store.clone()).await.unwrap();
    let run = tokio::spawn(seats.clone().run(app.state.slack.clone(), || true));
    wait_until("the published days", 120, || {
        seats.progress().days_read == early.len()
    })
    .await;
    run.abort();
    assert_eq!(seats.progress().error, None);
    assert_eq!(seats.progress().newest, early.last().copied());
    app.sandbox
        .sandbox
        .with_org_mut(|o| o.analytics.lag_hours = 0);
    let later = published(&app);
    assert!(later.len() > early.len());
    let seats = Seats::load(store.clone()).await.unwrap();
    let run = tokio::spawn(seats.clone().run(app.state.slack.clone(), || true));
    wait_until("the days published since", 60, || {
        seats.progress().days_read == later.len()
    })
    .await;
    run.abort();
    assert_eq!(store.days_read().await.unwrap(), later);
}

on_both!(
    a_backfill_cut_short_goes_on_and_finds_everyones_last_active_day,
    errors_reach_the_status_in_words_and_a_later_day_is_read_once_published
);
