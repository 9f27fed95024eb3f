//! The proxy's API against a real sandbox: reads, actions, validation, Slack failures,
//! snapshot persistence and the OpenAPI document.

mod common;

use common::*;
use roster_api::{UserStatus, UserType};
use roster_sandbox::ratelimit::RateLimitMode;
use serde_json::{Value, json};

fn names(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn users_list_filters_sorts_and_pages() {
    let app = spawn_app(Options::default()).await;
    let (status, all) = app.get("/api/users?limit=1000").await;
    assert_eq!(status, 200);
    assert_eq!(all["total"], 300);
    assert_eq!(all["sync"]["state"], "done");
    assert!(all["synced_at"].as_i64().unwrap() > 0);
    let listed = names(&all);
    let mut sorted = listed.clone();
    sorted.sort_by_key(|n| roster_proxy::directory::fold(n));
    assert_eq!(listed, sorted, "sorted by name by default");

    let (_, guests) = app
        .get("/api/users?type=multi_channel_guest&limit=1000")
        .await;
    assert!(guests["total"].as_u64().unwrap() > 0);
    assert!(
        guests["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["type"] == "multi_channel_guest")
    );

    let (_, gone) = app.get("/api/users?status=deactivated").await;
    assert!(
        gone["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["status"] == "deactivated")
    );

    let w = app.workspace(1);
    let (_, on_w) = app
        .get(&format!("/api/users?workspace={w}&limit=1000"))
        .await;
    assert!(on_w["users"].as_array().unwrap().iter().all(|u| {
        u["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == w.as_str())
    }));

    let (_, no_2fa) = app.get("/api/users?has_2fa=false").await;
    assert!(
        no_2fa["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["has_2fa"] == false)
    );

    // Accent- and case-insensitive search.
    let accented = app.find(|u| u.summary.name.chars().any(|c| "ŁłöüéáíóúÖÜÉÁ".contains(c)));
    let plain: String = roster_proxy::directory::fold(&accented.summary.name).to_uppercase();
    let (_, found) = app
        .get(&format!("/api/users?q={}", plain.replace(' ', "%20")))
        .await;
    assert!(
        names(&found).contains(&accented.summary.name),
        "{plain} finds {}",
        accented.summary.name
    );

    let (_, desc) = app.get("/api/users?sort=created&dir=desc&limit=5").await;
    let created: Vec<i64> = desc["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["created"].as_i64().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");

    let (_, page2) = app.get("/api/users?offset=100&limit=50").await;
    assert_eq!(names(&page2), listed[100..150].to_vec());
    assert_eq!(page2["offset"], 100);
    assert_eq!(page2["limit"], 50);
}

#[tokio::test]
async fn bad_queries_get_clear_errors() {
    let app = spawn_app(Options::default()).await;
    let (status, body) = app.get("/api/users?limit=0").await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "limit");
    let (status, body) = app.get("/api/users?limit=5000").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.get("/api/users?type=wizard").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_request");
    let (status, body) = app.get("/api/users?workspace=T0NOPE000").await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "workspace");
    let (status, body) = app.get("/api/users/W0NOPE000").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = app.get("/api/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn users_export_is_the_filtered_view_with_the_role_s_columns() {
    let app = spawn_app(Options::default()).await;
    let csv = |role: &str, qs: &str| {
        let url = format!("{}/api/users/export.csv?{qs}", app.url);
        let client = app.http.clone();
        let role = role.to_string();
        async move {
            let r = client
                .get(url)
                .header("cookie", format!("roster_demo_role={role}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
            r.text().await.unwrap()
        }
    };
    let all = csv("org-admin", "type=multi_channel_guest").await;
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,username,email,type,status,workspaces,has_2fa,has_sso,created_utc,expires_utc,deactivated_utc"
    );
    let (_, page) = app.get("/api/users?type=multi_channel_guest").await;
    assert_eq!(lines.len() - 1, page["total"].as_u64().unwrap() as usize);
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(",multi_channel_guest,"))
    );
    let desk = csv("helpdesk", "").await;
    assert_eq!(
        desk.lines().next().unwrap(),
        "id,name,username,type,status,workspaces,created_utc,expires_utc,deactivated_utc"
    );
    assert!(
        !desk.contains("@larkspur.example"),
        "no emails for the help desk"
    );
}

#[tokio::test]
async fn user_detail_combines_slack_reads() {
    let app = spawn_app(Options::default()).await;
    let guest = app.find(|u| {
        u.summary.user_type == UserType::MultiChannelGuest
            && u.summary.status == UserStatus::Active
            && u.memberships.iter().any(|m| m.expires.is_some())
    });
    let (status, d) = app.detail(&guest.summary.id).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["id"], guest.summary.id.as_str());
    assert!(d["timezone"].is_string());
    assert!(d["avatar_url"].as_str().unwrap().ends_with("_192.svg"));
    assert!(d["presence"] == "active" || d["presence"] == "away");
    assert!(!d["channels"].as_array().unwrap().is_empty());
    let memberships = d["memberships"].as_array().unwrap();
    assert!(
        memberships.iter().any(|m| m["expires"].as_i64().is_some()),
        "{d}"
    );
    assert!(d.get("warnings").is_none());
    assert!(app.calls("admin.users.getExpiration") >= 1);
    assert!(app.calls("users.info") >= 1);

    // Each field is Slack's own value, read from its reply.
    let slack = |method: &'static str, params: Vec<(&'static str, &str)>| {
        let request = app
            .http
            .post(format!("{}{method}", app.sandbox.api_url()))
            .bearer_auth(&app.token)
            .form(&params);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let id = guest.summary.id.as_str();
    let info = slack("users.info", vec![("user", id)]).await;
    let u = &info["user"];
    assert_eq!(d["timezone"], u["tz"]);
    assert_eq!(d["timezone_label"], u["tz_label"]);
    assert_eq!(d["timezone_offset"], u["tz_offset"]);
    assert_eq!(d["avatar_url"], u["profile"]["image_192"]);
    for field in ["display_name", "title", "phone"] {
        let slack_value = u["profile"][field].as_str().filter(|v| !v.is_empty());
        assert_eq!(d[field].as_str(), slack_value, "{field}");
    }
    let conversations = slack(
        "users.conversations",
        vec![
            ("user", id),
            ("types", "public_channel,private_channel"),
            ("exclude_archived", "true"),
            ("limit", "100"),
        ],
    )
    .await;
    let summarise = |cs: &Value, workspace: &str, private: &str| -> Vec<String> {
        cs.as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{} {} {} {}", c["id"], c["name"], c[workspace], c[private]))
            .collect()
    };
    assert_eq!(
        summarise(&d["channels"], "workspace", "is_private"),
        summarise(&conversations["channels"], "context_team_id", "is_private")
    );
}

#[tokio::test]
async fn user_detail_shows_what_slack_gave_when_one_part_fails() {
    let app = spawn_app(Options::default()).await;
    let user = app.find(|u| {
        u.summary.user_type == UserType::Member && u.summary.status == UserStatus::Active
    });
    app.sandbox.sandbox.set_faults(
        "users.conversations",
        roster_sandbox::faults::Faults {
            fatal_error: 1.0,
            ..Default::default()
        },
    );
    let (status, d) = app.detail(&user.summary.id).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["channels"], json!([]));
    assert!(d["timezone"].is_string(), "{d}");
    let warnings = d["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{d}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.starts_with("Channels could not be loaded: "),
        "{warning}"
    );
}

fn live_part<'a>(detail: &'a Value, part: &str) -> &'a Value {
    detail["live"]
        .as_array()
        .and_then(|parts| parts.iter().find(|p| p["part"] == part))
        .unwrap_or_else(|| panic!("no live part {part}: {detail}"))
}

#[tokio::test]
async fn a_persons_detail_answers_at_once_and_fills_in_what_slack_is_slow_to_give() {
    let app = spawn_app(Options::default()).await;
    let user = app.find(|u| {
        u.summary.user_type == UserType::Member && u.summary.status == UserStatus::Active
    });
    let path = format!("/api/users/{}", user.summary.id);
    app.sandbox.sandbox.set_faults(
        "users.getPresence",
        roster_sandbox::faults::Faults {
            latency_ms: 900,
            ..Default::default()
        },
    );
    let before = app.calls("users.getPresence");
    let started = std::time::Instant::now();
    // Four people open the same person at once.
    let answers = futures_util::future::join_all((0..4).map(|_| app.get(&path))).await;
    assert!(
        started.elapsed() < std::time::Duration::from_millis(800),
        "answered after {:?}",
        started.elapsed()
    );
    for (status, d) in &answers {
        assert_eq!(*status, 200, "{d}");
        // What Slack gave quickly is there; presence is still coming.
        assert!(d["timezone"].is_string(), "{d}");
        assert!(d.get("presence").is_none(), "{d}");
        assert_eq!(live_part(d, "presence")["loading"], true, "{d}");
        assert!(d["refresh_after_ms"].as_u64().unwrap() > 0, "{d}");
        assert_eq!(live_part(d, "profile")["age_seconds"], 0, "{d}");
        assert!(live_part(d, "profile").get("loading").is_none(), "{d}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (_, d) = app.get(&path).await;
    assert!(d["presence"].is_string(), "{d}");
    assert!(d.get("refresh_after_ms").is_none(), "{d}");
    assert!(live_part(&d, "presence").get("loading").is_none(), "{d}");
    // One call for all of them, and none for the next look.
    app.get(&path).await;
    assert_eq!(app.calls("users.getPresence") - before, 1);
    // A role that may not see presence does not have it asked for, nor learns its state.
    let other = app.find(|u| {
        u.summary.id != user.summary.id
            && u.summary.status == UserStatus::Active
            && u.summary.is_on(&app.workspace(0))
    });
    let (status, d) = app
        .get_as("helpdesk", &format!("/api/users/{}", other.summary.id))
        .await;
    assert_eq!(status, 200, "{d}");
    assert!(
        d["live"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["part"] != "presence"),
        "{d}"
    );
    assert_eq!(app.calls("users.getPresence") - before, 1);
}

#[tokio::test]
async fn a_persons_detail_does_not_queue_behind_slacks_limit() {
    use roster_proxy::slack::{
        methods::UsersGetPresence,
        payer::{Payer, paid_by},
    };
    let app = spawn_app(Options::default()).await;
    let user = app.find(|u| {
        u.summary.user_type == UserType::Member && u.summary.status == UserStatus::Active
    });
    // Roster has spent its users.getPresence budget (Tier 3: 50 a minute), and three more
    // calls of the same person are waiting for their turn (another person's would not
    // hold this one back: calls are served in turn across people).
    let slack = app.state.slack.clone();
    slack.replay_calls(
        roster_proxy::slack::SlackMethod::UsersGetPresence,
        "",
        &[std::time::Duration::ZERO; 50],
    );
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            let slack = slack.clone();
            let request = UsersGetPresence {
                user: user.summary.id.clone(),
            };
            let payer = Payer::person("org-admin@demo.roster.invalid");
            tokio::spawn(async move { paid_by(payer, slack.wait_turn(&request)).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let before = app.calls("users.getPresence");
    let started = std::time::Instant::now();
    let (status, d) = app.get(&format!("/api/users/{}", user.summary.id)).await;
    assert_eq!(status, 200, "{d}");
    assert!(started.elapsed() < std::time::Duration::from_millis(800));
    // Presence is not asked for, and the page says why and when to try again.
    let warnings: Vec<&str> = d["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(warnings.len(), 1, "{d}");
    assert!(
        warnings[0].starts_with("Presence not loaded: Slack's limit, retry in "),
        "{d}"
    );
    assert!(live_part(&d, "presence").get("loading").is_none(), "{d}");
    assert!(d.get("refresh_after_ms").is_none(), "{d}");
    assert!(d["timezone"].is_string(), "{d}");
    assert_eq!(app.calls("users.getPresence"), before);
    for call in waiting {
        call.abort();
    }
}

#[tokio::test]
async fn workspaces_and_channel_picker() {
    let app = spawn_app(Options::default()).await;
    let (_, ws) = app.get("/api/workspaces").await;
    assert_eq!(ws.as_array().unwrap().len(), 3);
    let t = app.workspace(0);
    let (status, channels) = app
        .get(&format!("/api/workspaces/{t}/channels?q=eng"))
        .await;
    assert_eq!(status, 200);
    let channels = channels.as_array().unwrap();
    assert!(!channels.is_empty());
    assert!(
        channels
            .iter()
            .all(|c| c["name"].as_str().unwrap().contains("eng") && c["workspace"] == t.as_str())
    );
    let (status, _) = app.get("/api/workspaces/T0NOPE000/channels").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn invite_shows_the_guest_at_once_and_validates_first() {
    let app = spawn_app(Options::default()).await;
    let t = app.workspace(0);
    let c = app.channel_on(&t);
    let expires = roster_proxy::directory::unix_now() + 10 * 86_400;
    let (status, r) = app
        .post(
            "/api/users/invite",
            json!({"email": "Pat.Guest@Agency.example", "workspace": t, "channels": [c],
                   "guest": "multi_channel", "expires": expires, "real_name": "Pat Guest",
                   "custom_message": "Welcome!"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["user"]["email"], "pat.guest@agency.example");
    assert_eq!(r["user"]["status"], "pending");
    assert_eq!(r["user"]["type"], "multi_channel_guest");
    assert_eq!(r["user"]["expires"], expires);
    assert!(r["audit_id"].as_i64().is_some());
    let (_, found) = app.get("/api/users?q=pat.guest").await;
    assert_eq!(
        found["total"], 1,
        "the table shows the invite without a sync"
    );
    assert!(
        app.sandbox
            .sandbox
            .with_org(|o| o.user_by_email("pat.guest@agency.example").is_some())
    );

    let before = app.calls("admin.users.invite");
    let cases = [
        (
            json!({"email": "not-an-email", "workspace": t, "channels": [c]}),
            "email",
        ),
        (
            json!({"email": "a@b.example", "workspace": "T0NOPE000", "channels": [c]}),
            "workspace",
        ),
        (
            json!({"email": "a@b.example", "workspace": t, "channels": []}),
            "channels",
        ),
        (
            json!({"email": "a@b.example", "workspace": t, "channels": ["general"]}),
            "channels",
        ),
        (
            json!({"email": "a@b.example", "workspace": t, "channels": [c, c], "guest": "single_channel"}),
            "channels",
        ),
        (
            json!({"email": "a@b.example", "workspace": t, "channels": [c], "expires": expires}),
            "expires",
        ),
        (
            json!({"email": "a@b.example", "workspace": t, "channels": [c], "guest": "multi_channel", "expires": 1000}),
            "expires",
        ),
        (
            json!({"email": "a@b.example", "workspace": t, "channels": [c], "custom_message": "x".repeat(1001)}),
            "custom_message",
        ),
        (
            json!({"email": "pat.guest@agency.example", "workspace": t, "channels": [c], "guest": "multi_channel"}),
            "email",
        ),
    ];
    for (body, field) in cases {
        let (status, err) = app.post("/api/users/invite", body.clone()).await;
        assert_eq!(status, 422, "{body} → {err}");
        assert_eq!(err["error"]["field"], field, "{body} → {err}");
        assert!(!err["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, err) = app.post("/api/users/invite", json!({"workspace": t})).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(
        app.calls("admin.users.invite"),
        before,
        "no Slack call for invalid requests"
    );
}

#[tokio::test]
async fn assign_remove_role_and_expiration_update_slack_and_the_table() {
    let app = spawn_app(Options::default()).await;
    let user = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.memberships.len() == 1
    });
    let id = user.summary.id.clone();
    let home = user.memberships[0].workspace.clone();
    let other = (0..3)
        .map(|i| app.workspace(i))
        .find(|w| **w != *home)
        .unwrap();
    let c = app.channel_on(&other);

    let (status, r) = app
        .post(
            &format!("/api/users/{id}/assign"),
            json!({"workspace": other, "channels": [c]}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert!(
        r["user"]["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == other.as_str())
    );
    let (_, listed) = app
        .get(&format!("/api/users?workspace={other}&q={id}"))
        .await;
    assert_eq!(listed["total"], 1);

    let (status, r) = app
        .post(
            &format!("/api/users/{id}/role"),
            json!({"workspace": other, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["user"]["type"], "admin");
    assert!(r["message"].as_str().unwrap().contains("an admin"));
    let (_, admins) = app
        .get(&format!("/api/users?workspace={other}&type=admin&q={id}"))
        .await;
    assert_eq!(admins["total"], 1);
    let slack_admin = app
        .sandbox
        .sandbox
        .with_org(|o| o.users[&id].role_on(Some(&other)).0);
    assert!(slack_admin);

    let (status, r) = app
        .post(
            &format!("/api/users/{id}/role"),
            json!({"workspace": other, "role": "regular"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["user"]["type"], "member");

    let (status, r) = app
        .post(
            &format!("/api/users/{id}/remove"),
            json!({"workspace": other}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["user"]["workspaces"], json!([home]));
    let (_, listed) = app
        .get(&format!("/api/users?workspace={other}&q={id}"))
        .await;
    assert_eq!(listed["total"], 0);

    // Expiration: only guests.
    let (status, err) = app
        .post(
            &format!("/api/users/{id}/expiration"),
            json!({"expires": roster_proxy::directory::unix_now() + 86_400}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "expires");
    let guest = app.find(|u| {
        u.summary.user_type == UserType::SingleChannelGuest
            && u.summary.status == UserStatus::Active
    });
    let gid = guest.summary.id.clone();
    let when = roster_proxy::directory::unix_now() + 5 * 86_400;
    let (status, r) = app
        .post(
            &format!("/api/users/{gid}/expiration"),
            json!({"expires": when}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["user"]["expires"], when);
    let (_, e) = app.get(&format!("/api/users/{gid}/expiration")).await;
    assert_eq!(e["expirations"][0]["expires"], when);
    let (status, r) = app
        .post(
            &format!("/api/users/{gid}/expiration"),
            json!({"expires": null}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert!(r["user"].get("expires").is_none());
    let (_, e) = app.get(&format!("/api/users/{gid}/expiration")).await;
    assert!(e["expirations"][0].get("expires").is_none());

    // Every action left an intent and an outcome.
    let rows = app.audit_rows().await;
    let ok: Vec<_> = rows
        .iter()
        .filter(|r| r.outcome == roster_api::AuditOutcome::Ok)
        .map(|r| r.action.as_str())
        .collect();
    for action in ["assign", "set_role", "remove", "set_expiration"] {
        assert!(ok.contains(&action), "{action} in {ok:?}");
    }
    assert!(
        rows.iter()
            .any(|r| r.outcome == roster_api::AuditOutcome::Invalid)
    );
}

#[tokio::test]
async fn role_changes_refuse_bots_and_the_primary_owner_without_calling_slack() {
    let app = spawn_app(Options::default()).await;
    let bot = app.find(|u| u.summary.user_type == UserType::Bot);
    let owner = app.find(|u| u.summary.is_primary_owner);
    let before = app.calls("admin.users.setAdmin");
    let w = bot.summary.workspaces[0].clone();
    let (status, err) = app
        .post(
            &format!("/api/users/{}/role", bot.summary.id),
            json!({"workspace": w, "role": "admin"}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("role")),
        "{err}"
    );
    let w = owner.summary.workspaces[0].clone();
    let (status, err) = app
        .post(
            &format!("/api/users/{}/role", owner.summary.id),
            json!({"workspace": w, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        err["error"]["message"],
        "The primary owner's account can't be changed or removed."
    );
    let (status, err) = app
        .post(
            &format!("/api/users/{}/remove", owner.summary.id),
            json!({"workspace": w}),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(app.calls("admin.users.setAdmin"), before);
}

#[tokio::test]
async fn a_slack_refusal_is_translated_and_keeps_the_code() {
    let app = spawn_app(Options::default()).await;
    // An org owner: Roster lets the org admin try, Slack refuses.
    let org_owners: Vec<String> = app.sandbox.sandbox.with_org(|o| {
        o.users
            .values()
            .filter(|u| u.org_role == roster_sandbox::org::OrgRole::Owner)
            .map(|u| u.id.clone())
            .collect()
    });
    let owner = app.find(|u| org_owners.contains(&u.summary.id));
    let w = owner.summary.workspaces[0].clone();
    let (status, err) = app
        .post(
            &format!("/api/users/{}/remove", owner.summary.id),
            json!({"workspace": w}),
        )
        .await;
    assert_eq!(status, 502, "{err}");
    assert_eq!(err["error"]["code"], "slack_error");
    assert_eq!(
        err["error"]["slack_error"],
        "failed_to_remove_user_from_workspace"
    );
    assert_eq!(
        err["error"]["message"],
        "Slack could not remove this person from the workspace."
    );
    let rows = app.audit_rows().await;
    assert_eq!(rows[0].outcome, roster_api::AuditOutcome::SlackError);
    assert_eq!(
        rows[0].slack_error.as_deref(),
        Some("failed_to_remove_user_from_workspace")
    );
}

#[tokio::test]
async fn a_fatal_error_on_a_write_is_an_unknown_outcome() {
    let app = spawn_app(Options::default()).await;
    let user = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.memberships.len() == 1
    });
    let w = user.memberships[0].workspace.clone();
    app.sandbox.sandbox.set_faults(
        "admin.users.setAdmin",
        roster_sandbox::faults::Faults {
            next: [roster_sandbox::faults::FaultKind::FatalError].into(),
            ..Default::default()
        },
    );
    let (status, err) = app
        .post(
            &format!("/api/users/{}/role", user.summary.id),
            json!({"workspace": w, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 502, "{err}");
    assert_eq!(err["error"]["code"], "unknown_outcome");
    assert_eq!(err["error"]["slack_error"], "fatal_error");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Check the user")
    );
    assert_eq!(
        app.calls("admin.users.setAdmin"),
        1,
        "a write is never retried blindly"
    );
    let rows = app.audit_rows().await;
    assert_eq!(rows[0].outcome, roster_api::AuditOutcome::Unknown);
    // The sandbox did apply it: that is exactly why the outcome is unknown, not failed.
    assert!(
        app.sandbox
            .sandbox
            .with_org(|o| o.users[&user.summary.id].role_on(Some(&w)).0)
    );

    // A dropped connection on a write is unknown too; an HTTP 500 on a read is retried.
    // (The directory still has them as a member: the outcome above was unknown.)
    app.sandbox.sandbox.set_faults(
        "admin.users.setOwner",
        roster_sandbox::faults::Faults {
            next: [roster_sandbox::faults::FaultKind::Drop].into(),
            ..Default::default()
        },
    );
    let (status, err) = app
        .post(
            &format!("/api/users/{}/role", user.summary.id),
            json!({"workspace": w, "role": "owner"}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (502, json!("unknown_outcome")),
        "{err}"
    );
    app.sandbox.sandbox.set_faults(
        "users.info",
        roster_sandbox::faults::Faults {
            next: [
                roster_sandbox::faults::FaultKind::Http500,
                roster_sandbox::faults::FaultKind::InternalError,
            ]
            .into(),
            ..Default::default()
        },
    );
    let (status, d) = app.detail(&user.summary.id).await;
    assert_eq!(status, 200);
    assert!(d.get("warnings").is_none(), "{d}");
}

#[tokio::test]
async fn a_429_is_waited_out() {
    let app = spawn_app(Options {
        rate_limits: RateLimitMode::Scale(2.0),
        ..Options::default()
    })
    .await;
    let user = app.find(|u| u.summary.status == UserStatus::Active);
    // Someone else spends the token's users.info budget on Slack's side.
    let http = reqwest::Client::new();
    let mut limited = false;
    for _ in 0..150 {
        let r = http
            .post(format!("{}users.info", app.sandbox.api_url()))
            .bearer_auth(&app.token)
            .form(&[("user", user.summary.id.as_str())])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "the sandbox should be rate limiting now");
    let (status, d) = app.detail(&user.summary.id).await;
    assert_eq!(status, 200);
    assert!(
        d.get("warnings").is_none(),
        "the read waited and retried: {d}"
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.lines().any(|l| l
            .starts_with("roster_slack_rate_limited_total{method=\"users.info\"}")
            && !l.ends_with(" 0")),
        "{metrics}"
    );
}

#[tokio::test]
async fn sync_pages_through_ten_thousand_users() {
    let app = spawn_app(Options {
        users: 10_000,
        ..Options::default()
    })
    .await;
    assert_eq!(app.state.directory.len(), 10_000);
    let (_, page) = app.get("/api/users?limit=1").await;
    assert_eq!(page["total"], 10_000);
    assert_eq!(page["sync"]["fetched"], 10_000);
    // 10 org-wide active pages, 1 deactivated, then each workspace's pages: its active
    // members, and the accounts inactive there (to find the deactivated ones' roles).
    let per_workspace: u64 = (0..3)
        .map(|i| {
            let w = app.workspace(i);
            let (active, inactive) = app.sandbox.sandbox.with_org(|o| {
                let on = |u: &&roster_sandbox::org::User| u.memberships.contains_key(&w);
                let active = |u: &&roster_sandbox::org::User| {
                    !u.is_deactivated() && u.memberships.get(&w).is_some_and(|m| m.active)
                };
                (
                    o.users.values().filter(on).filter(active).count(),
                    o.users.values().filter(on).filter(|u| !active(u)).count(),
                )
            });
            (active.div_ceil(1000).max(1) + inactive.div_ceil(1000).max(1)) as u64
        })
        .sum();
    assert_eq!(app.calls("admin.users.list"), 10 + 1 + per_workspace);
}

#[tokio::test]
async fn the_snapshot_survives_a_restart_and_serves_while_slack_is_away() {
    let keep = tempfile::tempdir().unwrap();
    let first = spawn_app(Options {
        data_dir: Some(keep.path().to_path_buf()),
        ..Options::default()
    })
    .await;
    let t = first.workspace(0);
    let c = first.channel_on(&t);
    let (status, _) = first
        .post("/api/users/invite", json!({"email": "kept@agency.example", "workspace": t, "channels": [c], "guest": "multi_channel"}))
        .await;
    assert_eq!(status, 200);
    first.state.directory.persist();
    let before = first.state.directory.len();
    drop(first);

    let second = spawn_app(Options {
        data_dir: Some(keep.path().to_path_buf()),
        skip_sync: true,
        ..Options::default()
    })
    .await;
    assert_eq!(
        second.state.directory.len(),
        before,
        "served from the snapshot at once"
    );
    let (_, found) = second.get("/api/users?q=kept@agency").await;
    assert_eq!(found["total"], 1);
    let rows = second.audit_rows().await;
    assert!(
        rows.iter().any(|r| r.action == "invite"),
        "the audit log survives too"
    );
}

#[tokio::test]
async fn read_only_mode_with_a_workspace_token() {
    let app = spawn_app(Options {
        token: TokenChoice::Workspace,
        ..Options::default()
    })
    .await;
    let (_, status) = app.get("/api/status").await;
    assert_eq!(status["mode"], "read_only");
    assert!(status["reason"].as_str().unwrap().contains("one workspace"));
    let (_, page) = app.get("/api/users?limit=1000").await;
    let w = app.workspace(0);
    assert!(page["total"].as_u64().unwrap() > 0);
    assert!(
        page["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["workspaces"] == json!([w]))
    );
    assert_eq!(app.calls("admin.users.list"), 0);
    let id = page["users"][0]["id"].as_str().unwrap().to_string();
    let (status, err) = app
        .post(&format!("/api/users/{id}/remove"), json!({"workspace": w}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(err["error"]["code"], "read_only");
    let (status, _) = app.get(&format!("/api/users/{id}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn readyz_fails_once_the_token_is_revoked() {
    let app = spawn_app(Options::default()).await;
    let ready = app
        .http
        .get(format!("{}/readyz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    app.sandbox.sandbox.revoke_token(&app.token);
    roster_proxy::middleware::spawn_token_check(&app.state, std::time::Duration::from_millis(50));
    let mut status = 200;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        status = app
            .http
            .get(format!("{}/readyz", app.url))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 503 {
            break;
        }
    }
    assert_eq!(status, 503);
    let body: Value = app
        .http
        .get(format!("{}/readyz", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["reason"].as_str().unwrap().contains("token_revoked"),
        "{body}"
    );
    let health = app
        .http
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn preflight_refuses_a_bad_token() {
    let app = spawn_app(Options::default()).await;
    let slack = roster_proxy::slack::SlackClient::new(
        &app.sandbox.api_url(),
        roster_proxy::slack::SlackToken::new("xoxp-not-a-real-token").unwrap(),
        1.0,
        std::sync::Arc::new(roster_proxy::metrics::Metrics::default()),
    )
    .unwrap();
    let err = roster_proxy::serve::preflight(&slack, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid_auth"), "{err}");
    assert!(!err.contains("xoxp-not-a-real-token"), "{err}");
}

#[tokio::test]
async fn metrics_count_requests_and_slack_calls() {
    let app = spawn_app(Options::default()).await;
    // Only for the holder of the metrics token: they count the org's users.
    for token in [None, Some("wrong-token-0123456789"), Some("")] {
        let mut r = app.http.get(format!("{}/metrics", app.url));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{token:?}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("roster_"), "{body}");
    }
    app.get("/api/users?limit=1").await;
    app.get("/api/users/W0NOPE000").await;
    let text = app.metrics().await;
    assert!(
        text.contains(
            "roster_http_requests_total{route=\"/api/users\",method=\"GET\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "roster_http_requests_total{route=\"/api/users/{id}\",method=\"GET\",status=\"404\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("roster_slack_calls_total{method=\"admin.users.list\",outcome=\"ok\"}"),
        "{text}"
    );
    assert!(text.contains("roster_directory_users 300"), "{text}");
    assert!(!text.contains("W0NOPE000"), "raw paths never become labels");
}

#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let app = spawn_app(Options::default()).await;
    let (status, doc) = app.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/api/me", "get"),
        ("/api/status", "get"),
        ("/api/dev/role", "post"),
        ("/api/users", "get"),
        ("/api/users/export.csv", "get"),
        ("/api/users/by-email", "post"),
        ("/api/users/changes", "get"),
        ("/api/users/{id}", "get"),
        ("/api/users/{id}/sessions", "get"),
        ("/api/invite-requests", "get"),
        ("/api/changes", "post"),
        ("/api/users/invite", "post"),
        ("/api/users/{id}/assign", "post"),
        ("/api/users/{id}/remove", "post"),
        ("/api/users/{id}/role", "post"),
        ("/api/users/{id}/expiration", "get"),
        ("/api/users/{id}/expiration", "post"),
        ("/api/workspaces", "get"),
        ("/api/workspaces/{id}/channels", "get"),
        ("/api/audit", "get"),
        ("/api/audit/export.csv", "get"),
        ("/api/jobs", "get"),
        ("/api/jobs", "post"),
        ("/api/jobs/{id}", "get"),
        ("/api/jobs/{id}/events", "get"),
        ("/api/jobs/{id}/pause", "post"),
        ("/api/jobs/{id}/resume", "post"),
        ("/api/jobs/{id}/cancel", "post"),
        ("/api/jobs/{id}/retry", "post"),
        ("/api/jobs/{id}/errors.csv", "get"),
        ("/api/openapi.json", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ];
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented.push((path.clone(), method.clone()));
        }
    }
    for (path, method) in expected {
        assert!(
            documented.contains(&(path.to_string(), method.to_string())),
            "{method} {path} is not documented"
        );
    }
    assert_eq!(
        documented.len(),
        expected.len(),
        "documented: {documented:?}"
    );
    // Every documented operation is served (not the unknown-route answer or 405).
    for (path, method) in &documented {
        let url = format!("{}{}", app.url, path.replace("{id}", "W0NOPE000"));
        let req = match method.as_str() {
            "get" => app.http.get(&url),
            "post" => app
                .http
                .post(&url)
                .header("x-roster-request", "1")
                .header("origin", app.origin())
                .json(&json!({})),
            other => panic!("unexpected method {other}"),
        };
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path}");
        assert!(
            !body.contains("There is no such API route"),
            "{method} {path} is documented but not routed"
        );
    }
    // Schemas of the wire types are included.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "UsersPage",
        "UserSummary",
        "UserDetail",
        "InviteRequest",
        "ActionResult",
        "ErrorBody",
        "AuditPage",
        "Me",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
}

#[tokio::test]
async fn answers_about_people_are_not_cached() {
    let app = spawn_app(Options {
        users: 30,
        ..Options::default()
    })
    .await;
    for path in ["/api/users?limit=2", "/api/users/export.csv", "/api/me"] {
        let r = app
            .http
            .get(format!("{}{path}", app.url))
            .header("cookie", "roster_demo_role=org-admin")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn one_person_cannot_use_up_slacks_pace_for_everyone() {
    // Slack's real tiers: `users.getPresence` and `users.conversations` are 50 a minute.
    let app = spawn_app(Options {
        users: 300,
        ..Options::default()
    })
    .await;
    let people: Vec<String> = app
        .find_all(|u| u.summary.status == UserStatus::Active)
        .into_iter()
        .map(|u| u.summary.id)
        .collect();
    let (burst, others) = people.split_at(150);
    // The auditor opens 150 people at once: far more than a minute of those lanes.
    let app = &app;
    let answers = futures_util::future::join_all(
        burst
            .iter()
            .map(|id| async move { app.get_as("auditor", &format!("/api/users/{id}")).await }),
    )
    .await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    let limited = answers
        .iter()
        .filter(|(_, body)| body["warnings"].to_string().contains("retry in"))
        .count();
    assert!(limited > 0, "the burst was not limited at all");

    // The org admin opens someone meanwhile: their calls go next in each lane, so every
    // part arrives within a few seconds, none skipped for Slack's limit.
    let path = format!("/api/users/{}", others[0]);
    let started = std::time::Instant::now();
    let detail = loop {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{body}");
        let loading = body["live"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["loading"] == true);
        if !loading || started.elapsed() > std::time::Duration::from_secs(8) {
            break body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(detail.get("warnings").is_none(), "{detail}");
    assert!(
        detail["live"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["loading"] != true),
        "{detail}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "the org admin waited {:?} behind the auditor's burst",
        started.elapsed()
    );

    // A help desk asks for 60 people's sessions at once (Tier 2: 20 a minute a workspace):
    // what would wait too long for its turn is refused at once with a time to come back,
    // and the org admin's own listing goes before the rest of the burst.
    let (_, page) = app
        .get_as("helpdesk", "/api/users?limit=200&status=active")
        .await;
    let seen: Vec<String> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        seen.len() > 61,
        "{} people seen by the help desk",
        seen.len()
    );
    let sessions = |role: &'static str, id: &str| {
        let request = app
            .http
            .get(format!("{}/api/users/{id}/sessions", app.url))
            .header("cookie", format!("roster_demo_role={role}"));
        async move {
            let started = std::time::Instant::now();
            let response = request.send().await.unwrap();
            (response, started.elapsed())
        }
    };
    let burst =
        futures_util::future::join_all(seen[1..61].iter().map(|id| sessions("helpdesk", id)));
    let admin = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sessions("org-admin", &seen[0]).await
    };
    let (burst, (admin_answer, admin_took)) = tokio::join!(burst, admin);
    assert_eq!(admin_answer.status(), 200);
    assert!(
        admin_took < std::time::Duration::from_secs(8),
        "the org admin's sessions took {admin_took:?} behind the help desk's burst"
    );
    let slowest = burst.iter().map(|(_, took)| *took).max().unwrap();
    assert!(
        slowest < std::time::Duration::from_secs(15),
        "a help desk request waited {slowest:?} instead of being told to come back"
    );
    let refused: Vec<&reqwest::Response> = burst
        .iter()
        .map(|(r, _)| r)
        .filter(|r| r.status() == 429)
        .collect();
    assert!(!refused.is_empty(), "nothing of the burst was refused");
    assert!(
        burst
            .iter()
            .all(|(r, _)| [200, 429].contains(&r.status().as_u16()))
    );
    for r in refused {
        let retry_after: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=180).contains(&retry_after), "{retry_after}");
    }
}

#[tokio::test]
async fn answers_are_compressed_for_browsers_that_accept_it() {
    let app = spawn_app(Options::default()).await;
    let get = |encoding: Option<&'static str>| {
        let mut request = app
            .http
            .get(format!("{}/api/users?limit=300", app.url))
            .header("cookie", "roster_demo_role=org-admin");
        if let Some(e) = encoding {
            request = request.header("accept-encoding", e);
        }
        async move {
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            let encoding = resp
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            (encoding, resp.bytes().await.unwrap())
        }
    };
    let (plain_encoding, plain) = get(None).await;
    assert_eq!(plain_encoding, None);
    let (encoding, compressed) = get(Some("gzip, deflate, br, zstd")).await;
    assert_eq!(encoding.as_deref(), Some("br"));
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &compressed[..], &mut decoded).unwrap();
    assert_eq!(decoded, plain, "the same answer");
    assert!(
        compressed.len() * 4 < plain.len(),
        "{} bytes compressed from {}",
        compressed.len(),
        plain.len()
    );
}

#[tokio::test]
async fn an_expiration_moves_later_from_each_guests_own_date() {
    let app = spawn_app(Options::default()).await;
    let now = roster_proxy::directory::unix_now();
    let dated = app.find(|u| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type.is_guest()
            && u.memberships.len() == 1
            && u.memberships[0].expires.is_some_and(|e| e > now + 86_400)
    });
    let team = dated.memberships[0].workspace.clone();
    let old = dated.memberships[0].expires.unwrap();
    let id = dated.summary.id.clone();
    let extend = json!({"op": "set_expiration", "user": id, "workspace": team, "extend_days": 90});

    // The dry run says old and new, and holds the date it will set.
    let (status, dry) = app
        .post("/api/jobs?dry_run=true", json!({"operations": [extend]}))
        .await;
    assert_eq!(status, 200, "{dry}");
    let message = dry["checks"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "Will move {}'s expiration on ",
            dated.summary.name
        )) && message.contains(" from ")
            && message.ends_with(" (UTC)."),
        "{message}"
    );

    // Run as one change: Slack holds the old date plus 90 days.
    let (status, body) = app.post("/api/changes", extend.clone()).await;
    assert_eq!(status, 200, "{body}");
    let expected = old + 90 * 86_400;
    let (_, read) = app.get(&format!("/api/users/{id}/expiration")).await;
    assert_eq!(read["expirations"][0]["expires"], expected, "{read}");
    // The audit log keeps both.
    let (_, audit) = app.get(&format!("/api/audit?target={id}")).await;
    let said = audit["entries"][0]["message"].as_str().unwrap();
    assert!(said.starts_with("Moved "), "{said}");

    // A guest without an expiration: from now.
    let undated = app.find(|u| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type.is_guest()
            && u.memberships.len() == 1
            && u.memberships[0].expires.is_none()
    });
    let (status, body) = app
        .post(
            "/api/changes",
            json!({"op": "set_expiration", "user": undated.summary.id, "extend_days": 30}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, read) = app
        .get(&format!("/api/users/{}/expiration", undated.summary.id))
        .await;
    let set = read["expirations"][0]["expires"].as_i64().unwrap();
    assert!((set - (now + 30 * 86_400)).abs() < 120, "{read}");

    // A date and days at once, or no days: refused, nothing sent.
    let before = app.sandbox.sandbox.handled("admin.users.setExpiration");
    for (bad, field) in [
        (
            json!({"op": "set_expiration", "user": id, "workspace": team, "extend_days": 0}),
            "extend_days",
        ),
        (
            json!({"op": "set_expiration", "user": id, "workspace": team, "extend_days": 5000}),
            "extend_days",
        ),
        (
            json!({"op": "set_expiration", "user": id, "workspace": team, "extend_days": 10, "expires": now + 86_400 * 10}),
            "extend_days",
        ),
    ] {
        let (status, body) = app.post("/api/changes", bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["error"]["field"], field, "{bad}: {body}");
    }
    assert_eq!(
        app.sandbox.sandbox.handled("admin.users.setExpiration"),
        before
    );
}
