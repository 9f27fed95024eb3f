//! Two replicas of Roster in one test process, on one PostgreSQL database and one sandbox:
//! one sync for both, a change through one read back from the other within 2 s, a job
//! taken over when its owner stops, steered from the other replica, and one audit log
//! whose IDs never go back in time. (The same, as separate `roster serve` processes killed
//! with SIGKILL or stopped with SIGSTOP, is in `tests/tests/replicas.rs`.)

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::*;
use roster_api::{UserStatus, UserType};
use roster_sandbox::{RunningSandbox, Sandbox, SandboxConfig, ratelimit::RateLimitMode};
use serde_json::{Value, json};

async fn sandbox(rate_limits: RateLimitMode) -> Arc<RunningSandbox> {
    Arc::new(
        Sandbox::new(SandboxConfig {
            users: 300,
            seed: 4,
            rate_limits,
            epoch: Some(4_000_000_000 - 86_400 * 400),
            ..SandboxConfig::default()
        })
        .serve(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap(),
    )
}

/// Two replicas on `sandbox` and a new database; `None` without a PostgreSQL cluster.
async fn two_replicas(
    sandbox: &Arc<RunningSandbox>,
    rate_scale: f64,
) -> Option<(TestApp, TestApp)> {
    let database = postgres_database().await?;
    let options = || Options {
        storage: Storage::Postgres(Box::new(database.clone())),
        replica: true,
        skip_sync: true,
        rate_scale,
        ..Options::default()
    };
    let a = spawn_app_on(sandbox.clone(), None, options()).await;
    let b = spawn_app_on(sandbox.clone(), None, options()).await;
    Some((a, b))
}

async fn eventually(what: &str, within: Duration, mut f: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < within {
        if f().await {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within {within:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_sync_once_and_see_each_others_changes_within_two_seconds() {
    // What one sync costs, on an identical org.
    let alone = sandbox(RateLimitMode::Off).await;
    let one = spawn_app_on(alone.clone(), None, Options::default()).await;
    let one_sync = alone.sandbox.calls("admin.users.list");
    assert!(one_sync > 0 && !one.state.directory.is_empty());

    let shared = sandbox(RateLimitMode::Off).await;
    let Some((a, b)) = two_replicas(&shared, 1.0).await else {
        return;
    };
    eventually(
        "both replicas to have the directory",
        Duration::from_secs(60),
        async || {
            a.state.directory.len() == one.state.directory.len()
                && b.state.directory.len() == one.state.directory.len()
        },
    )
    .await;
    // Give a second leader time to start a sync of its own, if it were to.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        shared.sandbox.calls("admin.users.list"),
        one_sync,
        "one sync for both replicas"
    );
    let leaders = [&a, &b]
        .iter()
        .filter(|app| app.state.replicas.as_ref().unwrap().is_leader())
        .count();
    assert_eq!(leaders, 1);

    // A change through A, read back from B.
    let member = a.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && !u.summary.workspaces.is_empty()
    });
    let id = member.summary.id.clone();
    let team = member.summary.workspaces[0].to_string();
    let (status, body) = a
        .post(
            &format!("/api/users/{id}/role"),
            json!({"workspace": team, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let took = eventually("B to show the change", Duration::from_secs(2), async || {
        let (_, page) = b.get(&format!("/api/users?q={id}")).await;
        page["users"][0]["type"] == "admin"
    })
    .await;
    println!("a change through A showed on B after {took:?}");
}

/// Rows of invitations on `team`.
fn invitations(app: &TestApp, rows: usize, tag: &str) -> Vec<Value> {
    let team = app.workspace(0);
    let channel = app.channel_on(&team);
    (0..rows)
        .map(|i| {
            json!({"op": "invite", "email": format!("{tag}{i:03}@agency.example"), "workspace": team,
                   "channels": [channel], "guest": "multi_channel"})
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_goes_on_when_its_replica_stops_and_is_steered_from_the_other() {
    // Slack's Tier 2 on a 20× clock: 20 at once, then one every 150 ms.
    let shared = sandbox(RateLimitMode::Scale(20.0)).await;
    let Some((a, b)) = two_replicas(&shared, 20.0).await else {
        return;
    };
    eventually("the directory", Duration::from_secs(60), async || {
        !a.state.directory.is_empty() && !b.state.directory.is_empty()
    })
    .await;
    let rows = 200;
    let (status, created) = a
        .post(
            "/api/jobs",
            json!({"operations": invitations(&a, rows, "moved")}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    fn done(job: &Value) -> u64 {
        job["job"]["counts"]["done"].as_u64().unwrap_or(0)
    }
    eventually(
        "the job to be under way",
        Duration::from_secs(30),
        async || done(&b.get(&format!("/api/jobs/{id}")).await.1) >= 30,
    )
    .await;

    // Paused from B: the replica running it stops within its heartbeat.
    let (status, body) = b.post(&format!("/api/jobs/{id}/pause"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let paused_at = shared.sandbox.handled("admin.users.invite");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        shared.sandbox.handled("admin.users.invite"),
        paused_at,
        "no call while paused"
    );
    let (status, body) = b.post(&format!("/api/jobs/{id}/resume"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    eventually("the job to go on", Duration::from_secs(10), async || {
        shared.sandbox.handled("admin.users.invite") > paused_at
    })
    .await;

    // B follows the job's progress while A runs it: events numbered in commit order,
    // resumed from the last one seen.
    let events = |last: Option<&str>| {
        let mut request = b
            .http
            .get(format!("{}/api/jobs/{id}/events", b.url))
            .header("cookie", "roster_demo_role=org-admin");
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        async move {
            let mut response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            let mut text = String::new();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(2) {
                match tokio::time::timeout(Duration::from_millis(500), response.chunk()).await {
                    Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
                    Ok(_) => break,
                    Err(_) => {}
                }
            }
            text
        }
    };
    let first = events(None).await;
    let ids: Vec<i64> = first
        .lines()
        .filter_map(|l| l.strip_prefix("id:"))
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert!(ids.len() > 2, "B streams A's progress: {first}");
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "{ids:?}");
    assert!(first.contains("event: operation"), "{first}");
    let again = events(Some(&ids.last().unwrap().to_string())).await;
    let resumed: Vec<i64> = again
        .lines()
        .filter_map(|l| l.strip_prefix("id:"))
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert!(
        resumed.iter().all(|id| id > ids.last().unwrap()),
        "resumed after the last seen: {resumed:?}"
    );

    // A stops without a word (its runners and server end; its lease is left to expire):
    // B takes the job over and finishes it, every row once.
    let owner_was_a = a.state.jobs.store().job(id).await.unwrap().is_some();
    assert!(owner_was_a);
    let crashed = a.crash();
    let at_crash = shared.sandbox.handled("admin.users.invite");
    assert!(
        (at_crash as usize) < rows,
        "stopped mid-job: {at_crash} of {rows} run, {}",
        b.get(&format!("/api/jobs/{id}")).await.1["job"]
    );
    let started_again = eventually("B to run the job", Duration::from_secs(30), async || {
        shared.sandbox.handled("admin.users.invite") > at_crash + 2
    })
    .await;
    println!("B took the job over {started_again:?} after A stopped");
    assert!(
        started_again >= Duration::from_secs(5),
        "B waited for A's lease to expire"
    );
    eventually("the job to finish", Duration::from_secs(90), async || {
        b.get(&format!("/api/jobs/{id}")).await.1["job"]["state"] == "finished"
    })
    .await;
    assert_eq!(
        shared.sandbox.handled("admin.users.invite") as usize,
        rows,
        "every row ran exactly once"
    );
    let outbox = shared.sandbox.outbox();
    for i in 0..rows {
        let email = format!("moved{i:03}@agency.example");
        assert_eq!(
            outbox.iter().filter(|s| s.email == email).count(),
            1,
            "{email}"
        );
    }
    // Retried and cancelled from B, with A gone: a second job, cancelled before it ends.
    let (status, created) = b
        .post(
            "/api/jobs",
            json!({"operations": invitations(&b, 60, "cancelled")}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let second = created["job"]["id"].as_i64().unwrap();
    eventually(
        "the second job to start",
        Duration::from_secs(20),
        async || done(&b.get(&format!("/api/jobs/{second}")).await.1) >= 5,
    )
    .await;
    let (status, body) = b
        .post(&format!("/api/jobs/{second}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let cancelled = eventually(
        "the second job to end cancelled",
        Duration::from_secs(10),
        async || b.get(&format!("/api/jobs/{second}")).await.1["job"]["state"] == "cancelled",
    )
    .await;
    let (_, job) = b.get(&format!("/api/jobs/{second}")).await;
    let skipped = job["job"]["counts"]["skipped"].as_u64().unwrap();
    assert!(skipped > 0, "{}", job["job"]);
    println!("cancelled after {cancelled:?}, {skipped} rows skipped");
    drop(crashed);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_written_by_two_replicas_is_read_in_order() {
    let shared = sandbox(RateLimitMode::Off).await;
    let Some((a, b)) = two_replicas(&shared, 1_000.0).await else {
        return;
    };
    eventually("the directory", Duration::from_secs(60), async || {
        !a.state.directory.is_empty() && !b.state.directory.is_empty()
    })
    .await;
    // Both write at once (refused changes: an audit entry each, no Slack call), while a
    // reader tails the log by ID.
    async fn write(app: &TestApp, n: usize) {
        for i in 0..n {
            let (status, _) = app
                .post(
                    "/api/users/W0NOPE000/remove",
                    json!({"workspace": format!("T0NOPE{i:03}")}),
                )
                .await;
            assert!(status >= 400);
        }
    }
    let reader = &b;
    let tail = async move {
        let mut highest = 0;
        let mut seen = std::collections::BTreeSet::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(8) {
            let (_, page) = reader.get("/api/audit?limit=500").await;
            for e in page["entries"].as_array().unwrap() {
                let id = e["id"].as_i64().unwrap();
                if seen.insert(id) {
                    assert!(
                        id > highest || highest == 0,
                        "entry {id} appeared after {highest} had been read: a late commit was skipped"
                    );
                }
            }
            highest = seen.iter().next_back().copied().unwrap_or(0).max(highest);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen
    };
    let (_, _, seen) = tokio::join!(write(&a, 40), write(&b, 40), tail);
    let (_, page) = a.get("/api/audit?limit=500").await;
    let all: Vec<i64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(all.len(), 80);
    assert!(seen.len() <= 80);
    assert!(
        all.windows(2).all(|w| w[0] > w[1]),
        "newest first, one order"
    );
}

#[tokio::test]
async fn an_older_replica_starts_on_a_newer_schema_only_when_the_schema_says_it_fits() {
    use sqlx::ConnectOptions;
    let Some(database) = postgres_database().await else {
        return;
    };
    let known = roster_proxy::postgres::latest_known();
    // This binary's schema, then a migration from a newer Roster that older ones can live
    // with (it leaves `oldest_binary` alone).
    roster_proxy::postgres::connect(database.clone(), 2)
        .await
        .unwrap();
    let mut conn = database.connect().await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES ($1, 'from a newer Roster', true, '\\x00', 1)",
    )
    .bind(known + 1)
    .execute(&mut conn)
    .await
    .unwrap();
    roster_proxy::postgres::connect(database.clone(), 2)
        .await
        .expect("an additive migration leaves older replicas serving");
    // One that older ones cannot live with: start-up stops, in words.
    sqlx::query("UPDATE roster_schema SET oldest_binary = $1")
        .bind(known + 1)
        .execute(&mut conn)
        .await
        .unwrap();
    let error = roster_proxy::postgres::connect(database.clone(), 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("newer Roster"), "{error}");
    assert!(error.contains("Run the newer Roster"), "{error}");
    // And a database that does not answer.
    let nowhere = database.clone().port(1);
    let error = roster_proxy::postgres::connect(nowhere, 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("Roster cannot reach its database"),
        "{error}"
    );
}

#[tokio::test]
async fn postgresql_itself_refuses_to_edit_the_audit_log() {
    use sqlx::ConnectOptions;
    let Some(database) = postgres_database().await else {
        return;
    };
    let app = spawn_app(Options {
        storage: Storage::Postgres(Box::new(database.clone())),
        users: 30,
        ..Options::default()
    })
    .await;
    let (status, _) = app
        .post(
            "/api/users/W0NOPE000/remove",
            json!({"workspace": "T0NOPE000"}),
        )
        .await;
    assert!(status >= 400);
    assert_eq!(app.audit_rows().await.len(), 1);
    let mut conn = database.connect().await.unwrap();
    for edit in [
        "UPDATE audit_actions SET action = 'nothing'",
        "DELETE FROM audit_actions",
        "TRUNCATE audit_actions CASCADE",
        "TRUNCATE audit_outcomes",
    ] {
        let refused = sqlx::query(edit).execute(&mut conn).await.unwrap_err();
        assert!(
            refused.to_string().contains("append-only"),
            "{edit}: {refused}"
        );
    }
    assert_eq!(app.audit_rows().await.len(), 1);
}

/// `sslmode=verify-full` with the authority that signed the server's certificate connects
/// over TLS; without that authority, or to a name the certificate does not hold, start-up
/// stops instead of falling back to plain text.
#[tokio::test]
async fn the_database_is_reached_over_verified_tls() {
    use roster_proxy::postgres::DatabaseConfig;
    let Some(database) = postgres_database().await else {
        return;
    };
    let ca = std::env::var("ROSTER_TEST_POSTGRES_CA")
        .expect("the test cluster's authority (cargo xtask test sets ROSTER_TEST_POSTGRES_CA)");
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("password");
    let admin: url::Url = std::env::var("ROSTER_TEST_POSTGRES")
        .unwrap()
        .parse()
        .unwrap();
    std::fs::write(&password_file, format!("{}\n", admin.password().unwrap())).unwrap();
    let name = database.get_database().unwrap().to_string();
    let config = |host: &str, query: &str| DatabaseConfig {
        url: Some(format!(
            "postgres://{}@{host}:{}/{name}?{query}",
            admin.username(),
            admin.port().unwrap()
        )),
        password_file: Some(password_file.clone()),
        max_connections: 2,
    };
    let verified = config(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let pool = roster_proxy::postgres::connect(verified.options().unwrap().unwrap(), 2)
        .await
        .expect("verify-full with the cluster's authority");
    let (ssl, version): (bool, String) =
        sqlx::query_as("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(ssl, "the connection is encrypted");
    assert!(version.starts_with("TLSv1."), "{version}");
    // The same name by another address of the certificate.
    roster_proxy::postgres::connect(
        config(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        )
        .options()
        .unwrap()
        .unwrap(),
        2,
    )
    .await
    .expect("localhost is in the certificate too");
    // Only the public authorities: the private certificate is refused.
    let unknown = config("127.0.0.1", "sslmode=verify-full");
    let error = roster_proxy::postgres::connect(unknown.options().unwrap().unwrap(), 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("Roster cannot reach its database"),
        "{error}"
    );
    assert!(error.to_lowercase().contains("certificate"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_applied_by_one_replica_reaches_the_other_within_two_seconds() {
    let shared = sandbox(RateLimitMode::Off).await;
    let Some((a, b)) = two_replicas(&shared, 1.0).await else {
        return;
    };
    eventually("both directories", Duration::from_secs(60), async || {
        !a.state.directory.is_empty() && !b.state.directory.is_empty()
    })
    .await;
    let token = "xapp-1-A0SANDBOX1-replicas";
    let bus = shared.sandbox.events();
    bus.configure(roster_sandbox::events::EventsConfig {
        app_token: Some(token.into()),
        ..Default::default()
    });
    for app in [&a, &b] {
        app.state.start_events(
            &shared.api_url(),
            Some(roster_proxy::slack::SlackToken::new(token).unwrap()),
            None,
            Duration::from_secs(3600),
        );
    }
    eventually(
        "a socket per replica",
        Duration::from_secs(10),
        async || bus.sockets() == 2,
    )
    .await;
    // Every event twice (the second as Slack's retry), so the copies meet both replicas.
    bus.set_faults(roster_sandbox::events::DeliveryFaults {
        repeat_next: 100,
        ..Default::default()
    });
    let members = plain_members(&shared.sandbox, 6, |_| true);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for (id, team) in &members {
        slack_as(
            &shared.sandbox,
            &shared.sandbox.tokens().admin,
            "admin.users.setAdmin",
            &[("team_id", team), ("user_id", id)],
        );
    }
    for (id, _) in &members {
        for app in [&a, &b] {
            let took = eventually(
                "both replicas show it",
                Duration::from_secs(2),
                async || {
                    let (_, page) = app.get(&format!("/api/users?q={id}")).await;
                    page["users"][0]["type"] == "admin"
                },
            )
            .await;
            assert!(took < Duration::from_secs(2));
        }
    }
    eventually("every delivery", Duration::from_secs(10), async || {
        bus.in_flight() == 0
    })
    .await;
    let count = |app: &TestApp, f: fn(&roster_proxy::events::LiveCounters) -> u64| {
        f(&app.state.events.get().unwrap().live.counters)
    };
    let received = count(&a, |c| {
        c.received.load(std::sync::atomic::Ordering::Relaxed)
    }) + count(&b, |c| {
        c.received.load(std::sync::atomic::Ordering::Relaxed)
    });
    let duplicates = count(&a, |c| {
        c.duplicates.load(std::sync::atomic::Ordering::Relaxed)
    }) + count(&b, |c| {
        c.duplicates.load(std::sync::atomic::Ordering::Relaxed)
    });
    assert_eq!(received, 12, "six events, each delivered twice");
    assert_eq!(
        duplicates, 6,
        "each repeat dropped, on whichever replica it reached"
    );
    assert!(
        count(&a, |c| c
            .received
            .load(std::sync::atomic::Ordering::Relaxed))
            > 0
            && count(&b, |c| c
                .received
                .load(std::sync::atomic::Ordering::Relaxed))
                > 0,
        "Slack spreads events over both sockets"
    );
}
