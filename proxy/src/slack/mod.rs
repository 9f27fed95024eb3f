//! The Slack Web API client: the only place Roster calls Slack, and the only holder of
//! the token.

mod allowlist;
mod analytics;
mod error;
mod limiter;
pub mod messages;
pub mod methods;
pub mod payer;
pub mod scim;
mod token;

use std::{sync::Arc, time::Duration};

use reqwest::{StatusCode, header};
use serde::{Deserialize, de::DeserializeOwned};

pub use allowlist::SlackMethod;
pub use error::{MAX_INTERACTIVE_WAIT, PacedBy, SlackError};
use limiter::Limiter;
pub use limiter::Tier;
pub use methods::{Method, Page, Paged};
use payer::{Budget, Payer};
pub use token::SlackToken;

use crate::metrics::Metrics;

/// Attempts after a 429, a 5xx or a timeout (reads), or after a 429 (writes).
const RETRIES: u32 = 4;
/// Longest `Retry-After` Roster waits inside one request.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// What `auth.test` says about the token.
#[derive(Debug, Clone)]
pub struct TokenIdentity {
    pub reply: methods::AuthTestReply,
    /// The token's scopes, from Slack's `X-OAuth-Scopes` header.
    pub scopes: Vec<String>,
}

/// Calls Slack's Web API at a configurable base URL (Slack itself, or the sandbox).
#[derive(Clone, Debug)]
pub struct SlackClient {
    http: reqwest::Client,
    base_url: String,
    /// Slack's SCIM API (`…/scim/v1/` or `…/scim/v2/`).
    scim: scim::ScimBase,
    token: SlackToken,
    limiter: Arc<Limiter>,
    /// What each person may spend a minute on changes and on reads (see [`payer`]).
    budgets: Arc<Budgets>,
    metrics: Arc<Metrics>,
}

/// Each person's budgets a minute: in this process, or shared by every replica.
#[derive(Debug)]
struct Budgets {
    changes: Budget,
    reads: Budget,
    shared: std::sync::OnceLock<Arc<dyn crate::store::PaceStore>>,
    scale: f64,
}

impl Budgets {
    /// Takes `units` from `who`'s budget `kind`, or says how long until they have them.
    async fn spend(&self, who: &Arc<str>, kind: BudgetKind, units: f64) -> Result<(), Duration> {
        let local = match kind {
            BudgetKind::Changes => &self.changes,
            BudgetKind::Reads => &self.reads,
        };
        if let Some(shared) = self.shared.get() {
            let (name, per_minute) = match kind {
                BudgetKind::Changes => ("changes", payer::CHANGE_UNITS_PER_MINUTE),
                BudgetKind::Reads => ("reads", payer::READ_UNITS_PER_MINUTE),
            };
            match shared
                .spend(who, name, units, per_minute * self.scale)
                .await
            {
                Ok(0) => return Ok(()),
                Ok(wait_ms) => return Err(Duration::from_millis(wait_ms as u64)),
                Err(e) => tracing::debug!(error = %e, "the shared budgets are out of reach"),
            }
        }
        local.take(who, units)
    }
}

#[derive(Debug, Clone, Copy)]
enum BudgetKind {
    Changes,
    Reads,
}

impl SlackClient {
    /// A client for `base_url` (ending in `/api/`); `rate_scale` speeds up the limiter's
    /// clock for tests against a sandbox with scaled limits.
    pub fn new(
        base_url: &str,
        token: SlackToken,
        rate_scale: f64,
        metrics: Arc<Metrics>,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()?;
        let mut base_url = base_url.to_string();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        let scale = Limiter::valid_scale(rate_scale);
        Ok(Self {
            http,
            base_url,
            scim: scim::ScimBase::new(scim::SLACK_SCIM_URL),
            token,
            limiter: Arc::new(Limiter::new(scale)),
            budgets: Arc::new(Budgets {
                changes: Budget::new(payer::CHANGE_UNITS_PER_MINUTE, scale),
                reads: Budget::new(payer::READ_UNITS_PER_MINUTE, scale),
                shared: std::sync::OnceLock::new(),
                scale,
            }),
            metrics,
        })
    }

    /// The same client, with Slack's SCIM API at `scim_url` (`…/scim/v1/` or `…/scim/v2/`).
    pub fn with_scim(mut self, scim_url: &str) -> Self {
        self.scim = scim::ScimBase::new(scim_url);
        self
    }

    /// `method`'s burst and steady rate (calls per second) as Roster paces it.
    pub fn pace(&self, method: SlackMethod) -> (f64, f64) {
        self.limiter.pace(method.tier())
    }

    /// Tells the limiter about calls of `method` on `workspace` made `ages` ago by an
    /// earlier run (see [`Limiter::replay`]).
    pub fn replay_calls(&self, method: SlackMethod, workspace: &str, ages: &[Duration]) {
        self.limiter
            .replay(method.name(), workspace, method.tier(), ages);
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `auth.test`, with the token's scopes.
    pub async fn auth_test(&self) -> Result<TokenIdentity, SlackError> {
        let (reply, scopes) = self.call_inner(&methods::AuthTest {}, false).await?;
        Ok(TokenIdentity { reply, scopes })
    }

    /// Sends `request` and reads Slack's reply into the method's reply type.
    ///
    /// Calls wait for the method's rate-limit slot on the request's workspace. Reads are
    /// retried after a 429 (honouring `Retry-After`), a 5xx, a timeout or Slack's
    /// transient errors, with bounded backoff. Writes are retried only after a 429 or a
    /// failed connection, when Slack certainly did nothing; any other doubt is
    /// `UnknownOutcome`. A reply the type cannot read is handled like any unreadable reply.
    pub async fn send<M: Method>(&self, request: &M) -> Result<M::Reply, SlackError> {
        self.call_inner(request, false)
            .await
            .map(|(reply, _)| reply)
    }

    /// How long `request` would wait for its rate-limit slot if sent now for the current
    /// payer, in its turn behind the calls already waiting (or a 429's `Retry-After`).
    pub fn expected_wait<M: Method>(&self, request: &M) -> Duration {
        self.limiter.expected_wait(
            M::METHOD.name(),
            request.workspace(),
            M::METHOD.tier(),
            &payer::current().who,
        )
    }

    /// Takes a change of `method` from `who`'s budget a minute (a person's own change, before
    /// it is checked: a refused attempt counts too).
    pub async fn charge_change(&self, who: &str, method: SlackMethod) -> Result<(), SlackError> {
        let who = Payer::person(who).who;
        self.budgets
            .spend(&who, BudgetKind::Changes, payer::cost(method.tier()))
            .await
            .map_err(|retry_after| SlackError::Paced {
                method: method.name(),
                why: PacedBy::Budget,
                retry_after,
            })
    }

    /// From now on, the rate limits and people's budgets are kept in `store`, shared by
    /// every replica of this Roster.
    pub fn share_pace(&self, store: Arc<dyn crate::store::PaceStore>) {
        self.limiter.share(store.clone());
        let _ = self.budgets.shared.set(store);
    }

    /// Waits for `request`'s rate-limit slot and takes it, for [`send_in_turn`]
    /// (Self::send_in_turn): a change records its intent only once it is its turn to call.
    /// A person waiting for the answer is told to come back instead of waiting long.
    pub async fn wait_turn<M: Method>(&self, request: &M) -> Result<(), SlackError> {
        self.turn(M::METHOD, request.workspace(), &payer::current())
            .await
    }

    /// Waits for a call of `method` on `workspace` in `payer`'s turn, or refuses it when
    /// someone waits for it and the turn is too far away.
    async fn turn(
        &self,
        method: SlackMethod,
        workspace: &str,
        payer: &Payer,
    ) -> Result<(), SlackError> {
        let name = method.name();
        if payer.interactive {
            let expected = self
                .limiter
                .expected_wait(name, workspace, method.tier(), &payer.who);
            if expected > MAX_INTERACTIVE_WAIT {
                self.metrics.slack_call(name, "paced");
                return Err(SlackError::Paced {
                    method: name,
                    why: PacedBy::Lane,
                    retry_after: expected,
                });
            }
        }
        let waited = self
            .limiter
            .acquire(name, workspace, method.tier(), &payer.who)
            .await;
        self.metrics.slack_waited(name, waited.as_secs_f64());
        Ok(())
    }

    /// Calls waiting for their turn in every lane (metrics).
    pub fn calls_waiting(&self) -> usize {
        self.limiter.waiting()
    }

    /// [`send`](Self::send) in the slot [`wait_turn`](Self::wait_turn) took (retries wait
    /// for theirs).
    pub async fn send_in_turn<M: Method>(&self, request: &M) -> Result<M::Reply, SlackError> {
        self.call_inner(request, true).await.map(|(reply, _)| reply)
    }

    /// Every page of a listing, in order, each handed to `each`.
    pub async fn each_page<M>(
        &self,
        mut request: M,
        mut each: impl FnMut(M::Reply),
    ) -> Result<(), SlackError>
    where
        M: Paged,
        M::Reply: Page,
    {
        loop {
            let page = self.send(&request).await?;
            let next = page.next_cursor().map(str::to_string);
            each(page);
            match next {
                Some(cursor) => request.set_cursor(Some(cursor)),
                None => return Ok(()),
            }
        }
    }

    async fn call_inner<M: Method>(
        &self,
        request: &M,
        slot_taken: bool,
    ) -> Result<(M::Reply, Vec<String>), SlackError> {
        let name = M::METHOD.name();
        self.with_retries(M::METHOD, request.workspace(), slot_taken, move || {
            self.call_once(name, request)
        })
        .await
    }

    /// Paces and sends one call (`attempt`), retrying as [`send`](Self::send) says.
    async fn with_retries<T, F>(
        &self,
        method: SlackMethod,
        workspace: &str,
        mut slot_taken: bool,
        attempt_call: impl Fn() -> F,
    ) -> Result<T, SlackError>
    where
        F: std::future::Future<Output = Result<T, Attempt>>,
    {
        let name = method.name();
        let payer = payer::current();
        // A person's read is charged once, however often it is retried (their changes are
        // charged when they ask for them).
        if payer.interactive && !method.is_write() && !slot_taken {
            self.budgets
                .spend(&payer.who, BudgetKind::Reads, payer::cost(method.tier()))
                .await
                .map_err(|retry_after| {
                    self.metrics.slack_call(name, "paced");
                    SlackError::Paced {
                        method: name,
                        why: PacedBy::Budget,
                        retry_after,
                    }
                })?;
        }
        let longest_wait = if payer.interactive {
            MAX_INTERACTIVE_WAIT
        } else {
            MAX_RETRY_WAIT
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if !std::mem::take(&mut slot_taken) {
                self.turn(method, workspace, &payer).await?;
            }
            let started = std::time::Instant::now();
            let failure = match attempt_call().await {
                Ok(reply) => {
                    self.metrics.slack_call(name, "ok");
                    tracing::debug!(
                        method = name,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "Slack call"
                    );
                    return Ok(reply);
                }
                Err(failure) => failure,
            };
            let retry_in = match &failure {
                Attempt::RateLimited(after) => {
                    self.metrics.slack_rate_limited(name);
                    self.limiter.blocked(name, workspace, *after).await;
                    Some(*after)
                }
                Attempt::NotSent(_) => Some(backoff(attempt)),
                Attempt::Transient(_) | Attempt::Unreachable(_) if !method.is_write() => {
                    Some(backoff(attempt))
                }
                _ => None,
            };
            if let Some(wait) = retry_in
                && attempt <= RETRIES
                && wait <= longest_wait
            {
                tracing::info!(
                    method = name,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "retrying Slack call"
                );
                self.metrics.slack_waited(name, wait.as_secs_f64());
                tokio::time::sleep(wait).await;
                continue;
            }
            let error = failure.into_error(method);
            self.metrics.slack_call(name, error.outcome());
            match &error {
                SlackError::Api { code, .. } => {
                    tracing::info!(method = name, code = %code, "Slack refused the call");
                }
                other => tracing::warn!(method = name, error = %other, "Slack call failed"),
            }
            return Err(error);
        }
    }

    /// `Authorization: Bearer …`, marked sensitive so no debug print of it shows the value.
    fn authorization(&self) -> header::HeaderValue {
        let mut value = header::HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
            .expect("SlackToken::new refuses characters a header cannot carry");
        value.set_sensitive(true);
        value
    }

    async fn call_once<T: DeserializeOwned, F: serde::Serialize + ?Sized>(
        &self,
        name: &'static str,
        form: &F,
    ) -> Result<(T, Vec<String>), Attempt> {
        let response = sent(
            self.http
                .post(format!("{}{name}", self.base_url))
                .header(header::AUTHORIZATION, self.authorization())
                .form(form),
        )
        .await?;
        let status = response.status();
        if status.is_server_error() {
            return Err(Attempt::Unreachable(format!("HTTP {status}")));
        }
        let scopes = response
            .headers()
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let unreadable =
            |e: &dyn std::fmt::Display| Attempt::Unreachable(format!("unreadable reply: {e}"));
        let body = response
            .bytes()
            .await
            .map_err(|e| unreadable(&e.without_url()))?;
        // `ok` and `error` first; the rest of the reply is read only on success.
        let status: Status = serde_json::from_slice(&body).map_err(|e| unreadable(&e))?;
        if status.ok {
            let reply = serde_json::from_slice(&body).map_err(|e| unreadable(&e))?;
            return Ok((reply, scopes));
        }
        Err(Attempt::refused(status.error))
    }
}

/// Sends `request`. A connection that failed before the request left, and an HTTP 429 (with
/// its `Retry-After`), are attempts Slack certainly did nothing with.
async fn sent(request: reqwest::RequestBuilder) -> Result<reqwest::Response, Attempt> {
    let response = request
        .send()
        .await
        // reqwest errors never carry request headers; the URL is dropped too.
        .map_err(|e| {
            if e.is_connect() {
                Attempt::NotSent(e.without_url().to_string())
            } else {
                Attempt::Unreachable(e.without_url().to_string())
            }
        })?;
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        let after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(1);
        return Err(Attempt::RateLimited(Duration::from_secs(after)));
    }
    Ok(response)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.saturating_sub(1).min(6)))
}

/// The envelope of every Slack reply.
#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    ok: bool,
    error: Option<String>,
}

/// The outcome of one HTTP attempt.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Slack refused the call with this code.
    Refused(String),
    /// HTTP 429 with this `Retry-After`.
    RateLimited(Duration),
    /// Slack failed on its side with this code; it may have done part of the work.
    Transient(String),
    /// The connection failed before the request was sent.
    NotSent(String),
    /// Sent, but no Slack reply: timeout, 5xx, dropped connection, unreadable body.
    Unreachable(String),
}

impl Attempt {
    /// Slack's `{"ok": false, "error": code}`: a failure on its side that may pass, or a
    /// refusal.
    fn refused(code: Option<String>) -> Self {
        let code = code.unwrap_or_else(|| "unknown_error".to_string());
        match code.as_str() {
            "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                Attempt::Transient(code)
            }
            _ => Attempt::Refused(code),
        }
    }

    fn into_error(self, method: SlackMethod) -> SlackError {
        let name = method.name();
        match self {
            Attempt::Refused(code) => SlackError::Api { method: name, code },
            Attempt::RateLimited(after) => SlackError::RateLimited {
                method: name,
                retry_after: after.as_secs(),
            },
            Attempt::Transient(code) if method.is_write() => SlackError::UnknownOutcome {
                method: name,
                detail: format!("Slack answered {code}"),
                code: Some(code),
            },
            Attempt::Transient(code) => SlackError::Api { method: name, code },
            Attempt::Unreachable(detail) if method.is_write() => SlackError::UnknownOutcome {
                method: name,
                code: None,
                detail,
            },
            Attempt::Unreachable(detail) | Attempt::NotSent(detail) => SlackError::Unavailable {
                method: name,
                detail,
            },
        }
    }
}

/// `response_metadata` of a listing's reply (as `Option<ResponseMetadata>`: Slack leaves it
/// out of some replies).
#[derive(Debug, Deserialize)]
pub struct ResponseMetadata {
    next_cursor: Option<String>,
}

impl ResponseMetadata {
    /// The cursor of the next page in `metadata`; `None` at the end of a listing.
    pub fn next_cursor(metadata: Option<&ResponseMetadata>) -> Option<&str> {
        metadata
            .and_then(|m| m.next_cursor.as_deref())
            .filter(|c| !c.is_empty())
    }
}
