//! Slack's events, as the sandbox sends them: every change to a user, made through the Web
//! API or SCIM by any client, becomes the `team_join` or `user_change` Slack would send,
//! delivered over Socket Mode (when an app-level token is set) or to a request URL, signed
//! with the signing secret (when one is set). Deliveries can be lost, repeated, delayed and
//! held back to be released out of order, and sockets asked to refresh or cut, so tests can
//! play everything Slack's delivery does.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::{Notify, mpsc};

use crate::{org::Org, request::hex};

/// The sandbox app's ID, in every envelope and `hello`.
pub const APP_ID: &str = "A0SANDBOX1";
/// The bot user the sandbox app's org-wide install authorises as.
const BOT_USER: &str = "U0SANDBOXBOT";
/// How long Slack waits for a Socket Mode acknowledgement before sending again.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long Slack waits for a request URL to answer.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(3);
/// Slack's retries of an HTTP delivery: at once, after about a minute, after about five.
pub const HTTP_RETRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_secs(60),
    Duration::from_secs(300),
];
/// Concurrent Socket Mode connections per app.
pub const MAX_SOCKETS: usize = 10;

/// Where and how events are delivered.
#[derive(Debug, Clone, Default)]
pub struct EventsConfig {
    /// The app-level token (`xapp-…`) `apps.connections.open` accepts: Socket Mode is on.
    pub app_token: Option<String>,
    /// Where events are POSTed when Socket Mode is off.
    pub events_url: Option<String>,
    /// Signs HTTP deliveries (`X-Slack-Signature`).
    pub signing_secret: Option<String>,
    /// The app subscribes to `invite_requested` (off by default, as in Slack: subscribing
    /// stops Slackbot's notifications of requests to workspace admins).
    pub invite_requested: bool,
}

/// What the next deliveries suffer (tests).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryFaults {
    /// The next this many events are lost for good.
    pub drop_next: u32,
    /// The next this many events are delivered twice (the second as a retry).
    pub repeat_next: u32,
    /// Every event waits this long before it goes out.
    pub delay_ms: u64,
    /// Events wait until [`Bus::release`], which sends them newest first.
    pub hold: bool,
}

/// Counts of what the bus did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryStats {
    /// Events made from changes.
    pub published: u64,
    /// Deliveries sent (first tries and retries, over either transport).
    pub sent: u64,
    /// Socket Mode envelopes acknowledged.
    pub acked: u64,
    /// Deliveries sent again (no acknowledgement in time, or an HTTP failure).
    pub retried: u64,
    /// Events lost on purpose (`drop_next`) or after the last HTTP retry.
    pub dropped: u64,
    /// Sockets opened.
    pub connections: u64,
}

/// A frame for one Socket Mode connection.
#[derive(Debug)]
pub enum SocketFrame {
    /// A JSON message.
    Text(String),
    /// Close politely.
    Close,
    /// Drop the connection without a word (a cut network).
    Cut,
}

#[derive(Debug, Clone)]
struct Outgoing {
    event_id: String,
    /// The `event_callback` envelope.
    body: Arc<String>,
    /// 0 for the first delivery.
    attempt: u32,
    reason: &'static str,
    due: Instant,
}

#[derive(Debug)]
struct Socket {
    id: u64,
    tx: mpsc::UnboundedSender<SocketFrame>,
    /// Asked to go away (`refresh_requested`): gets nothing new.
    leaving: bool,
}

#[derive(Debug, Default)]
struct State {
    config: EventsConfig,
    queue: VecDeque<Outgoing>,
    held: Vec<Outgoing>,
    /// Socket Mode envelopes sent and not acknowledged yet, by envelope ID.
    unacked: HashMap<String, (Outgoing, Instant)>,
    sockets: Vec<Socket>,
    /// Single-use `apps.connections.open` tickets.
    tickets: Vec<String>,
    turn: usize,
    faults: DeliveryFaults,
    stats: DeliveryStats,
    retry_delays: Option<[Duration; 3]>,
}

/// The sandbox's event delivery. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Bus {
    inner: Arc<BusInner>,
}

#[derive(Debug, Default)]
struct BusInner {
    state: Mutex<State>,
    wake: Notify,
    seq: AtomicU64,
    started: std::sync::OnceLock<()>,
}

impl Bus {
    /// Sets where and how events go.
    pub fn configure(&self, config: EventsConfig) {
        self.inner.state.lock().unwrap().config = config;
        self.inner.wake.notify_one();
    }

    /// The configuration.
    pub fn config(&self) -> EventsConfig {
        self.inner.state.lock().unwrap().config.clone()
    }

    /// Sets what the next deliveries suffer.
    pub fn set_faults(&self, faults: DeliveryFaults) {
        let release = {
            let mut state = self.inner.state.lock().unwrap();
            let release = state.faults.hold && !faults.hold;
            state.faults = faults;
            release
        };
        if release {
            self.release();
        }
    }

    /// Sends the held events, newest first.
    pub fn release(&self) {
        let mut state = self.inner.state.lock().unwrap();
        let now = Instant::now();
        let held: Vec<Outgoing> = std::mem::take(&mut state.held);
        for mut out in held.into_iter().rev() {
            out.due = now;
            state.queue.push_back(out);
        }
        drop(state);
        self.inner.wake.notify_one();
    }

    /// Replaces Slack's HTTP retry schedule (tests cannot wait five minutes).
    pub fn set_retry_delays(&self, delays: [Duration; 3]) {
        self.inner.state.lock().unwrap().retry_delays = Some(delays);
    }

    /// What the bus did so far.
    pub fn stats(&self) -> DeliveryStats {
        self.inner.state.lock().unwrap().stats.clone()
    }

    /// Events not delivered yet: queued, held, or sent and not acknowledged.
    pub fn in_flight(&self) -> usize {
        let state = self.inner.state.lock().unwrap();
        state.queue.len() + state.held.len() + state.unacked.len()
    }

    /// Open Socket Mode connections.
    pub fn sockets(&self) -> usize {
        self.inner.state.lock().unwrap().sockets.len()
    }

    /// A single-use Socket Mode ticket, as `apps.connections.open` hands out in its URL.
    pub fn ticket(&self) -> String {
        let ticket = random_hex::<12>();
        let mut state = self.inner.state.lock().unwrap();
        // A ticket nobody used soon is forgotten.
        if state.tickets.len() > 64 {
            state.tickets.remove(0);
        }
        state.tickets.push(ticket.clone());
        ticket
    }

    /// Uses up a ticket; whether it was valid.
    pub fn redeem(&self, ticket: &str) -> bool {
        let mut state = self.inner.state.lock().unwrap();
        let before = state.tickets.len();
        state.tickets.retain(|t| t != ticket);
        state.tickets.len() != before
    }

    /// Registers a connected socket; its `hello`, or `too_many_websockets` when the app
    /// has as many as Slack allows.
    pub fn connect(&self, tx: mpsc::UnboundedSender<SocketFrame>) -> Result<u64, String> {
        let mut state = self.inner.state.lock().unwrap();
        if state.sockets.len() >= MAX_SOCKETS {
            return Err(disconnect("too_many_websockets"));
        }
        let id = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        state.sockets.push(Socket {
            id,
            tx: tx.clone(),
            leaving: false,
        });
        state.stats.connections += 1;
        let hello = json!({
            "type": "hello",
            "num_connections": state.sockets.len(),
            "debug_info": {
                "host": "sandbox",
                "started": crate::unix_now(),
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": APP_ID},
        });
        let _ = tx.send(SocketFrame::Text(hello.to_string()));
        drop(state);
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// A socket went away: what it had not acknowledged is sent again once its time is up.
    pub fn disconnected(&self, id: u64) {
        self.inner
            .state
            .lock()
            .unwrap()
            .sockets
            .retain(|s| s.id != id);
    }

    /// A socket acknowledged an envelope.
    pub fn ack(&self, envelope_id: &str) {
        let mut state = self.inner.state.lock().unwrap();
        if state.unacked.remove(envelope_id).is_some() {
            state.stats.acked += 1;
        }
    }

    /// Tells every socket `disconnect` with `reason` (`refresh_requested`, `warning`);
    /// after `refresh_requested` a socket gets nothing new and is closed after `grace`.
    pub fn disconnect_all(&self, reason: &str, grace: Duration) {
        let mut state = self.inner.state.lock().unwrap();
        let mut closing = Vec::new();
        for socket in &mut state.sockets {
            let _ = socket.tx.send(SocketFrame::Text(disconnect(reason)));
            if reason == "refresh_requested" {
                socket.leaving = true;
                closing.push(socket.tx.clone());
            }
        }
        drop(state);
        if !closing.is_empty() {
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                for tx in closing {
                    let _ = tx.send(SocketFrame::Close);
                }
            });
        }
    }

    /// Drops every socket without a word.
    pub fn cut_all(&self) {
        let state = self.inner.state.lock().unwrap();
        for socket in &state.sockets {
            let _ = socket.tx.send(SocketFrame::Cut);
        }
    }

    /// The `event_callback` envelope of `event`.
    pub(crate) fn envelope(&self, org: &Org, team: Option<&str>, event: Value) -> (String, String) {
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        let event_id = format!("Ev{seq:010X}");
        let body = json!({
            "token": "sandbox-verification-token",
            "team_id": team,
            "enterprise_id": org.enterprise_id,
            "context_team_id": team,
            "context_enterprise_id": org.enterprise_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": crate::unix_now(),
            "authorizations": [{
                "enterprise_id": org.enterprise_id,
                "team_id": null,
                "user_id": BOT_USER,
                "is_bot": true,
                "is_enterprise_install": true,
            }],
            "is_ext_shared_channel": false,
            "event_context": format!("4-sandbox-{seq}"),
        });
        (event_id, body.to_string())
    }

    pub(crate) fn enqueue(&self, (event_id, body): (String, String)) {
        let mut state = self.inner.state.lock().unwrap();
        if state.config.app_token.is_none() && state.config.events_url.is_none() {
            return;
        }
        state.stats.published += 1;
        if state.faults.drop_next > 0 {
            state.faults.drop_next -= 1;
            state.stats.dropped += 1;
            return;
        }
        let out = Outgoing {
            event_id,
            body: Arc::new(body),
            attempt: 0,
            reason: "",
            due: Instant::now() + Duration::from_millis(state.faults.delay_ms),
        };
        let copies = if state.faults.repeat_next > 0 {
            state.faults.repeat_next -= 1;
            2
        } else {
            1
        };
        for copy in 0..copies {
            let mut out = out.clone();
            if copy == 1 {
                out.attempt = 1;
                out.reason = "http_timeout";
            }
            if state.faults.hold {
                state.held.push(out);
            } else {
                state.queue.push_back(out);
            }
        }
        drop(state);
        self.inner.wake.notify_one();
    }

    /// Starts delivering (once; needs a Tokio runtime).
    pub fn start(&self) {
        if self.inner.started.set(()).is_err() {
            return;
        }
        let bus = self.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(HTTP_TIMEOUT)
                .redirect(reqwest::redirect::Policy::limited(2))
                .build()
                .expect("an HTTP client");
            loop {
                let wait = bus.deliver_due(&http);
                tokio::select! {
                    _ = bus.inner.wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        });
    }

    /// Sends what is due; how long until something else may be.
    fn deliver_due(&self, http: &reqwest::Client) -> Duration {
        let now = Instant::now();
        let mut state = self.inner.state.lock().unwrap();
        // Envelopes not acknowledged in time go again.
        let expired: Vec<String> = state
            .unacked
            .iter()
            .filter(|(_, (_, deadline))| *deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some((mut out, _)) = state.unacked.remove(&id) {
                out.attempt += 1;
                out.reason = "timeout";
                out.due = now;
                state.stats.retried += 1;
                state.queue.push_back(out);
            }
        }
        let socket_mode = state.config.app_token.is_some();
        let mut later = VecDeque::new();
        while let Some(out) = state.queue.pop_front() {
            if out.due > now {
                later.push_back(out);
                continue;
            }
            if socket_mode {
                let open: Vec<usize> = (0..state.sockets.len())
                    .filter(|&i| !state.sockets[i].leaving)
                    .collect();
                if open.is_empty() {
                    later.push_back(out);
                    continue;
                }
                state.turn = state.turn.wrapping_add(1);
                let socket = &state.sockets[open[state.turn % open.len()]];
                let envelope_id = format!("{}-{}", out.event_id, out.attempt);
                let frame = json!({
                    "envelope_id": envelope_id,
                    "type": "events_api",
                    "payload": serde_json::from_str::<Value>(&out.body).unwrap_or_default(),
                    "accepts_response_payload": false,
                    "retry_attempt": out.attempt,
                    "retry_reason": out.reason,
                });
                if socket
                    .tx
                    .send(SocketFrame::Text(frame.to_string()))
                    .is_err()
                {
                    later.push_back(out);
                    continue;
                }
                state.stats.sent += 1;
                state.unacked.insert(envelope_id, (out, now + ACK_TIMEOUT));
            } else if let Some(url) = state.config.events_url.clone() {
                state.stats.sent += 1;
                let secret = state.config.signing_secret.clone();
                let delays = state.retry_delays.unwrap_or(HTTP_RETRIES);
                let bus = self.clone();
                let http = http.clone();
                tokio::spawn(async move {
                    let failure = post(&http, &url, secret.as_deref(), &out).await;
                    if let Some(reason) = failure {
                        bus.http_failed(out, reason, delays);
                    }
                });
            } else {
                state.stats.dropped += 1;
            }
        }
        state.queue = later;
        let next = state
            .queue
            .iter()
            .map(|o| o.due)
            .chain(state.unacked.values().map(|(_, d)| *d))
            .min();
        match next {
            Some(at) => at
                .saturating_duration_since(now)
                .max(Duration::from_millis(5)),
            None => Duration::from_millis(250),
        }
    }

    fn http_failed(&self, mut out: Outgoing, reason: &'static str, delays: [Duration; 3]) {
        let mut state = self.inner.state.lock().unwrap();
        let Some(delay) = delays.get(out.attempt as usize) else {
            state.stats.dropped += 1;
            return;
        };
        out.due = Instant::now() + *delay;
        out.attempt += 1;
        out.reason = reason;
        state.stats.retried += 1;
        state.queue.push_back(out);
        drop(state);
        self.inner.wake.notify_one();
    }

    /// Sends `url_verification` to the request URL; whether it answered the challenge.
    pub async fn verify_url(&self) -> Result<(), String> {
        let (url, secret) = {
            let state = self.inner.state.lock().unwrap();
            (
                state.config.events_url.clone(),
                state.config.signing_secret.clone(),
            )
        };
        let url = url.ok_or("no request URL is set")?;
        let challenge = random_hex::<16>();
        let body = json!({
            "token": "sandbox-verification-token",
            "challenge": challenge,
            "type": "url_verification",
        })
        .to_string();
        let timestamp = crate::unix_now();
        let mut request = reqwest::Client::new()
            .post(&url)
            .timeout(HTTP_TIMEOUT)
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", timestamp.to_string());
        if let Some(secret) = &secret {
            request = request.header("x-slack-signature", sign(secret, timestamp, &body));
        }
        let reply = request
            .body(body)
            .send()
            .await
            .map_err(|e| format!("the request URL did not answer: {e}"))?;
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        let answered = text.trim() == challenge
            || serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("challenge")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .is_some_and(|c| c == challenge)
            || text.trim() == format!("challenge={challenge}");
        if status.is_success() && answered {
            Ok(())
        } else {
            Err(format!(
                "the request URL answered {status} without the challenge"
            ))
        }
    }
}

/// POSTs one delivery; why it failed, in Slack's `X-Slack-Retry-Reason` words.
async fn post(
    http: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    out: &Outgoing,
) -> Option<&'static str> {
    let timestamp = crate::unix_now();
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", timestamp.to_string());
    if let Some(secret) = secret {
        request = request.header("x-slack-signature", sign(secret, timestamp, &out.body));
    }
    if out.attempt > 0 {
        request = request
            .header("x-slack-retry-num", out.attempt.to_string())
            .header("x-slack-retry-reason", out.reason);
    }
    match request.body(out.body.to_string()).send().await {
        Ok(reply) if reply.status().is_success() => None,
        // The app asked Slack not to retry.
        Ok(reply) if reply.headers().contains_key("x-slack-no-retry") => None,
        Ok(_) => Some("http_error"),
        Err(e) if e.is_timeout() => Some("http_timeout"),
        Err(e) if e.is_redirect() => Some("too_many_redirects"),
        Err(e) if e.is_connect() => Some("connection_failed"),
        Err(_) => Some("unknown_error"),
    }
}

/// `v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`, Slack's request signature.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body.as_bytes());
    format!("v0={}", hex(&mac.finalize().into_bytes()))
}

/// `N` random bytes in hex.
fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::fill(&mut bytes);
    hex(&bytes)
}

/// A `disconnect` message.
fn disconnect(reason: &str) -> String {
    json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "sandbox"}}).to_string()
}

/// An `event_ts`: Unix seconds with microseconds.
pub(crate) fn event_ts() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", now.as_secs(), now.subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_slack() {
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }
}
