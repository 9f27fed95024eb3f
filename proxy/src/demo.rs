//! `roster demo`: the proxy in front of an in-process sandbox org, over real HTTP on
//! loopback, with a fresh token nobody sees.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use rand::RngCore;
use roster_sandbox::{Sandbox, SandboxConfig, faults::FaultSpec};
use tokio::net::TcpListener;

use crate::{
    AppState, app,
    directory::Directory,
    slack::{SlackClient, SlackToken},
    web::WebApp,
};

/// Where the demo serves the sandbox's profile images.
const AVATAR_PATH: &str = "/_sandbox/avatars";

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub addr: SocketAddr,
    pub dist: PathBuf,
    /// How often the directory is synced again.
    pub refresh: Duration,
    /// The sandbox org (its token and avatar URLs are set by the demo).
    pub sandbox: SandboxConfig,
    pub faults: Vec<FaultSpec>,
}

/// Starts the sandbox and the proxy, and serves until Ctrl-C.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    let web = WebApp::load(&options.dist)?;

    let mut secret = [0u8; 24];
    rand::rng().fill_bytes(&mut secret);
    let token_value = format!(
        "xoxp-demo-{}",
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let org = options.sandbox.clone();
    let sandbox = Sandbox::new(SandboxConfig {
        admin_token: Some(token_value.clone()),
        // Profile images are served by Roster itself under /_sandbox/avatars (see below),
        // so the strict CSP (`img-src 'self'`) covers them.
        avatar_base: AVATAR_PATH.into(),
        ..options.sandbox
    });
    for spec in &options.faults {
        sandbox.set_faults(&spec.method, spec.faults.clone());
    }
    let sandbox = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("starting the sandbox")?;
    let token = SlackToken::new(token_value).map_err(anyhow::Error::msg)?;
    let slack = SlackClient::new(&sandbox.api_url(), token)?;

    let directory = Arc::new(Directory::default());
    directory
        .sync(&slack)
        .await
        .context("loading the sandbox org")?;
    spawn_refresh(directory.clone(), slack.clone(), options.refresh);

    let listener = TcpListener::bind(options.addr).await.with_context(|| {
        format!(
            "cannot listen on {}: is another Roster running there? Pick another with --addr",
            options.addr
        )
    })?;
    let addr = listener.local_addr()?;
    let workspaces = directory.workspaces().len();
    println!(
        "Roster demo: sandbox org with {} users in {workspaces} workspaces (seed {}), Slack API emulated at {}",
        org.users,
        org.seed,
        sandbox.api_url()
    );
    println!("Roster is running at http://{addr}/  (Ctrl-C stops it)");

    let csp = web.csp().to_string();
    let state = AppState {
        slack,
        directory,
        web: Some(Arc::new(web)),
    };
    let avatars = crate::web::security_headers(sandbox.sandbox.avatar_router(), &csp);
    let router = app(state).nest(AVATAR_PATH, avatars);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    drop(sandbox);
    Ok(())
}

/// Re-syncs the directory every `every`.
pub fn spawn_refresh(directory: Arc<Directory>, slack: SlackClient, every: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            // Failures are recorded in the sync status and logged; the last snapshot stays.
            let _ = directory.sync(&slack).await;
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
