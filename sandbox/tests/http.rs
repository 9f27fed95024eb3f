//! The sandbox over real HTTP: request shapes, 429s with `Retry-After`, injected faults.

use std::net::SocketAddr;

use roster_sandbox::{RunningSandbox, Sandbox, SandboxConfig, ratelimit::RateLimitMode};
use serde_json::{Value, json};

async fn serve(rate_limits: RateLimitMode) -> RunningSandbox {
    Sandbox::new(SandboxConfig {
        users: 200,
        seed: 5,
        rate_limits,
        epoch: Some(4_000_000_000),
        ..SandboxConfig::default()
    })
    .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .unwrap()
}

fn admin_token(sb: &RunningSandbox) -> String {
    sb.sandbox.tokens().org_admin.clone()
}

#[tokio::test]
async fn accepts_get_form_and_json_with_either_token_placement() {
    let sb = serve(RateLimitMode::Off).await;
    let http = reqwest::Client::new();
    let token = admin_token(&sb);
    let url = format!("{}admin.users.list", sb.api_url());

    let get: Value = http
        .get(format!("{url}?token={token}&limit=3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(get["users"].as_array().unwrap().len(), 3, "{get}");

    let form: Value = http
        .post(&url)
        .bearer_auth(&token)
        .form(&[("limit", "4")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["users"].as_array().unwrap().len(), 4);

    let json_body: Value = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"limit": 5, "is_active": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json_body["users"].as_array().unwrap().len(), 5);

    // A JSON body's token field does not authenticate.
    let no_header: Value = http
        .post(&url)
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(no_header, json!({"ok": false, "error": "not_authed"}));

    let unknown = http
        .post(format!("{}admin.users.frobnicate", sb.api_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 200);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(unknown["error"], "unknown_method");
    assert_eq!(unknown["req_method"], "admin.users.frobnicate");
}

#[tokio::test]
async fn a_tier_2_method_answers_429_with_retry_after() {
    let sb = serve(RateLimitMode::Real).await;
    let http = reqwest::Client::new();
    let token = admin_token(&sb);
    let url = format!("{}users.list", sb.api_url());
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..25 {
        let resp = http
            .post(&url)
            .bearer_auth(&token)
            .form(&[("limit", "1")])
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
        if resp.status() == 429 {
            retry_after = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body, json!({"ok": false, "error": "ratelimited"}));
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(statuses[20..], [429; 5]);
    let retry_after: u64 = retry_after
        .unwrap()
        .parse()
        .expect("an integer Retry-After");
    assert!((1..=3).contains(&retry_after));
    // Another method has its own budget.
    let other = http
        .post(format!("{}admin.users.list", sb.api_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn scaled_limits_recover_after_retry_after() {
    let sb = serve(RateLimitMode::Scale(30.0)).await;
    let http = reqwest::Client::new();
    let token = admin_token(&sb);
    let url = format!("{}users.list", sb.api_url());
    let mut limited = None;
    for _ in 0..40 {
        let resp = http
            .post(&url)
            .bearer_auth(&token)
            .form(&[("limit", "1")])
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            limited = Some(
                resp.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
            break;
        }
    }
    let wait = limited.expect("scaled limits still limit");
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let resp = http
        .post(&url)
        .bearer_auth(&token)
        .form(&[("limit", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn injected_faults() {
    let sb = serve(RateLimitMode::Off).await;
    let http = reqwest::Client::new();
    let token = admin_token(&sb);
    let base = format!("http://{}", sb.addr);
    let set = |method: &str, faults: Value| {
        let mut body = faults;
        body["method"] = json!(method);
        http.post(format!("{base}/_sandbox/faults"))
            .json(&body)
            .send()
    };
    let list = || {
        http.post(format!("{}admin.users.list", sb.api_url()))
            .bearer_auth(&token)
            .send()
    };

    let set_status = set(
        "admin.users.list",
        json!({"next": ["internal_error", "http_500", "drop"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        set_status.status(),
        204,
        "{}",
        set_status.text().await.unwrap()
    );
    let bad = set("admin.users.list", json!({"next": ["meteor"]}))
        .await
        .unwrap();
    assert_eq!(bad.status(), 422, "an unknown fault is refused");
    let r: Value = list().await.unwrap().json().await.unwrap();
    assert_eq!(
        r["error"], "internal_error",
        "expected the injected internal_error"
    );
    assert_eq!(r.as_object().unwrap().len(), 2);
    assert_eq!(list().await.unwrap().status(), 500);
    let dropped = match list().await {
        Err(e) => e.to_string(),
        Ok(resp) => resp
            .text()
            .await
            .expect_err("the body must fail")
            .to_string(),
    };
    assert!(!dropped.is_empty());
    assert_eq!(list().await.unwrap().status(), 200, "faults used up");

    // fatal_error on a write: the change happened, the reply says it failed.
    let (team, channel) = sb.sandbox.with_org(|o| {
        let t = o.teams[0].id.clone();
        let c = o
            .channels
            .values()
            .find(|c| c.team_id == t)
            .unwrap()
            .id
            .clone();
        (t, c)
    });
    set("admin.users.invite", json!({"next": ["fatal_error"]}))
        .await
        .unwrap();
    let r: Value = http
        .post(format!("{}admin.users.invite", sb.api_url()))
        .bearer_auth(&token)
        .form(&[
            ("email", "ghost@partner.example"),
            ("team_id", &team),
            ("channel_ids", &channel),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "fatal_error");
    assert!(
        sb.sandbox
            .with_org(|o| o.user_by_email("ghost@partner.example").is_some())
    );

    // Latency.
    set("auth.test", json!({"latency_ms": 300})).await.unwrap();
    let started = std::time::Instant::now();
    http.post(format!("{}auth.test", sb.api_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    http.delete(format!("{base}/_sandbox/faults"))
        .send()
        .await
        .unwrap();
    let counts: Value = http
        .get(format!("{base}/_sandbox/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["admin.users.list"], 4);
    assert_eq!(counts["admin.users.invite"], 1);
}

#[tokio::test]
async fn serves_profile_images() {
    let sb = serve(RateLimitMode::Off).await;
    let hash = sb
        .sandbox
        .with_org(|o| o.users.values().next().unwrap().avatar_hash.clone());
    let resp = reqwest::get(format!("http://{}/avatars/{hash}_72.svg", sb.addr))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    assert!(resp.text().await.unwrap().starts_with("<svg"));
    let missing = reqwest::get(format!("http://{}/avatars/nope_72.svg", sb.addr))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
