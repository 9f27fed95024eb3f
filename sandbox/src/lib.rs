//! A local emulator of the Slack Web API methods Roster uses.
//!
//! [`Sandbox`] holds a seeded Enterprise org and answers `/api/{method}` the way Slack
//! does: the same envelopes, error codes, cursor pagination and rate-limit tiers. Roster's
//! demo and every test run against it; `roster sandbox` serves it on its own, and the
//! official `slack_sdk` client talks to it unchanged. See `sandbox/README.md` for what it
//! models and where it deliberately differs from Slack.

pub mod analytics;
pub mod cursor;
pub mod events;
pub mod faults;
pub mod methods;
pub mod org;
mod org_events;
pub mod ratelimit;
pub mod request;
pub mod scim;
pub mod seed;
mod socket_mode;
pub mod tokens;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    cursor::CursorCodec,
    faults::{FaultKind, FaultPlan, Faults},
    methods::{Access, Ctx, Handler, MethodSpec},
    org::{Org, OrgRole, SentInvitation},
    ratelimit::{RateLimitMode, RateLimiter},
    request::{Call, Fail, parse_call},
    scim::{Operation, ScimError, Version},
    seed::{SeedSpec, seed_org},
    tokens::{Install, TokenKind, Tokens},
};

/// What the sandbox answers one SCIM call with.
#[derive(Debug)]
pub enum ScimReply {
    /// This status with a JSON body.
    Json(u16, Value),
    /// This status with no body (a v1 DELETE answers 200, a v2 one 204).
    Empty(u16),
    /// A SCIM error in the version's shape.
    Error(Version, ScimError),
    /// HTTP 429 with `Retry-After`: `too_many_requests`, or `resource_locked` while
    /// another write to the same user is in progress.
    RateLimited {
        version: Version,
        code: &'static str,
        retry_after: u64,
    },
    /// An injected HTTP 500.
    ServerError,
    /// An injected dropped connection.
    Drop,
}

/// One SCIM request, as [`Sandbox::handle_scim`] takes it.
#[derive(Debug, Clone)]
pub struct ScimRequest<'a> {
    pub method: Method,
    /// The path after `/scim/`: `v1/Users`, `v2/Users/W0ABCDEFG`.
    pub path: &'a str,
    /// From `Authorization: Bearer`.
    pub token: Option<&'a str>,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// A SCIM call past authentication, rate limits and the per-user write lock.
struct ScimAdmitted {
    version: Version,
    op: Operation,
    caller_role: OrgRole,
    _lock: Option<ScimLock>,
}

/// Holds a user's SCIM write lock; releases it when dropped.
struct ScimLock {
    sandbox: Sandbox,
    user: String,
}

impl Drop for ScimLock {
    fn drop(&mut self) {
        self.sandbox
            .inner
            .scim_locks
            .lock()
            .unwrap()
            .remove(&self.user);
    }
}

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
    /// Base URL of profile images (`image_72` is `{avatar_base}/{hash}_72.svg`).
    pub avatar_base: String,
    /// Where and how events are delivered (nowhere by default).
    pub events: events::EventsConfig,
}

/// Where Slack serves profile images.
pub const SLACK_AVATAR_BASE: &str = "https://avatars.slack-edge.com";

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            users: 1_000,
            seed: 1,
            workspaces: 3,
            rate_limits: RateLimitMode::Real,
            admin_token: None,
            epoch: None,
            avatar_base: SLACK_AVATAR_BASE.to_string(),
            events: events::EventsConfig::default(),
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
    faults: FaultPlan,
    admin_api_enabled: AtomicBool,
    /// Tokens revoked at run time (`token_revoked`).
    revoked: Mutex<Vec<String>>,
    avatar_base: String,
    calls: Mutex<BTreeMap<String, u64>>,
    /// Calls that reached the method itself (past authentication, rate limits and faults
    /// that stop a call before it runs).
    handled: Mutex<BTreeMap<String, u64>>,
    /// How long a queued job (`admin.users.session.resetBulk`) waits before it runs.
    job_delay: Mutex<Duration>,
    /// Users with a SCIM write in progress (a second one gets `resource_locked`).
    scim_locks: Mutex<std::collections::HashSet<String>>,
    /// Slack's events of the org's changes.
    bus: events::Bus,
}

/// How long `admin.users.session.resetBulk`'s job waits before the sessions end, unless
/// [`Sandbox::set_job_delay`] says otherwise.
pub const DEFAULT_JOB_DELAY: Duration = Duration::from_secs(1);

/// What the sandbox answers one call with.
#[derive(Debug)]
pub enum SlackReply {
    /// HTTP 200 with this `{"ok": true, ...}` JSON text.
    Ok(String),
    /// HTTP 200 with a gzipped file (`Content-Type: application/gzip`).
    File(Vec<u8>),
    /// HTTP 200 with `{"ok": false, "error": ...}`.
    Fail(Fail),
    /// HTTP 429 with `Retry-After`.
    RateLimited { retry_after: u64 },
    /// An injected HTTP 500.
    ServerError,
    /// An injected dropped connection.
    Drop,
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
        let bus = events::Bus::default();
        bus.configure(config.events);
        Sandbox {
            inner: Arc::new(Inner {
                org: RwLock::new(org),
                tokens,
                cursors: CursorCodec::new(key),
                limiter: RateLimiter::new(config.rate_limits),
                faults: FaultPlan::default(),
                admin_api_enabled: AtomicBool::new(true),
                revoked: Mutex::new(Vec::new()),
                avatar_base: config.avatar_base.trim_end_matches('/').to_string(),
                calls: Mutex::new(BTreeMap::new()),
                handled: Mutex::new(BTreeMap::new()),
                job_delay: Mutex::new(DEFAULT_JOB_DELAY),
                scim_locks: Mutex::new(std::collections::HashSet::new()),
                bus,
            }),
        }
    }

    /// The known tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    /// A read-only look at the org, for tests and the start-up banner.
    pub fn with_org<R>(&self, f: impl FnOnce(&Org) -> R) -> R {
        self.run_due_jobs();
        f(&self.inner.org.read().unwrap())
    }

    /// Changes the org directly (tests: a user added between two pages).
    pub fn with_org_mut<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        self.run_due_jobs();
        let mut org = self.inner.org.write().unwrap();
        let result = f(&mut org);
        self.inner
            .bus
            .publish_touched(&mut org, &self.inner.avatar_base);
        result
    }

    /// The events the org's changes produce, and their delivery.
    pub fn events(&self) -> &events::Bus {
        &self.inner.bus
    }

    /// How long queued jobs (`admin.users.session.resetBulk`) wait before they run:
    /// [`DEFAULT_JOB_DELAY`] unless changed. Applies to jobs already queued too, so
    /// `Duration::ZERO` runs them on the next call.
    pub fn set_job_delay(&self, delay: Duration) {
        *self.inner.job_delay.lock().unwrap() = delay;
    }

    /// Runs the queued jobs whose time has come. Jobs run lazily, before the next call
    /// (or look at the org) after they are due: nobody can tell the difference.
    fn run_due_jobs(&self) {
        let delay = *self.inner.job_delay.lock().unwrap();
        let due = self
            .inner
            .org
            .read()
            .unwrap()
            .session_jobs
            .iter()
            .any(|j| j.queued.elapsed() >= delay);
        if due {
            self.inner.org.write().unwrap().run_session_jobs(delay);
        }
    }

    /// Changes the rate-limit mode at run time.
    pub fn set_rate_limits(&self, mode: RateLimitMode) {
        self.inner.limiter.set_mode(mode);
    }

    /// Sets the injected faults of `method` (`*` for every method).
    pub fn set_faults(&self, method: &str, faults: Faults) {
        self.inner.faults.set(method, faults);
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.inner.faults.clear();
    }

    /// Revokes a token: every later call with it answers `token_revoked`.
    pub fn revoke_token(&self, token: &str) {
        self.inner.revoked.lock().unwrap().push(token.to_string());
    }

    /// Turns the org's Admin API on or off (off: admin.* methods answer `feature_not_enabled`).
    pub fn set_admin_api(&self, enabled: bool) {
        self.inner
            .admin_api_enabled
            .store(enabled, Ordering::SeqCst);
    }

    /// How many authenticated calls each method received.
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        self.inner.calls.lock().unwrap().clone()
    }

    /// [`Sandbox::handled`] for every method.
    pub fn handled_counts(&self) -> BTreeMap<String, u64> {
        self.inner.handled.lock().unwrap().clone()
    }

    /// Every invitation email the org has sent, oldest first.
    pub fn outbox(&self) -> Vec<SentInvitation> {
        self.with_org(|org| org.outbox.clone())
    }

    fn count(&self, counters: &Mutex<BTreeMap<String, u64>>, name: &str) {
        *counters
            .lock()
            .unwrap()
            .entry(name.to_string())
            .or_default() += 1;
    }

    /// Calls of `method` that ran: a write counted here was attempted on the org (it may
    /// still have been refused with an error code), unlike calls answered 429 or failed
    /// before running.
    pub fn handled(&self, method: &str) -> u64 {
        self.inner
            .handled
            .lock()
            .unwrap()
            .get(method)
            .copied()
            .unwrap_or(0)
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

    /// The Slack Web API (`/api/{method}`), the SCIM API (`/scim/v1/…`, `/scim/v2/…`),
    /// profile images (`/avatars/…`), and test controls under `/_sandbox/`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/{method}", any(dispatch))
            .route("/scim/{*path}", any(scim_dispatch))
            .route("/_sandbox/job-delay", post(set_job_delay))
            .route("/avatars/{file}", get(avatar))
            .route("/_sandbox/calls", get(call_counts))
            .route("/_sandbox/handled", get(handled_counts))
            .route("/_sandbox/outbox", get(outbox))
            .route("/_sandbox/faults", post(set_faults).delete(clear_faults))
            .route("/_sandbox/rate-limits", post(set_rate_limits))
            .route("/_sandbox/admin-api", post(set_admin_api))
            .route("/_sandbox/revoke", post(revoke))
            .route("/_sandbox/analytics", post(set_analytics))
            .merge(socket_mode::routes())
            .with_state(self.clone())
    }

    /// Just the profile images, for a server that shows them under its own origin.
    pub fn avatar_router<S>(&self) -> Router<S> {
        Router::new()
            .route("/{file}", get(avatar))
            .with_state(self.clone())
    }

    /// Serves the sandbox on `addr` (port 0 picks a free one) in a background task.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        self.serve_on(TcpListener::bind(addr).await?)
    }

    /// Serves the sandbox on a bound listener in a background task.
    pub fn serve_on(self, listener: TcpListener) -> std::io::Result<RunningSandbox> {
        let addr = listener.local_addr()?;
        self.inner.bus.start();
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

    /// Runs one call through authentication, rate limiting, injected faults and the method.
    pub fn handle(&self, name: &str, call: &Call) -> SlackReply {
        self.run_due_jobs();
        match self.try_handle(name, call) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    fn try_handle(&self, name: &str, call: &Call) -> Result<SlackReply, SlackReply> {
        let fail = |f: Fail| SlackReply::Fail(f);
        let Some(spec) = methods::lookup(name) else {
            return Err(fail(Fail::new("unknown_method").with("req_method", name)));
        };
        let token = call.token.as_deref().ok_or(fail(Fail::new("not_authed")))?;
        let info = self
            .inner
            .tokens
            .lookup(token)
            .ok_or(fail(Fail::new("invalid_auth")))?;
        if self
            .inner
            .revoked
            .lock()
            .unwrap()
            .iter()
            .any(|t| t == token)
        {
            return Err(fail(Fail::new("token_revoked")));
        }
        *self
            .inner
            .calls
            .lock()
            .unwrap()
            .entry(spec.name.to_string())
            .or_default() += 1;
        check_token_powers(spec, info).map_err(fail)?;
        if spec.name.starts_with("admin.") && !self.inner.admin_api_enabled.load(Ordering::SeqCst) {
            let code = if spec.name == "admin.users.getExpiration" {
                "not_permitted"
            } else {
                "feature_not_enabled"
            };
            return Err(fail(Fail::new(code)));
        }

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

        let fault = self.inner.faults.draw(spec.name);
        match fault {
            Some(FaultKind::InternalError) => return Err(fail(Fail::new("internal_error"))),
            Some(FaultKind::Http500) => return Err(SlackReply::ServerError),
            Some(FaultKind::Drop) if !spec.write => return Err(SlackReply::Drop),
            _ => {}
        }

        let ctx = Ctx {
            args: &call.args,
            token: info,
            cursors: &self.inner.cursors,
            now: unix_now(),
            avatar_base: &self.inner.avatar_base,
            json_body: call.json_body,
        };
        *self
            .inner
            .handled
            .lock()
            .unwrap()
            .entry(spec.name.to_string())
            .or_default() += 1;
        let result = match spec.handler {
            Handler::Read(f) => f(&self.inner.org.read().unwrap(), &ctx),
            Handler::Write(f) => {
                let mut org = self.inner.org.write().unwrap();
                let result = f(&mut org, &ctx);
                self.inner
                    .bus
                    .publish_touched(&mut org, &self.inner.avatar_base);
                result
            }
        };
        // Writes are applied before these faults: the caller cannot know whether they were.
        match fault {
            Some(FaultKind::FatalError) => return Err(fail(Fail::new("fatal_error"))),
            Some(FaultKind::Drop) => return Err(SlackReply::Drop),
            _ => {}
        }
        Ok(result.map_err(fail)?.into_reply())
    }
}

impl Sandbox {
    /// Runs one SCIM call through routing, authentication, the org-wide SCIM rate limits,
    /// the per-user write lock, injected faults and the operation (without latency, which
    /// the HTTP server adds).
    pub fn handle_scim(&self, req: &ScimRequest<'_>) -> ScimReply {
        match self.scim_admit(req) {
            Ok(admitted) => self.scim_run(req, admitted),
            Err(reply) => reply,
        }
    }

    /// The operation a request names, or the reply to a request that names none.
    fn scim_route(req: &ScimRequest<'_>) -> Result<(Version, Operation), ScimReply> {
        let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
        let version = segments
            .first()
            .and_then(|s| Version::parse(s))
            .ok_or_else(|| {
                ScimReply::Error(Version::V1, ScimError::new(400, "unsupported_version"))
            })?;
        let err = |status, code| ScimReply::Error(version, ScimError::new(status, code));
        let not_allowed = || err(405, "method_not_allowed");
        let op = match segments[1..] {
            [users] if users.eq_ignore_ascii_case("Users") => match req.method {
                Method::GET => Operation::List,
                // Creating users (POST) is not emulated.
                _ => return Err(not_allowed()),
            },
            [users, id] if users.eq_ignore_ascii_case("Users") => match req.method {
                Method::GET => Operation::Get(id.to_string()),
                Method::PATCH => Operation::Patch(id.to_string()),
                Method::DELETE => Operation::Delete(id.to_string()),
                // Replacing a user (PUT) is not emulated.
                _ => return Err(not_allowed()),
            },
            _ => return Err(err(404, "bad_endpoint")),
        };
        Ok((version, op))
    }

    fn scim_admit(&self, req: &ScimRequest<'_>) -> Result<ScimAdmitted, ScimReply> {
        self.run_due_jobs();
        let (version, op) = Self::scim_route(req)?;
        let err = |status, code| ScimReply::Error(version, ScimError::new(status, code));
        let token = req
            .token
            .ok_or_else(|| err(401, "missing_authentication"))?;
        let revoked = self
            .inner
            .revoked
            .lock()
            .unwrap()
            .iter()
            .any(|t| t == token);
        let info = self
            .inner
            .tokens
            .lookup(token)
            .filter(|_| !revoked)
            .ok_or_else(|| err(401, "invalid_authentication"))?;
        self.count(&self.inner.calls, op.name());
        if info.install != Install::Org {
            return Err(err(403, "non_org_teams_only"));
        }
        if info.kind != TokenKind::User || !info.has_scope("admin") {
            return Err(err(403, "permission_denied"));
        }
        // The account behind the token must still be an org admin or owner.
        let caller_role = self
            .with_org(|o| {
                o.users
                    .get(&info.user_id)
                    .filter(|u| !u.is_deactivated())
                    .map(|u| u.org_role)
            })
            .filter(|r| *r >= OrgRole::Admin)
            .ok_or_else(|| err(403, "permission_denied"))?;
        if let Err(retry_after) = self.inner.limiter.check_budgets(op.budgets()) {
            return Err(ScimReply::RateLimited {
                version,
                code: "too_many_requests",
                retry_after,
            });
        }
        let lock = match (op.is_write(), op.user()) {
            (true, Some(user)) => {
                if !self
                    .inner
                    .scim_locks
                    .lock()
                    .unwrap()
                    .insert(user.to_string())
                {
                    return Err(ScimReply::RateLimited {
                        version,
                        code: "resource_locked",
                        retry_after: 1,
                    });
                }
                Some(ScimLock {
                    sandbox: self.clone(),
                    user: user.to_string(),
                })
            }
            _ => None,
        };
        Ok(ScimAdmitted {
            version,
            op,
            caller_role,
            _lock: lock,
        })
    }

    fn scim_run(&self, req: &ScimRequest<'_>, admitted: ScimAdmitted) -> ScimReply {
        let ScimAdmitted {
            version,
            op,
            caller_role,
            ..
        } = admitted;
        let err = |status, code| ScimReply::Error(version, ScimError::new(status, code));
        let fault = self.inner.faults.draw(op.name());
        match fault {
            Some(FaultKind::InternalError) => return err(500, "internal_error"),
            Some(FaultKind::Http500) => return ScimReply::ServerError,
            Some(FaultKind::Drop) if !op.is_write() => return ScimReply::Drop,
            _ => {}
        }
        self.count(&self.inner.handled, op.name());
        let avatars = self.inner.avatar_base.as_str();
        let now = unix_now();
        let result = match &op {
            Operation::List => self
                .with_org(|o| scim::list(o, version, req.query, avatars))
                .map(|v| ScimReply::Json(200, v)),
            Operation::Get(id) => self
                .with_org(|o| scim::get(o, version, id, avatars))
                .map(|v| ScimReply::Json(200, v)),
            Operation::Patch(id) => self
                .with_org_mut(|o| {
                    scim::patch(o, version, id, req.body, caller_role, now)?;
                    scim::get(o, version, id, avatars)
                })
                .map(|v| ScimReply::Json(200, v)),
            Operation::Delete(id) => self
                .with_org_mut(|o| scim::delete(o, id, caller_role, now))
                .map(|()| {
                    ScimReply::Empty(match version {
                        Version::V1 => 200,
                        Version::V2 => 204,
                    })
                }),
        };
        // Writes are applied before these faults: the caller cannot know whether they were.
        match fault {
            Some(FaultKind::FatalError) => return err(500, "fatal_error"),
            Some(FaultKind::Drop) => return ScimReply::Drop,
            _ => {}
        }
        result.unwrap_or_else(|e| ScimReply::Error(version, e))
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

impl IntoResponse for SlackReply {
    fn into_response(self) -> Response {
        match self {
            SlackReply::Ok(body) => (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response(),
            SlackReply::File(bytes) => {
                ([(header::CONTENT_TYPE, "application/gzip")], bytes).into_response()
            }
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
            SlackReply::ServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body>Internal Server Error</body></html>",
            )
                .into_response(),
            SlackReply::Drop => {
                // A body that fails at once makes the server abort the connection.
                let broken = futures_util::stream::once(async {
                    Err::<Bytes, _>(std::io::Error::other(
                        "connection dropped by fault injection",
                    ))
                });
                Response::new(Body::from_stream(broken))
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
    if name == socket_mode::OPEN {
        return socket_mode::open(&sandbox, &method, &headers);
    }
    let latency = sandbox.inner.faults.latency_ms(&name);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let call = match parse_call(&method, &headers, query.as_deref(), &body).await {
        Ok(call) => call,
        Err(fail) => return SlackReply::Fail(fail).into_response(),
    };
    let reply = sandbox.handle(&name, &call);
    if !matches!(reply, SlackReply::Ok(_) | SlackReply::File(_)) {
        tracing::debug!(method = %name, ?reply, "sandbox call failed");
    }
    let mut response = reply.into_response();
    // Like Slack, authenticated replies name the token's scopes.
    if let Some(info) = call
        .token
        .as_deref()
        .and_then(|t| sandbox.inner.tokens.lookup(t))
        && let Ok(scopes) = HeaderValue::from_str(&info.scopes.join(","))
    {
        response.headers_mut().insert("x-oauth-scopes", scopes);
    }
    response
}

async fn scim_dispatch(
    State(sandbox): State<Sandbox>,
    Path(path): Path<String>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let token = request::bearer_token(&headers);
    let req = ScimRequest {
        method,
        path: &path,
        token,
        query: query.as_deref(),
        body: &body,
    };
    let admitted = match sandbox.scim_admit(&req) {
        Ok(a) => a,
        Err(reply) => return reply.into_response(),
    };
    // Latency is spent holding the user's write lock, so overlapping writes to one user
    // meet `resource_locked` as they would at Slack.
    let latency = sandbox.inner.faults.latency_ms(admitted.op.name());
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    sandbox.scim_run(&req, admitted).into_response()
}

impl IntoResponse for ScimReply {
    fn into_response(self) -> Response {
        let json = |status: u16, body: Value| {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body.to_string(),
            )
                .into_response()
        };
        match self {
            ScimReply::Json(status, body) => json(status, body),
            ScimReply::Empty(status) => StatusCode::from_u16(status)
                .unwrap_or(StatusCode::OK)
                .into_response(),
            ScimReply::Error(version, e) => json(e.status, e.body(version)),
            ScimReply::RateLimited {
                version,
                code,
                retry_after,
            } => {
                let mut resp = json(429, ScimError::new(429, code).body(version));
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                resp
            }
            ScimReply::ServerError => SlackReply::ServerError.into_response(),
            ScimReply::Drop => SlackReply::Drop.into_response(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct JobDelayBody {
    ms: u64,
}

async fn set_job_delay(
    State(sandbox): State<Sandbox>,
    Json(body): Json<JobDelayBody>,
) -> StatusCode {
    sandbox.set_job_delay(Duration::from_millis(body.ms));
    StatusCode::NO_CONTENT
}

/// A round avatar with the user's initials, for `image_*` URLs.
async fn avatar(State(sandbox): State<Sandbox>, Path(file): Path<String>) -> Response {
    let hash = file.split('_').next().unwrap_or_default();
    let found = sandbox.with_org(|org| {
        org.users
            .values()
            .find(|u| u.avatar_hash == hash)
            .map(|u| (initials(&u.full_name), u.color.clone()))
    });
    let Some((initials, color)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#{color}"/><text x="32" y="41" font-family="Arial,sans-serif" font-size="26" font-weight="700" text-anchor="middle" fill="#fff">{initials}</text></svg>"##
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

/// Up to two initials, XML-safe.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[derive(Debug, Deserialize)]
struct FaultsBody {
    method: String,
    #[serde(flatten)]
    faults: Faults,
}

async fn set_faults(State(sandbox): State<Sandbox>, Json(body): Json<FaultsBody>) -> StatusCode {
    sandbox.set_faults(&body.method, body.faults);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(sandbox): State<Sandbox>) -> StatusCode {
    sandbox.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct RateLimitsBody {
    mode: String,
}

async fn set_rate_limits(
    State(sandbox): State<Sandbox>,
    Json(body): Json<RateLimitsBody>,
) -> Result<StatusCode, (StatusCode, String)> {
    let mode = body
        .mode
        .parse()
        .map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    sandbox.set_rate_limits(mode);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct RevokeBody {
    token: String,
}

async fn revoke(State(sandbox): State<Sandbox>, Json(body): Json<RevokeBody>) -> StatusCode {
    sandbox.revoke_token(&body.token);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct AdminApiBody {
    enabled: bool,
}

async fn set_admin_api(
    State(sandbox): State<Sandbox>,
    Json(body): Json<AdminApiBody>,
) -> StatusCode {
    sandbox.set_admin_api(body.enabled);
    StatusCode::NO_CONTENT
}

/// Sets what `admin.analytics.getFile` answers (`mode`) and how many hours after a day
/// ends its file is published (`lag_hours`).
async fn set_analytics(
    State(sandbox): State<Sandbox>,
    Json(settings): Json<analytics::AnalyticsSettings>,
) -> StatusCode {
    sandbox.with_org_mut(|org| org.analytics = settings);
    StatusCode::NO_CONTENT
}

async fn call_counts(State(sandbox): State<Sandbox>) -> Json<BTreeMap<String, u64>> {
    Json(sandbox.call_counts())
}

async fn handled_counts(State(sandbox): State<Sandbox>) -> Json<BTreeMap<String, u64>> {
    Json(sandbox.handled_counts())
}

async fn outbox(State(sandbox): State<Sandbox>) -> Json<Vec<SentInvitation>> {
    Json(sandbox.outbox())
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

    /// `http://127.0.0.1:PORT/scim/v1/` (or `v2`), the base URL SCIM clients take.
    pub fn scim_url(&self, version: Version) -> String {
        let v = match version {
            Version::V1 => "v1",
            Version::V2 => "v2",
        };
        format!("http://{}/scim/{v}/", self.addr)
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
