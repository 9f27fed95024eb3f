//! Deployment mistakes Roster refuses: dev mode outside the demo, the demo under a foreign
//! name, header mode without a secret or open to everyone (and IPv4 proxies seen through a
//! dual-stack listener), control characters in identities, forged request IDs.

mod common;

use std::{
    io::Write,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex},
};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode},
};
use common::*;
use roster_proxy::{
    auth::{AuthConfig, Authenticator, is_wide_range},
    config::Config,
};
use serde_json::{Value, json};
use tower::ServiceExt;

fn now() -> i64 {
    roster_proxy::directory::unix_now()
}

/// The error `Config::parse` gives for `text` with the environment `env`.
fn config_error(text: &str, env: &[(&str, &str)]) -> String {
    Config::parse(text, "roster.toml", |k| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .map(|_| ())
    .expect_err("the configuration should be refused")
    .to_string()
}

fn auth_config(text: &str) -> AuthConfig {
    toml::from_str(text).unwrap()
}

const JWT_CONFIG: &str = r#"[auth]
mode = "jwt"
preset = "cloudflare"
jwks_url = "https://larkspur.cloudflareaccess.com/cdn-cgi/access/certs"
issuer = "https://larkspur.cloudflareaccess.com"
audience = "roster"
"#;

// --- 1. dev mode belongs to `roster demo` ---

#[tokio::test]
async fn serve_refuses_dev_mode_from_the_file_and_from_the_environment() {
    let from_file = config_error("[auth]\nmode = \"dev\"", &[]);
    assert!(
        from_file.starts_with("auth.mode:") && from_file.contains("roster demo"),
        "expected auth.mode naming `roster demo`, got: {from_file}"
    );
    // A production configuration switched by the environment.
    Config::parse(JWT_CONFIG, "roster.toml", |_| None).expect("the jwt configuration is valid");
    let from_env = config_error(JWT_CONFIG, &[("ROSTER_AUTH_MODE", "dev")]);
    assert!(
        from_env.starts_with("auth.mode:") && from_env.contains("ROSTER_AUTH_MODE"),
        "expected auth.mode naming ROSTER_AUTH_MODE, got: {from_env}"
    );
    // Nor can a configuration build the role picker another way.
    let error = Authenticator::from_config(&auth_config("mode = \"dev\""))
        .await
        .expect_err("dev mode from a configuration");
    assert!(error.to_string().starts_with("auth.mode:"), "{error}");
    // The demo's own constructor: loopback only.
    assert!(Authenticator::dev(SocketAddr::from(([127, 0, 0, 1], 8080))).is_ok());
    assert!(Authenticator::dev(SocketAddr::from(([0, 0, 0, 0], 8080))).is_err());
}

// --- 2. the demo answers only to its loopback names ---

async fn get_with_host(app: &TestApp, path: &str, host: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.url))
        .header("host", host)
        .header("cookie", "roster_demo_role=org-admin")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_demo_refuses_requests_for_another_host() {
    let app = spawn_app(Options {
        users: 40,
        ..Options::default()
    })
    .await;
    let port: u16 = app.url.rsplit(':').next().unwrap().parse().unwrap();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
    ] {
        let r = get_with_host(&app, "/api/me", &host).await;
        assert_eq!(r.status(), 200, "Host: {host}");
    }
    for host in [
        "rebind.attacker.example".to_string(),
        format!("rebind.attacker.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("localhost.attacker.example:{port}"),
        "127.0.0.1".to_string(),
    ] {
        let r = get_with_host(&app, "/api/me", &host).await;
        assert_eq!(r.status(), 421, "Host: {host}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "wrong_host", "Host: {host}: {body}");
        let r = get_with_host(&app, "/healthz", &host).await;
        assert_eq!(r.status(), 421, "/healthz, Host: {host}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "a plain page outside /api"
        );
        assert!(r.text().await.unwrap().contains("Wrong address"));
    }
    // The rebinding page's change: its Origin matches its Host, and it is still refused.
    let member = app.find(|u| u.summary.status == roster_api::UserStatus::Active);
    let r = app
        .http
        .post(format!("{}/api/users/{}/role", app.url, member.summary.id))
        .header("host", format!("rebind.attacker.example:{port}"))
        .header("origin", format!("http://rebind.attacker.example:{port}"))
        .header("x-roster-request", "1")
        .json(&json!({"workspace": member.summary.workspaces[0], "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 421);
    assert_eq!(
        app.calls("admin.users.setAdmin"),
        0,
        "nothing reached Slack"
    );
}

// --- 3. header mode: a secret, no /0, IPv4-mapped peers ---

#[tokio::test]
async fn header_mode_needs_a_secret_or_an_explicit_opt_out_and_no_open_ranges() {
    let header = |extra: &str| format!("[auth]\nmode = \"header\"\n{extra}");
    let error = config_error(&header("trusted_proxies = [\"127.0.0.1/32\"]"), &[]);
    assert!(
        error.starts_with("auth.shared_secret_file:") && error.contains("allow_no_shared_secret"),
        "expected a missing secret naming the opt-out, got: {error}"
    );
    Config::parse(
        &header("trusted_proxies = [\"127.0.0.1/32\"]\nallow_no_shared_secret = true"),
        "roster.toml",
        |_| None,
    )
    .expect("the explicit opt-out");
    for everyone in ["0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96"] {
        let error = config_error(
            &header(&format!(
                "trusted_proxies = [\"10.1.2.3/32\", \"{everyone}\"]\nallow_no_shared_secret = true"
            )),
            &[],
        );
        assert!(
            error.starts_with("auth.trusted_proxies:"),
            "{everyone}: expected auth.trusted_proxies, got: {error}"
        );
        // Built without the file (as tests and embedders do), still refused.
        let built = Authenticator::from_config(&auth_config(&format!(
            "mode = \"header\"\ntrusted_proxies = [\"{everyone}\"]\nallow_no_shared_secret = true"
        )))
        .await;
        assert!(built.is_err(), "{everyone} built");
    }
    let error = config_error(&header("trusted_proxies = []"), &[]);
    assert!(error.starts_with("auth.trusted_proxies:"), "{error}");
    // Wide ranges start, with a warning.
    let wide = |net: &str| is_wide_range(net.parse().unwrap());
    assert!(wide("10.0.0.0/8") && wide("2001:db8::/32") && wide("::ffff:10.0.0.0/104"));
    assert!(!wide("10.1.0.0/16") && !wide("2001:db8:1::/48") && !wide("127.0.0.1/32"));
}

async fn header_app(extra: &str, roles: &str) -> TestApp {
    spawn_app(Options {
        users: 40,
        auth: format!("mode = \"header\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n{extra}"),
        roles: Some(parse_roles(roles)),
        ..Options::default()
    })
    .await
}

const READER: &str = r#"[[roles]]
name = "reader"
permissions = ["users.read", "audit.read"]
emails = ["ada@larkspur.example"]"#;

#[tokio::test]
async fn header_mode_accepts_an_ipv4_mapped_peer() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "0123456789abcdef-proxy-secret\n").unwrap();
    let app = header_app(
        &format!(
            "shared_secret_header = \"x-proxy-secret\"\nshared_secret_file = \"{}\"",
            secret.display()
        ),
        READER,
    )
    .await;
    // What a dual-stack listener ([::]) reports for a proxy connecting over IPv4.
    let mapped = Ipv6Addr::from(0x0000_0000_0000_0000_0000_ffff_7f00_0001u128);
    let ask = |peer: IpAddr| {
        let mut request = Request::get("/api/me")
            .header("x-forwarded-email", "ada@larkspur.example")
            .header("x-proxy-secret", "0123456789abcdef-proxy-secret")
            .body(Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(peer, 40_000)));
        roster_proxy::app(app.state.clone()).oneshot(request)
    };
    let response = ask(IpAddr::V6(mapped)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "::ffff:127.0.0.1");
    let response = ask(IpAddr::V6(Ipv6Addr::LOCALHOST)).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "::1 is not listed"
    );
}

// --- 4. control characters in identities ---

/// Everything this test binary logs, from every thread. A process-wide subscriber, not a
/// scoped one: tracing caches per call site whether anyone listens, and a call site first
/// reached by another test (with no subscriber) would stay silent under a scoped one.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn global() -> &'static Captured {
        static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Captured::default();
            let writer = logs.clone();
            tracing::subscriber::set_global_default(
                tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::INFO)
                    .with_ansi(false)
                    .with_writer(move || writer.clone())
                    .finish(),
            )
            .expect("no other subscriber in this test binary");
            logs
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

const ISSUER: &str = "https://sso.larkspur.example";
const AUDIENCE: &str = "roster-prod";

#[tokio::test]
async fn identities_with_control_characters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [keys.jwk()]}).to_string()).unwrap();
    let roles = r#"[[roles]]
name = "reader"
permissions = ["users.read"]
groups = ["it-admins"]"#;
    let app = spawn_app(Options {
        users: 40,
        auth: format!(
            "mode = \"jwt\"\njwt_header = \"x-test-assertion\"\njwks_file = \"{}\"\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"",
            jwks.display()
        ),
        roles: Some(parse_roles(roles)),
        ..Options::default()
    })
    .await;
    let logs = Captured::global();
    let claims = |email: &str, sub: &str, group: &str| {
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "email": email,
               "groups": [group], "iat": now(), "exp": now() + 600})
    };
    let ask = |token: String| {
        app.http
            .get(format!("{}/api/me", app.url))
            .header("x-test-assertion", token)
            .send()
    };
    let ok = ask(keys.sign(&claims("ada@larkspur.example", "sub-1", "it-admins")))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let marker = "INJECTED-MARKER";
    for (why, c) in [
        (
            "a newline in the email",
            claims(
                &format!("ada@larkspur.example\n2026-01-01 INFO {marker}"),
                "sub-1",
                "it-admins",
            ),
        ),
        (
            "ESC in the subject",
            claims(
                "ada@larkspur.example",
                &format!("sub-1\u{1b}[2K{marker}"),
                "it-admins",
            ),
        ),
        (
            "ESC in a group",
            claims(
                "ada@larkspur.example",
                "sub-1",
                &format!("it-admins\u{1b}]8;;{marker}"),
            ),
        ),
        (
            "a line separator in the email",
            claims(
                &format!("ada@larkspur.example\u{2028}{marker}"),
                "sub-1",
                "it-admins",
            ),
        ),
    ] {
        let r = ask(keys.sign(&c)).await.unwrap();
        assert_eq!(r.status(), 401, "{why}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains(marker),
            "{why}: the answer echoes it: {body}"
        );
    }
    let logged = logs.text();
    assert!(
        logged.contains("control characters"),
        "the refusals are logged: {logged}"
    );
    assert!(
        !logged.contains(marker),
        "the raw identity reached the log: {logged}"
    );

    // Header mode: a tab is the one control character an HTTP header can carry.
    let app = header_app("allow_no_shared_secret = true", READER).await;
    let ask = |email: &'static str| {
        app.http
            .get(format!("{}/api/me", app.url))
            .header("x-forwarded-email", email)
            .send()
    };
    assert_eq!(ask("ada@larkspur.example").await.unwrap().status(), 200);
    assert_eq!(
        ask("ada@larkspur.example\tx").await.unwrap().status(),
        401,
        "a tab in the email header"
    );
    let r = app
        .http
        .get(format!("{}/api/me", app.url))
        .header("x-forwarded-email", "ada@larkspur.example")
        .header("x-forwarded-groups", "staff,it\tadmins")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a tab in a group");
}

// --- 5. request IDs ---

fn is_own_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Sends a change the role may not make (refused and audited), with `x-request-id`;
/// returns the ID in the answer.
async fn refused_change(app: &TestApp, request_id: &str, headers: &[(&str, &str)]) -> String {
    let mut request = app
        .http
        .post(format!("{}/api/users/W0NOPE000/remove", app.url))
        .header("x-roster-request", "1")
        .header("origin", app.origin())
        .header("x-request-id", request_id)
        .json(&json!({"workspace": "T0NOPE000"}));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), 403);
    r.headers()["x-request-id"].to_str().unwrap().to_string()
}

async fn last_audit_id(app: &TestApp) -> String {
    app.audit_rows().await[0].request_id.clone()
}

#[tokio::test]
async fn request_ids_come_only_from_trusted_proxies_and_never_pass_for_a_job() {
    // Dev mode (and jwt mode): the caller's own ID is never taken.
    let app = spawn_app(Options {
        users: 40,
        ..Options::default()
    })
    .await;
    let helpdesk = [("cookie", "roster_demo_role=helpdesk")];
    let answered = refused_change(&app, "job-12-3-1", &helpdesk).await;
    let stored = last_audit_id(&app).await;
    assert_eq!(answered, stored);
    assert!(
        is_own_id(&stored),
        "expected Roster's own ID, the audit log has {stored:?}"
    );

    // Header mode: a trusted proxy's ID is kept, marked as forwarded.
    let app = header_app("allow_no_shared_secret = true", READER).await;
    let ada = [("x-forwarded-email", "ada@larkspur.example")];
    refused_change(&app, "cf-ray-8a1b2c3d4e5f-AMS", &ada).await;
    assert_eq!(last_audit_id(&app).await, "fwd-cf-ray-8a1b2c3d4e5f-AMS");
    refused_change(&app, "job-12-3-1", &ada).await;
    let stored = last_audit_id(&app).await;
    assert_eq!(stored, "fwd-job-12-3-1");
    assert!(!stored.starts_with("job-"), "cannot pass for a job's row");
    for bad in [&"x".repeat(65), "has space", "tab\tinside"] {
        let sent = refused_change(&app, bad, &ada).await;
        assert!(is_own_id(&sent), "{bad:?}: answered {sent:?}");
        assert!(is_own_id(&last_audit_id(&app).await), "{bad:?}");
    }

    // An address outside trusted_proxies gets its own ID, whatever it sends.
    let outside = spawn_app(Options {
        users: 40,
        auth:
            "mode = \"header\"\ntrusted_proxies = [\"10.0.0.0/8\"]\nallow_no_shared_secret = true"
                .into(),
        ..Options::default()
    })
    .await;
    let r = outside
        .http
        .get(format!("{}/healthz", outside.url))
        .header("x-request-id", "job-1-1-1")
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap();
    assert!(is_own_id(id), "{id}");
}
