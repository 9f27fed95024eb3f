//! The `roster` proxy: serves the browser app, keeps the Slack token on the server, checks
//! who is calling and what they may do, and turns `/api` requests into Slack calls.
//!
//! Request flow, all assembled in [`app`]: request ID → security headers → the demo's
//! loopback `Host` check → metrics →
//! [`middleware::authenticate`] (identity → role) → [`middleware::same_origin`] (CSRF) →
//! `routes` (handlers, which ask [`policy::Caller`] before acting and write the
//! [`audit::AuditLog`]) → [`directory`] for reads, [`slack::SlackClient`] for writes.

pub mod audit;
pub mod auth;
pub mod budgets;
pub mod changes;
pub mod config;
pub mod config_error;
pub mod core;
pub mod db;
pub mod demo;
pub mod directory;
pub mod error;
pub mod events;
pub mod feed;
pub mod invite_requests;
pub mod jobs;
pub mod live;
pub mod metrics;
pub mod middleware;
pub mod policy;
pub mod postgres;
pub mod private_files;
pub mod replicas;
mod routes;
pub mod seats;
pub mod sentence;
pub mod serve;
pub mod slack;
pub mod store;
pub mod web;

use std::{sync::Arc, time::Duration};

use axum::{Router, extract::DefaultBodyLimit, middleware::from_fn_with_state};
use roster_api::ServerStatus;
use tower_http::{
    compression::{CompressionLayer, CompressionLevel},
    request_id::PropagateRequestIdLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

pub use crate::core::Connection;
use crate::{
    audit::AuditLog,
    auth::Authenticator,
    budgets::WriteLimiter,
    core::Core,
    directory::{Directory, Source},
    metrics::Metrics,
    policy::RoleConfig,
    slack::SlackClient,
    web::WebApp,
};

/// What every handler shares: the [`Core`] the changes and jobs work with, and what only
/// the HTTP side needs (sign-in, health, the jobs' handles, the browser app). Handlers read
/// the core's fields through it (`state.slack`, `state.directory`).
#[derive(Clone, Debug)]
pub struct AppState {
    pub core: Arc<Core>,
    pub auth: Arc<Authenticator>,
    /// Who may read `/metrics`.
    pub metrics_access: metrics::MetricsAccess,
    pub health: Arc<middleware::Health>,
    /// Bulk jobs (stored with the audit log).
    pub jobs: Arc<jobs::Jobs>,
    /// The origin allowed to make changes (`https://roster.example.com`); without it, the
    /// request's own `Host`.
    pub public_origin: Option<String>,
    /// The built browser app; `None` serves the API alone.
    pub web: Option<Arc<WebApp>>,
    /// The other replicas on the same PostgreSQL (none with SQLite).
    pub replicas: Option<Arc<replicas::Replicas>>,
    /// Slack's events, once started (see [`AppState::start_events`]).
    pub events: Arc<std::sync::OnceLock<events::Events>>,
    /// Slack's member analytics, once [`AppState::start_seats`] has loaded them.
    pub seats: Arc<std::sync::OnceLock<Arc<seats::Seats>>>,
}

impl std::ops::Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

/// Roster connected to Slack: the client, what the start-up preflight found, and where the
/// directory comes from (see [`serve::connect`]).
#[derive(Debug)]
pub struct Connected {
    pub slack: SlackClient,
    pub metrics: Arc<Metrics>,
    pub connection: Connection,
    pub source: Source,
}

/// What differs between `roster serve`, the demo, the tests and the bench; [`AppState::new`]
/// builds the rest the same way for all of them.
#[derive(Debug)]
pub struct Parts {
    pub connected: Connected,
    pub directory: Arc<Directory>,
    pub db: db::Db,
    pub auth: Authenticator,
    pub roles: Vec<RoleConfig>,
    pub metrics_access: metrics::MetricsAccess,
    /// The origin allowed to make changes; `None`: the request's own `Host`.
    pub public_origin: Option<String>,
    /// The built browser app; `None` serves the API alone.
    pub web: Option<WebApp>,
}

impl AppState {
    /// The state every handler shares: the audit log and the jobs over the database, and
    /// fresh health and per-person budgets.
    pub fn new(parts: Parts) -> Self {
        let Connected {
            slack,
            metrics,
            connection,
            source,
        } = parts.connected;
        // Several replicas on one database spend one Slack pace, and one budget a person.
        let writes = Arc::new(WriteLimiter::default());
        if let Some(shared) = parts.db.shared_pace() {
            slack.share_pace(shared.clone());
            writes.share(shared);
        }
        let jobs = Arc::new(jobs::Jobs::new(jobs::JobStore::new(parts.db.clone())));
        let replicas = parts
            .db
            .shared()
            .map(|pool| Arc::new(replicas::Replicas::new(pool.clone(), jobs.replica())));
        let core = Core {
            slack,
            source: Arc::new(source),
            directory: parts.directory,
            connection: Arc::new(connection),
            audit: AuditLog::new(parts.db.clone()),
            db: parts.db.clone(),
            metrics,
            roles: Arc::new(parts.roles),
            roles_by_name: parts.auth.is_dev(),
            writes,
            invite_requests: Arc::default(),
            live: Arc::default(),
            feed: replicas.as_ref().map(|r| r.feed()).unwrap_or_default(),
        };
        AppState {
            core: Arc::new(core),
            auth: Arc::new(parts.auth),
            metrics_access: parts.metrics_access,
            health: Arc::new(middleware::Health::default()),
            jobs,
            public_origin: parts.public_origin,
            web: parts.web.map(Arc::new),
            replicas,
            events: Arc::default(),
            seats: Arc::default(),
        }
    }

    /// Loads what Roster holds of Slack's member analytics and starts reading the days it
    /// lacks (the replica that syncs the directory reads for all).
    pub async fn start_seats(&self) -> Result<(), sqlx::Error> {
        let seats = seats::Seats::load(self.db.activity_rows().clone()).await?;
        if self.seats.set(seats.clone()).is_err() {
            return Ok(());
        }
        let replicas = self.replicas.clone();
        tokio::spawn(seats.run(self.slack.clone(), move || {
            replicas.as_ref().is_none_or(|r| r.is_leader())
        }));
        Ok(())
    }

    /// Starts taking Slack's events: over Socket Mode with `app_token`, over HTTP
    /// (`POST /slack/events`) with `signing_secret`, or both. Without either, nothing.
    pub fn start_events(
        &self,
        api_url: &str,
        app_token: Option<slack::SlackToken>,
        signing_secret: Option<events::signature::SigningSecret>,
        reconcile: Duration,
    ) {
        let mut transports = Vec::new();
        if app_token.is_some() {
            transports.push(events::Transport::SocketMode);
        }
        if signing_secret.is_some() {
            transports.push(events::Transport::Http);
        }
        if transports.is_empty() {
            return;
        }
        let live = events::LiveEvents::start(
            self.directory.clone(),
            self.core.live.clone(),
            self.core.feed.clone(),
            self.core.invite_requests.clone(),
            self.slack.clone(),
            transports,
            self.db.shared().cloned(),
        );
        if let Some(token) = app_token {
            events::socket::spawn(live.clone(), api_url.to_string(), token);
        }
        let watched = live.clone();
        self.directory.follow_events(directory::LiveHint {
            reconcile,
            is_live: Box::new(move || watched.is_live_everywhere()),
        });
        let _ = self.events.set(events::Events {
            live,
            signing_secret,
        });
    }

    /// The live updates' state.
    pub fn live_status(&self) -> roster_api::LiveStatus {
        self.events
            .get()
            .map(|e| e.live.status())
            .unwrap_or_default()
    }

    /// The workspaces that send no events (empty while events are off or that is not
    /// known yet).
    pub fn silent_workspaces(&self) -> Vec<roster_api::Workspace> {
        let Some(events) = self.events.get() else {
            return Vec::new();
        };
        let all = self.directory.workspaces();
        events
            .live
            .coverage
            .silent(&all)
            .into_iter()
            .cloned()
            .collect()
    }

    /// The live updates' figures (zero when events are off).
    pub fn live_figures(&self) -> events::LiveFigures {
        self.events
            .get()
            .map(|e| e.live.figures())
            .unwrap_or_default()
    }

    /// `GET /api/status`.
    pub fn status(&self) -> ServerStatus {
        let c = &self.connection;
        ServerStatus {
            mode: c.mode,
            reason: c.reason.clone(),
            org_name: c.org_name.clone(),
            org_id: c.org_id.clone(),
            token_user: c.token_user.clone(),
            sync: self.directory.status(),
            demo: c.demo,
            changes_refused: self.audit.storage().map(|f| f.error.reason().to_string()),
            live: self.live_status(),
            changes_until: None,
            requests_at: None,
            changed: Vec::new(),
            reload: false,
        }
    }
}

/// Largest request body the API reads.
const BODY_LIMIT: usize = 1024 * 1024;
/// Longest a request may take (Slack calls included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// The whole HTTP surface, middleware included, in one place.
pub fn app(state: AppState) -> Router {
    let csp = state
        .web
        .as_ref()
        .map(|w| w.csp().to_string())
        .unwrap_or_else(|| web::API_ONLY_CSP.to_string());
    let hsts = state
        .public_origin
        .as_deref()
        .is_some_and(|o| o.starts_with("https://"));

    // Identity, role and same-origin checks guard the API and the app alike.
    // Answers about people are never kept by a browser's or a proxy's cache. They are
    // compressed for browsers that accept it (brotli at quality 4: quick enough for answers
    // made per request; the job events stream is left as it is); the app's files are
    // compressed once, when built.
    let mut guarded = routes::api(&state)
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)));
    if let Some(web) = &state.web {
        guarded = guarded.merge(web.router());
    }
    let guarded = guarded
        .layer(from_fn_with_state(state.clone(), middleware::same_origin))
        .layer(from_fn_with_state(state.clone(), middleware::authenticate));

    let auth = state.auth.clone();
    let router = Router::new()
        .merge(routes::health())
        .route("/slack/events", axum::routing::post(events::http::receive))
        .merge(guarded)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::record_metrics,
        ))
        .with_state(state)
        .layer(from_fn_with_state(auth.clone(), middleware::loopback_host));
    web::security_headers(router, &csp, hsts)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(from_fn_with_state(auth, middleware::assign_request_id))
}

/// How log lines are written, from `ROSTER_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default); coloured only on a terminal.
    Text,
    /// One JSON object a line, for log shippers.
    Json,
}

impl LogFormat {
    /// Reads the value of `ROSTER_LOG_FORMAT`: unset or `text`, or `json`.
    pub fn from_env_value(value: Option<&str>) -> Result<LogFormat, String> {
        match value.map(str::trim) {
            None | Some("" | "text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(format!(
                "ROSTER_LOG_FORMAT: {other:?} is not a log format; use \"text\" or \"json\""
            )),
        }
    }
}

/// Whether text logs carry ANSI colours: only when stderr is a terminal and `NO_COLOR` is
/// unset or empty, so journald, files and log shippers get plain text.
pub fn log_colours(stderr_is_terminal: bool, no_color: Option<&str>) -> bool {
    stderr_is_terminal && no_color.is_none_or(str::is_empty)
}

/// Logs to stderr; `RUST_LOG` overrides the default level and `ROSTER_LOG_FORMAT=json`
/// writes JSON lines. An unknown format stops start-up.
pub fn init_logging() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    use tracing_subscriber::{EnvFilter, fmt};
    let format = LogFormat::from_env_value(std::env::var("ROSTER_LOG_FORMAT").ok().as_deref())
        .map_err(anyhow::Error::msg)?;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
        LogFormat::Text => builder
            .with_ansi(log_colours(
                std::io::stderr().is_terminal(),
                std::env::var("NO_COLOR").ok().as_deref(),
            ))
            .try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{LogFormat, log_colours};

    #[test]
    fn log_format_comes_from_the_environment() {
        assert_eq!(LogFormat::from_env_value(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env_value(Some("text")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env_value(Some("json")), Ok(LogFormat::Json));
        assert_eq!(
            LogFormat::from_env_value(Some(" json ")),
            Ok(LogFormat::Json)
        );
        let error = LogFormat::from_env_value(Some("yaml")).unwrap_err();
        assert!(error.starts_with("ROSTER_LOG_FORMAT:"), "{error}");
    }

    #[test]
    fn colours_only_on_a_terminal() {
        assert!(log_colours(true, None));
        assert!(log_colours(true, Some("")));
        assert!(!log_colours(true, Some("1")), "NO_COLOR");
        assert!(!log_colours(false, None), "journald, files, pipes");
    }
}
