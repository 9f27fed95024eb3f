//! A bulk job survives its Roster process being killed: `roster sandbox` and `roster serve`
//! run as separate processes, the serve process gets SIGKILL mid-job, and a new one on the
//! same data directory finishes the job with every row run exactly once.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use roster_e2e::{assert_release_bundle, env_path, one_at_a_time};
use serde_json::{Value, json};

const SCALE: u32 = 20;
const ROWS: usize = 60;
const ADMIN_TOKEN: &str = "xoxp-restart-test-org-admin";

/// A child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and waits for the stdout line containing `marker`; returns the
/// process and what follows the marker on that line.
fn start(mut command: Command, marker: &'static str) -> (Process, String) {
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once(marker) {
                let _ = tx.send(rest.trim().to_string());
            }
        }
    });
    let rest = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{command:?} did not print {marker:?} within 60 s"));
    (Process(child), rest)
}

fn serve(config: &Path) -> (Process, String) {
    let mut command = Command::new(env_path("ROSTER_BIN"));
    command
        .arg("serve")
        .arg("--config")
        .arg(config)
        .env("SLACK_TOKEN", ADMIN_TOKEN);
    let (process, rest) = start(command, "Roster is running at ");
    let url = rest.split_whitespace().next().unwrap_or_default();
    (process, url.trim_end_matches('/').to_string())
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .header("x-roster-request", "1")
            .header("origin", &self.url)
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            resp.status().as_u16(),
            resp.json().await.unwrap_or(Value::Null),
        )
    }

    /// Waits until `/api/status` reports a finished directory sync.
    async fn wait_for_sync(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.get("/api/status").await;
            if status["sync"]["finished_at"].is_number() {
                return;
            }
            assert!(Instant::now() < deadline, "no sync: {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn job(&self, id: i64) -> Value {
        self.get(&format!("/api/jobs/{id}")).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_roster_process_resumes_the_job_and_runs_every_row_once() {
    let _turn = one_at_a_time().await;
    let bin = env_path("ROSTER_BIN");
    let mut sandbox = Command::new(&bin);
    sandbox
        .args([
            "sandbox",
            "--addr",
            "127.0.0.1:0",
            "--users",
            "200",
            "--seed",
            "3",
        ])
        .args(["--rate-limits", &format!("scale={SCALE}")])
        .env("ROSTER_SANDBOX_ADMIN_TOKEN", ADMIN_TOKEN);
    let (_sandbox, api_url) = start(sandbox, "Slack sandbox at ");
    let sandbox_base = api_url.trim_end_matches("api/").to_string();

    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("roster.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:0"
data_dir = {data:?}
dist_dir = {dist:?}

[slack]
api_url = {api_url:?}
rate_limit_scale = {SCALE}

[auth]
mode = "dev"

[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive", "users.invite", "users.assign",
               "users.remove", "users.set_role", "users.set_expiration", "audit.read", "audit.read_all"]
workspaces = "all"
"#,
            data = data.path().join("state"),
            dist = assert_release_bundle(),
        ),
    )
    .unwrap();

    let http = reqwest::Client::new();
    let (first, url) = serve(&config);
    let client = Client {
        http: http.clone(),
        url,
    };
    client.wait_for_sync().await;
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
        let job = client.job(id).await;
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
    let client = Client {
        http: http.clone(),
        url,
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    let job = loop {
        let job = client.job(id).await;
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
