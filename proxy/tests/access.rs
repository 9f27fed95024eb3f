//! Access control: signed assertions, trusted headers, roles with restricted views, CSRF,
//! and the audit of refusals. Each way in that must fail has its own test.

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use roster_api::{UserStatus, UserType};
use roster_proxy::policy::RoleConfig;
use serde_json::{Value, json};

const ISSUER: &str = "https://sso.larkspur.example";
const AUDIENCE: &str = "roster-prod";

fn now() -> i64 {
    roster_proxy::directory::unix_now()
}

fn claims(email: &str) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": format!("sub-{email}"), "email": email,
           "groups": ["it-admins"], "iat": now(), "exp": now() + 600})
}

fn roles(workspaces: &[String]) -> Vec<RoleConfig> {
    let text = format!(
        r#"
[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive", "users.invite", "users.assign", "users.remove", "users.set_role", "users.set_expiration", "audit.read", "audit.read_all"]
workspaces = "all"
groups = ["it-admins"]

[[roles]]
name = "helpdesk"
permissions = ["users.read", "users.invite", "users.set_expiration", "audit.read"]
workspaces = ["{}", "{}"]
hidden_fields = ["email"]
invite_guests_only = true
emails = ["desk@larkspur.example"]
"#,
        workspaces[0], workspaces[1]
    );
    parse_roles(&text)
}

async fn jwt_app(keys: &Keys, dir: &tempfile::TempDir) -> TestApp {
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [keys.jwk()]}).to_string()).unwrap();
    // Roles need the workspace IDs, which the seeded sandbox decides: start once to read them.
    let probe = spawn_app(Options::default()).await;
    let ws: Vec<String> = (0..3).map(|i| probe.workspace(i)).collect();
    drop(probe);
    spawn_app(Options {
        auth: format!(
            r#"mode = "jwt"
jwt_header = "x-test-assertion"
jwks_file = "{}"
issuer = "{ISSUER}"
audience = "{AUDIENCE}""#,
            jwks.display()
        ),
        roles: Some(roles(&ws)),
        ..Options::default()
    })
    .await
}

async fn with_token(app: &TestApp, token: &str) -> (u16, Value) {
    let r = app
        .http
        .get(format!("{}/api/me", app.url))
        .header("x-test-assertion", token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn jwt_valid_assertion_passes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let (status, me) = with_token(&app, &keys.sign(&claims("ada@larkspur.example"))).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "ada@larkspur.example");
    assert_eq!(me["role"], "org-admin");
    assert!(me.get("demo_roles").is_none());
}

async fn refused(app: &TestApp, token: &str, why: &str) {
    let before = app.sandbox.sandbox.call_counts().values().sum::<u64>();
    let (status, body) = with_token(app, token).await;
    assert_eq!(status, 401, "{why}: {body}");
    assert_eq!(body["error"]["code"], "unauthenticated", "{why}");
    let after = app.sandbox.sandbox.call_counts().values().sum::<u64>();
    assert_eq!(before, after, "{why}: nothing reaches Slack");
}

#[tokio::test]
async fn jwt_bad_signature_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let impostor = Keys::new("k1");
    refused(
        &app,
        &impostor.sign(&claims("ada@larkspur.example")),
        "signed by another key",
    )
    .await;
    // Flip a character in the middle of the signature (the last one may be padding bits).
    let token = keys.sign(&claims("ada@larkspur.example"));
    let at = token.rfind('.').unwrap() + 10;
    let mut bytes = token.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    refused(
        &app,
        &String::from_utf8(bytes).unwrap(),
        "altered signature",
    )
    .await;
    // And a changed payload under the original signature.
    let token = keys.sign(&claims("ada@larkspur.example"));
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims("ada@larkspur.example");
    forged["email"] = json!("mallory@larkspur.example");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged.to_string()),
        parts[2]
    );
    refused(&app, &forged, "changed claims").await;
}

#[tokio::test]
async fn jwt_alg_none_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": "k1"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims("ada@larkspur.example").to_string());
    refused(&app, &format!("{header}.{payload}."), "alg none").await;
}

#[tokio::test]
async fn jwt_hs256_with_the_public_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    // The classic confusion: an HMAC "signed" with the public key as the secret.
    let public = keys.jwk().to_string();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let token = encode(
        &header,
        &claims("ada@larkspur.example"),
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    refused(&app, &token, "HS256 with the public key").await;
}

#[tokio::test]
async fn jwt_wrong_issuer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let mut c = claims("ada@larkspur.example");
    c["iss"] = json!("https://evil.example");
    refused(&app, &keys.sign(&c), "wrong issuer").await;
}

#[tokio::test]
async fn jwt_wrong_audience_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let mut c = claims("ada@larkspur.example");
    c["aud"] = json!("some-other-app");
    refused(&app, &keys.sign(&c), "wrong audience").await;
}

#[tokio::test]
async fn jwt_expired_and_not_yet_valid_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let mut c = claims("ada@larkspur.example");
    c["exp"] = json!(now() - 120);
    refused(&app, &keys.sign(&c), "expired beyond the skew").await;
    let mut c = claims("ada@larkspur.example");
    c["nbf"] = json!(now() + 600);
    refused(&app, &keys.sign(&c), "not valid yet").await;
    // Within the 30-second skew it passes.
    let mut c = claims("ada@larkspur.example");
    c["exp"] = json!(now() - 5);
    let (status, _) = with_token(&app, &keys.sign(&c)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn jwt_unknown_kid_is_refused_and_rotation_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let rotated = Keys::new("k2");
    refused(
        &app,
        &rotated.sign(&claims("ada@larkspur.example")),
        "unknown kid",
    )
    .await;
    // The provider rotates its keys: the JWKS now has k2. Refreshes are rate-limited (30 s),
    // so a second unknown kid right away still fails closed.
    std::fs::write(
        dir.path().join("jwks.json"),
        json!({"keys": [keys.jwk(), rotated.jwk()]}).to_string(),
    )
    .unwrap();
    refused(
        &app,
        &rotated.sign(&claims("ada@larkspur.example")),
        "refresh too soon",
    )
    .await;
}

#[tokio::test]
async fn jwt_missing_duplicated_or_lookalike_headers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let r = app
        .http
        .get(format!("{}/api/me", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let token = keys.sign(&claims("ada@larkspur.example"));
    let r = app
        .http
        .get(format!("{}/api/me", app.url))
        .header("x-test-assertion", &token)
        .header("x-test-assertion", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "two copies of the assertion");
    let r = app
        .http
        .get(format!("{}/api/me", app.url))
        .header("x-test-assertion", &token)
        .header("x_test_assertion", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "an underscore look-alike");
}

#[tokio::test]
async fn signed_in_without_a_role_is_forbidden_with_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::new("k1");
    let app = jwt_app(&keys, &dir).await;
    let mut c = claims("stranger@larkspur.example");
    c["groups"] = json!(["sales"]);
    let (status, body) = with_token(&app, &keys.sign(&c)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "no_role");
    assert_eq!(
        body["error"]["message"],
        "You have no role in Roster. Ask an administrator to add you."
    );
    // A browser navigation gets a page, with the security headers.
    let r = app
        .http
        .get(format!("{}/users", app.url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(r.text().await.unwrap().contains("Sign-in required"));
}

async fn header_app(trusted: &str, extra: &str) -> TestApp {
    // Without a shared secret, header mode needs the operator's explicit opt-out.
    let extra = if extra.contains("shared_secret_file") {
        extra.to_string()
    } else {
        format!("allow_no_shared_secret = true\n{extra}")
    };
    spawn_app(Options {
        auth: format!("mode = \"header\"\ntrusted_proxies = [{trusted}]\n{extra}"),
        roles: Some(
            toml::from_str::<toml::Table>(
                r#"[[roles]]
name = "org-admin"
permissions = ["users.read"]
emails = ["ada@larkspur.example"]"#,
            )
            .map(|t| {
                #[derive(serde::Deserialize)]
                struct R {
                    roles: Vec<RoleConfig>,
                }
                toml::Value::Table(t).try_into::<R>().unwrap().roles
            })
            .unwrap(),
        ),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn header_mode_trusts_only_listed_proxies() {
    let untrusted = header_app("\"10.0.0.0/8\"", "").await;
    let r = untrusted
        .http
        .get(format!("{}/api/me", untrusted.url))
        .header("x-forwarded-email", "ada@larkspur.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a spoofed header from outside the trusted proxies"
    );

    let trusted = header_app("\"127.0.0.1/32\"", "").await;
    let me: Value = trusted
        .http
        .get(format!("{}/api/me", trusted.url))
        .header("x-forwarded-email", "ada@larkspur.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ada@larkspur.example");

    let dup = trusted
        .http
        .get(format!("{}/api/me", trusted.url))
        .header("x-forwarded-email", "ada@larkspur.example")
        .header("x-forwarded-email", "mallory@larkspur.example")
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 401, "duplicated identity header");
    let underscore = trusted
        .http
        .get(format!("{}/api/me", trusted.url))
        .header("x_forwarded_email", "ada@larkspur.example")
        .send()
        .await
        .unwrap();
    assert_eq!(underscore.status(), 401, "underscore variant");
    let both = trusted
        .http
        .get(format!("{}/api/me", trusted.url))
        .header("x-forwarded-email", "ada@larkspur.example")
        .header("x_forwarded_email", "mallory@larkspur.example")
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 401, "a look-alike next to the real header");
}

#[tokio::test]
async fn header_mode_shared_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "0123456789abcdef-proxy-secret\n").unwrap();
    let app = header_app(
        "\"127.0.0.1/32\"",
        &format!(
            "shared_secret_header = \"x-proxy-secret\"\nshared_secret_file = \"{}\"",
            secret.display()
        ),
    )
    .await;
    let ask = |secret: &'static str| {
        app.http
            .get(format!("{}/api/me", app.url))
            .header("x-forwarded-email", "ada@larkspur.example")
            .header("x-proxy-secret", secret)
            .send()
    };
    assert_eq!(ask("wrong-secret-value-xx").await.unwrap().status(), 401);
    assert_eq!(
        ask("0123456789abcdef-proxy-secret").await.unwrap().status(),
        200
    );
}

#[test]
fn configuration_fails_closed() {
    let parse = |text: &str| {
        roster_proxy::config::Config::parse(text, "roster.toml", |_| None)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert!(parse("").starts_with("auth.mode:"));
    assert!(parse("[auth]\nmode = \"header\"").starts_with("auth.trusted_proxies:"));
    assert!(parse("listen = \"0.0.0.0:8080\"\n[auth]\nmode = \"dev\"").starts_with("auth.mode:"));
    assert!(parse("[auth]\nmode = \"jwt\"\npreset = \"cloudflare\"\njwks_url = \"https://x.example/certs\"\nissuer = \"https://x.example\"")
        .starts_with("auth.audience:"));
    assert!(parse("[auth]\nmode = \"jwt\"\npreset = \"pomerium\"\njwks_url = \"https://x\"\nissuer = \"i\"\naudience = \"a\"\nalgorithms = [\"HS256\"]")
        .starts_with("auth.algorithms:"));
    assert!(
        parse("[auth]\nmode = \"dev\"\n[slack]\ntoken = \"xoxp-1\"").starts_with("slack.token:")
    );
    assert!(
        parse("[auth]\nmode = \"dev\"\n[slack]\napi_url = \"slack.com/api\"")
            .starts_with("slack.api_url:")
    );
    assert!(parse("lisen = \"x\"\n[auth]\nmode = \"dev\"").contains("unknown field `lisen`"));
    // Environment overrides.
    let config = roster_proxy::config::Config::parse(
        "[auth]\nmode = \"header\"\ntrusted_proxies = [\"127.0.0.1/32\"]\nallow_no_shared_secret = true",
        "roster.toml",
        |k| match k {
            "ROSTER_SLACK_API_URL" => Some("http://127.0.0.1:9/api/".into()),
            "ROSTER_SLACK_REFRESH_MINUTES" => Some("7".into()),
            _ => None,
        },
    )
    .unwrap();
    assert_eq!(config.slack.api_url, "http://127.0.0.1:9/api/");
    assert_eq!(config.slack.refresh_minutes, 7);
}

#[tokio::test]
async fn helpdesk_sees_less_and_cannot_remove() {
    let app = spawn_app(Options::default()).await;
    let scope = [app.workspace(0), app.workspace(1)];
    let outside = app.workspace(2);
    let (_, page) = app.get_as("helpdesk", "/api/users?limit=1000").await;
    let users = page["users"].as_array().unwrap();
    assert!(!users.is_empty());
    for u in users {
        assert!(u.get("email").is_none(), "emails hidden: {u}");
        assert!(
            u.get("has_2fa").is_none() && u.get("has_sso").is_none(),
            "2FA/SSO hidden: {u}"
        );
        let ws = u["workspaces"].as_array().unwrap();
        assert!(
            !ws.is_empty()
                && ws
                    .iter()
                    .all(|w| scope.contains(&w.as_str().unwrap().to_string())),
            "{u}"
        );
    }
    let only_outside = app.find(|u| u.summary.workspaces == [outside.as_str().into()]);
    assert!(
        !users
            .iter()
            .any(|u| u["id"] == only_outside.summary.id.as_str()),
        "out-of-scope users absent"
    );
    let (status, _) = app
        .get_as(
            "helpdesk",
            &format!("/api/users/{}", only_outside.summary.id),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get_as("helpdesk", "/api/users?has_2fa=false").await;
    assert_eq!(status, 403, "no filtering on a hidden field");
    let (status, _) = app.get_as("helpdesk", "/api/users?sort=email").await;
    assert_eq!(status, 403, "no sorting on a hidden field");
    let (_, ws) = app.get_as("helpdesk", "/api/workspaces").await;
    assert_eq!(ws.as_array().unwrap().len(), 2);
    let (_, me) = app.get_as("helpdesk", "/api/me").await;
    assert!(
        me["hidden_fields"]
            .as_array()
            .unwrap()
            .contains(&json!("email"))
    );
    assert!(
        !me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("users.remove"))
    );

    // Remove: 403, and Slack never hears of it.
    let member = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.summary.is_on(&scope[0])
    });
    let (status, err) = app
        .post_as(
            "helpdesk",
            &format!("/api/users/{}/remove", member.summary.id),
            json!({"workspace": scope[0]}),
        )
        .await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(err["error"]["code"], "forbidden");
    assert_eq!(app.calls("admin.users.remove"), 0);
    // Members may not be invited by this role; guests may, on its workspaces only.
    let c = app.channel_on(&scope[0]);
    let (status, _) = app
        .post_as(
            "helpdesk",
            "/api/users/invite",
            json!({"email": "m@x.example", "workspace": scope[0], "channels": [c]}),
        )
        .await;
    assert_eq!(status, 403);
    let c2 = app.channel_on(&outside);
    let (status, _) = app.post_as("helpdesk", "/api/users/invite", json!({"email": "g@x.example", "workspace": outside, "channels": [c2], "guest": "multi_channel"})).await;
    assert_eq!(status, 403);
    assert_eq!(app.calls("admin.users.invite"), 0);
    let (status, r) = app.post_as("helpdesk", "/api/users/invite", json!({"email": "g@x.example", "workspace": scope[0], "channels": [c], "guest": "multi_channel"})).await;
    assert_eq!(status, 200, "{r}");
    assert!(
        r["user"].get("email").is_none(),
        "even in answers to its own actions"
    );
    // Owners are off limits to a role that cannot set roles.
    let owner = app.find(|u| u.summary.user_type == UserType::Owner && u.summary.is_on(&scope[0]));
    let (status, _) = app
        .post_as(
            "helpdesk",
            &format!("/api/users/{}/expiration", owner.summary.id),
            json!({"workspace": scope[0], "expires": null}),
        )
        .await;
    assert!(status == 403 || status == 422, "{status}");

    // Every refusal is in the audit log; the help desk reads only its own entries.
    let rows = app.audit_rows().await;
    let denied = rows
        .iter()
        .filter(|r| r.outcome == roster_api::AuditOutcome::Denied)
        .count();
    assert!(denied >= 3, "{rows:?}");
    let (_, own) = app.get_as("helpdesk", "/api/audit").await;
    assert!(
        own["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_email"] == "helpdesk@demo.roster.invalid")
    );
    let (status, _) = app.get_as("helpdesk", "/api/audit?limit=5").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn auditor_reads_but_cannot_change() {
    let app = spawn_app(Options::default()).await;
    let (status, _) = app.get_as("auditor", "/api/audit").await;
    assert_eq!(status, 200);
    let user = app.find(|u| {
        u.summary.user_type == UserType::Member && u.summary.status == UserStatus::Active
    });
    let w = user.summary.workspaces[0].clone();
    let (status, _) = app
        .post_as(
            "auditor",
            &format!("/api/users/{}/role", user.summary.id),
            json!({"workspace": w, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.calls("admin.users.setAdmin"), 0);
}

#[tokio::test]
async fn changes_need_roster_s_own_headers_and_origin() {
    let app = spawn_app(Options::default()).await;
    let user = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.memberships.len() == 1
    });
    let url = format!("{}/api/users/{}/role", app.url, user.summary.id);
    let body = json!({"workspace": user.summary.workspaces[0], "role": "admin"});
    let send = |headers: &[(&str, &str)]| {
        let mut req = app.http.post(&url).json(&body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let origin = app.origin();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("origin", origin.as_str())], "no X-Roster-Request"),
        (&[("x-roster-request", "1")], "no Origin"),
        (
            &[
                ("x-roster-request", "1"),
                ("origin", "https://evil.example"),
            ],
            "foreign Origin",
        ),
        (
            &[
                ("x-roster-request", "1"),
                ("origin", origin.as_str()),
                ("sec-fetch-site", "cross-site"),
            ],
            "cross-site fetch",
        ),
    ];
    for (headers, why) in cases {
        let r = send(headers).await.unwrap();
        assert_eq!(r.status(), 403, "{why}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "cross_site_request", "{why}");
    }
    assert_eq!(
        app.calls("admin.users.setAdmin"),
        0,
        "nothing reached Slack"
    );
    // GET never changes anything.
    let r = app.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let ok = send(&[
        ("x-roster-request", "1"),
        ("origin", origin.as_str()),
        ("sec-fetch-site", "same-origin"),
    ])
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(app.calls("admin.users.setAdmin"), 1);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(Options::default()).await;
    for path in ["/api/users?limit=1", "/api/nope", "/healthz"] {
        let r = app
            .http
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

#[tokio::test]
async fn a_person_cannot_flood_slack_with_changes() {
    let app = spawn_app(Options::default()).await;
    let mut limited = false;
    for _ in 0..70 {
        let (status, _) = app
            .post(
                "/api/users/W0NOPE000/remove",
                json!({"workspace": "T0NOPE000"}),
            )
            .await;
        if status == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "60 changes a minute per person");
}

#[test]
fn the_example_configuration_is_valid() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../roster.example.toml"
    ))
    .unwrap();
    let config =
        roster_proxy::config::Config::parse(&text, "roster.example.toml", |_| None).unwrap();
    let names: Vec<&str> = config.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["org-admin", "helpdesk", "auditor"]);
    assert!(config.roles[1].invite_guests_only);
}

#[tokio::test]
async fn people_are_found_by_complete_address_only_on_the_callers_workspaces() {
    let mut app_options = Options::default();
    // Workspaces are known only once the sandbox is up: the roles name the first one.
    let probe = spawn_app(Options::default()).await;
    let inside = probe.workspace(0);
    drop(probe);
    app_options.roles = Some(parse_roles(&format!(
        r#"
[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive"]
workspaces = "all"

[[roles]]
name = "regional"
permissions = ["users.read"]
workspaces = ["{inside}"]

[[roles]]
name = "desk"
permissions = ["users.read"]
workspaces = ["{inside}"]
hidden_fields = ["email"]

[[roles]]
name = "desk-lookup"
permissions = ["users.read", "users.lookup_by_email"]
workspaces = ["{inside}"]
hidden_fields = ["email"]
"#
    )));
    let app = spawn_app(app_options).await;
    assert_eq!(app.workspace(0), inside, "the same seeded org");
    let on = |u: &roster_proxy::directory::DirUser, w: &str| {
        u.memberships.iter().any(|m| *m.workspace == *w)
    };
    let both = app.find(|u| u.summary.email.is_some() && on(u, &inside) && u.memberships.len() > 1);
    let outside = app.find(|u| u.summary.email.is_some() && !on(u, &inside));
    let both_email = both.summary.email.clone().unwrap();
    let outside_email = outside.summary.email.clone().unwrap();
    let partial = both_email.split('@').next().unwrap().to_string();
    let emails = json!({"emails": [
        format!("  {}  ", both_email.to_uppercase()),
        outside_email,
        "nobody@nowhere.example",
        partial,
    ]});
    let slack_calls = || -> u64 { app.sandbox.sandbox.handled_counts().values().sum() };
    let before = slack_calls();

    let (status, body) = app.post("/api/users/by-email", emails.clone()).await;
    assert_eq!(status, 200, "{body}");
    let matches = body["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 4);
    assert_eq!(matches[0]["email"], both_email.to_uppercase(), "trimmed");
    assert_eq!(matches[0]["user"]["id"], both.summary.id.as_str());
    assert_eq!(matches[1]["user"]["id"], outside.summary.id.as_str());
    assert!(matches[2].get("user").is_none(), "{body}");
    assert!(
        matches[3].get("user").is_none(),
        "part of an address: {body}"
    );

    // Limited to one workspace: the person elsewhere reads exactly like nobody, and the
    // person found shows only the role's workspace.
    let (status, body) = app
        .post_as("regional", "/api/users/by-email", emails.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let matches = body["matches"].as_array().unwrap();
    assert_eq!(matches[0]["user"]["id"], both.summary.id.as_str());
    assert_eq!(matches[0]["user"]["workspaces"], json!([inside]));
    assert_eq!(matches[1], json!({"email": outside_email}));
    assert_eq!(matches[2], json!({"email": "nobody@nowhere.example"}));

    // A role that may not see addresses may not look people up by them.
    let (status, body) = app
        .post_as("desk", "/api/users/by-email", emails.clone())
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("email"),
        "{body}"
    );

    let (status, body) = app
        .get_as("desk", &format!("/api/users?q={both_email}"))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot search by email"),
        "{body}"
    );

    // With users.lookup_by_email: found by the complete address, never shown it.
    let (status, body) = app
        .post_as("desk-lookup", "/api/users/by-email", emails.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let matches = body["matches"].as_array().unwrap();
    assert_eq!(matches[0]["user"]["id"], both.summary.id.as_str());
    assert!(matches[0]["user"].get("email").is_none(), "{body}");
    assert_eq!(matches[1], json!({"email": outside_email}));
    let desk = &app;
    let search = |q: String| async move {
        let (status, body) = desk
            .get_as(
                "desk-lookup",
                &format!("/api/users?q={}", q.replace('+', "%2B")),
            )
            .await;
        assert_eq!(status, 200, "{q}: {body}");
        body
    };
    let found = search(both_email.to_uppercase()).await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["users"][0]["id"], both.summary.id.as_str());
    assert!(found["users"][0].get("email").is_none(), "{found}");
    assert_eq!(found["matched_by_email"], both.summary.id.as_str());
    let domain = both_email.split('@').nth(1).unwrap();
    for part in [
        format!("{partial}@"),
        format!("@{domain}"),
        both_email[1..].to_string(),
    ] {
        let body = search(part.clone()).await;
        assert_eq!(body["total"], 0, "{part}: {body}");
        assert!(body.get("matched_by_email").is_none(), "{part}: {body}");
    }
    let elsewhere = search(outside_email.clone()).await;
    assert_eq!(elsewhere["total"], 0, "{elsewhere}");
    // A role that sees addresses is told nothing more: the address is in the row.
    let (_, plain) = app.get(&format!("/api/users?q={both_email}")).await;
    assert_eq!(plain["users"][0]["id"], both.summary.id.as_str());
    assert!(plain.get("matched_by_email").is_none(), "{plain}");

    // Too many addresses: refused as a whole.
    let many: Vec<String> = (0..=roster_api::EmailLookup::MAX_EMAILS)
        .map(|i| format!("p{i}@x.example"))
        .collect();
    let (status, body) = app
        .post("/api/users/by-email", json!({"emails": many}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "emails", "{body}");
    // The lookup reads Roster's directory, not Slack.
    assert_eq!(slack_calls(), before, "Slack was called");
}

#[tokio::test]
async fn a_hidden_address_finds_only_its_owner_whatever_lies_outside_the_scope() {
    let probe = spawn_app(Options::default()).await;
    let inside = probe.workspace(0);
    drop(probe);
    let app = spawn_app(Options {
        roles: Some(parse_roles(&format!(
            r#"
[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive"]
workspaces = "all"

[[roles]]
name = "desk-lookup"
permissions = ["users.read", "users.lookup_by_email"]
workspaces = ["{inside}"]
hidden_fields = ["email"]
"#
        ))),
        ..Options::default()
    })
    .await;
    use roster_proxy::directory::DirUser;
    let on = |u: &DirUser, w: &str| u.memberships.iter().any(|m| *m.workspace == *w);
    let person = app.find(|u| u.summary.email.is_some() && on(u, &inside));
    let outsider = app.find(|u| u.summary.email.is_some() && !on(u, &inside));
    let everyone = app.find_all(|_| true);
    assert_eq!(everyone.len(), app.state.directory.len());
    // The directory with these two addresses, the outsider first.
    let arrange = |person_email: &str, outsider_email: &str| {
        let with = |u: &DirUser, email: &str| {
            let mut summary = u.summary.clone();
            summary.email = Some(email.into());
            DirUser::new(summary, u.memberships.clone())
        };
        let mut users = vec![with(&outsider, outsider_email)];
        users.extend(everyone.iter().filter_map(|u| {
            if u.summary.id == outsider.summary.id {
                None
            } else if u.summary.id == person.summary.id {
                Some(with(u, person_email))
            } else {
                Some(u.clone())
            }
        }));
        app.state
            .directory
            .replace(users, app.state.directory.workspaces(), now());
    };
    let search = |q: &'static str| {
        let app = &app;
        async move {
            let (status, page) = app
                .get_as("desk-lookup", &format!("/api/users?q={q}"))
                .await;
            assert_eq!(status, 200, "{page}");
            let resp = app
                .http
                .get(format!("{}/api/users/export.csv?q={q}", app.url))
                .header("cookie", "roster_demo_role=desk-lookup")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let csv = resp.text().await.unwrap();
            let (status, found) = app
                .post_as("desk-lookup", "/api/users/by-email", json!({"emails": [q]}))
                .await;
            assert_eq!(status, 200, "{found}");
            (page, csv, found["matches"][0]["user"].clone())
        }
    };
    let id = person.summary.id.as_str();

    // Someone outside the scope whose address differs from the person's only by an accent
    // keeps nobody from finding the person by theirs.
    arrange(
        "lukasz.zielinski.test@larkspur.example",
        "łukasz.zielinski.test@larkspur.example",
    );
    let (page, csv, found) = search("lukasz.zielinski.test@larkspur.example").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["users"][0]["id"], id, "{page}");
    assert_eq!(page["matched_by_email"], id, "{page}");
    assert!(csv.contains(id), "{csv}");
    assert_eq!(found["id"], id);

    // An address that is not the person's, though it differs only by an accent, does not
    // find them: not in the search, not in the export, not by address.
    arrange(
        "łukasz.zielinski.test@larkspur.example",
        "someone.else.test@larkspur.example",
    );
    let (page, csv, found) = search("lukasz.zielinski.test@larkspur.example").await;
    assert_eq!(page["total"], 0, "{page}");
    assert!(page.get("matched_by_email").is_none(), "{page}");
    assert!(!csv.contains(id), "{csv}");
    assert!(found.is_null(), "{found}");
}
