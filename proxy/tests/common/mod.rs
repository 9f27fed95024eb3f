//! `spawn_app()`: the real Roster on port 0 against a real sandbox, with temporary files.
#![allow(dead_code)]

use std::{net::SocketAddr, path::Path, sync::Arc};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use p256::{SecretKey, pkcs8::EncodePrivateKey};
use roster_proxy::{
    AppState, Parts,
    auth::{AuthConfig, AuthMode, Authenticator},
    db::Db,
    demo::demo_roles,
    directory::Directory,
    policy::RoleConfig,
    serve::connect,
    slack::SlackToken,
};
use roster_sandbox::{RunningSandbox, Sandbox, SandboxConfig, ratelimit::RateLimitMode};
use serde_json::{Value, json};

/// How to start the app.
pub struct Options {
    pub users: usize,
    pub rate_limits: RateLimitMode,
    /// Roster's limiter clock factor (match a scaled sandbox).
    pub rate_scale: f64,
    /// `[auth]` as TOML; `mode = "dev"` (the demo's role picker, which no configuration can
    /// select in `roster serve`) by default.
    pub auth: String,
    /// `[auth]` already parsed (from a whole configuration file); replaces `auth`.
    pub auth_config: Option<AuthConfig>,
    /// `None`: the demo's roles.
    pub roles: Option<Vec<RoleConfig>>,
    /// Which sandbox token Roster uses.
    pub token: TokenChoice,
    /// Reuse this data directory (restart tests).
    pub data_dir: Option<std::path::PathBuf>,
    /// Do not sync before returning.
    pub skip_sync: bool,
    /// The SCIM version Roster speaks to the sandbox.
    pub scim: roster_sandbox::scim::Version,
    /// Where the audit log and the jobs are kept.
    pub storage: Storage,
    /// Run as one of several replicas (PostgreSQL): the sync's leadership, the feed, and
    /// looking for jobs no replica holds.
    pub replica: bool,
}

/// Where a test app keeps its rows.
#[derive(Clone, Default)]
pub enum Storage {
    /// SQLite in the data directory.
    #[default]
    Sqlite,
    /// A PostgreSQL database of the test's own (see [`postgres_database`]), reached through
    /// this address (a [`Relay`]'s, to cut it).
    Postgres(Box<sqlx::postgres::PgConnectOptions>),
}

#[derive(Clone, Copy)]
pub enum TokenChoice {
    OrgAdmin,
    /// An org admin who is not an owner.
    Admin,
    Workspace,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            users: 300,
            rate_limits: RateLimitMode::Off,
            rate_scale: 1.0,
            auth: "mode = \"dev\"".into(),
            auth_config: None,
            roles: None,
            token: TokenChoice::OrgAdmin,
            data_dir: None,
            skip_sync: false,
            scim: roster_sandbox::scim::Version::V2,
            storage: Storage::Sqlite,
            replica: false,
        }
    }
}

/// A new, empty PostgreSQL database for one test, in the cluster `cargo xtask test` starts
/// (`ROSTER_TEST_POSTGRES`: its superuser's URL). `None` when no cluster is given, unless
/// `ROSTER_REQUIRE_POSTGRES` is set (as `cargo xtask test` does), which makes that a
/// failure: the PostgreSQL half of a test is never skipped in CI.
pub async fn postgres_database() -> Option<sqlx::postgres::PgConnectOptions> {
    use sqlx::ConnectOptions;
    let Ok(admin) = std::env::var("ROSTER_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("ROSTER_REQUIRE_POSTGRES").is_none(),
            "ROSTER_REQUIRE_POSTGRES is set but ROSTER_TEST_POSTGRES is not"
        );
        eprintln!(
            "note: no ROSTER_TEST_POSTGRES, so the PostgreSQL half of this test did not run \
             (cargo xtask test starts a cluster)"
        );
        return None;
    };
    let admin: sqlx::postgres::PgConnectOptions = admin.parse().expect("ROSTER_TEST_POSTGRES");
    let name = format!(
        "roster_{}_{}",
        std::process::id(),
        rand::random::<u64>() % 1_000_000_000
    );
    let mut conn = admin.connect().await.expect("the test cluster answers");
    // The name is made here of letters and digits.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    Some(admin.database(&name))
}

/// A TCP relay to a server that a test can cut and restore, as a network or a database
/// going away would.
pub struct Relay {
    pub addr: SocketAddr,
    cut: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Relays 127.0.0.1:<a free port> to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let connections = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (is_cut, open) = (cut.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open.lock().unwrap().push(relay.abort_handle());
            }
        });
        Relay {
            addr,
            cut,
            connections,
            task,
        }
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

/// The bearer token the test apps want for `/metrics`.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

pub struct TestApp {
    pub url: String,
    pub sandbox: Arc<RunningSandbox>,
    pub state: AppState,
    pub http: reqwest::Client,
    pub token: String,
    _data: Option<tempfile::TempDir>,
    pub data_dir: std::path::PathBuf,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app(options: Options) -> TestApp {
    let sandbox = Sandbox::new(SandboxConfig {
        users: options.users,
        seed: 4,
        rate_limits: options.rate_limits,
        epoch: Some(4_000_000_000 - 86_400 * 400),
        ..SandboxConfig::default()
    })
    .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .unwrap();
    spawn_app_on(Arc::new(sandbox), None, options).await
}

/// What is left of an app stopped without warning: its Slack org and its data directory.
pub struct Crashed {
    pub sandbox: Arc<RunningSandbox>,
    pub data: Option<tempfile::TempDir>,
    pub data_dir: std::path::PathBuf,
}

impl TestApp {
    /// Stops the server and every job runner at once, as a killed process would: nothing is
    /// saved, calls in flight are dropped.
    pub fn crash(mut self) -> Crashed {
        self.server.abort();
        self.state.jobs.stop_all();
        let data = self._data.take();
        let data_dir = self.data_dir.clone();
        // The sandbox outlives the app.
        let sandbox = self.sandbox.clone();
        Crashed {
            sandbox,
            data,
            data_dir,
        }
    }
}

/// Roster on an existing sandbox (a restart: `data` keeps the data directory alive).
pub async fn spawn_app_on(
    sandbox: Arc<RunningSandbox>,
    data: Option<tempfile::TempDir>,
    options: Options,
) -> TestApp {
    // `ROSTER_TEST_LOG=roster_proxy=debug` shows what the apps under test log.
    if let Ok(filter) = std::env::var("ROSTER_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
    let token = match options.token {
        TokenChoice::OrgAdmin => sandbox.sandbox.tokens().org_admin.clone(),
        TokenChoice::Admin => sandbox.sandbox.tokens().admin.clone(),
        TokenChoice::Workspace => sandbox.sandbox.tokens().workspace.clone(),
    };
    let connected = connect(
        &sandbox.api_url(),
        &sandbox.scim_url(options.scim),
        SlackToken::new(token.clone()).unwrap(),
        options.rate_scale,
        false,
    )
    .await
    .unwrap();
    let (temp, data_dir) = match options.data_dir {
        Some(d) => (data, d),
        None => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let directory = Arc::new(Directory::persistent(&data_dir.join("directory.json")));
    if !options.skip_sync {
        directory.sync(&connected.source).await.unwrap();
    }
    let roles = options
        .roles
        .unwrap_or_else(|| demo_roles(&directory.workspaces()));
    let db = match options.storage {
        Storage::Sqlite => Db::open(&data_dir.join("roster.db")).await.unwrap(),
        Storage::Postgres(pg) => {
            let pool = roster_proxy::postgres::connect(*pg, 10).await.unwrap();
            Db::postgres(pool, data_dir.join("roster.pending-outcomes"))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let auth_config = match options.auth_config {
        Some(config) => config,
        None => toml::from_str::<AuthConfig>(&options.auth).unwrap(),
    };
    // Dev mode is built the way `roster demo` builds it, on the bound port; the rest goes
    // through the configuration as in `roster serve`.
    let auth = if auth_config.mode == Some(AuthMode::Dev) {
        Authenticator::dev(addr).unwrap()
    } else {
        Authenticator::from_config(&auth_config).await.unwrap()
    };
    let state = AppState::new(Parts {
        connected,
        directory,
        db,
        auth,
        roles,
        metrics_access: roster_proxy::metrics::MetricsAccess::Bearer(
            METRICS_TOKEN.as_bytes().into(),
        ),
        public_origin: None,
        web: None,
    });
    if options.replica {
        let replicas = state
            .replicas
            .clone()
            .expect("replicas share a PostgreSQL database");
        replicas.run(&state.core, std::time::Duration::from_secs(15 * 60));
    }
    // As `roster serve` does: jobs no runner holds (one that gave up while the storage was
    // away past its lease, or a replica that stopped) are taken up again.
    state.jobs.spawn_claims(state.core.clone());
    let router = roster_proxy::app(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        url: format!("http://{addr}"),
        sandbox,
        state,
        http: reqwest::Client::new(),
        token,
        _data: temp,
        data_dir,
        server,
    }
}

impl TestApp {
    pub fn origin(&self) -> String {
        self.url.clone()
    }

    /// GET as the given demo role.
    pub async fn get_as(&self, role: &str, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", format!("roster_demo_role={role}"))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_as("org-admin", path).await
    }

    /// A person's detail as `role` sees it once every live part has arrived: asked again,
    /// as the console does, while the answer says some parts are still loading.
    pub async fn detail_as(&self, role: &str, id: &str) -> (u16, Value) {
        let path = format!("/api/users/{id}");
        for _ in 0..200 {
            let (status, detail) = self.get_as(role, &path).await;
            match detail["refresh_after_ms"].as_u64() {
                Some(ms) if status == 200 => {
                    tokio::time::sleep(std::time::Duration::from_millis(ms.min(100))).await
                }
                _ => return (status, detail),
            }
        }
        panic!("{path} was still loading after 200 answers");
    }

    /// [`detail_as`](Self::detail_as) the org admin.
    pub async fn detail(&self, id: &str) -> (u16, Value) {
        self.detail_as("org-admin", id).await
    }

    /// POST as the given demo role, with Roster's own headers.
    pub async fn post_as(&self, role: &str, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .header("cookie", format!("roster_demo_role={role}"))
            .header("x-roster-request", "1")
            .header("origin", self.origin())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_as("org-admin", path, body).await
    }

    /// `GET /metrics`, with the metrics token.
    pub async fn metrics(&self) -> String {
        let r = self
            .http
            .get(format!("{}/metrics", self.url))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    pub fn calls(&self, method: &str) -> u64 {
        self.sandbox.sandbox.calls(method)
    }

    pub fn workspace(&self, i: usize) -> String {
        self.state.directory.workspaces()[i].id.clone()
    }

    pub fn channel_on(&self, team: &str) -> String {
        self.sandbox.sandbox.with_org(|o| {
            o.channels
                .values()
                .find(|c| c.team_id == team && !c.is_private && !c.is_archived)
                .unwrap()
                .id
                .clone()
        })
    }

    /// A user of the directory matching `f`.
    pub fn find(
        &self,
        f: impl Fn(&roster_proxy::directory::DirUser) -> bool,
    ) -> roster_proxy::directory::DirUser {
        self.find_all(f).into_iter().next().expect("such a user")
    }

    /// The users of the directory (its first thousand) matching `f`.
    pub fn find_all(
        &self,
        f: impl Fn(&roster_proxy::directory::DirUser) -> bool,
    ) -> Vec<roster_proxy::directory::DirUser> {
        let page = self.state.directory.query(
            &roster_api::UserQuery {
                limit: Some(1000),
                ..Default::default()
            },
            &Everyone,
        );
        page.users
            .iter()
            .filter_map(|s| self.state.directory.get(&s.id))
            .filter(|u| f(u))
            .collect()
    }

    pub async fn audit_rows(&self) -> Vec<roster_api::AuditEntry> {
        self.state
            .audit
            .list(
                &roster_api::AuditQuery {
                    limit: Some(500),
                    ..Default::default()
                },
                &roster_proxy::audit::AuditReader::everything(),
            )
            .await
            .unwrap()
            .entries
    }
}

pub struct Everyone;
impl roster_proxy::directory::Visibility for Everyone {
    fn workspace_scope(&self) -> Option<Vec<String>> {
        None
    }
    fn sees_emails(&self) -> bool {
        true
    }
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}

/// An ES256 signing key, as an identity provider holds it; its public half goes in a JWKS.
pub struct Keys {
    pub secret: SecretKey,
    pub kid: String,
}

impl Keys {
    /// A fresh key with this `kid`.
    pub fn new(kid: &str) -> Self {
        Keys {
            secret: SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng),
            kid: kid.into(),
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        let mut jwk: Value =
            serde_json::from_str(&self.secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        jwk
    }

    /// A token with these claims, signed ES256.
    pub fn sign(&self, claims: &Value) -> String {
        let pem = self.secret.to_pkcs8_pem(Default::default()).unwrap();
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &key).unwrap()
    }
}

/// The `[[roles]]` of a configuration text.
pub fn parse_roles(text: &str) -> Vec<RoleConfig> {
    #[derive(serde::Deserialize)]
    struct Roles {
        roles: Vec<RoleConfig>,
    }
    toml::from_str::<Roles>(text).unwrap().roles
}

/// Up to `n` regular members, each active on one workspace that `on` accepts, with no
/// admin or owner role anywhere: (ID, team ID).
pub fn plain_members(
    sandbox: &Sandbox,
    n: usize,
    on: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    sandbox.with_org(|org| {
        org.users
            .values()
            .filter(|u| {
                u.guest.is_none()
                    && !u.is_bot
                    && !u.is_deactivated()
                    && !u.invited
                    && u.org_role == roster_sandbox::org::OrgRole::Regular
                    && u.memberships.len() == 1
                    && u.memberships.iter().all(|(team, m)| {
                        m.active && m.role == roster_sandbox::org::TeamRole::Regular && on(team)
                    })
            })
            .take(n)
            .map(|u| (u.id.clone(), u.memberships.keys().next().unwrap().clone()))
            .collect()
    })
}

/// Calls a Web API method of the sandbox with `token`, as a client other than Roster (an
/// admin in Slack's own pages); its reply, which must be `ok`.
pub fn slack_as(sandbox: &Sandbox, token: &str, method: &str, args: &[(&str, &str)]) -> Value {
    let call = roster_sandbox::request::Call {
        token: Some(token.to_string()),
        args: roster_sandbox::request::Args::from_pairs(args.iter().copied()),
        json_body: false,
    };
    match sandbox.handle(method, &call) {
        roster_sandbox::SlackReply::Ok(text) => serde_json::from_str(&text).unwrap(),
        other => panic!("{method}: {other:?}"),
    }
}

/// Which storage a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Each named test (an `async fn(Kind)` of the file) on SQLite and on PostgreSQL.
#[allow(unused_macros)]
macro_rules! on_both {
    ($($test:ident),*) => {$(
        mod $test {
            #[tokio::test]
            async fn sqlite() {
                super::$test(crate::common::Kind::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                super::$test(crate::common::Kind::Postgres).await
            }
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use on_both;
