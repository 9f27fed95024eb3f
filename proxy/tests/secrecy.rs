//! The Slack token never appears in a response, a log line or a debug print, whatever
//! happens: successes, refusals, Slack errors, unknown outcomes.

mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use common::*;
use roster_api::{UserStatus, UserType};
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn the_token_never_leaves_the_proxy() {
    let logs = Capture::default();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(logs.clone())
        .with_ansi(false)
        .init();

    let app = spawn_app(Options::default()).await;
    let token = app.token.clone();
    assert!(token.starts_with("xoxp-"));
    let mut seen = String::new();
    let mut record =
        |label: &str, status: u16, headers: &reqwest::header::HeaderMap, body: &str| {
            seen.push_str(&format!("{label} {status} {headers:?} {body}\n"));
        };

    let member = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.memberships.len() == 1
    });
    let w = member.summary.workspaces[0].clone();
    let t = app.workspace(0);
    let c = app.channel_on(&t);
    app.sandbox.sandbox.set_faults(
        "admin.users.setOwner",
        roster_sandbox::faults::Faults {
            next: [roster_sandbox::faults::FaultKind::FatalError].into(),
            ..Default::default()
        },
    );
    let requests: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", "/api/users?limit=5".into(), None),
        ("GET", format!("/api/users/{}", member.summary.id), None),
        ("GET", "/api/users/W0NOPE000".into(), None),
        ("GET", "/api/status".into(), None),
        ("GET", "/api/me".into(), None),
        ("GET", "/api/openapi.json".into(), None),
        ("GET", "/metrics".into(), None),
        ("GET", "/readyz".into(), None),
        ("GET", format!("/api/workspaces/{t}/channels?q=gen"), None),
        (
            "POST",
            "/api/users/invite".into(),
            Some(
                json!({"email": "leak.check@agency.example", "workspace": t, "channels": [c], "guest": "multi_channel"}),
            ),
        ),
        (
            "POST",
            "/api/users/invite".into(),
            Some(json!({"email": "bad", "workspace": t, "channels": [c]})),
        ),
        (
            "POST",
            format!("/api/users/{}/role", member.summary.id),
            Some(json!({"workspace": w, "role": "admin"})),
        ),
        (
            "POST",
            format!("/api/users/{}/role", member.summary.id),
            Some(json!({"workspace": w, "role": "owner"})),
        ),
        (
            "POST",
            "/api/users/W0NOPE000/remove".into(),
            Some(json!({"workspace": w})),
        ),
        ("GET", "/api/audit/export.csv".into(), None),
    ];
    for (method, path, body) in requests {
        let url = format!("{}{path}", app.url);
        let req = match method {
            "GET" if path == "/metrics" => app.http.get(&url).bearer_auth(METRICS_TOKEN),
            "GET" => app.http.get(&url),
            _ => app
                .http
                .post(&url)
                .header("x-roster-request", "1")
                .header("origin", app.origin())
                .json(&body.unwrap()),
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        record(&path, status, &headers, &text);
    }
    // A failed preflight with a bad token, and a token check after revocation.
    let bad = roster_proxy::slack::SlackClient::new(
        &app.sandbox.api_url(),
        roster_proxy::slack::SlackToken::new("xoxp-bad-secret-123456").unwrap(),
        1.0,
        Arc::new(roster_proxy::metrics::Metrics::default()),
    )
    .unwrap();
    let error = roster_proxy::serve::preflight(&bad, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(!error.contains("bad-secret"), "{error}");

    let debug = format!("{:?} {:#?}", app.state, app.state.slack);
    assert!(!debug.contains(&token), "a debug print shows the token");
    assert!(debug.contains("xoxp-[redacted]"), "{debug}");

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("admin.users.invite"), "the log was captured");
    assert!(logs.lines().count() > 50);
    let secret_part = token.trim_start_matches("xoxp-");
    for (what, text) in [("responses", &seen), ("logs", &logs)] {
        assert!(!text.contains(&token), "the token is in the {what}");
        assert!(
            !text.contains(secret_part),
            "part of the token is in the {what}"
        );
        assert!(
            !text.contains("bad-secret-123456"),
            "a bad token is in the {what}"
        );
    }
}
