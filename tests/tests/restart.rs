//! A bulk job survives its Roster process being killed: `roster sandbox` and `roster serve`
//! run as separate processes, the serve process gets SIGKILL mid-job, and a new one on the
//! same data directory finishes the job with every row run exactly once.

use std::time::{Duration, Instant};

use roster_e2e::{
    one_at_a_time,
    processes::{RosterClient, sandbox, serve, serve_config},
};
use serde_json::{Value, json};

const SCALE: f64 = 20.0;
const ROWS: usize = 60;

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
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = client.get(&format!("/api/jobs/{id}")).await;
        if job["job"]["counts"]["done"].as_u64().unwrap() >= 25 {
            break;
        }
        assert!(Instant::now() < deadline, "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(first);
    let sandbox_counts = |path: &'static str| {
        let http = http.clone();
        let url = format!("{sandbox_base}_sandbox/{path}");
        async move {
            let counts: Value = http.get(url).send().await.unwrap().json().await.unwrap();
            counts["admin.users.invite"].as_u64().unwrap_or(0)
        }
    };
    let run_at_kill = sandbox_counts("handled").await;
    assert!(
        (25..ROWS as u64).contains(&run_at_kill),
        "killed mid-job: {run_at_kill} invites had run"
    );

    let (_second, url) = serve(&config);
    let client = RosterClient::new(url);
    let deadline = Instant::now() + Duration::from_secs(90);
    let job = loop {
        let job = client.get(&format!("/api/jobs/{id}")).await;
        if job["job"]["state"] == "finished" {
            break job;
        }
        assert!(Instant::now() < deadline, "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
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
