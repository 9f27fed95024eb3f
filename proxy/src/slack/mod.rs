//! The Slack Web API client: the only place Roster calls Slack, and the only holder of
//! the token.

pub mod messages;
mod token;

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Map, Value};

pub use token::SlackToken;

/// The Slack methods Roster may call: the outbound allowlist. Anything else cannot be
/// expressed, so it cannot be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlackMethod {
    AuthTest,
    AdminTeamsList,
    AdminUsersList,
}

impl SlackMethod {
    /// The Web API method name.
    pub fn name(self) -> &'static str {
        match self {
            SlackMethod::AuthTest => "auth.test",
            SlackMethod::AdminTeamsList => "admin.teams.list",
            SlackMethod::AdminUsersList => "admin.users.list",
        }
    }

    /// Whether calling it changes anything in Slack (such calls are never retried blindly).
    pub fn is_write(self) -> bool {
        match self {
            SlackMethod::AuthTest | SlackMethod::AdminTeamsList | SlackMethod::AdminUsersList => {
                false
            }
        }
    }
}

/// Why a Slack call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `{"ok": false, "error": code}`.
    #[error("Slack refused {method}: {code}")]
    Api { method: &'static str, code: String },
    /// Still rate limited after the allowed retries.
    #[error("Slack rate-limited {method}; retry after {retry_after}s")]
    RateLimited {
        method: &'static str,
        retry_after: u64,
    },
    /// Slack could not be reached or answered something that is not a Slack reply.
    #[error("Slack could not be reached for {method}: {detail}")]
    Unavailable {
        method: &'static str,
        detail: String,
    },
}

impl SlackError {
    /// The Slack error code (`ratelimited` for rate limits), if Slack gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            SlackError::Api { code, .. } => Some(code),
            SlackError::RateLimited { .. } => Some("ratelimited"),
            SlackError::Unavailable { .. } => None,
        }
    }
}

/// How many times a read is retried after a 429, a 5xx or a timeout.
const READ_RETRIES: u32 = 4;
/// Longest `Retry-After` Roster waits inside one request.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// Calls Slack's Web API at a configurable base URL (Slack itself, or the sandbox).
#[derive(Clone, Debug)]
pub struct SlackClient {
    http: reqwest::Client,
    base_url: String,
    token: SlackToken,
}

impl SlackClient {
    /// A client for `base_url` (ending in `/api/`).
    pub fn new(base_url: &str, token: SlackToken) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()?;
        let mut base_url = base_url.to_string();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        Ok(Self {
            http,
            base_url,
            token,
        })
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Calls `method` with form-encoded `params` and returns Slack's reply object.
    ///
    /// Reads are retried after a 429 (honouring `Retry-After`), a 5xx, a timeout or
    /// Slack's transient errors, with bounded backoff; writes never are.
    pub async fn call(
        &self,
        method: SlackMethod,
        params: &[(&str, String)],
    ) -> Result<Map<String, Value>, SlackError> {
        let name = method.name();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.call_once(name, params).await {
                Ok(reply) => return Ok(reply),
                Err(failure) => failure,
            };
            let wait = match &failure {
                Attempt::RateLimited(after) => Some(*after),
                Attempt::Transient(_) | Attempt::Unreachable(_) => {
                    Some(Duration::from_millis(200 * 2u64.pow(attempt - 1)))
                }
                Attempt::Refused(_) => None,
            };
            if let Some(wait) = wait
                && !method.is_write()
                && attempt <= READ_RETRIES
                && wait <= MAX_RETRY_WAIT
            {
                tracing::info!(
                    method = name,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "retrying Slack call"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(match failure {
                Attempt::Refused(code) | Attempt::Transient(code) => {
                    tracing::info!(method = name, code = %code, "Slack refused the call");
                    SlackError::Api { method: name, code }
                }
                Attempt::RateLimited(after) => SlackError::RateLimited {
                    method: name,
                    retry_after: after.as_secs(),
                },
                Attempt::Unreachable(detail) => {
                    tracing::warn!(method = name, %detail, "Slack unavailable");
                    SlackError::Unavailable {
                        method: name,
                        detail,
                    }
                }
            });
        }
    }

    async fn call_once(
        &self,
        name: &'static str,
        params: &[(&str, String)],
    ) -> Result<Map<String, Value>, Attempt> {
        let response = self
            .http
            .post(format!("{}{name}", self.base_url))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.token.expose()),
            )
            .form(params)
            .send()
            .await
            // reqwest errors carry the URL, never the headers, so they are safe to keep.
            .map_err(|e| Attempt::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1);
            return Err(Attempt::RateLimited(Duration::from_secs(after)));
        }
        if status.is_server_error() {
            return Err(Attempt::Unreachable(format!("HTTP {status}")));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| Attempt::Unreachable(format!("unreadable reply: {}", e.without_url())))?;
        let Value::Object(body) = body else {
            return Err(Attempt::Unreachable("reply is not a JSON object".into()));
        };
        if body.get("ok") == Some(&Value::Bool(true)) {
            return Ok(body);
        }
        let code = body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown_error")
            .to_string();
        if matches!(
            code.as_str(),
            "internal_error" | "service_unavailable" | "request_timeout"
        ) {
            return Err(Attempt::Transient(code));
        }
        Err(Attempt::Refused(code))
    }
}

/// The outcome of one HTTP attempt.
#[derive(Debug)]
enum Attempt {
    /// Slack refused the call with this code.
    Refused(String),
    /// HTTP 429 with this `Retry-After`.
    RateLimited(Duration),
    /// Slack failed on its side with this code; a read may be tried again.
    Transient(String),
    /// No Slack reply: connection, timeout, 5xx or a body that is not Slack's.
    Unreachable(String),
}

/// Reads `response_metadata.next_cursor`; `None` at the end of a listing.
pub fn next_cursor(reply: &Map<String, Value>) -> Option<String> {
    reply
        .get("response_metadata")
        .and_then(|m| m.get("next_cursor"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}
