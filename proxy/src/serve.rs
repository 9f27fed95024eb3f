//! `roster serve --config roster.toml`: start-up checks, then serving.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use roster_api::Mode;
use tokio::net::TcpListener;

use crate::{
    AppState, Connected, Connection, Parts, app,
    auth::Authenticator,
    config::Config,
    db::Db,
    directory::{Directory, Source},
    metrics::Metrics,
    middleware::spawn_token_check,
    slack::{SlackClient, SlackError, SlackToken, messages, methods::AdminUsersList},
    web::WebApp,
};

/// Scopes admin mode needs.
const ADMIN_SCOPES: [&str; 3] = ["admin.users:read", "admin.users:write", "admin.teams:read"];

/// Why start-up stopped.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("Slack refused the token ({code}): {message} Check SLACK_TOKEN or slack.token_file.")]
    BadToken { code: String, message: String },
    #[error("Slack could not be reached at {url}: {error}")]
    Unreachable { url: String, error: SlackError },
}

/// Asks Slack who the token is (`auth.test`) and what it may do; decides admin or
/// read-only mode and where the directory comes from.
pub async fn preflight(
    slack: &SlackClient,
    demo: bool,
) -> Result<(Connection, Source), PreflightError> {
    let identity = slack
        .auth_test()
        .await
        .map_err(|error| match error.code() {
            Some(code) if error.is_token_failure() || code == "not_allowed_token_type" => {
                PreflightError::BadToken {
                    code: code.to_string(),
                    message: messages::describe(code).to_string(),
                }
            }
            _ => PreflightError::Unreachable {
                url: slack.base_url().to_string(),
                error,
            },
        })?;
    let reply = identity.reply;
    let org_wide = reply.is_enterprise_install;
    let (team, team_id, token_user) = (reply.team, reply.team_id, reply.user);
    let missing: Vec<&str> = if identity.scopes.is_empty() {
        // No scope header: ask the one method that needs the admin read scope.
        let probe = AdminUsersList {
            limit: 1,
            cursor: None,
            team_id: None,
            is_active: None,
        };
        match slack.send(&probe).await {
            Ok(_) => Vec::new(),
            Err(_) => ADMIN_SCOPES.to_vec(),
        }
    } else {
        ADMIN_SCOPES
            .iter()
            .copied()
            .filter(|s| !identity.scopes.iter().any(|x| x == s))
            .collect()
    };
    let (mode, reason) = if !org_wide {
        (
            Mode::ReadOnly,
            Some(format!(
                "The Slack token is installed on one workspace ({team}), not on the whole Enterprise org, so Roster \
                 only reads the directory. Admin actions need an org-level user token with {}.",
                ADMIN_SCOPES.join(", ")
            )),
        )
    } else if !missing.is_empty() {
        (
            Mode::ReadOnly,
            Some(format!(
                "The Slack token lacks {}, so Roster only reads the directory. Reinstall the app with those scopes \
                 to turn admin actions on.",
                missing.join(", ")
            )),
        )
    } else {
        (Mode::Admin, None)
    };
    let source = match mode {
        Mode::Admin => Source::Admin(slack.clone()),
        Mode::ReadOnly => Source::Workspace {
            slack: slack.clone(),
            team_id: team_id.clone(),
            team_name: team.clone(),
        },
    };
    Ok((
        Connection {
            mode,
            reason,
            org_name: team,
            org_id: team_id,
            token_user,
            demo,
        },
        source,
    ))
}

/// Connects to Slack's Web API at `api_url` and its SCIM API at `scim_url` with `token`:
/// the client (its limiter's clock `rate_scale` times faster, for a sandbox with scaled
/// limits) and what [`preflight`] finds.
pub async fn connect(
    api_url: &str,
    scim_url: &str,
    token: SlackToken,
    rate_scale: f64,
    demo: bool,
) -> anyhow::Result<Connected> {
    let metrics = Arc::new(Metrics::default());
    let slack = SlackClient::new(api_url, token, rate_scale, metrics.clone())?.with_scim(scim_url);
    let (connection, source) = preflight(&slack, demo).await?;
    Ok(Connected {
        slack,
        metrics,
        connection,
        source,
    })
}

/// The database `config` names: PostgreSQL (shared by replicas) when `[database] url` is
/// set, otherwise SQLite in `data_dir`.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let options = config
        .database
        .options()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    match options {
        Some(options) => {
            crate::private_files::private_dir(&config.data_dir)
                .with_context(|| format!("preparing data_dir {}", config.data_dir.display()))?;
            let pool = crate::postgres::connect(options, config.database.max_connections).await?;
            println!("Roster keeps its audit log and jobs in PostgreSQL (shared by its replicas).");
            Ok(Db::postgres(
                pool,
                config.data_dir.join("roster.pending-outcomes"),
            ))
        }
        None => Db::open(&config.data_dir.join("roster.db"))
            .await
            .with_context(|| {
                format!(
                    "opening the audit log in {} (data_dir)",
                    config.data_dir.display()
                )
            }),
    }
}

/// Runs `roster serve`.
pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    let env = |k: &str| std::env::var(k).ok();
    let config =
        Config::load(config_path, env).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let token = config
        .slack_token(env)
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let app_token = config
        .app_token()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let signing_secret = config
        .signing_secret()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let web = WebApp::load(&config.dist_dir)?;
    let auth = Authenticator::from_config(&config.auth)
        .await
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let connected = connect(
        &config.slack.api_url,
        &config.slack.scim_url,
        token,
        config.slack.rate_limit_scale,
        false,
    )
    .await?;
    let connection = &connected.connection;
    match connection.mode {
        Mode::Admin => println!(
            "Connected to Slack as @{} in {} ({}): org-level admin token, admin actions on.",
            connection.token_user, connection.org_name, connection.org_id
        ),
        Mode::ReadOnly => println!(
            "Connected to Slack as @{} in {} ({}): read-only. {}",
            connection.token_user,
            connection.org_name,
            connection.org_id,
            connection.reason.as_deref().unwrap_or_default()
        ),
    }
    let db = open_database(&config).await?;
    let state = AppState::new(Parts {
        connected,
        directory: Arc::new(Directory::persistent(
            &config.data_dir.join("directory.json"),
        )),
        db,
        auth,
        roles: config.roles.clone(),
        metrics_access: config
            .metrics
            .access()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?,
        public_origin: config.public_url.as_deref().map(origin_of),
        web: Some(web),
    });
    match (&app_token, &signing_secret) {
        (None, None) => println!(
            "Slack's events are off: the directory follows full syncs every {} minutes \
             (set [slack] app_token_file or signing_secret_file for live updates).",
            config.slack.refresh_minutes
        ),
        (Some(_), _) => println!("Slack's events: Socket Mode (app-level token)."),
        (None, Some(_)) => println!("Slack's events: HTTP, at POST /slack/events."),
    }
    let events_on = app_token.is_some() || signing_secret.is_some();
    if events_on {
        println!(
            "Which workspaces send events is checked with Slack once the directory has \
             synced; the log says, and the console's header tells org admins."
        );
    }
    if config.slack.invite_requested_events {
        if events_on {
            println!(
                "Invite requests follow Slack's invite_requested events (Slackbot no longer \
                 tells workspace admins of them)."
            );
        } else {
            println!(
                "[slack] invite_requested_events is on, but Slack's events are off: invite \
                 requests are read from Slack every 30 seconds."
            );
        }
    }
    state
        .invite_requests
        .follow_events(events_on && config.slack.invite_requested_events);
    state.start_events(
        &config.slack.api_url,
        app_token,
        signing_secret,
        Duration::from_secs(config.slack.reconcile_hours * 3600),
    );
    start_background(
        &state,
        Duration::from_secs(config.slack.refresh_minutes * 60),
    );
    // Slack's member analytics (people's activity): read in the background, Tier 2.
    if !config.slack.member_analytics {
        println!("Slack's member analytics are off ([slack] member_analytics = false).");
    } else if let Err(e) = state.start_seats().await {
        tracing::warn!(error = %e, "cannot load Slack's member analytics");
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (listen)", config.listen))?;
    println!("Roster is running at http://{}/", listener.local_addr()?);
    serve(listener, state).await
}

/// The origin (`scheme://host[:port]`, default port left out) of a URL the configuration
/// has already checked; the text itself if it is not a URL.
pub fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.trim_end_matches('/').to_string())
}

/// The first sync (if no copy was loaded, requests wait on nothing: the UI shows progress),
/// periodic syncs, and the token check.
pub fn start_background(state: &AppState, refresh: Duration) {
    let directory = state.directory.clone();
    let source = state.source.clone();
    let resume = state.clone();
    if let Some(replicas) = &state.replicas {
        // Several replicas: one syncs for all (see `replicas`).
        replicas.run(&state.core, refresh);
        tokio::spawn(async move {
            // Jobs go on once the directory is here (their checks read it).
            let waited = std::time::Instant::now();
            while resume.directory.synced_at().is_none()
                && waited.elapsed() < Duration::from_secs(600)
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            match resume.jobs.resume_all(&resume.core).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "took over unfinished jobs"),
                Err(e) => tracing::error!(error = %e, "cannot resume unfinished jobs"),
            }
            resume.jobs.spawn_claims(resume.core.clone());
        });
        spawn_token_check(state, Duration::from_secs(60));
        spawn_storage_watch(state);
        return;
    }
    tokio::spawn(async move {
        let _ = directory.sync(&source).await;
        // Unfinished jobs go on once the directory is fresh (their checks read it), and so
        // do those of replicas that stop.
        match resume.jobs.resume_all(&resume.core).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "resumed unfinished jobs"),
            Err(e) => tracing::error!(error = %e, "cannot resume unfinished jobs"),
        }
        resume.jobs.spawn_claims(resume.core.clone());
    });
    state.directory.spawn_refresh(state.source.clone(), refresh);
    spawn_token_check(state, Duration::from_secs(60));
    spawn_storage_watch(state);
}

/// How often the storage is tried again while it cannot be written.
const STORAGE_WATCH: Duration = Duration::from_secs(10);

/// Writes the outcomes that wait (a previous run's spool, or ones the storage refused) as
/// soon as the storage takes them, and notices when it works again, without waiting for
/// someone to try a change; the directory snapshot is saved again too if its last save
/// failed.
pub fn spawn_storage_watch(state: &AppState) {
    let audit = state.audit.clone();
    let directory = state.directory.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(STORAGE_WATCH);
        loop {
            ticker.tick().await;
            // Failures are logged once by the database, and reported on /readyz.
            let _ = audit.recover().await;
            if directory.unsaved() {
                let directory = directory.clone();
                let _ = tokio::task::spawn_blocking(move || directory.persist()).await;
            }
        }
    });
}

/// Serves until Ctrl-C or SIGTERM, then saves the directory.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    let directory = state.directory.clone();
    let jobs = state.jobs.clone();
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    // Another replica takes this one's jobs at once.
    jobs.release_all().await;
    tokio::task::spawn_blocking(move || directory.persist()).await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://roster.example.com/"),
            "https://roster.example.com"
        );
        assert_eq!(
            origin_of("https://roster.example.com:8443/app"),
            "https://roster.example.com:8443"
        );
        assert_eq!(
            origin_of("https://Roster.Example.com:443/"),
            "https://roster.example.com"
        );
    }
}
