//! `roster sandbox` and `roster serve` as separate OS processes, as an IT team runs them
//! (the restart test kills one; the benchmarks read one's memory).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{assert_release_bundle, env_path};

/// The org-admin token the sandbox process accepts and Roster is given.
pub const ADMIN_TOKEN: &str = "xoxp-roster-processes-org-admin";
/// Who [`RosterClient`] signs in as, through header mode as a local proxy would.
pub const ADMIN_EMAIL: &str = "admin@roster-tests.example";
/// Other org admins of [`serve_config`], for measures that sign in as several people (pages
/// that ask Slack are budgeted per person).
pub const OTHER_ADMINS: usize = 15;
/// The shared secret [`RosterClient`] sends, as that proxy would.
pub const PROXY_SECRET: &str = "roster-tests-proxy-secret-0123456789";
const PROXY_SECRET_HEADER: &str = "x-roster-proxy-secret";

/// A child process, killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Process(pub Child);

impl Process {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// A `kB` line of `/proc/PID/status` (`VmRSS`, `VmHWM`), in bytes.
    pub fn memory(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and waits for the stdout line containing `marker`; returns the
/// process and what follows the marker on that line.
pub fn start(mut command: Command, marker: &'static str) -> (Process, String) {
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
        .recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("{command:?} did not print {marker:?} within 120 s"));
    (Process(child), rest)
}

/// `roster sandbox` on a free port; returns it and its base URL (`http://127.0.0.1:PORT/`,
/// Slack's API under `api/`).
pub fn sandbox(args: &[&str]) -> (Process, String) {
    let mut command = Command::new(env_path("ROSTER_BIN"));
    command
        .args(["sandbox", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("ROSTER_SANDBOX_ADMIN_TOKEN", ADMIN_TOKEN);
    let (process, api_url) = start(command, "Slack sandbox at ");
    (process, api_url.trim_end_matches("api/").to_string())
}

/// A PostgreSQL database of a test's own, for replicas to share: its URL (without the
/// password) and the file holding the password.
#[derive(Debug, Clone)]
pub struct Database {
    pub url: String,
    pub password_file: PathBuf,
}

/// A new database in the cluster `cargo xtask test` starts (`ROSTER_TEST_POSTGRES`), its
/// password written in `dir`. `None` without a cluster, unless `ROSTER_REQUIRE_POSTGRES`
/// says one is required.
pub async fn postgres_database(dir: &Path) -> Option<Database> {
    use sqlx::ConnectOptions;
    let Ok(admin) = std::env::var("ROSTER_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("ROSTER_REQUIRE_POSTGRES").is_none(),
            "ROSTER_REQUIRE_POSTGRES is set but ROSTER_TEST_POSTGRES is not"
        );
        eprintln!("note: no ROSTER_TEST_POSTGRES: this test of replicas did not run");
        return None;
    };
    let parsed = url::Url::parse(&admin).expect("ROSTER_TEST_POSTGRES is a URL");
    let options: sqlx::postgres::PgConnectOptions = admin.parse().unwrap();
    let name = format!("replicas_{}_{}", std::process::id(), rand_suffix());
    let mut conn = options.connect().await.expect("the test cluster answers");
    // The name is made here of letters, digits and underscores.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let password_file = dir.join("database-password");
    std::fs::write(&password_file, parsed.password().unwrap_or_default()).unwrap();
    Some(Database {
        url: format!(
            "postgres://{}@{}:{}/{name}",
            parsed.username(),
            parsed.host_str().unwrap(),
            parsed.port().unwrap_or(5432)
        ),
        password_file,
    })
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into())
}

/// A `roster serve` configuration: loopback, sign-in by trusted headers from loopback (as
/// behind a local proxy; `roster serve` has no dev mode), one org-admin role, the release
/// bundle, Slack at `sandbox`; returns the file's path (inside `dir`).
pub fn serve_config(dir: &Path, sandbox: &str, rate_limit_scale: f64) -> PathBuf {
    serve_config_on(dir, sandbox, rate_limit_scale, None)
}

/// [`serve_config`], sharing `database` with other replicas when given.
pub fn serve_config_on(
    dir: &Path,
    sandbox: &str,
    rate_limit_scale: f64,
    database: Option<&Database>,
) -> PathBuf {
    let config = dir.join("roster.toml");
    let secret = dir.join("proxy-secret");
    std::fs::write(&secret, PROXY_SECRET).unwrap();
    let database = database
        .map(|d| {
            format!(
                "\n[database]\nurl = {:?}\npassword_file = {:?}\n",
                d.url, d.password_file
            )
        })
        .unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:0"
data_dir = {data:?}
dist_dir = {dist:?}
{database}

[slack]
api_url = "{sandbox}api/"
scim_url = "{sandbox}scim/v2/"
rate_limit_scale = {rate_limit_scale:?}
# The measures and tests that start `roster serve` are about other things than reading
# Slack's member analytics (on a fast clock it would read 13 months of files at once).
member_analytics = false

[auth]
mode = "header"
trusted_proxies = ["127.0.0.1/32"]
shared_secret_header = "{PROXY_SECRET_HEADER}"
shared_secret_file = {secret:?}

[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive", "users.invite", "users.assign",
               "users.remove", "users.set_role", "users.set_expiration", "users.deactivate",
               "users.deactivate_admins", "users.reactivate", "users.sessions",
               "users.session_settings", "invites.review", "audit.read", "audit.read_all"]
workspaces = "all"
emails = ["{ADMIN_EMAIL}", {others}]
"#,
            data = dir.join("state"),
            dist = assert_release_bundle(),
            others = (1..=OTHER_ADMINS)
                .map(|i| format!("\"{}\"", other_admin(i)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    )
    .unwrap();
    config
}

/// `roster serve --config CONFIG`; returns it and its URL (`http://127.0.0.1:PORT`).
pub fn serve(config: &Path) -> (Process, String) {
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

/// Calls a running Roster as its org admin: the identity headers of [`serve_config`]'s
/// local proxy (a dev-mode Roster ignores them and takes its first role).
#[derive(Debug, Clone)]
pub struct RosterClient {
    pub http: reqwest::Client,
    pub url: String,
    email: String,
}

/// The address of the `n`th of [`OTHER_ADMINS`] (from 1).
pub fn other_admin(n: usize) -> String {
    format!("admin-{n}@roster-tests.example")
}

impl RosterClient {
    pub fn new(url: String) -> RosterClient {
        RosterClient {
            http: reqwest::Client::new(),
            url,
            email: ADMIN_EMAIL.to_string(),
        }
    }

    /// The same client, signed in as `email` (one of [`serve_config`]'s admins).
    pub fn as_person(&self, email: String) -> RosterClient {
        RosterClient {
            email,
            ..self.clone()
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        let resp = self
            .signed_in(self.http.get(format!("{}{path}", self.url)))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    /// A GET that may be refused: its status and body.
    pub async fn get_status(&self, path: &str) -> (u16, Value) {
        let resp = self
            .signed_in(self.http.get(format!("{}{path}", self.url)))
            .send()
            .await
            .unwrap();
        (
            resp.status().as_u16(),
            resp.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .signed_in(self.http.post(format!("{}{path}", self.url)))
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

    /// The IDs of the users `/api/users?{query}` lists.
    pub async fn user_ids(&self, query: &str) -> Vec<String> {
        self.get(&format!("/api/users?{query}")).await["users"]
            .as_array()
            .expect("a page of users")
            .iter()
            .filter_map(|u| Some(u["id"].as_str()?.to_string()))
            .collect()
    }

    fn signed_in(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .header("x-forwarded-email", &self.email)
            .header(PROXY_SECRET_HEADER, PROXY_SECRET)
    }

    /// Waits until `/api/status` reports a finished directory sync.
    pub async fn wait_for_sync(&self, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let status = self.get("/api/status").await;
            if status["sync"]["finished_at"].is_number() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no sync within {secs} s: {status}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The sandbox's own count of `method`: the calls it ran (`which` = `handled`) or received
/// (`calls`), at `base` (the sandbox's base URL).
pub async fn sandbox_count(http: &reqwest::Client, base: &str, which: &str, method: &str) -> u64 {
    let counts: Value = http
        .get(format!("{base}_sandbox/{which}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    counts[method].as_u64().unwrap_or(0)
}

/// Waits (`secs` at most) until `client` serves a directory: its own sync's, or the one
/// another replica synced.
pub async fn has_directory(client: &RosterClient, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while client.get("/api/users?limit=1").await["total"]
        .as_u64()
        .unwrap_or(0)
        == 0
    {
        assert!(Instant::now() < deadline, "no directory within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `rows` invitations of guests to the first workspace and one of its channels, addressed
/// `{tag}0000@agency.example` onwards.
pub async fn invitations(client: &RosterClient, rows: usize, tag: &str) -> Vec<Value> {
    let workspaces = client.get("/api/workspaces").await;
    let team = workspaces[0]["id"].as_str().unwrap().to_string();
    let channels = client
        .get(&format!("/api/workspaces/{team}/channels"))
        .await;
    let channel = channels[0]["id"].as_str().unwrap().to_string();
    (0..rows)
        .map(|i| {
            serde_json::json!({"op": "invite", "email": format!("{tag}{i:04}@agency.example"),
                "workspace": team, "channels": [channel], "guest": "multi_channel"})
        })
        .collect()
}

/// Creates a job of `operations`; its ID.
pub async fn create_job(client: &RosterClient, operations: Vec<Value>) -> i64 {
    let (status, created) = client
        .post("/api/jobs", serde_json::json!({"operations": operations}))
        .await;
    assert_eq!(status, 201, "{created}");
    created["job"]["id"].as_i64().unwrap()
}

/// Waits (`secs` at most) until `f` holds of job `id` as `client` reads it; the job then.
pub async fn until_job(
    client: &RosterClient,
    id: i64,
    secs: u64,
    f: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let job = client.get(&format!("/api/jobs/{id}")).await;
        if f(&job) {
            return job;
        }
        assert!(Instant::now() < deadline, "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Rows of a job done so far.
pub fn done(job: &Value) -> u64 {
    job["job"]["counts"]["done"].as_u64().unwrap_or(0)
}
