//! `GET /api/users` at 100,000 users: server-side time per query (filter, sort, page,
//! redact and serialise), in process and over loopback HTTP. Prints percentiles; asserts
//! nothing. Run by `cargo xtask bench`.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use roster_api::UserQuery;
use roster_proxy::{
    AppState,
    audit::AuditLog,
    auth::Authenticator,
    demo::demo_roles,
    directory::{Directory, Visibility},
    metrics::Metrics,
    middleware::{Health, WriteLimiter},
    serve::preflight,
    slack::{SlackClient, SlackToken},
};
use roster_sandbox::{Sandbox, SandboxConfig, ratelimit::RateLimitMode};

struct Everyone;
impl Visibility for Everyone {
    fn workspace_scope(&self) -> Option<Vec<String>> {
        None
    }
    fn sees_emails(&self) -> bool {
        true
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::var("ROSTER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let sandbox = Sandbox::new(SandboxConfig {
        users,
        rate_limits: RateLimitMode::Off,
        ..SandboxConfig::default()
    })
    .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .unwrap();
    let metrics = Arc::new(Metrics::default());
    let slack = SlackClient::new(
        &sandbox.api_url(),
        SlackToken::new(sandbox.sandbox.tokens().org_admin.clone()).unwrap(),
        1_000.0,
        metrics.clone(),
    )
    .unwrap();
    let (connection, source) = preflight(&slack, true).await.unwrap();
    let directory = Arc::new(Directory::default());
    let started = Instant::now();
    directory.sync(&source).await.unwrap();
    println!(
        "sync of {users} users: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let workspace = directory.workspaces()[1].id.clone();

    let queries: Vec<(&str, String)> = vec![
        ("first page, by name", "".into()),
        ("search 'ana'", "q=ana".into()),
        ("search an email domain", "q=agency.example".into()),
        ("multi-channel guests", "type=multi_channel_guest".into()),
        (
            "admins on one workspace",
            format!("workspace={workspace}&type=admin"),
        ),
        ("2FA off, active", "has_2fa=false&status=active".into()),
        (
            "expiring within 30 days",
            "expires_within_days=30&sort=expires".into(),
        ),
        (
            "by email, descending, page 50",
            "sort=email&dir=desc&offset=5000&limit=100".into(),
        ),
        ("by created, 1000 rows", "sort=created&limit=1000".into()),
    ];

    println!("\nin process (filter, sort, page):");
    for (label, qs) in &queries {
        let query: UserQuery = serde_urlencoded::from_str(qs).unwrap();
        directory.query(&query, &Everyone); // sort order cached once
        let mut times = Vec::new();
        for _ in 0..60 {
            let t = Instant::now();
            let page = directory.query(&query, &Everyone);
            std::hint::black_box(page.total);
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {label:<32} p50 {:>6.2} ms  p95 {:>6.2} ms",
            pct(&times, 0.5),
            pct(&times, 0.95)
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let audit = AuditLog::open(&dir.path().join("roster.db")).await.unwrap();
    let jobs = Arc::new(roster_proxy::jobs::Jobs::new(
        roster_proxy::jobs::JobStore::new(audit.pool()),
    ));
    let state = AppState {
        slack,
        source: Arc::new(source),
        roles: Arc::new(demo_roles(&directory.workspaces())),
        directory,
        connection: Arc::new(connection),
        auth: Arc::new(Authenticator::Dev),
        audit,
        jobs,
        metrics,
        health: Arc::new(Health::default()),
        writes: Arc::new(WriteLimiter::default()),
        public_origin: None,
        web: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = roster_proxy::app(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let http = reqwest::Client::new();
    println!("\nover HTTP, org admin (auth, policy, redaction, JSON, loopback):");
    for role in ["org-admin", "helpdesk"] {
        let mut all = Vec::new();
        for (_, qs) in &queries {
            if role == "helpdesk" && qs.contains("sort=email") {
                continue;
            }
            for _ in 0..30 {
                let t = Instant::now();
                let body = http
                    .get(format!("http://{addr}/api/users?{qs}"))
                    .header("cookie", format!("roster_demo_role={role}"))
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                std::hint::black_box(body.len());
                all.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        all.sort_by(f64::total_cmp);
        println!(
            "  {role:<10} {} requests over the queries above: p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
            all.len(),
            pct(&all, 0.5),
            pct(&all, 0.95),
            all[all.len() - 1]
        );
    }
}
