//! The sandbox over real HTTP: request shapes, 429s with `Retry-After`, injected faults.

use std::{collections::HashSet, net::SocketAddr};

use roster_sandbox::{
    RunningSandbox, Sandbox, SandboxConfig, org::OrgRole, ratelimit::RateLimitMode,
};
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

/// A POST to `method` as the org admin: a form with these pairs, or a JSON body.
async fn post(sb: &RunningSandbox, method: &str, body: Body) -> Value {
    let req = reqwest::Client::new()
        .post(format!("{}{method}", sb.api_url()))
        .bearer_auth(admin_token(sb));
    let req = match body {
        Body::Form(pairs) => req.form(&pairs),
        Body::Json(v) => req.json(&v),
    };
    req.send().await.unwrap().json().await.unwrap()
}

enum Body {
    Form(Vec<(&'static str, String)>),
    Json(Value),
}

/// The three ways a list arrives: comma-separated (slack_sdk for Python), a JSON array
/// inside a form field (Slack's Node SDK), a real array in a JSON body.
fn list_forms(name: &'static str, items: &[&str], rest: &[(&'static str, &str)]) -> [Body; 3] {
    let form = |value: String| {
        let mut pairs = vec![(name, value)];
        pairs.extend(rest.iter().map(|(k, v)| (*k, v.to_string())));
        Body::Form(pairs)
    };
    let mut json_body = serde_json::Map::new();
    json_body.insert(name.to_string(), json!(items));
    for (k, v) in rest {
        json_body.insert(k.to_string(), json!(v));
    }
    [
        form(items.join(",")),
        form(serde_json::to_string(items).unwrap()),
        Body::Json(Value::Object(json_body)),
    ]
}

#[tokio::test]
async fn list_arguments_in_every_form_on_every_method_that_takes_one() {
    let sb = serve(RateLimitMode::Off).await;
    let (teams, channels) = sb.sandbox.with_org(|o| {
        let teams: Vec<String> = o.teams.iter().map(|t| t.id.clone()).collect();
        let channels: Vec<String> = o
            .channels
            .values()
            .filter(|c| c.team_id == teams[1] && !c.is_private)
            .take(2)
            .map(|c| c.id.clone())
            .collect();
        (teams, channels)
    });
    let chans: Vec<&str> = channels.iter().map(String::as_str).collect();

    // admin.conversations.search: team_ids.
    for body in list_forms("team_ids", &[&teams[0], &teams[1]], &[("limit", "20")]) {
        let r = post(&sb, "admin.conversations.search", body).await;
        assert_eq!(r["ok"], true, "{r}");
        let found: HashSet<&str> = r["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["context_team_id"].as_str().unwrap())
            .collect();
        assert!(found.contains(teams[0].as_str()) && found.contains(teams[1].as_str()));
    }

    // admin.users.invite: channel_ids.
    for (n, body) in list_forms(
        "channel_ids",
        &chans,
        &[("team_id", &teams[1]), ("email", "placeholder")],
    )
    .into_iter()
    .enumerate()
    {
        let email = format!("list.form{n}@partner.example");
        let body = match body {
            Body::Form(mut pairs) => {
                pairs.retain(|(k, _)| *k != "email");
                pairs.push(("email", email.clone()));
                Body::Form(pairs)
            }
            Body::Json(mut v) => {
                v["email"] = json!(email);
                Body::Json(v)
            }
        };
        let r = post(&sb, "admin.users.invite", body).await;
        assert_eq!(r, json!({"ok": true}));
        let got = sb.sandbox.with_org(|o| {
            let u = o.user_by_email(&email).unwrap();
            u.memberships[&teams[1]].channels.clone()
        });
        assert_eq!(got, channels);
    }

    // admin.users.assign: channel_ids.
    let members: Vec<String> = sb.sandbox.with_org(|o| {
        o.users
            .values()
            .filter(|u| {
                u.guest.is_none()
                    && !u.is_bot
                    && !u.is_deactivated()
                    && !u.memberships.contains_key(&teams[1])
            })
            .take(3)
            .map(|u| u.id.clone())
            .collect()
    });
    for (user, body) in members.iter().zip(list_forms(
        "channel_ids",
        &chans,
        &[("team_id", &teams[1]), ("user_id", "placeholder")],
    )) {
        let body = match body {
            Body::Form(mut pairs) => {
                pairs.retain(|(k, _)| *k != "user_id");
                pairs.push(("user_id", user.clone()));
                Body::Form(pairs)
            }
            Body::Json(mut v) => {
                v["user_id"] = json!(user);
                Body::Json(v)
            }
        };
        let r = post(&sb, "admin.users.assign", body).await;
        assert_eq!(r, json!({"ok": true}));
        let got = sb
            .sandbox
            .with_org(|o| o.users[user].memberships[&teams[1]].channels.clone());
        assert_eq!(got, channels);
    }

    // users.conversations: types.
    let someone = &members[0];
    for body in list_forms(
        "types",
        &["public_channel", "private_channel"],
        &[("user", someone)],
    ) {
        let r = post(&sb, "users.conversations", body).await;
        assert_eq!(r["ok"], true, "{r}");
    }

    // admin.users.session.getSettings: user_ids.
    for body in list_forms("user_ids", &[&members[0], &members[1]], &[]) {
        let r = post(&sb, "admin.users.session.getSettings", body).await;
        assert_eq!(
            r["no_settings_applied"],
            json!([members[0], members[1]]),
            "{r}"
        );
    }
}

#[tokio::test]
async fn booleans_as_python_node_and_json_send_them() {
    let sb = serve(RateLimitMode::Off).await;
    let users: Vec<String> = sb.sandbox.with_org(|o| {
        let mut by_user: std::collections::BTreeMap<&str, HashSet<_>> = Default::default();
        for s in o.sessions.values() {
            by_user.entry(&s.user_id).or_default().insert(s.device);
        }
        by_user
            .into_iter()
            .filter(|(id, d)| d.len() == 3 && o.users[*id].org_role == OrgRole::Regular)
            .map(|(id, _)| id.to_string())
            .take(3)
            .collect()
    });
    let mobile_left = |id: &str| {
        sb.sandbox.with_org(|o| {
            o.sessions
                .values()
                .any(|s| s.user_id == id && s.device == roster_sandbox::org::Device::Mobile)
        })
    };
    let bodies = [
        Body::Form(vec![
            ("user_id", users[0].clone()),
            ("mobile_only", "1".into()),
        ]),
        Body::Form(vec![
            ("user_id", users[1].clone()),
            ("mobile_only", "true".into()),
        ]),
        Body::Json(json!({"user_id": users[2], "mobile_only": true})),
    ];
    for (id, body) in users.iter().zip(bodies) {
        let r = post(&sb, "admin.users.session.reset", body).await;
        assert_eq!(r, json!({"ok": true}));
        assert!(!mobile_left(id));
        let all_left = sb
            .sandbox
            .with_org(|o| o.sessions.values().filter(|s| &s.user_id == id).count());
        assert_eq!(all_left, 2, "only the mobile session ended");
    }
    // And "0", "false", false mean no.
    for body in [
        Body::Form(vec![
            ("user_ids", users[0].clone()),
            ("desktop_app_browser_quit", "0".into()),
        ]),
        Body::Form(vec![
            ("user_ids", users[1].clone()),
            ("desktop_app_browser_quit", "false".into()),
        ]),
        Body::Json(json!({"user_ids": [users[2]], "desktop_app_browser_quit": false})),
    ] {
        let r = post(&sb, "admin.users.session.setSettings", body).await;
        assert_eq!(r, json!({"ok": true}));
    }
    let r = post(
        &sb,
        "admin.users.session.getSettings",
        Body::Json(json!({"user_ids": users})),
    )
    .await;
    for s in r["session_settings"].as_array().unwrap() {
        assert_eq!(s["desktop_app_browser_quit"], false);
    }
}

#[tokio::test]
async fn new_methods_are_rate_limited_at_their_tier() {
    let sb = serve(RateLimitMode::Real).await;
    let user = sb
        .sandbox
        .with_org(|o| o.sessions.values().next().unwrap().user_id.clone());
    let http = reqwest::Client::new();
    for (method, args, allowed) in [
        ("admin.users.session.list", vec![("limit", "1")], 20),
        ("admin.inviteRequests.list", vec![("team_id", "")], 20),
        (
            "admin.users.session.getSettings",
            vec![("user_ids", user.as_str())],
            100,
        ),
    ] {
        let team = sb.sandbox.with_org(|o| o.teams[0].id.clone());
        let args: Vec<(&str, &str)> = args
            .into_iter()
            .map(|(k, v)| {
                if k == "team_id" {
                    (k, team.as_str())
                } else {
                    (k, v)
                }
            })
            .collect();
        let mut statuses = Vec::new();
        for _ in 0..allowed + 2 {
            let resp = http
                .post(format!("{}{method}", sb.api_url()))
                .bearer_auth(admin_token(&sb))
                .form(&args)
                .send()
                .await
                .unwrap();
            statuses.push(resp.status().as_u16());
            if resp.status() == 429 {
                assert!(resp.headers().contains_key("retry-after"));
            } else {
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["ok"], true, "{method}: {body}");
            }
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            allowed,
            "{method}: {statuses:?}"
        );
        assert_eq!(statuses[allowed..], [429, 429], "{method}");
    }
}

#[tokio::test]
async fn faults_and_counters_cover_the_new_methods() {
    let sb = serve(RateLimitMode::Off).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", sb.addr);
    let (user, request, team) = sb.sandbox.with_org(|o| {
        let user = o
            .users
            .values()
            .find(|u| u.org_role == OrgRole::Regular && !u.is_bot && !u.is_deactivated())
            .unwrap()
            .id
            .clone();
        let r = o.invite_requests.values().find(|r| r.is_pending()).unwrap();
        (user, r.id.clone(), r.team_id.clone())
    });
    let set = |method: &str, next: &[&str]| {
        http.post(format!("{base}/_sandbox/faults"))
            .json(&json!({"method": method, "next": next}))
            .send()
    };
    // fatal_error after the write: deactivated, though the answer says otherwise.
    set("admin.users.deactivate", &["fatal_error"])
        .await
        .unwrap();
    let r = post(
        &sb,
        "admin.users.deactivate",
        Body::Form(vec![("user_id", user.clone())]),
    )
    .await;
    assert_eq!(r, json!({"ok": false, "error": "fatal_error"}));
    assert!(sb.sandbox.with_org(|o| o.users[&user].is_deactivated()));
    // internal_error before it: the request stays pending.
    set("admin.inviteRequests.approve", &["internal_error"])
        .await
        .unwrap();
    let approve = || {
        post(
            &sb,
            "admin.inviteRequests.approve",
            Body::Form(vec![
                ("team_id", team.clone()),
                ("invite_request_id", request.clone()),
            ]),
        )
    };
    assert_eq!(approve().await["error"], "internal_error");
    assert!(
        sb.sandbox
            .with_org(|o| o.invite_requests[&request].is_pending())
    );
    assert_eq!(approve().await, json!({"ok": true}));

    let handled: Value = http
        .get(format!("{base}/_sandbox/handled"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(handled["admin.users.deactivate"], 1);
    assert_eq!(handled["admin.inviteRequests.approve"], 1);
    let calls: Value = http
        .get(format!("{base}/_sandbox/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["admin.inviteRequests.approve"], 2);

    // The job delay control.
    let status = http
        .post(format!("{base}/_sandbox/job-delay"))
        .json(&json!({"ms": 0}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
}
