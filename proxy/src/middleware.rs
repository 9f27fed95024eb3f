//! Request middleware: identity and role, same-origin checks for changes, per-person write
//! limits, request IDs, the demo's loopback-only `Host` check, and metrics.

use std::sync::{
    Mutex,
    atomic::{AtomicBool, AtomicI64, Ordering},
};

use axum::{
    extract::{FromRequestParts, MatchedPath, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use rand::RngCore;

use crate::{
    AppState,
    auth::{AuthError, Identity, SharedAuthenticator, dev_role},
    error::AppError,
    policy::{Caller, role_for},
};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest `X-Request-Id` taken from a trusted proxy.
const FORWARDED_ID_MAX: usize = 64;
/// What a request ID from a trusted proxy is stored as: this, then the proxy's value.
/// Roster's own IDs are 16 lowercase hex digits and bulk jobs' start with `job-`, so none
/// of the three shapes can pass for another in the audit log.
pub const FORWARDED_ID_PREFIX: &str = "fwd-";

/// A fresh request ID: 16 lowercase hex digits.
pub fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The request ID a trusted proxy sent, if it is one value of 1 to 64 printable ASCII
/// characters (no spaces).
fn forwarded_request_id(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(X_REQUEST_ID).iter();
    let value = values.next()?.to_str().ok()?;
    let valid = values.next().is_none()
        && (1..=FORWARDED_ID_MAX).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_graphic());
    valid.then_some(value)
}

/// Sets `X-Request-Id` for everything after it (the audit log, jobs, the answer): the
/// trusted proxy's, prefixed with [`FORWARDED_ID_PREFIX`], in header mode; otherwise a
/// fresh one. A caller's own value is dropped, so it cannot pose as another row's ID.
pub async fn assign_request_id(
    State(auth): State<SharedAuthenticator>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = crate::auth::peer(&request);
    let id = match forwarded_request_id(request.headers()) {
        Some(forwarded) if auth.trusts_request_id_from(peer) => {
            format!("{FORWARDED_ID_PREFIX}{forwarded}")
        }
        _ => new_request_id(),
    };
    let value = HeaderValue::from_str(&id).expect("request IDs are printable ASCII");
    request.headers_mut().insert(X_REQUEST_ID, value);
    next.run(request).await
}

/// The request ID of a request.
pub fn request_id(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// In dev mode, refuses every request not addressed to the demo on loopback (see
/// [`crate::auth::DevSite`]) before any handler: a page on another site whose name was
/// pointed at 127.0.0.1 (DNS rebinding) would otherwise act as the demo's org admin, and
/// pass the same-origin check, which compares `Origin` with `Host`.
pub async fn loopback_host(
    State(auth): State<SharedAuthenticator>,
    request: Request,
    next: Next,
) -> Response {
    let Some(site) = auth.dev_site() else {
        return next.run(request).await;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if host.is_some_and(|h| site.accepts_host(h)) {
        return next.run(request).await;
    }
    tracing::warn!(
        path = %request.uri().path(),
        "demo request for another host refused"
    );
    let error = AppError::WrongHost(site.port());
    if request.uri().path().starts_with("/api/") {
        error.into_response()
    } else {
        refusal_page(
            StatusCode::MISDIRECTED_REQUEST,
            "Wrong address",
            &error.to_string(),
        )
    }
}

/// Whether Slack still accepts the token, checked in the background for `/readyz`.
#[derive(Debug)]
pub struct Health {
    pub token_ok: AtomicBool,
    /// Why the last check failed.
    pub problem: Mutex<Option<String>>,
    pub checked_at: AtomicI64,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            token_ok: AtomicBool::new(true),
            problem: Mutex::new(None),
            checked_at: AtomicI64::new(0),
        }
    }
}

fn wants_html(request: &Request) -> bool {
    !request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

/// A plain page for a browser that may not use Roster (no script, so the CSP holds).
fn refusal_page(status: StatusCode, title: &str, text: &str) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Roster</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body><main><h1>{}</h1><p>{}</p></main></body></html>",
        escape(title),
        escape(title),
        escape(text)
    );
    (status, Html(body)).into_response()
}

/// Resolves who is calling and their role; refuses everyone else before any handler runs.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let html = wants_html(&request);
    let peer = crate::auth::peer(&request);
    let identity = match state.auth.identify(request.headers(), peer).await {
        Ok(identity) => identity,
        Err(error) => {
            tracing::info!(path = %request.uri().path(), %error, "unauthenticated request refused");
            return if html {
                refusal_page(
                    StatusCode::UNAUTHORIZED,
                    "Sign-in required",
                    &error.to_string(),
                )
            } else {
                AppError::Unauthenticated(error).into_response()
            };
        }
    };
    let caller = match identity {
        Some(identity) => {
            role_for(&state.roles, &identity.email, &identity.groups).map(|role| Caller {
                subject: identity.subject.clone(),
                email: identity.email.clone(),
                groups: identity.groups.clone(),
                role: role.clone(),
            })
        }
        // Dev mode: the role chosen in the demo's switcher (the first role by default).
        None => {
            let chosen = dev_role(request.headers());
            let role = chosen
                .and_then(|name| state.roles.iter().find(|r| r.name == name))
                .or_else(|| state.roles.first());
            role.map(|role| {
                let identity = Identity {
                    subject: format!("demo:{}", role.name),
                    email: format!("{}@demo.roster.invalid", role.name),
                    groups: vec![],
                };
                Caller {
                    subject: identity.subject,
                    email: identity.email,
                    groups: identity.groups,
                    role: role.clone(),
                }
            })
        }
    };
    let Some(caller) = caller else {
        return if html {
            refusal_page(
                StatusCode::FORBIDDEN,
                "You have no role in Roster",
                "You are signed in, but no Roster role includes your account. Ask a Roster administrator to add you.",
            )
        } else {
            AppError::NoRole.into_response()
        };
    };
    // Every Slack call the request makes is charged to the person.
    let payer = crate::slack::payer::Payer::person(&caller.email);
    request.extensions_mut().insert(caller);
    crate::slack::payer::paid_by(payer, next.run(request)).await
}

/// Refuses state-changing requests that are not Roster's own: they need the
/// `X-Roster-Request: 1` header (which a cross-site form cannot send), a same-origin
/// `Origin`, and no cross-site `Sec-Fetch-Site`.
pub async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let custom = headers
        .get("x-roster-request")
        .is_some_and(|v| v.as_bytes() == b"1");
    let site_ok = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|s| s == "same-origin" || s == "none");
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let origin_ok = match (origin, &state.public_origin) {
        (Some(origin), Some(allowed)) => origin.eq_ignore_ascii_case(allowed),
        (Some(origin), None) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            host.is_some_and(|host| {
                origin.eq_ignore_ascii_case(&format!("http://{host}"))
                    || origin.eq_ignore_ascii_case(&format!("https://{host}"))
            })
        }
        (None, _) => false,
    };
    if !(custom && site_ok && origin_ok) {
        tracing::warn!(
            path = %request.uri().path(),
            custom, site_ok, origin_ok,
            "cross-site or foreign request refused"
        );
        return AppError::CrossSite.into_response();
    }
    next.run(request).await
}

/// Counts requests by matched route (never the raw path) and status.
pub async fn record_metrics(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| {
            if request.uri().path().starts_with("/api/") {
                "/api/(unmatched)".into()
            } else {
                "(app)".into()
            }
        });
    let method = request.method().to_string();
    let response = next.run(request).await;
    state
        .metrics
        .request(&route, &method, response.status().as_u16());
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Set by `authenticate`; its absence means the route escaped the middleware, so
        // refuse rather than guess.
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(AppError::Unauthenticated(AuthError::Missing))
    }
}

/// Keeps checking that Slack still accepts the token (`/readyz` fails once it does not).
pub fn spawn_token_check(state: &AppState, every: std::time::Duration) {
    let slack = state.slack.clone();
    let health = state.health.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            match slack.auth_test().await {
                Ok(_) => {
                    health.token_ok.store(true, Ordering::SeqCst);
                    *health.problem.lock().unwrap() = None;
                }
                Err(e) if e.is_token_failure() => {
                    tracing::error!(error = %e, "Slack no longer accepts the token");
                    health.token_ok.store(false, Ordering::SeqCst);
                    *health.problem.lock().unwrap() = Some(format!(
                        "Slack no longer accepts the token ({})",
                        e.code().unwrap_or("unknown")
                    ));
                }
                // Slack being unreachable is not the token's fault; keep the last verdict.
                Err(e) => tracing::warn!(error = %e, "token check could not reach Slack"),
            }
            health
                .checked_at
                .store(crate::directory::unix_now(), Ordering::SeqCst);
        }
    });
}
