//! The `roster` proxy: serves the browser app, keeps the Slack token on the server, and
//! turns `/api` requests into Slack Web API calls.
//!
//! Request flow: [`app`] assembles the middleware and routes; `routes` holds the
//! handlers; [`directory`] answers user queries from a synced snapshot; [`slack`] is the
//! only code that calls Slack.

pub mod demo;
pub mod directory;
pub mod error;
mod routes;
pub mod slack;
pub mod web;

use std::sync::Arc;

use axum::Router;
use tower_http::trace::TraceLayer;

use crate::{directory::Directory, slack::SlackClient, web::WebApp};

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub slack: SlackClient,
    pub directory: Arc<Directory>,
    /// The built browser app; `None` serves the API alone.
    pub web: Option<Arc<WebApp>>,
}

/// The whole HTTP surface, middleware included, in one place.
pub fn app(state: AppState) -> Router {
    let csp = state
        .web
        .as_ref()
        .map(|w| w.csp().to_string())
        .unwrap_or_else(|| "default-src 'none'; frame-ancestors 'none'".to_string());
    let mut router = Router::new().nest("/api", routes::api());
    if let Some(web) = &state.web {
        router = router.merge(web.router());
    }
    let router = router.with_state(state);
    web::security_headers(router, &csp).layer(TraceLayer::new_for_http())
}

/// Logs to stderr; `RUST_LOG` overrides the default level.
pub fn init_logging() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let _ = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
