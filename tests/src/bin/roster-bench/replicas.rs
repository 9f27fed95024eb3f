//! Two `roster serve` replicas on one PostgreSQL, against `roster sandbox`: 300 invitations
//! on one Slack lane from both replicas against the Tier 2 floor, the failover of a job
//! whose replica is killed, and the users query and memory of the replica that did not
//! sync. Needs a PostgreSQL cluster (`ROSTER_TEST_POSTGRES`; `cargo xtask bench` starts one).

use std::{path::Path, time::Instant};

use roster_e2e::processes::{
    Database, Process, RosterClient, create_job as create, done, has_directory, invitations,
    postgres_database, sandbox, serve, serve_config_on, until_job,
};
use serde_json::Value;

use crate::{
    Scale,
    report::{Row, quantile},
};

/// Slack's limits run this many times faster, in the sandbox and in Roster's pacing.
const CLOCK: f64 = 60.0;

fn replica(dir: &Path, base: &str, clock: f64, database: &Database) -> (Process, RosterClient) {
    std::fs::create_dir_all(dir).unwrap();
    let config = serve_config_on(dir, base, clock, Some(database));
    let (process, url) = serve(&config);
    (process, RosterClient::new(url))
}

async fn counts(base: &str, which: &str) -> Value {
    reqwest::get(format!("{base}_sandbox/{which}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn measure(scale: Scale) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let Some(database) = postgres_database(dir.path()).await else {
        eprintln!("no PostgreSQL cluster: the replicas' rows are left out");
        return Vec::new();
    };
    let mut rows = Vec::new();

    // 1. 300 invitations on one lane: half created on each replica, both running at once.
    let (_sandbox, base) = sandbox(&["--users", "500", "--rate-limits", &format!("scale={CLOCK}")]);
    let (_a, a) = replica(&dir.path().join("a"), &base, CLOCK, &database);
    let (_b, b) = replica(&dir.path().join("b"), &base, CLOCK, &database);
    has_directory(&a, 900).await;
    has_directory(&b, 900).await;
    let (first, second) = (
        invitations(&a, 150, "one").await,
        invitations(&b, 150, "two").await,
    );
    let started = Instant::now();
    let (x, y) = tokio::join!(create(&a, first), create(&b, second));
    until_job(&a, x, 600, |j| j["job"]["state"] == "finished").await;
    until_job(&b, y, 600, |j| j["job"]["state"] == "finished").await;
    let took = started.elapsed().as_secs_f64();
    let (calls, handled) = (counts(&base, "calls").await, counts(&base, "handled").await);
    let invite = |c: &Value| c["admin.users.invite"].as_u64().unwrap_or(0);
    let limited = invite(&calls) - invite(&handled);
    // Tier 2: a burst of 20, then 20 a minute, on the faster clock.
    let floor = (300.0 - 20.0) * 3.0 / CLOCK;
    rows.push(
        Row::new(
            format!("two replicas, 300 invites on one lane (×{CLOCK:.0} clock), vs Tier 2 floor"),
            took / floor,
            "×",
            1.15,
        )
        .samples(1)
        .detail(format!(
            "{took:.2} s, floor {floor:.2} s; 150 created on each replica, run by both at once; {} invite calls, {limited} answered 429",
            invite(&calls)
        )),
    );

    // 2. Failover: the replica running a job is killed; the other goes on after the lease.
    let (_sandbox, base) = sandbox(&["--users", "500", "--rate-limits", "scale=20"]);
    let failover_db = fresh_database(dir.path(), "failover").await;
    let (killed, c) = replica(&dir.path().join("c"), &base, 20.0, &failover_db);
    let (_d, d) = replica(&dir.path().join("d"), &base, 20.0, &failover_db);
    has_directory(&c, 900).await;
    has_directory(&d, 900).await;
    let operations = invitations(&c, 200, "failover").await;
    let id = create(&c, operations).await;
    until_job(&d, id, 600, |j| done(j) >= 40).await;
    drop(killed);
    let at_kill = Instant::now();
    let before = done(&d.get(&format!("/api/jobs/{id}")).await);
    until_job(&d, id, 600, |j| done(j) > before + 1).await;
    let failover = at_kill.elapsed().as_secs_f64();
    rows.push(
        Row::new(
            "failover: from SIGKILL of a job's replica to its next row on another",
            failover,
            "s",
            15.0,
        )
        .samples(1)
        .detail(format!(
            "the lease is 10 s and replicas look for jobs no one holds every second; {before} of 200 rows done at the kill"
        )),
    );

    // 3. The replica that did not sync: its users query and each replica's memory.
    let users = scale.users.to_string();
    let (_sandbox, base) = sandbox(&["--users", &users, "--rate-limits", "off"]);
    let big_db = fresh_database(dir.path(), "big").await;
    let (e_process, e) = replica(&dir.path().join("e"), &base, 1_000.0, &big_db);
    let (f_process, f) = replica(&dir.path().join("f"), &base, 1_000.0, &big_db);
    has_directory(&e, 900).await;
    has_directory(&f, 900).await;
    let ready = |client: &RosterClient| {
        let url = format!("{}/readyz", client.url);
        async move {
            let r: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            r["database"]["leader"] == true
        }
    };
    let (follower, follower_process, leader_process) = if ready(&e).await {
        (&f, &f_process, &e_process)
    } else {
        (&e, &e_process, &f_process)
    };
    let queries = [
        "",
        "q=ana",
        "type=admin&sort=email",
        "has_2fa=false",
        "status=active&sort=created&dir=desc",
        "type=multi_channel_guest&sort=expires",
    ];
    let mut times = Vec::new();
    for round in 0..if scale.quick { 5 } else { 30 } {
        for query in queries {
            let t = Instant::now();
            follower
                .get(&format!("/api/users?{query}&offset={}", round % 3 * 50))
                .await;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let samples = times.len();
    rows.push(
        Row::new(
            format!(
                "/api/users on the replica that did not sync, {} users (p95)",
                scale.users_label()
            ),
            quantile(&mut times, 0.95),
            "ms",
            20.0,
        )
        .samples(samples)
        .detail(format!(
            "p50 {:.1} ms; {} different queries, loaded from the snapshot the other replica synced",
            quantile(&mut times, 0.5),
            queries.len()
        )),
    );
    let mb = |p: &Process| p.memory("VmRSS").unwrap_or(0) as f64 / 1e6;
    rows.push(
        Row::new(
            format!(
                "replica resident memory, {} users (the larger)",
                scale.users_label()
            ),
            mb(leader_process).max(mb(follower_process)),
            "MB",
            130.0,
        )
        .samples(2)
        .detail(format!(
            "VmRSS: the replica that synced {:.1} MB, the one that loaded its snapshot {:.1} MB",
            mb(leader_process),
            mb(follower_process)
        )),
    );
    rows
}

/// Another database in the cluster, its password file in a folder of its own under `dir`.
async fn fresh_database(dir: &Path, name: &str) -> Database {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    postgres_database(&folder)
        .await
        .expect("the cluster answered a moment ago")
}
