//! `roster serve` as its own process, against `roster sandbox`: its resident memory with
//! the org's snapshot loaded, and what it adds to a user's detail over calling Slack
//! directly.

use std::time::Instant;

use roster_e2e::processes::{
    ADMIN_TOKEN, OTHER_ADMINS, RosterClient, other_admin, sandbox, serve, serve_config,
};
use serde_json::Value;

use crate::{
    Scale,
    report::{Row, quantile},
};

/// The Slack calls `GET /api/users/{id}` makes for a member (not a guest), made directly,
/// together as Roster makes them.
async fn direct_calls(http: &reqwest::Client, api: &str, id: &str) {
    let call = |method: &'static str, params: Vec<(&'static str, String)>| {
        let request = http
            .post(format!("{api}{method}"))
            .bearer_auth(ADMIN_TOKEN)
            .form(&params);
        async move {
            let reply: Value = request.send().await.unwrap().json().await.unwrap();
            assert_eq!(reply["ok"], true, "{method}: {reply}");
        }
    };
    tokio::join!(
        call("users.info", vec![("user", id.to_string())]),
        call("users.getPresence", vec![("user", id.to_string())]),
        call(
            "users.conversations",
            vec![
                ("user", id.to_string()),
                ("types", "public_channel,private_channel".into()),
                ("exclude_archived", "true".into()),
                ("limit", "100".into()),
            ]
        ),
    );
}

/// `roster serve`'s memory with an org of `users` (the largest org Roster is sized for).
pub async fn memory_at(users: usize, target_mb: f64) -> Vec<Row> {
    let count = users.to_string();
    let (_sandbox, base) = sandbox(&["--users", &count, "--rate-limits", "off"]);
    let data = tempfile::tempdir().unwrap();
    let config = serve_config(data.path(), &base, 1_000.0);
    let (roster, url) = serve(&config);
    let client = RosterClient::new(url);
    let started = Instant::now();
    client.wait_for_sync(1_800).await;
    let synced = started.elapsed().as_secs_f64();
    for query in ["", "q=ana", "type=admin&sort=email", "has_2fa=false"] {
        client.get(&format!("/api/users?{query}")).await;
    }
    let rss = roster.memory("VmRSS").expect("VmRSS of roster serve") as f64 / 1e6;
    let peak = roster.memory("VmHWM").unwrap_or(0) as f64 / 1e6;
    vec![
        Row::new(
            format!("proxy resident memory, {} users", crate::thousands(users)),
            rss,
            "MB",
            target_mb,
        )
        .detail(format!(
            "VmRSS after the sync ({synced:.1} s, limits off) and 4 queries; peak {peak:.1} MB"
        )),
    ]
}

pub async fn measure(scale: Scale) -> Vec<Row> {
    let users = scale.users.to_string();
    let (_sandbox, base) = sandbox(&["--users", &users, "--rate-limits", "off"]);
    let data = tempfile::tempdir().unwrap();
    // Roster's own limiter stays on, on a clock fast enough not to pace these samples.
    let config = serve_config(data.path(), &base, 1_000.0);
    let (roster, url) = serve(&config);
    let client = RosterClient::new(url);
    let started = Instant::now();
    client.wait_for_sync(600).await;
    eprintln!(
        "roster serve synced {} users in about {:.1} s",
        scale.users_label(),
        started.elapsed().as_secs_f64()
    );

    // Resident memory once the snapshot is loaded and a few queries have run.
    for query in ["", "q=ana", "type=admin&sort=email", "has_2fa=false"] {
        client.get(&format!("/api/users?{query}")).await;
    }
    let rss = roster.memory("VmRSS").expect("VmRSS of roster serve");
    let peak = roster.memory("VmHWM").unwrap_or(0);
    let mb = |b: u64| b as f64 / 1e6;
    let mut rows = vec![
        Row::new(
            format!("proxy resident memory, {} users", scale.users_label()),
            mb(rss),
            "MB",
            100.0,
        )
        .detail("VmRSS once the snapshot is loaded and 4 queries have run"),
        Row::new(
            format!(
                "proxy peak memory during the sync, {} users",
                scale.users_label()
            ),
            mb(peak),
            "MB",
            130.0,
        )
        .detail("VmHWM: the highest resident memory since the process started"),
    ];

    // The same user details through Roster and straight from the sandbox, interleaved so
    // both see the same machine; the difference is what Roster adds.
    // Each sample is a different person, so Roster asks Slack for every one (it reuses
    // what Slack said about a person for a while).
    let samples = if scale.quick { 200 } else { 1_000 };
    let mut ids = Vec::new();
    for offset in [0, 1_000] {
        ids.extend(
            client
                .user_ids(&format!(
                    "type=member&status=active&offset={offset}&limit=1000"
                ))
                .await,
        );
    }
    assert!(ids.len() >= samples + 20, "{} members", ids.len());
    let api = format!("{base}api/");
    let http = reqwest::Client::new();
    // Pages that ask Slack are budgeted per person (a minute's allowance each): the samples
    // are spread over several admins, so what is measured is the proxy, not the budget.
    let admins: Vec<RosterClient> = std::iter::once(client.clone())
        .chain((1..=OTHER_ADMINS).map(|n| client.as_person(other_admin(n))))
        .collect();
    // Warm both paths' connections.
    for (i, id) in ids.iter().skip(samples).take(20).enumerate() {
        admins[i % admins.len()]
            .get(&format!("/api/users/{id}"))
            .await;
        direct_calls(&http, &api, id).await;
    }
    let mut through = Vec::with_capacity(samples);
    let mut direct = Vec::with_capacity(samples);
    let mut overhead = Vec::with_capacity(samples);
    for i in 0..samples {
        let id = &ids[i];
        let time_roster = async {
            let t = Instant::now();
            let detail = admins[i % admins.len()]
                .get(&format!("/api/users/{id}"))
                .await;
            assert!(
                detail["warnings"].as_array().is_none_or(|w| w.is_empty()),
                "{detail}"
            );
            t.elapsed().as_secs_f64() * 1e3
        };
        let time_direct = async {
            let t = Instant::now();
            direct_calls(&http, &api, id).await;
            t.elapsed().as_secs_f64() * 1e3
        };
        let (r, d) = if i % 2 == 0 {
            let r = time_roster.await;
            (r, time_direct.await)
        } else {
            let d = time_direct.await;
            (time_roster.await, d)
        };
        through.push(r);
        direct.push(d);
        overhead.push(r - d);
    }
    let p99 = quantile(&mut overhead, 0.99);
    let p50 = quantile(&mut overhead, 0.5);
    rows.push(
        Row::new(
            "proxy overhead on /api/users/{id} (p99)",
            p99,
            "ms",
            1.0,
        )
        .samples(samples)
        .detail(format!(
            "overhead p50 {p50:.2} ms; through Roster p50 {:.2} / p99 {:.2} ms; the same 3 Slack calls direct p50 {:.2} / p99 {:.2} ms",
            quantile(&mut through, 0.5),
            quantile(&mut through, 0.99),
            quantile(&mut direct, 0.5),
            quantile(&mut direct, 0.99),
        )),
    );
    rows
}
