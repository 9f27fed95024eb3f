//! Socket Mode: Roster opens a WebSocket to Slack (no public URL needed). Each connection
//! starts with `apps.connections.open` and the app-level token (single-use URLs), waits
//! for `hello`, acknowledges every envelope at once and hands its event on. When Slack says
//! `disconnect` (`refresh_requested`, `warning`), a new socket is opened before the old one
//! goes; a cut or silent socket (no frame for 30 s while Roster pings every 5 s) is
//! replaced with a growing back-off, and so is `too_many_websockets`, more slowly.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::LiveEvents;
use crate::{directory::unix_now, slack::SlackToken};

/// How often Roster pings the socket.
const PING_EVERY: Duration = Duration::from_secs(5);
/// A socket with no frame for this long is given up.
const SILENT_FOR: Duration = Duration::from_secs(30);
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How a connection ended.
#[derive(Debug)]
enum Signal {
    /// Slack asked for a new socket; this one goes on until Slack closes it.
    Replace,
    /// Slack has too many of the app's sockets open.
    TooMany,
    /// Said `hello`: the connection works.
    Up,
    /// Closed, cut or failed.
    Ended,
}

/// Keeps one Socket Mode connection open (two while one replaces the other) for as long
/// as Roster runs.
pub fn spawn(live: Arc<LiveEvents>, api_url: String, app_token: SlackToken) {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let (signals, mut signal) = mpsc::unbounded_channel();
        let mut alive = 0usize;
        let mut failures = 0u32;
        let open = |live: &Arc<LiveEvents>| {
            let (live, http, url, token, signals) = (
                live.clone(),
                http.clone(),
                api_url.clone(),
                app_token.clone(),
                signals.clone(),
            );
            tokio::spawn(async move {
                if let Err(e) = connection(&live, &http, &url, &token, &signals).await {
                    tracing::warn!(error = %e, "Slack's Socket Mode connection ended");
                }
                let _ = signals.send(Signal::Ended);
            });
        };
        open(&live);
        alive += 1;
        while let Some(s) = signal.recv().await {
            match s {
                Signal::Up => {
                    failures = 0;
                    live.counters.down_since.store(0, Ordering::SeqCst);
                }
                Signal::Replace => {
                    live.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    open(&live);
                    alive += 1;
                }
                Signal::TooMany => failures = failures.max(5),
                Signal::Ended => {
                    alive = alive.saturating_sub(1);
                    if alive > 0 {
                        continue;
                    }
                    let _ = live.counters.down_since.compare_exchange(
                        0,
                        unix_now(),
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                    let wait = Duration::from_millis(250 * 2u64.pow(failures.min(8)));
                    failures += 1;
                    tokio::time::sleep(wait.min(MAX_BACKOFF)).await;
                    live.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    open(&live);
                    alive += 1;
                }
            }
        }
    });
}

/// One connection, from `apps.connections.open` until it closes.
async fn connection(
    live: &LiveEvents,
    http: &reqwest::Client,
    api_url: &str,
    token: &SlackToken,
    signals: &mpsc::UnboundedSender<Signal>,
) -> Result<(), String> {
    let reply: Value = http
        .post(format!("{api_url}apps.connections.open"))
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|e| format!("apps.connections.open: {}", e.without_url()))?
        .json()
        .await
        .map_err(|_| "apps.connections.open answered something else than JSON".to_string())?;
    if reply.get("ok") != Some(&Value::Bool(true)) {
        let code = reply
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        return Err(format!(
            "apps.connections.open: {} ({code})",
            crate::slack::messages::describe(code)
        ));
    }
    let url = reply
        .get("url")
        .and_then(Value::as_str)
        .ok_or("apps.connections.open gave no URL")?;
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("cannot open the socket: {e}"))?;
    let (mut sink, mut stream) = socket.split();
    live.counters.sockets.fetch_add(1, Ordering::Relaxed);
    let ended = async {
        let mut ping = tokio::time::interval(PING_EVERY);
        let mut last_frame = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = ping.tick() => {
                    if last_frame.elapsed() > SILENT_FOR {
                        return Err("the socket went silent".to_string());
                    }
                    sink.send(Message::Ping(Vec::new().into())).await.map_err(|e| e.to_string())?;
                }
                frame = stream.next() => {
                    last_frame = tokio::time::Instant::now();
                    let text = match frame {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(_))) | None => return Ok(()),
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(e.to_string()),
                    };
                    let Ok(message) = serde_json::from_str::<Value>(&text) else {
                        continue;
                    };
                    if let Some(envelope) = message.get("envelope_id").and_then(Value::as_str) {
                        // Acknowledged first: applying comes after.
                        let ack = json!({"envelope_id": envelope}).to_string();
                        sink.send(Message::Text(ack.into())).await.map_err(|e| e.to_string())?;
                    }
                    match message.get("type").and_then(Value::as_str) {
                        Some("hello") => {
                            let _ = signals.send(Signal::Up);
                        }
                        Some("events_api") => {
                            if let Some(payload) = message.get("payload") {
                                live.receive(payload.clone());
                            }
                        }
                        Some("disconnect") => {
                            let reason = message.get("reason").and_then(Value::as_str);
                            tracing::info!(reason, "Slack asked to reconnect the socket");
                            match reason {
                                Some("too_many_websockets") => {
                                    let _ = signals.send(Signal::TooMany);
                                    return Ok(());
                                }
                                _ => {
                                    let _ = signals.send(Signal::Replace);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    .await;
    live.counters.sockets.fetch_sub(1, Ordering::Relaxed);
    ended
}
