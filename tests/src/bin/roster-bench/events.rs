//! A live directory: from a change made in Slack (the sandbox's SCIM API, as another client)
//! to `/api/users` showing it, over Socket Mode, at a steady rate and in a burst; and what
//! keeping a 100,000-user org current costs in Slack calls a day, with full syncs every
//! 15 minutes against events plus a reconciling sync every 6 hours.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use roster_proxy::slack::SlackToken;
use roster_sandbox::{ScimRequest, events::EventsConfig, ratelimit::RateLimitMode};

use crate::{
    Scale,
    report::{Row, quantile},
    server::{sandbox, state},
    thousands,
};

const APP_TOKEN: &str = "xapp-1-A0SANDBOX1-bench";

/// Renames `id` through SCIM (what Slack's own pages or an identity provider would do).
fn rename(org: &roster_sandbox::RunningSandbox, id: &str, name: &str) {
    let body = serde_json::json!({"name": {"givenName": name, "familyName": "Bench"}}).to_string();
    let reply = org.sandbox.handle_scim(&ScimRequest {
        method: http::Method::PATCH,
        path: &format!("v1/Users/{id}"),
        token: Some(&org.sandbox.tokens().org_admin),
        query: None,
        body: body.as_bytes(),
    });
    assert!(
        matches!(reply, roster_sandbox::ScimReply::Json(200, _)),
        "{reply:?}"
    );
}

/// Sends `names` (one change each) `every` apart (`ZERO`: all at once) and returns how long
/// each took to show in the directory `/api/users` reads.
async fn latencies(
    org: &roster_sandbox::RunningSandbox,
    state: &roster_proxy::AppState,
    people: &[String],
    round: usize,
    every: Duration,
) -> Vec<f64> {
    let mut pending: HashMap<String, (String, Instant)> = HashMap::new();
    let mut took = Vec::with_capacity(people.len());
    let mut next = Instant::now();
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    while took.len() < people.len() {
        while sent < people.len() && Instant::now() >= next {
            let id = &people[sent];
            let name = format!("R{round}n{sent}");
            rename(org, id, &name);
            pending.insert(id.clone(), (format!("{name} Bench"), Instant::now()));
            sent += 1;
            next += every;
        }
        pending.retain(|id, (name, at)| {
            let shown = state
                .directory
                .get(id)
                .is_some_and(|u| u.summary.name == *name);
            if shown {
                took.push(at.elapsed().as_secs_f64() * 1000.0);
            }
            !shown
        });
        assert!(
            Instant::now() < deadline,
            "{} changes never showed",
            pending.len()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    took
}

pub async fn measure(scale: Scale) -> Vec<Row> {
    let org = sandbox(scale.users, RateLimitMode::Off).await;
    let dir = tempfile::tempdir().unwrap();
    let state = state(&org, 1_000.0, dir.path()).await;
    let calls_before = org.sandbox.call_counts();
    state.directory.sync(&state.source).await.unwrap();
    let sync_calls: u64 = org
        .sandbox
        .call_counts()
        .iter()
        .map(|(m, n)| n - calls_before.get(m).copied().unwrap_or(0))
        .sum();
    org.sandbox.events().configure(EventsConfig {
        app_token: Some(APP_TOKEN.into()),
        ..EventsConfig::default()
    });
    state.start_events(
        &org.api_url(),
        Some(SlackToken::new(APP_TOKEN).unwrap()),
        None,
        Duration::from_secs(6 * 3600),
    );
    let started = Instant::now();
    while org.sandbox.events().sockets() == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "no socket");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Regular members of one workspace: a rename changes nothing an event leaves open.
    let (steady_n, burst_n) = if scale.quick {
        (200, 1_000)
    } else {
        (1_000, 5_000)
    };
    let people: Vec<String> = org.sandbox.with_org(|o| {
        o.users
            .values()
            .filter(|u| !u.is_bot && !u.is_deactivated() && u.memberships.len() == 1)
            .take(burst_n)
            .map(|u| u.id.clone())
            .collect()
    });
    assert_eq!(people.len(), burst_n, "not enough people for the burst");
    // A second apart from the sync, so no change ties with the sync's moment.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let calls_before = org.sandbox.call_counts();

    let rate = 50.0;
    let mut steady = latencies(
        &org,
        &state,
        &people[..steady_n],
        1,
        Duration::from_secs_f64(1.0 / rate),
    )
    .await;
    let mut burst = latencies(&org, &state, &people, 2, Duration::ZERO).await;
    // Roster's own calls: the renames (SCIM) are the other client's.
    let reread_calls: u64 = org
        .sandbox
        .call_counts()
        .iter()
        .filter(|(m, _)| !m.starts_with("scim."))
        .map(|(m, n)| n - calls_before.get(m).copied().unwrap_or(0))
        .sum();
    let changes = (steady_n + burst_n) as f64;

    // A day of a 100,000-user org, from what one sync and each change cost here.
    let per_sync_100k = sync_calls as f64 * 100_000.0 / scale.users as f64;
    let before = per_sync_100k * 96.0;
    let changes_a_day = 1_000.0;
    let after = per_sync_100k * 4.0 + reread_calls as f64 / changes * changes_a_day;
    let p = |v: &mut Vec<f64>, q| quantile(v, q);
    vec![
        Row::new(
            format!(
                "change in Slack to /api/users, {} at {rate:.0}/s, {} users (p99)",
                thousands(steady_n),
                scale.users_label()
            ),
            p(&mut steady, 0.99),
            "ms",
            2_000.0,
        )
        .samples(steady.len())
        .detail(format!(
            "p50 {:.1} ms; Socket Mode, sandbox SCIM renames",
            p(&mut steady, 0.5)
        )),
        Row::new(
            format!(
                "change in Slack to /api/users, burst of {}, {} users (p99)",
                thousands(burst_n),
                scale.users_label()
            ),
            p(&mut burst, 0.99),
            "ms",
            10_000.0,
        )
        .samples(burst.len())
        .detail(format!(
            "p50 {:.1} ms; all sent at once",
            p(&mut burst, 0.5)
        )),
        Row::new(
            "Slack calls a day to keep 100,000 users current, with events",
            after,
            "",
            before / 10.0,
        )
        .detail(format!(
            "without events {before:.0} (full sync every 15 min, {per_sync_100k:.0} calls each); with events {after:.0} = 4 reconciling syncs + {:.3} calls per change × {changes_a_day:.0} changes a day (assumed)",
            reread_calls as f64 / changes
        )),
    ]
}
