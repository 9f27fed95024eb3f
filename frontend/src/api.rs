//! The only place the app talks HTTP: one typed function per proxy endpoint.

use roster_api::{
    ActionResult, AssignRequest, AuditPage, AuditQuery, Channel, DemoRole, DryRun, EmailLookup,
    EmailMatches, ErrorBody, ExpirationRequest, InviteRequest, InviteRequestList,
    InviteRequestQuery, JobCreateQuery, JobDetail, JobEvent, JobList, JobRequest, JobSummary, Me,
    Operation, Permission, RemoveRequest, RoleRequest, ServerStatus, Sessions, UserDetail,
    UserQuery, UsersPage, Workspace,
};
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    EventSource, Headers, MessageEvent, Request, RequestInit, RequestRedirect, Response,
    ResponseType,
};

/// Why a call to the proxy failed, ready to show to a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The proxy answered with its error shape.
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        slack_error: Option<String>,
        field: Option<String>,
        /// For a refusal on a permission: the one the role lacks.
        permission: Option<Permission>,
    },
    /// The request did not reach the proxy, or the answer was cut off.
    #[error("Roster could not be reached ({0}). Check your connection and try again.")]
    Network(String),
    /// The sign-in proxy in front of Roster (Cloudflare Access, IAP, …) answered with a
    /// redirect to its login page: the person's session there has ended.
    #[error("Your sign-in has expired. Reload the page to sign in again.")]
    SignInExpired,
    /// The proxy answered something this version of the app does not understand.
    #[error("Roster sent an answer this page cannot read ({0}). Reload the page.")]
    Decode(String),
}

impl ApiError {
    /// Whether sending the same request again would be refused again: the role may not
    /// (403), the person or thing is not there (404), or the change cannot be made as it
    /// stands (422). Rate limits, timeouts and Slack being away are worth another try.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ApiError::Server {
                status: 403 | 404 | 422,
                ..
            }
        )
    }

    /// Roster's code for the error and, for a refusal on a permission, that permission:
    /// what a person passes on to whoever runs Roster.
    pub fn details(&self) -> Option<(&str, Option<Permission>)> {
        match self {
            ApiError::Server {
                code, permission, ..
            } => Some((code, *permission)),
            _ => None,
        }
    }

    /// The request field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Server { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// Slack's original error code, if Slack refused.
    pub fn slack_error(&self) -> Option<&str> {
        match self {
            ApiError::Server { slack_error, .. } => slack_error.as_deref(),
            _ => None,
        }
    }
}

/// Sends a request through the browser's `fetch`, with the headers every call carries (the
/// proxy requires `X-Roster-Request` of the app's own changes), and a JSON body if given.
/// A 2xx answer is returned; any other becomes [`ApiError::Server`]. Redirects are not
/// followed: Roster never sends one, and the sign-in proxy's, to its login page on another
/// origin, would fail as a cross-origin fetch; it becomes [`ApiError::SignInExpired`].
async fn send(method: &str, url: &str, json: Option<&str>) -> Result<Response, ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let started = match (method, json) {
        ("GET", None) => started_early(&window, url),
        _ => None,
    };
    let pending = match started {
        Some(pending) => pending,
        None => window.fetch_with_request(&request(method, url, json)?),
    };
    let response: Response = JsFuture::from(pending)
        .await
        .map_err(network)?
        .unchecked_into();
    if response.ok() {
        return Ok(response);
    }
    if response.type_() == ResponseType::Opaqueredirect {
        return Err(ApiError::SignInExpired);
    }
    let status = response.status();
    let body = text(&response).await.ok();
    Err(refusal(status, body.as_deref()))
}

/// A non-2xx answer as [`ApiError::Server`]: the proxy's error shape if the body is one.
fn refusal(status: u16, body: Option<&str>) -> ApiError {
    match body.and_then(|t| serde_json::from_str::<ErrorBody>(t).ok()) {
        Some(body) => ApiError::Server {
            status,
            code: body.error.code,
            message: body.error.message,
            slack_error: body.error.slack_error,
            field: body.error.field,
            permission: body.error.permission,
        },
        None => ApiError::Server {
            status,
            code: "http_error".into(),
            message: format!("Roster answered with HTTP {status}."),
            slack_error: None,
            field: None,
            permission: None,
        },
    }
}

/// The request [`send`] makes: its headers, its JSON body if given, redirects not followed.
fn request(method: &str, url: &str, json: Option<&str>) -> Result<Request, ApiError> {
    let headers = Headers::new().map_err(network)?;
    headers.set("Accept", "application/json").map_err(network)?;
    headers.set("X-Roster-Request", "1").map_err(network)?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(json) = json {
        headers
            .set("Content-Type", "application/json")
            .map_err(network)?;
        init.set_body(&JsValue::from_str(json));
    }
    init.set_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    Request::new_with_str_and_init(url, &init).map_err(network)
}

/// The users list's first request, which `index.html` starts on the Users page.
pub const EARLY_USERS_URL: &str = "/api/users?offset=0&limit=200";

/// Whether `index.html` started the users list's first request while the app was loading:
/// then the network is free once the app starts.
pub fn users_started_early() -> bool {
    web_sys::window()
        .and_then(|w| early_map(&w, "rosterEarly"))
        .and_then(|early| js_sys::Reflect::has(&early, &JsValue::from_str(EARLY_USERS_URL)).ok())
        .unwrap_or(false)
}

/// `window.rosterEarly` (the requests `index.html`'s first script started) or
/// `window.rosterAnswered` (those whose answers it has read in full), by URL.
fn early_map(window: &web_sys::Window, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(window, &JsValue::from_str(name))
        .ok()
        .filter(JsValue::is_object)
}

/// `map[key]`, removed from `map` (undefined if it was not there).
fn take(map: &JsValue, key: &JsValue) -> Option<JsValue> {
    let value = js_sys::Reflect::get(map, key).ok()?;
    let _ = js_sys::Reflect::delete_property(map.unchecked_ref::<js_sys::Object>(), key);
    Some(value)
}

/// A `GET` of `url` that `index.html`'s first script started while the app was loading
/// (`window.rosterEarly`, same headers and redirect rule as [`send`]); each is taken once,
/// so asking again makes a fresh request.
fn started_early(window: &web_sys::Window, url: &str) -> Option<js_sys::Promise> {
    let key = JsValue::from_str(url);
    let pending = take(&early_map(window, "rosterEarly")?, &key)?;
    // Its answer, read or not, is this request's alone now.
    if let Some(answered) = early_map(window, "rosterAnswered") {
        take(&answered, &key);
    }
    pending.dyn_into().ok()
}

/// The answer to `GET url` if `index.html` has read it in full already
/// (`window.rosterAnswered`), taken once: the app draws it in the task it starts in,
/// without waiting for the network or a frame. `None` if it is not there (not asked for,
/// taken already, or still on its way: then [`send`] waits for it).
pub fn answered_early<T: DeserializeOwned>(url: &str) -> Option<Result<T, ApiError>> {
    let window = web_sys::window()?;
    let key = JsValue::from_str(url);
    let answer = take(&early_map(&window, "rosterAnswered")?, &key).filter(JsValue::is_object)?;
    if let Some(early) = early_map(&window, "rosterEarly") {
        take(&early, &key);
    }
    let status = js_sys::Reflect::get(&answer, &JsValue::from_str("status"))
        .ok()?
        .as_f64()? as u16;
    let body = js_sys::Reflect::get(&answer, &JsValue::from_str("body"))
        .ok()?
        .as_string()?;
    Some(if (200..300).contains(&status) {
        decode(&body)
    } else {
        Err(refusal(status, Some(&body)))
    })
}

/// The body of an answer, as text.
async fn text(response: &Response) -> Result<String, JsValue> {
    let text = JsFuture::from(response.text()?).await?;
    Ok(text.as_string().unwrap_or_default())
}

/// [`send`], then the body of the (2xx) answer.
async fn fetch(method: &str, url: &str, json: Option<&str>) -> Result<String, ApiError> {
    let response = send(method, url, json).await?;
    text(&response)
        .await
        .map_err(|e| ApiError::Decode(js_message(&e)))
}

/// [`fetch`], then the body read as `T`. Only this last step depends on `T`, so each
/// endpoint adds little more than its type's decoder to the app.
async fn call<T: DeserializeOwned>(
    method: &str,
    url: &str,
    json: Option<&str>,
) -> Result<T, ApiError> {
    let body = fetch(method, url, json).await?;
    decode(&body)
}

/// A 2xx answer's body read as `T`.
fn decode<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    call("GET", url, None).await
}

async fn post<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> Result<T, ApiError> {
    let json = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    call("POST", url, Some(&json)).await
}

/// A failed browser call, as [`ApiError::Network`].
fn network(error: JsValue) -> ApiError {
    ApiError::Network(js_message(&error))
}

/// What a JavaScript error says of itself (`TypeError: Failed to fetch`).
fn js_message(error: &JsValue) -> String {
    error.unchecked_ref::<js_sys::Error>().to_string().into()
}

/// `path?query`, without a dangling `?`.
pub fn with_query<Q: Serialize>(path: &str, query: &Q) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(qs) if !qs.is_empty() => format!("{path}?{qs}"),
        _ => path.to_string(),
    }
}

/// `GET /api/me`.
pub async fn me() -> Result<Me, ApiError> {
    get("/api/me").await
}

/// `GET /api/status`, with who changed since `changes_since` (Unix ms) when given.
pub async fn status(changes_since: Option<i64>) -> Result<ServerStatus, ApiError> {
    match changes_since {
        Some(since) => get(&format!("/api/status?changes_since={since}")).await,
        None => get("/api/status").await,
    }
}

/// `POST /api/dev/role` (demo only).
pub async fn switch_demo_role(role: &str) -> Result<(), ApiError> {
    let json = serde_json::to_string(&DemoRole {
        role: role.to_string(),
    })
    .map_err(|e| ApiError::Decode(e.to_string()))?;
    send("POST", "/api/dev/role", Some(&json)).await.map(drop)
}

/// `GET /api/users`.
pub async fn list_users(query: &UserQuery) -> Result<UsersPage, ApiError> {
    get(&with_query("/api/users", query)).await
}

/// The URL of `GET /api/users/export.csv` for a query.
pub fn users_csv_url(query: &UserQuery) -> String {
    let mut q = query.clone();
    q.offset = None;
    q.limit = None;
    with_query("/api/users/export.csv", &q)
}

/// `GET /api/users/{id}`.
pub async fn user(id: &str) -> Result<UserDetail, ApiError> {
    get(&format!("/api/users/{}", encode(id))).await
}

/// `POST /api/users/by-email`.
pub async fn users_by_email(lookup: &EmailLookup) -> Result<EmailMatches, ApiError> {
    post("/api/users/by-email", lookup).await
}

/// `GET /api/workspaces`.
pub async fn list_workspaces() -> Result<Vec<Workspace>, ApiError> {
    get("/api/workspaces").await
}

/// `GET /api/workspaces/{id}/channels?q=`.
pub async fn channels(workspace: &str, q: &str) -> Result<Vec<Channel>, ApiError> {
    get(&with_query(
        &format!("/api/workspaces/{}/channels", encode(workspace)),
        &[("q", q)],
    ))
    .await
}

/// `POST /api/users/invite`.
pub async fn invite(request: &InviteRequest) -> Result<ActionResult, ApiError> {
    post("/api/users/invite", request).await
}

/// `POST /api/users/{id}/assign`.
pub async fn assign(id: &str, request: &AssignRequest) -> Result<ActionResult, ApiError> {
    post(&format!("/api/users/{}/assign", encode(id)), request).await
}

/// `POST /api/users/{id}/remove`.
pub async fn remove(id: &str, request: &RemoveRequest) -> Result<ActionResult, ApiError> {
    post(&format!("/api/users/{}/remove", encode(id)), request).await
}

/// `POST /api/users/{id}/role`.
pub async fn set_role(id: &str, request: &RoleRequest) -> Result<ActionResult, ApiError> {
    post(&format!("/api/users/{}/role", encode(id)), request).await
}

/// `POST /api/users/{id}/expiration`.
pub async fn set_expiration(
    id: &str,
    request: &ExpirationRequest,
) -> Result<ActionResult, ApiError> {
    post(&format!("/api/users/{}/expiration", encode(id)), request).await
}

/// `POST /api/changes`: any kind of change, as one job operation.
pub async fn change(operation: &Operation) -> Result<ActionResult, ApiError> {
    post("/api/changes", operation).await
}

/// `GET /api/users/{id}/sessions`.
pub async fn sessions(id: &str) -> Result<Sessions, ApiError> {
    get(&format!("/api/users/{}/sessions", encode(id))).await
}

/// `GET /api/invite-requests`.
pub async fn invite_requests(query: &InviteRequestQuery) -> Result<InviteRequestList, ApiError> {
    get(&with_query("/api/invite-requests", query)).await
}

/// The number of pending requests on the role's workspaces (`pending` of
/// `GET /api/invite-requests`), for the navigation. Only that field is decoded, so the
/// first load does without the decoder of the whole list, which the requests page brings.
pub async fn pending_invite_requests() -> Result<usize, ApiError> {
    #[derive(serde::Deserialize)]
    struct Pending {
        pending: usize,
    }
    let list: Pending = get("/api/invite-requests").await?;
    Ok(list.pending)
}

/// `GET /api/audit`.
pub async fn audit(query: &AuditQuery) -> Result<AuditPage, ApiError> {
    get(&with_query("/api/audit", query)).await
}

/// The URL of `GET /api/audit/export.csv` for a query.
pub fn audit_csv_url(query: &AuditQuery) -> String {
    let mut q = query.clone();
    q.cursor = None;
    q.limit = None;
    with_query("/api/audit/export.csv", &q)
}

/// `POST /api/jobs?dry_run=true`: what each operation would do; changes nothing.
pub async fn dry_run_job(request: &JobRequest) -> Result<DryRun, ApiError> {
    post(
        &with_query("/api/jobs", &JobCreateQuery { dry_run: true }),
        request,
    )
    .await
}

/// `POST /api/jobs`: starts a job.
pub async fn create_job(request: &JobRequest) -> Result<JobDetail, ApiError> {
    post("/api/jobs", request).await
}

/// `GET /api/jobs`, newest first.
pub async fn jobs() -> Result<JobList, ApiError> {
    get("/api/jobs").await
}

/// `GET /api/jobs/{id}`.
pub async fn job(id: i64) -> Result<JobDetail, ApiError> {
    get(&format!("/api/jobs/{id}")).await
}

/// `POST /api/jobs/{id}/{control}` for pause, resume, cancel and retry: no body.
async fn control_job(id: i64, control: &str) -> Result<JobSummary, ApiError> {
    call("POST", &format!("/api/jobs/{id}/{control}"), None).await
}

/// `POST /api/jobs/{id}/pause`.
pub async fn pause_job(id: i64) -> Result<JobSummary, ApiError> {
    control_job(id, "pause").await
}

/// `POST /api/jobs/{id}/resume`.
pub async fn resume_job(id: i64) -> Result<JobSummary, ApiError> {
    control_job(id, "resume").await
}

/// `POST /api/jobs/{id}/cancel`.
pub async fn cancel_job(id: i64) -> Result<JobSummary, ApiError> {
    control_job(id, "cancel").await
}

/// `POST /api/jobs/{id}/retry`: failed and unknown operations go back to waiting.
pub async fn retry_job(id: i64) -> Result<JobSummary, ApiError> {
    control_job(id, "retry").await
}

/// The URL of `GET /api/jobs/{id}/errors.csv`: the operations that failed, were skipped or
/// have an unknown outcome.
pub fn job_errors_csv_url(id: i64) -> String {
    format!("/api/jobs/{id}/errors.csv")
}

/// A listener on an event stream.
type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// A live `GET /api/jobs/{id}/events` stream; dropping it closes the connection.
pub struct JobEvents {
    source: EventSource,
    listeners: Vec<(&'static str, Listener)>,
}

impl JobEvents {
    /// Follows job `id`. `on_event` receives each event and answers whether to keep
    /// listening (false closes the stream); `on_open` runs on every (re)connection, so the
    /// caller can reload what it may have missed; `on_error` runs when the stream breaks or
    /// ends, after it is closed (the caller falls back to polling). The proxy names every
    /// event (`progress` or `operation`), so only those are listened to.
    pub fn open(
        id: i64,
        on_event: impl FnMut(JobEvent) -> bool + 'static,
        on_open: impl FnMut() + 'static,
        on_error: impl FnMut() + 'static,
    ) -> Result<Self, ApiError> {
        let source = EventSource::new(&format!("/api/jobs/{id}/events"))
            .map_err(|e| ApiError::Network(format!("{e:?}")))?;
        let on_event = std::rc::Rc::new(std::cell::RefCell::new(on_event));
        let message = |decode: fn(&str) -> Option<JobEvent>| {
            let on_event = on_event.clone();
            let source = source.clone();
            Listener::new(move |ev: web_sys::Event| {
                let Some(data) = ev
                    .dyn_ref::<MessageEvent>()
                    .and_then(|m| m.data().as_string())
                else {
                    return;
                };
                // An event this version cannot read is skipped; the next reload catches up.
                if let Some(event) = decode(&data)
                    && let Ok(mut f) = on_event.try_borrow_mut()
                    && !f(event)
                {
                    source.close();
                }
            })
        };
        let progress = message(|d| serde_json::from_str(d).ok().map(JobEvent::Progress));
        let operation = message(|d| serde_json::from_str(d).ok().map(JobEvent::Operation));
        let mut on_open = on_open;
        let open = Listener::new(move |_| on_open());
        let mut on_error = on_error;
        let error = {
            let source = source.clone();
            // Without this the browser reconnects by itself, forever, once the stream ends.
            Listener::new(move |_| {
                source.close();
                on_error();
            })
        };
        let listeners = vec![
            ("progress", progress),
            ("operation", operation),
            ("open", open),
            ("error", error),
        ];
        for (name, listener) in &listeners {
            let _ =
                source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
        Ok(Self { source, listeners })
    }
}

impl Drop for JobEvents {
    fn drop(&mut self) {
        self.source.close();
        for (name, listener) in &self.listeners {
            let _ = self
                .source
                .remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
    }
}

/// Percent-encodes a path segment.
fn encode(segment: &str) -> String {
    String::from(js_sys::encode_uri_component(segment))
}
