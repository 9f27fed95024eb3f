//! A bulk job survives its Roster process being killed: `roster sandbox` and `roster serve`
//! run as separate processes, the serve process gets SIGKILL mid-job, and a new one on the
//! same data directory finishes the job with every row run exactly once.

use std::time::{Duration, Instant};

use roster_e2e::{
    one_at_a_time,
    processes::{
        OTHER_ADMINS, RosterClient, other_admin, sandbox, sandbox_count, serve, serve_config,
    },
};
use serde_json::{Value, json};

const SCALE: f64 = 20.0;
const ROWS: usize = 60;

/// Waits (`secs` at most) until job `id` has run `rows` rows.
async fn until_done(client: &RosterClient, id: i64, rows: u64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let job = client.get(&format!("/api/jobs/{id}")).await;
        if job["job"]["counts"]["done"].as_u64().unwrap() >= rows {
            return;
        }
        assert!(Instant::now() < deadline, "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_roster_process_resumes_the_job_and_runs_every_row_once() {
    let _turn = one_at_a_time().await;
    let (_sandbox, sandbox_base) = sandbox(&[
        "--users",
        "200",
        "--seed",
        "3",
        "--rate-limits",
        &format!("scale={SCALE}"),
    ]);
    let data = tempfile::tempdir().unwrap();
    let config = serve_config(data.path(), &sandbox_base, SCALE);
    let (first, url) = serve(&config);
    let client = RosterClient::new(url);
    let http = client.http.clone();
    client.wait_for_sync(60).await;
    let workspaces = client.get("/api/workspaces").await;
    let team = workspaces[0]["id"].as_str().unwrap().to_string();
    let channels = client
        .get(&format!("/api/workspaces/{team}/channels"))
        .await;
    let channel = channels[0]["id"].as_str().unwrap().to_string();
    let emails: Vec<String> = (0..ROWS)
        .map(|i| format!("killed{i:03}@agency.example"))
        .collect();
    let operations: Vec<Value> = emails
        .iter()
        .map(|email| {
            json!({"op": "invite", "email": email, "workspace": team, "channels": [channel],
                   "guest": "multi_channel"})
        })
        .collect();
    let (status, created) = client
        .post("/api/jobs", json!({"operations": operations}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();

    // Past the burst, into the paced part; then SIGKILL, no shutdown of any kind.
    until_done(&client, id, 25, 30).await;
    drop(first);
    let sandbox_counts =
        |which: &'static str| sandbox_count(&http, &sandbox_base, which, "admin.users.invite");
    let run_at_kill = sandbox_counts("handled").await;
    assert!(
        (25..ROWS as u64).contains(&run_at_kill),
        "killed mid-job: {run_at_kill} invites had run"
    );

    let (_second, url) = serve(&config);
    let client = RosterClient::new(url);
    let job = finished(&client, id).await;
    let states: Vec<&str> = job["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["state"].as_str().unwrap())
        .collect();
    assert!(states.iter().all(|s| *s == "done"), "{}", job["operations"]);
    let run = sandbox_counts("handled").await;
    let received = sandbox_counts("calls").await;
    let checked = job["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|op| op["attempts"] != 1)
        .count();
    println!(
        "killed after {run_at_kill} invites; in all {received} invite calls, {run} run, {} answered 429; {checked} row(s) caught mid-call, checked with Slack, then run",
        received - run
    );
    assert_eq!(run, ROWS as u64, "every row ran exactly once");
    for email in &emails {
        let found = client
            .get(&format!("/api/users?q={}", email.replace('@', "%40")))
            .await;
        assert_eq!(found["total"], 1, "{email}: {found}");
        assert!(
            found["users"][0]["workspaces"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w == team.as_str()),
            "{email} is on {team}: {found}"
        );
    }
}

/// Waits for job `id` to finish (90 s).
async fn finished(client: &RosterClient, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let job = client.get(&format!("/api/jobs/{id}")).await;
        if job["job"]["state"] == "finished" {
            return job;
        }
        assert!(Instant::now() < deadline, "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_roster_process_finishes_a_bulk_offboarding_deactivating_each_person_once() {
    const PEOPLE: usize = 50;
    let _turn = one_at_a_time().await;
    let (_sandbox, sandbox_base) = sandbox(&[
        "--users",
        "300",
        "--seed",
        "8",
        "--rate-limits",
        &format!("scale={SCALE}"),
    ]);
    let data = tempfile::tempdir().unwrap();
    let config = serve_config(data.path(), &sandbox_base, SCALE);
    let (first, url) = serve(&config);
    let client = RosterClient::new(url);
    let http = client.http.clone();
    client.wait_for_sync(60).await;
    let page = client
        .get("/api/users?type=member&status=active&limit=300")
        .await;
    let people: Vec<String> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["is_primary_owner"] != true)
        .take(PEOPLE)
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(people.len(), PEOPLE);
    // Pages that ask Slack are budgeted per person: the reads are spread over the admins.
    let readers: Vec<RosterClient> = (1..=OTHER_ADMINS)
        .map(|n| client.as_person(other_admin(n)))
        .collect();
    let sessions_of = |i: usize, id: &str| {
        let reader = readers[i % readers.len()].clone();
        let path = format!("/api/users/{id}/sessions");
        async move {
            reader.get(&path).await["sessions"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    let mut signed_in = 0;
    for (i, id) in people.iter().enumerate() {
        signed_in += sessions_of(i, id).await;
    }
    assert!(
        signed_in > PEOPLE / 2,
        "{signed_in} sessions among {PEOPLE} people"
    );

    let operations: Vec<Value> = people
        .iter()
        .map(|id| json!({"op": "offboard", "user": id}))
        .collect();
    let (status, created) = client
        .post("/api/jobs", json!({"operations": operations}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    until_done(&client, id, 15, 60).await;
    drop(first);
    let deletes =
        |which: &'static str| sandbox_count(&http, &sandbox_base, which, "scim.users.delete");
    let run_at_kill = deletes("handled").await;
    assert!(
        (15..PEOPLE as u64).contains(&run_at_kill),
        "killed mid-job: {run_at_kill} deactivations had run"
    );

    let (_second, url) = serve(&config);
    let client = RosterClient::new(url);
    let job = finished(&client, id).await;
    let states: Vec<&str> = job["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["state"].as_str().unwrap())
        .collect();
    assert!(states.iter().all(|s| *s == "done"), "{}", job["operations"]);
    let run = deletes("handled").await;
    println!(
        "killed after {run_at_kill} deactivations; {run} SCIM DELETEs run in all for {PEOPLE} people"
    );
    assert_eq!(run, PEOPLE as u64, "each person deactivated exactly once");
    let readers: Vec<RosterClient> = (1..=OTHER_ADMINS)
        .map(|n| client.as_person(other_admin(n)))
        .collect();
    for (i, person) in people.iter().enumerate() {
        let user = client.get(&format!("/api/users/{person}")).await;
        assert_eq!(user["status"], "deactivated", "{user}");
        let left = readers[i % readers.len()]
            .get(&format!("/api/users/{person}/sessions"))
            .await;
        assert_eq!(left["sessions"], json!([]), "{person}: {left}");
    }
}
