//! `roster demo`: the proxy in front of an in-process sandbox org, over real HTTP on
//! loopback, with a fresh token nobody sees, and a role switcher instead of SSO.

use std::{collections::BTreeSet, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use rand::RngCore;
use roster_api::Workspace;
use roster_sandbox::{Sandbox, SandboxConfig, faults::FaultSpec};
use tokio::net::TcpListener;

use crate::{
    AppState, Parts, app,
    auth::Authenticator,
    db::Db,
    directory::Directory,
    policy::{Field, Permission, RoleConfig, WorkspaceScope},
    serve::connect,
    slack::SlackToken,
    web::WebApp,
};

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
    /// Where the audit log lives (default: a temporary directory).
    pub data_dir: Option<PathBuf>,
}

/// Where the demo serves the sandbox's profile images.
const AVATAR_PATH: &str = "/_sandbox/avatars";

/// The demo's roles, the same as `roster.example.toml`: an org admin, a help desk limited to
/// the first two workspaces without emails, and an auditor.
pub fn demo_roles(workspaces: &[Workspace]) -> Vec<RoleConfig> {
    use Permission::*;
    let all = |p: &[Permission]| p.iter().copied().collect::<BTreeSet<_>>();
    vec![
        RoleConfig {
            name: "org-admin".into(),
            permissions: all(&[
                UsersRead,
                UsersReadSensitive,
                UsersLookupByEmail,
                UsersInvite,
                UsersAssign,
                UsersRemove,
                UsersSetRole,
                UsersSetExpiration,
                UsersDeactivate,
                UsersDeactivateAdmins,
                UsersReactivate,
                UsersSessions,
                UsersSessionSettings,
                InvitesReview,
                AuditRead,
                AuditReadAll,
                SeatsRead,
            ]),
            workspaces: WorkspaceScope::default(),
            hidden_fields: BTreeSet::new(),
            invite_guests_only: false,
            emails: vec![],
            groups: vec![],
        },
        RoleConfig {
            name: "helpdesk".into(),
            permissions: all(&[
                UsersRead,
                UsersLookupByEmail,
                UsersInvite,
                UsersSetExpiration,
                UsersSessions,
                InvitesReview,
                AuditRead,
            ]),
            workspaces: WorkspaceScope::Only(
                workspaces.iter().take(2).map(|w| w.id.clone()).collect(),
            ),
            hidden_fields: [Field::Email].into_iter().collect(),
            invite_guests_only: true,
            emails: vec![],
            groups: vec![],
        },
        RoleConfig {
            name: "auditor".into(),
            permissions: all(&[UsersRead, AuditRead, AuditReadAll]),
            workspaces: WorkspaceScope::default(),
            hidden_fields: BTreeSet::new(),
            invite_guests_only: false,
            emails: vec![],
            groups: vec![],
        },
    ]
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
    rand::rng().fill_bytes(&mut secret);
    let app_token_value = format!(
        "xapp-1-demo-{}",
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let org = options.sandbox.clone();
    let sandbox = Sandbox::new(SandboxConfig {
        admin_token: Some(token_value.clone()),
        // The demo's directory is live: Slack's events over Socket Mode, new invite
        // requests included (the sandbox has no Slackbot to silence).
        events: roster_sandbox::events::EventsConfig {
            app_token: Some(app_token_value.clone()),
            invite_requested: true,
            ..Default::default()
        },
        // Profile images are served by Roster itself under /_sandbox/avatars (see below), so
        // the strict CSP (`img-src 'self'`) covers them.
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
    let connected = connect(
        &sandbox.api_url(),
        &sandbox.scim_url(roster_sandbox::scim::Version::V2),
        token,
        1.0,
        true,
    )
    .await?;

    // The first sync happens before serving, so the demo opens on a full table.
    let directory = Arc::new(Directory::default());
    directory
        .sync(&connected.source)
        .await
        .context("loading the sandbox org")?;
    let roles = demo_roles(&directory.workspaces());

    let (data_dir, _temp) = match &options.data_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let temp = tempfile::tempdir()?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let db = Db::open(&data_dir.join("roster.db")).await?;

    let listener = TcpListener::bind(options.addr).await.with_context(|| {
        format!(
            "cannot listen on {}: is another Roster running there? Pick another with --addr",
            options.addr
        )
    })?;
    let addr = listener.local_addr()?;
    // The role picker is for this machine only: it answers on loopback, to requests that
    // name it by its loopback address and this port.
    let auth = Authenticator::dev(addr).map_err(|e| anyhow::anyhow!("--addr: {e}"))?;
    let workspaces = directory.workspaces().len();
    println!(
        "Roster demo: sandbox org with {} users in {workspaces} workspaces (seed {}), Slack API emulated at {}",
        org.users,
        org.seed,
        sandbox.api_url()
    );
    println!("Roster is running at http://{addr}/  (Ctrl-C stops it)");

    let csp = web.csp().to_string();
    let state = AppState::new(Parts {
        connected,
        directory,
        db,
        auth,
        roles,
        // The demo listens on loopback only; its metrics are open to it.
        metrics_access: crate::metrics::MetricsAccess::Open,
        public_origin: None,
        web: Some(web),
    });
    if let Err(e) = state.start_seats().await {
        tracing::warn!(error = %e, "cannot load Slack's member analytics");
    }
    state.invite_requests.follow_events(true);
    state.start_events(
        &sandbox.api_url(),
        Some(SlackToken::new(app_token_value).map_err(anyhow::Error::msg)?),
        None,
        options.refresh * 12,
    );
    // The first sync already ran; later ones follow the refresh interval.
    state
        .directory
        .spawn_refresh(state.source.clone(), options.refresh);
    crate::serve::spawn_storage_watch(&state);
    // Jobs left unfinished in a kept data directory go on.
    if let Err(e) = state.jobs.resume_all(&state.core).await {
        tracing::error!(error = %e, "cannot resume unfinished jobs");
    }
    state.jobs.spawn_claims(state.core.clone());
    let jobs = state.jobs.clone();
    let avatars = crate::web::security_headers(sandbox.sandbox.avatar_router(), &csp, false).layer(
        axum::middleware::from_fn_with_state(state.auth.clone(), crate::middleware::loopback_host),
    );
    let router = app(state).nest(AVATAR_PATH, avatars);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(crate::serve::shutdown_signal())
    .await?;
    jobs.release_all().await;
    drop(sandbox);
    Ok(())
}
