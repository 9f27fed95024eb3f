//! Socket Mode: `apps.connections.open` with the app-level token hands out a single-use
//! WebSocket URL; the socket says `hello`, carries `events_api` envelopes, takes
//! acknowledgements, and is told `disconnect` when Slack wants it gone. Plus the test
//! controls of event delivery under `/_sandbox/events`.

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{
        Query, State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::{
    Sandbox, SlackReply,
    events::{APP_ID, DeliveryFaults, EventsConfig, SocketFrame},
    ratelimit::Tier,
    request::Fail,
};

/// The method that opens a socket.
pub const OPEN: &str = "apps.connections.open";

/// `apps.connections.open`: only with the app-level token, only in the `Authorization`
/// header (one in the query or the body does not count).
pub fn open(sandbox: &Sandbox, method: &Method, headers: &HeaderMap) -> Response {
    let fail = |code: &'static str| SlackReply::Fail(Fail::new(code)).into_response();
    if method != Method::POST {
        return fail("invalid_post_type");
    }
    let Some(token) = crate::request::bearer_token(headers) else {
        return fail("not_authed");
    };
    if !token.starts_with("xapp-") {
        return fail("not_allowed_token_type");
    }
    let expected = sandbox.events().config().app_token;
    if expected.as_deref() != Some(token) {
        return fail("invalid_auth");
    }
    if let Err(retry_after) = sandbox.inner.limiter.check(token, OPEN, "", Tier::Tier3) {
        return SlackReply::RateLimited { retry_after }.into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let ticket = sandbox.events().ticket();
    let url = format!("ws://{host}/link/?ticket={ticket}&app_id={APP_ID}");
    SlackReply::Ok(json!({"ok": true, "url": url}).to_string()).into_response()
}

#[derive(Debug, Deserialize)]
struct Link {
    ticket: String,
}

async fn link(
    State(sandbox): State<Sandbox>,
    Query(link): Query<Link>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !sandbox.events().redeem(&link.ticket) {
        return (StatusCode::UNAUTHORIZED, "invalid or used ticket").into_response();
    }
    upgrade.on_upgrade(move |socket| run_socket(sandbox, socket))
}

async fn run_socket(sandbox: Sandbox, mut socket: WebSocket) {
    let bus = sandbox.events().clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = match bus.connect(tx) {
        Ok(id) => id,
        Err(refusal) => {
            let _ = socket.send(Message::Text(refusal.into())).await;
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    };
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Some(SocketFrame::Text(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(SocketFrame::Close) | None => {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
                Some(SocketFrame::Cut) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(ack) = serde_json::from_str::<Value>(&text)
                        && let Some(envelope) = ack.get("envelope_id").and_then(Value::as_str)
                    {
                        bus.ack(envelope);
                    }
                }
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
    }
    bus.disconnected(id);
}

/// `/link/` (the sockets) and the event delivery's test controls.
pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/link/", get(link))
        .route("/_sandbox/events", get(status).post(configure))
        .route("/_sandbox/events/faults", post(set_faults))
        .route("/_sandbox/events/release", post(release))
        .route("/_sandbox/events/disconnect", post(disconnect))
        .route("/_sandbox/events/cut", post(cut))
        .route("/_sandbox/events/grant", post(grant))
        .route("/_sandbox/invite-requests", post(request_invite))
        .route("/_sandbox/events/verify-url", post(verify_url))
}

async fn status(State(sandbox): State<Sandbox>) -> Json<Value> {
    let bus = sandbox.events();
    let config = bus.config();
    Json(json!({
        "socket_mode": config.app_token.is_some(),
        "events_url": config.events_url,
        "signed": config.signing_secret.is_some(),
        "sockets": bus.sockets(),
        "in_flight": bus.in_flight(),
        "granted": sandbox.with_org(|org| org.app_teams.clone()),
        "stats": bus.stats(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigBody {
    app_token: Option<String>,
    events_url: Option<String>,
    signing_secret: Option<String>,
    /// Subscribe to `invite_requested`.
    #[serde(default)]
    invite_requested: bool,
    /// Slack's HTTP retry delays, in milliseconds (three of them).
    retry_delays_ms: Option<[u64; 3]>,
}

async fn configure(State(sandbox): State<Sandbox>, Json(body): Json<ConfigBody>) -> StatusCode {
    let bus = sandbox.events();
    if let Some(delays) = body.retry_delays_ms {
        bus.set_retry_delays(delays.map(Duration::from_millis));
    }
    bus.configure(EventsConfig {
        app_token: body.app_token,
        events_url: body.events_url,
        signing_secret: body.signing_secret,
        invite_requested: body.invite_requested,
    });
    StatusCode::NO_CONTENT
}

async fn set_faults(
    State(sandbox): State<Sandbox>,
    Json(faults): Json<DeliveryFaults>,
) -> StatusCode {
    sandbox.events().set_faults(faults);
    StatusCode::NO_CONTENT
}

async fn release(State(sandbox): State<Sandbox>) -> StatusCode {
    sandbox.events().release();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisconnectBody {
    /// `refresh_requested`, `warning`, or `too_many_websockets`.
    reason: String,
    /// How long a socket asked to refresh stays open (default 5 s).
    grace_ms: Option<u64>,
}

async fn disconnect(
    State(sandbox): State<Sandbox>,
    Json(body): Json<DisconnectBody>,
) -> StatusCode {
    let grace = Duration::from_millis(body.grace_ms.unwrap_or(5_000));
    sandbox.events().disconnect_all(&body.reason, grace);
    StatusCode::NO_CONTENT
}

async fn cut(State(sandbox): State<Sandbox>) -> StatusCode {
    sandbox.events().cut_all();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    team_ids: Vec<String>,
    granted: bool,
}

async fn grant(State(sandbox): State<Sandbox>, Json(body): Json<GrantBody>) -> StatusCode {
    let events = sandbox.events();
    sandbox.with_org_mut(|org| events.grant(org, &body.team_ids, body.granted));
    StatusCode::NO_CONTENT
}

/// Someone asks for an invitation in Slack: a pending request, and `invite_requested`
/// when the app subscribes to it.
async fn request_invite(
    State(sandbox): State<Sandbox>,
    Json(ask): Json<crate::org::NewInviteRequest>,
) -> Response {
    let events = sandbox.events();
    let made = sandbox.with_org_mut(|org| {
        let request = org.request_invite(ask, crate::unix_now())?;
        events.invite_requested(org, &request);
        Ok::<_, String>(request.object())
    });
    match made {
        Ok(object) => (StatusCode::CREATED, Json(object)).into_response(),
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message).into_response(),
    }
}

async fn verify_url(State(sandbox): State<Sandbox>) -> Response {
    match sandbox.events().verify_url().await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => (StatusCode::BAD_GATEWAY, message).into_response(),
    }
}
