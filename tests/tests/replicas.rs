//! Two `roster serve` replicas on one PostgreSQL, against `roster sandbox` with Slack's
//! limits on a faster clock, checked through the sandbox's own counters: a replica killed
//! with SIGKILL mid-job, one stopped with SIGSTOP past its lease, two jobs on one lane from
//! two replicas, and two replicas started together.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use roster_e2e::{
    one_at_a_time,
    processes::{
        Database, Process, RosterClient, create_job, done, has_directory, invitations,
        postgres_database, sandbox, sandbox_count, serve, serve_config_on, until_job as until,
    },
};
use serde_json::{Value, json};

const SCALE: f64 = 20.0;

/// One replica on `database`, its state in `dir`.
fn replica(dir: &Path, sandbox: &str, database: &Database) -> (Process, RosterClient) {
    std::fs::create_dir_all(dir).unwrap();
    let config = serve_config_on(dir, sandbox, SCALE, Some(database));
    let (process, url) = serve(&config);
    (process, RosterClient::new(url))
}

async fn job(client: &RosterClient, id: i64) -> Value {
    client.get(&format!("/api/jobs/{id}")).await
}

/// Every row of a finished job ran exactly once at the sandbox, each address once.
async fn each_once(http: &reqwest::Client, base: &str, emails: &[String]) {
    let outbox: Value = http
        .get(format!("{base}_sandbox/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sent: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["email"].as_str())
        .collect();
    for email in emails {
        assert_eq!(
            sent.iter().filter(|s| **s == email.as_str()).count(),
            1,
            "{email} was invited once"
        );
    }
}

fn emails(operations: &[Value]) -> Vec<String> {
    operations
        .iter()
        .map(|op| op["email"].as_str().unwrap().to_string())
        .collect()
}

/// Two replicas on a new database and a sandbox of the given org (Slack's limits on the
/// faster clock), each with the directory; `None` without a PostgreSQL cluster.
struct Pair {
    _data: tempfile::TempDir,
    _sandbox: Process,
    base: String,
    a: Process,
    client_a: RosterClient,
    _b: Process,
    client_b: RosterClient,
}

async fn pair(seed: &str) -> Option<Pair> {
    let data = tempfile::tempdir().unwrap();
    let database = postgres_database(data.path()).await?;
    let (sandbox, base) = sandbox(&[
        "--users",
        "200",
        "--seed",
        seed,
        "--rate-limits",
        &format!("scale={SCALE}"),
    ]);
    let (a, client_a) = replica(&data.path().join("a"), &base, &database);
    let (b, client_b) = replica(&data.path().join("b"), &base, &database);
    has_directory(&client_a, 60).await;
    has_directory(&client_b, 60).await;
    Some(Pair {
        _data: data,
        _sandbox: sandbox,
        base,
        a,
        client_a,
        _b: b,
        client_b,
    })
}

/// Every operation of a finished job is done.
fn all_done(finished: &Value) -> bool {
    finished["operations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|op| op["state"] == "done")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_replica_is_killed_is_finished_by_the_other_each_row_once() {
    let _turn = one_at_a_time().await;
    // Bound whole: what a pattern leaves out would be dropped (and killed) at once.
    let Some(pair) = pair("3").await else {
        return;
    };
    let Pair {
        ref base,
        ref client_a,
        ref client_b,
        ..
    } = pair;
    let operations = invitations(client_a, 200, "killed").await;
    let id = create_job(client_a, operations.clone()).await;
    until(client_b, id, 60, |j| done(j) >= 60).await;
    let http = reqwest::Client::new();
    drop(pair.a); // SIGKILL
    let killed = Instant::now();
    let at_kill = sandbox_count(&http, base, "handled", "admin.users.invite").await;
    assert!(at_kill < 200, "killed mid-job");
    // B takes the job over once A's lease has expired, and finishes it.
    until(client_b, id, 60, |j| done(j) > at_kill + 5).await;
    let failover = killed.elapsed();
    let finished = until(client_b, id, 120, |j| j["job"]["state"] == "finished").await;
    assert!(all_done(&finished), "{}", finished["operations"]);
    let run = sandbox_count(&http, base, "handled", "admin.users.invite").await;
    let received = sandbox_count(&http, base, "calls", "admin.users.invite").await;
    println!(
        "killed after {at_kill} invites; B went on {failover:?} later; {received} calls, {run} run, {} answered 429",
        received - run
    );
    assert_eq!(run, 200, "every row ran exactly once");
    assert!(
        received - run <= 1,
        "no more 429s than one replica earns alone"
    );
    each_once(&http, base, &emails(&operations)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_stopped_past_its_lease_makes_no_further_call() {
    let _turn = one_at_a_time().await;
    // Bound whole: what a pattern leaves out would be dropped (and killed) at once.
    let Some(pair) = pair("5").await else {
        return;
    };
    let Pair {
        ref base,
        ref client_a,
        ref client_b,
        ..
    } = pair;
    let operations = invitations(client_a, 150, "stopped").await;
    let id = create_job(client_a, operations.clone()).await;
    until(client_b, id, 60, |j| done(j) >= 40).await;
    let signal = |sig: &str| {
        let status = std::process::Command::new("kill")
            .args([sig, &pair.a.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP");
    // Past A's lease: B holds the job now and runs it.
    let http = reqwest::Client::new();
    let at_stop = sandbox_count(&http, base, "handled", "admin.users.invite").await;
    until(client_b, id, 60, |j| done(j) > at_stop + 5).await;
    signal("-CONT");
    let finished = until(client_b, id, 120, |j| j["job"]["state"] == "finished").await;
    assert!(all_done(&finished), "{}", finished["operations"]);
    // A woke and wrote nothing, called nothing: each row ran once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let run = sandbox_count(&http, base, "handled", "admin.users.invite").await;
    assert_eq!(run, 150, "every row ran exactly once");
    each_once(&http, base, &emails(&operations)).await;
    let again = job(client_a, id).await;
    assert_eq!(again["job"]["state"], "finished", "A reads the same job");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_jobs_on_one_lane_from_two_replicas_stay_within_the_tier() {
    let _turn = one_at_a_time().await;
    let data = tempfile::tempdir().unwrap();
    let Some(database) = postgres_database(data.path()).await else {
        return;
    };
    let (_sandbox, base) = sandbox(&[
        "--users",
        "200",
        "--seed",
        "6",
        "--rate-limits",
        &format!("scale={SCALE}"),
    ]);
    let (_a, client_a) = replica(&data.path().join("a"), &base, &database);
    let (_b, client_b) = replica(&data.path().join("b"), &base, &database);
    has_directory(&client_a, 60).await;
    has_directory(&client_b, 60).await;
    let first = invitations(&client_a, 60, "lane-a").await;
    let second = invitations(&client_b, 60, "lane-b").await;
    let started = Instant::now();
    let (x, y) = tokio::join!(
        create_job(&client_a, first.clone()),
        create_job(&client_b, second.clone())
    );
    until(&client_a, x, 120, |j| j["job"]["state"] == "finished").await;
    until(&client_b, y, 120, |j| j["job"]["state"] == "finished").await;
    let took = started.elapsed().as_secs_f64();
    let http = reqwest::Client::new();
    let run = sandbox_count(&http, &base, "handled", "admin.users.invite").await;
    let received = sandbox_count(&http, &base, "calls", "admin.users.invite").await;
    // Tier 2 on a 20× clock: a burst of 20, then one every 150 ms.
    let floor = (120.0 - 20.0) * 3.0 / SCALE;
    println!(
        "two jobs of 60 on one lane from two replicas: {took:.1} s (floor {floor:.1} s), {received} calls, {} answered 429",
        received - run
    );
    assert_eq!(run, 120);
    assert_eq!(received - run, 0, "together within the tier: no 429");
    assert!(took >= floor * 0.95, "{took} s is faster than Slack allows");
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_started_together_sync_once_and_show_each_others_changes() {
    let _turn = one_at_a_time().await;
    let data = tempfile::tempdir().unwrap();
    let Some(database) = postgres_database(data.path()).await else {
        return;
    };
    let org = ["--users", "400", "--seed", "7", "--rate-limits", "off"];
    let http = reqwest::Client::new();
    // What one sync of this org costs, measured on one Roster alone.
    let one_sync = {
        let (_sandbox, base) = sandbox(&org);
        let alone = data.path().join("alone");
        std::fs::create_dir_all(&alone).unwrap();
        let config = roster_e2e::processes::serve_config(&alone, &base, SCALE);
        let (_roster, url) = serve(&config);
        RosterClient::new(url).wait_for_sync(60).await;
        sandbox_count(&http, &base, "calls", "admin.users.list").await
    };
    let (_sandbox, base) = sandbox(&org);
    let (_a, client_a) = replica(&data.path().join("a"), &base, &database);
    let (_b, client_b) = replica(&data.path().join("b"), &base, &database);
    has_directory(&client_a, 60).await;
    has_directory(&client_b, 60).await;
    // A second leader, if there were one, would sync within its first turns.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let lists = sandbox_count(&http, &base, "calls", "admin.users.list").await;
    assert_eq!(lists, one_sync, "one full sync for both replicas, not two");
    let leaders = [&client_a, &client_b];
    let mut leading = 0;
    for client in leaders {
        let ready: Value = http
            .get(format!("{}/readyz", client.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["database"]["kind"], "postgresql", "{ready}");
        leading += usize::from(ready["database"]["leader"] == true);
    }
    assert_eq!(leading, 1, "one replica syncs for both");
    // A change through A, read back from B within 2 s.
    let members = client_a
        .get("/api/users?type=member&status=active&limit=5")
        .await;
    let member = &members["users"][0];
    let id = member["id"].as_str().unwrap();
    let team = member["workspaces"][0].as_str().unwrap();
    let (status, body) = client_a
        .post(
            &format!("/api/users/{id}/role"),
            json!({"workspace": team, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let changed = Instant::now();
    loop {
        let seen = client_b.get(&format!("/api/users?q={id}")).await;
        if seen["users"][0]["type"] == "admin" {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(2),
            "B still shows {}",
            seen["users"][0]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "a change through A showed on B after {:?}",
        changed.elapsed()
    );
}
