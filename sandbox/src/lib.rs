//! A local emulator of the Slack Web API methods Roster uses.
//!
//! [`Sandbox`] holds a seeded Enterprise org and answers `/api/{method}` the way Slack
//! does: the same envelopes, error codes, cursor pagination and rate-limit tiers. Roster's
//! demo and every test run against it; `roster sandbox` serves it on its own, and the
//! official `slack_sdk` client talks to it unchanged. See `sandbox/README.md` for what it
//! models and where it deliberately differs from Slack.

pub mod cursor;
pub mod methods;
pub mod org;
pub mod ratelimit;
pub mod request;
pub mod seed;
pub mod tokens;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex, RwLock},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use serde_json::{Value, json};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    cursor::CursorCodec,
    methods::{Access, Ctx, Handler, MethodSpec},
    org::Org,
    ratelimit::{RateLimitMode, RateLimiter},
    request::{Call, Fail, parse_call},
    seed::{SeedSpec, seed_org},
    tokens::{Install, TokenKind, Tokens},
};

/// How to build a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Users in the seeded org.
    pub users: usize,
    pub seed: u64,
    pub workspaces: usize,
    pub rate_limits: RateLimitMode,
    /// Replaces the org-admin token's value (the demo uses a fresh random one).
    pub admin_token: Option<String>,
    /// Seeded dates are relative to this moment (Unix seconds); defaults to the start of
    /// the current UTC day, so a seed gives the same org all day long.
    pub epoch: Option<i64>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            users: 1_000,
            seed: 1,
            workspaces: 3,
            rate_limits: RateLimitMode::Real,
            admin_token: None,
            epoch: None,
        }
    }
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A running emulator's shared state. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    org: RwLock<Org>,
    tokens: Tokens,
    cursors: CursorCodec,
    limiter: RateLimiter,
    calls: Mutex<BTreeMap<String, u64>>,
}

impl Sandbox {
    /// Seeds the org and prepares the tokens.
    pub fn new(config: SandboxConfig) -> Self {
        let epoch = config.epoch.unwrap_or_else(|| unix_now() / 86_400 * 86_400);
        let org = seed_org(&SeedSpec {
            users: config.users,
            seed: config.seed,
            workspaces: config.workspaces,
            epoch,
        });
        let tokens = Tokens::for_org(&org, config.admin_token);
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Sandbox {
            inner: Arc::new(Inner {
                org: RwLock::new(org),
                tokens,
                cursors: CursorCodec::new(key),
                limiter: RateLimiter::new(config.rate_limits),
                calls: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The known tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    /// A read-only look at the org, for tests and the start-up banner.
    pub fn with_org<R>(&self, f: impl FnOnce(&Org) -> R) -> R {
        f(&self.inner.org.read().unwrap())
    }

    /// Changes the org directly (tests: a user added between two pages).
    pub fn with_org_mut<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        f(&mut self.inner.org.write().unwrap())
    }

    /// Changes the rate-limit mode at run time.
    pub fn set_rate_limits(&self, mode: RateLimitMode) {
        self.inner.limiter.set_mode(mode);
    }

    /// How many authenticated calls each method received.
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        self.inner.calls.lock().unwrap().clone()
    }

    /// Authenticated calls `method` received.
    pub fn calls(&self, method: &str) -> u64 {
        self.inner
            .calls
            .lock()
            .unwrap()
            .get(method)
            .copied()
            .unwrap_or(0)
    }

    /// The Slack Web API (`/api/{method}`) plus `/_sandbox/calls` for tests.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/{method}", any(dispatch))
            .route("/_sandbox/calls", get(call_counts))
            .with_state(self.clone())
    }

    /// Serves the sandbox on `addr` (port 0 picks a free one) in a background task.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = self.router();
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::error!(%err, "sandbox server stopped");
            }
        });
        Ok(RunningSandbox {
            sandbox: self,
            addr,
            task,
        })
    }

    /// Runs one call through authentication, rate limiting and the method.
    pub fn handle(&self, name: &str, call: &Call) -> Result<Value, SlackReply> {
        let Some(spec) = methods::lookup(name) else {
            return Err(SlackReply::Fail(
                Fail::new("unknown_method").with("req_method", name),
            ));
        };
        let token = call
            .token
            .as_deref()
            .ok_or(SlackReply::Fail(Fail::new("not_authed")))?;
        let info = self
            .inner
            .tokens
            .lookup(token)
            .ok_or(SlackReply::Fail(Fail::new("invalid_auth")))?;
        *self
            .inner
            .calls
            .lock()
            .unwrap()
            .entry(spec.name.to_string())
            .or_default() += 1;
        check_token_powers(spec, info).map_err(SlackReply::Fail)?;

        let workspace = call
            .args
            .opt_str("team_id")
            .ok()
            .flatten()
            .unwrap_or_else(|| match &info.install {
                Install::Org => String::new(),
                Install::Workspace(t) => t.clone(),
            });
        if let Err(retry_after) = self
            .inner
            .limiter
            .check(token, spec.name, &workspace, spec.tier)
        {
            return Err(SlackReply::RateLimited { retry_after });
        }

        let ctx = Ctx {
            args: &call.args,
            token: info,
            cursors: &self.inner.cursors,
            now: unix_now(),
        };
        let result = match spec.handler {
            Handler::Read(f) => f(&self.inner.org.read().unwrap(), &ctx),
            Handler::Write(f) => f(&mut self.inner.org.write().unwrap(), &ctx),
        };
        match result {
            Ok(mut body) => {
                body.insert("ok".into(), Value::Bool(true));
                Ok(Value::Object(body))
            }
            Err(fail) => Err(SlackReply::Fail(fail)),
        }
    }
}

/// Token type, install and scope checks, in Slack's order.
fn check_token_powers(spec: &MethodSpec, info: &tokens::TokenInfo) -> Result<(), Fail> {
    if spec.access == Access::UserOnly && info.kind == TokenKind::Bot {
        return Err(Fail::new("not_allowed_token_type"));
    }
    if !spec.scopes.is_empty() && !spec.scopes.iter().any(|s| info.has_scope(s)) {
        return Err(Fail::new("missing_scope")
            .with("needed", spec.scopes.join(","))
            .with("provided", info.scopes.join(",")));
    }
    if spec.org_install && info.install != Install::Org {
        return Err(Fail::new("not_allowed_token_type"));
    }
    Ok(())
}

/// A failed call as Slack answers it.
#[derive(Debug)]
pub enum SlackReply {
    /// HTTP 200 with `{"ok": false, "error": ...}`.
    Fail(Fail),
    /// HTTP 429 with `Retry-After`.
    RateLimited { retry_after: u64 },
}

impl IntoResponse for SlackReply {
    fn into_response(self) -> Response {
        match self {
            SlackReply::Fail(fail) => {
                let mut body = fail.extra;
                body.insert("ok".into(), Value::Bool(false));
                body.insert("error".into(), Value::String(fail.code.to_string()));
                Json(Value::Object(body)).into_response()
            }
            SlackReply::RateLimited { retry_after } => {
                let mut resp = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"ok": false, "error": "ratelimited"})),
                )
                    .into_response();
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                resp
            }
        }
    }
}

async fn dispatch(
    State(sandbox): State<Sandbox>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let call = match parse_call(&method, &headers, query.as_deref(), &body) {
        Ok(call) => call,
        Err(fail) => return SlackReply::Fail(fail).into_response(),
    };
    match sandbox.handle(&name, &call) {
        Ok(body) => Json(body).into_response(),
        Err(reply) => {
            tracing::debug!(method = %name, ?reply, "sandbox call failed");
            reply.into_response()
        }
    }
}

async fn call_counts(State(sandbox): State<Sandbox>) -> Json<BTreeMap<String, u64>> {
    Json(sandbox.call_counts())
}

/// A sandbox serving HTTP in the background.
#[derive(Debug)]
pub struct RunningSandbox {
    pub sandbox: Sandbox,
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT/api/`, the base URL Slack clients take.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
