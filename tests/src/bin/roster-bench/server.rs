//! Roster in this process against the in-process sandbox: the `/api/users` handler at
//! 100,000 users, a full directory sync and a 300-operation bulk job, both under Slack's
//! rate limits on a scaled clock.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{body::Body, extract::ConnectInfo};
use http::Request;
use roster_proxy::{
    AppState, Parts, auth::Authenticator, db::Db, demo::demo_roles, directory::Directory,
    serve::connect, slack::SlackToken,
};
use roster_sandbox::{RunningSandbox, Sandbox, SandboxConfig, ratelimit::RateLimitMode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{
    Scale,
    report::{Row, quantile},
};

/// A sandbox org of `users` with `rate_limits`, on a free loopback port.
pub(crate) async fn sandbox(users: usize, rate_limits: RateLimitMode) -> RunningSandbox {
    Sandbox::new(SandboxConfig {
        users,
        rate_limits,
        ..SandboxConfig::default()
    })
    .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .unwrap()
}

/// The address in-process requests are addressed to (the demo's sign-in answers only to
/// its own loopback address).
const IN_PROCESS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// Roster's state against `sandbox`, limiter clock `scale`, data in `dir`; not synced.
pub(crate) async fn state(sandbox: &RunningSandbox, scale: f64, dir: &std::path::Path) -> AppState {
    let connected = connect(
        &sandbox.api_url(),
        &sandbox.scim_url(roster_sandbox::scim::Version::V2),
        SlackToken::new(sandbox.sandbox.tokens().org_admin.clone()).unwrap(),
        scale,
        true,
    )
    .await
    .unwrap();
    AppState::new(Parts {
        connected,
        directory: Arc::new(Directory::default()),
        db: Db::open(&dir.join("roster.db")).await.unwrap(),
        auth: Authenticator::dev(IN_PROCESS_ADDR).unwrap(),
        roles: Vec::new(),
        metrics_access: roster_proxy::metrics::MetricsAccess::Off,
        public_origin: None,
        web: None,
    })
}

/// Syncs `state`'s directory and gives it the demo's roles.
async fn synced(mut state: AppState) -> AppState {
    state.directory.sync(&state.source).await.unwrap();
    let roles = demo_roles(&state.directory.workspaces());
    Arc::get_mut(&mut state.core)
        .expect("nothing holds the state before it serves")
        .roles = Arc::new(roles);
    state
}

/// `GET /api/users` handled in process (auth, policy, query, redaction, JSON), no network.
async fn users_query(scale: Scale) -> Vec<Row> {
    let org = sandbox(scale.users, RateLimitMode::Off).await;
    let dir = tempfile::tempdir().unwrap();
    let state = synced(state(&org, 1_000.0, dir.path()).await).await;
    let workspace = state.directory.workspaces()[1].id.clone();
    let router = roster_proxy::app(state);
    let queries: Vec<String> = [
        "",
        "q=ana",
        "q=an",
        "q=m",
        "q=agency.example",
        "q=tomas.r",
        "type=multi_channel_guest",
        "type=multi_channel_guest&status=active&sort=expires",
        &format!("workspace={workspace}&type=admin"),
        &format!("workspace={workspace}&q=li&sort=email"),
        "has_2fa=false&status=active",
        "has_sso=false&type=member&sort=created&dir=desc",
        "expires_within_days=30&sort=expires",
        "status=deactivated&sort=name&dir=desc",
        "sort=email&dir=desc&offset=5000&limit=100",
        "sort=created&offset=50000&limit=200",
        "sort=type&limit=1000",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let peer = ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000)));
    let handle = |qs: String| {
        let router = router.clone();
        async move {
            let mut request = Request::get(format!("/api/users?{qs}"))
                .header("host", IN_PROCESS_ADDR.to_string())
                .body(Body::empty())
                .unwrap();
            request.extensions_mut().insert(peer);
            let t = Instant::now();
            let response = router.oneshot(request).await.unwrap();
            assert!(
                response.status().is_success(),
                "{qs}: {}",
                response.status()
            );
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            std::hint::black_box(body.len());
            t.elapsed().as_secs_f64() * 1e3
        }
    };
    // The first query of each sort builds that sort's index once per sync.
    let mut first = Vec::new();
    for qs in &queries {
        first.push(handle(qs.clone()).await);
    }
    let rounds = if scale.quick { 10 } else { 40 };
    let mut times = Vec::new();
    for _ in 0..rounds {
        for qs in &queries {
            times.push(handle(qs.clone()).await);
        }
    }
    let n = times.len();
    let p50 = quantile(&mut times, 0.5);
    let p95 = quantile(&mut times, 0.95);
    let max = quantile(&mut times, 1.0);
    let what = |p: &str| {
        format!(
            "/api/users, {} users, mixed filters ({p})",
            scale.users_label()
        )
    };
    vec![
        Row::new(what("p50"), p50, "ms", 5.0)
            .samples(n)
            .detail(format!(
                "{} different queries, max {max:.2} ms",
                queries.len()
            )),
        Row::new(what("p95"), p95, "ms", 20.0)
            .samples(n)
            .detail(format!(
                "the first query of each sort after a sync builds its index: max {:.1} ms",
                quantile(&mut first, 1.0)
            )),
    ]
}

/// A full directory sync with Slack's limits on a clock `SCALE` times faster.
async fn sync_ratio(scale: Scale) -> Row {
    sync_ratio_of(scale.users).await
}

/// [`sync_ratio`] of an org of `users`.
pub(crate) async fn sync_ratio_of(users: usize) -> Row {
    const SCALE: f64 = 20.0;
    let org = sandbox(users, RateLimitMode::Scale(SCALE)).await;
    let dir = tempfile::tempdir().unwrap();
    let state = state(&org, SCALE, dir.path()).await;
    let before = org.sandbox.calls("admin.users.list");
    let t = Instant::now();
    state.directory.sync(&state.source).await.unwrap();
    let took = t.elapsed().as_secs_f64();
    let calls = org.sandbox.calls("admin.users.list") - before;
    let limited = calls - (org.sandbox.handled("admin.users.list") - before);
    // Each listing pages on its own bucket: org-wide (active, then deactivated), then one
    // per workspace. admin.users.list is Tier 4: 100 a minute.
    let lanes = 1 + state.directory.workspaces().len() as u64;
    let per_second = 100.0 / 60.0 * SCALE;
    let floor = (calls.saturating_sub(lanes)) as f64 / per_second;
    Row::new(
        format!(
            "full sync, {} users, rate limits on (×{SCALE:.0} clock), vs tier floor",
            crate::thousands(users)
        ),
        took / floor,
        "×",
        1.1,
    )
    .detail(format!(
        "{took:.2} s for {calls} admin.users.list calls in {lanes} lanes ({limited} answered 429); floor {floor:.2} s = one call per Tier 4 interval after each lane's first"
    ))
}

/// A bulk invite job of `scale.job_operations` rows against Tier 2 on a scaled clock.
async fn job_ratio(scale: Scale) -> Row {
    const SCALE: f64 = 60.0;
    let org = sandbox(300, RateLimitMode::Scale(SCALE)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut state = synced(state(&org, SCALE, dir.path()).await).await;
    let team = state.directory.workspaces()[0].id.clone();
    let channel = org.sandbox.with_org(|o| {
        o.channels
            .values()
            .find(|c| c.team_id == team && !c.is_private && !c.is_archived)
            .map(|c| c.id.clone())
            .unwrap()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    state.auth = Arc::new(Authenticator::dev(addr).unwrap());
    let router = roster_proxy::app(state);
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let n = scale.job_operations;
    let operations: Vec<Value> = (0..n)
        .map(|i| {
            json!({"op": "invite", "email": format!("bench{i:04}@agency.example"),
                   "workspace": team, "channels": [channel], "guest": "multi_channel"})
        })
        .collect();
    let client = roster_e2e::processes::RosterClient::new(url);
    let t = Instant::now();
    let (status, created) = client
        .post("/api/jobs", json!({"operations": operations}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    let job = loop {
        let job = client.get(&format!("/api/jobs/{id}")).await;
        if job["job"]["state"] == "finished" {
            break job;
        }
        assert!(t.elapsed() < Duration::from_secs(600), "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = t.elapsed().as_secs_f64();
    server.abort();
    let done = job["job"]["counts"]["done"].as_u64().unwrap_or(0);
    assert_eq!(done as usize, n, "{}", job["job"]);
    let calls = org.sandbox.calls("admin.users.invite");
    let limited = calls - org.sandbox.handled("admin.users.invite");
    // Tier 2: 20 a minute, after a minute's burst.
    let floor = (n as f64 - 20.0) / (20.0 / 60.0 * SCALE);
    Row::new(
        format!("bulk job, {n} invites (×{SCALE:.0} clock), vs Tier 2 floor"),
        took / floor,
        "×",
        1.15,
    )
    .detail(format!(
        "{took:.2} s, floor {floor:.2} s; {calls} invite calls, {limited} answered 429 and retried"
    ))
}

pub async fn measure(scale: Scale) -> Vec<Row> {
    let mut rows = Vec::new();
    eprintln!("/api/users over {} users…", scale.users_label());
    rows.extend(users_query(scale).await);
    eprintln!("full sync with rate limits…");
    rows.push(sync_ratio(scale).await);
    eprintln!("bulk job of {} invites…", scale.job_operations);
    rows.push(job_ratio(scale).await);
    rows
}
