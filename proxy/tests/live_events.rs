//! A live directory: changes made in Slack by another client (the sandbox's Web API and
//! SCIM, as an admin in Slack's own pages would) reach `/api/users` through Slack's
//! events, over Socket Mode and over signed HTTP, without a full sync.

mod common;

use std::time::{Duration, Instant};

use common::{Options, TestApp, spawn_app};
use roster_proxy::{events::signature::SigningSecret, slack::SlackToken};
use roster_sandbox::{
    Sandbox, ScimRequest,
    events::{DeliveryFaults, EventsConfig},
};
use serde_json::{Value, json};

const APP_TOKEN: &str = "xapp-1-A0SANDBOX1-live-events-test";
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

#[derive(Clone, Copy, Debug)]
enum Via {
    Socket,
    Http,
}

async fn live_app(via: Via) -> TestApp {
    let app = spawn_app(Options {
        users: 150,
        ..Options::default()
    })
    .await;
    let bus = app.sandbox.sandbox.events();
    bus.set_retry_delays([Duration::from_millis(200); 3]);
    match via {
        Via::Socket => {
            bus.configure(EventsConfig {
                app_token: Some(APP_TOKEN.into()),
                ..EventsConfig::default()
            });
            app.state.start_events(
                &app.sandbox.api_url(),
                Some(SlackToken::new(APP_TOKEN).unwrap()),
                None,
                Duration::from_secs(3600),
            );
            wait_for("a socket", || async { bus.sockets() == 1 }).await;
        }
        Via::Http => {
            bus.configure(EventsConfig {
                events_url: Some(format!("{}/slack/events", app.url)),
                signing_secret: Some(SECRET.into()),
                ..EventsConfig::default()
            });
            app.state.start_events(
                &app.sandbox.api_url(),
                None,
                Some(SigningSecret::new(SECRET)),
                Duration::from_secs(3600),
            );
            bus.verify_url()
                .await
                .expect("the request URL answers the challenge");
        }
    }
    app
}

async fn wait_for<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: not within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// Calls the sandbox's Web API as another client with the org token.
fn slack(sandbox: &Sandbox, method: &str, args: &[(&str, &str)]) -> Value {
    common::slack_as(sandbox, &sandbox.tokens().org_admin, method, args)
}

/// Someone as `/api/users` shows them.
async fn listed(app: &TestApp, id: &str) -> Option<Value> {
    let (status, page) = app.get(&format!("/api/users?q={id}&limit=5")).await;
    assert_eq!(status, 200, "{page}");
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .cloned()
}

/// A regular, active member of one workspace (no other).
fn plain_member(app: &TestApp) -> (String, String) {
    common::plain_members(&app.sandbox.sandbox, 1, |_| true)
        .pop()
        .expect("a plain member")
}

fn a_guest(app: &TestApp) -> (String, String) {
    app.sandbox.sandbox.with_org(|org| {
        let u = org
            .users
            .values()
            .find(|u| {
                u.guest.is_some()
                    && !u.is_deactivated()
                    && u.memberships.len() == 1
                    && u.memberships.values().all(|m| m.active)
            })
            .expect("a guest on one workspace");
        (u.id.clone(), u.memberships.keys().next().unwrap().clone())
    })
}

async fn changes_made_elsewhere_show_within_two_seconds(via: Via) {
    let app = live_app(via).await;
    let sandbox = &app.sandbox.sandbox;
    let syncs = sandbox.calls("admin.users.list");
    let limit = Duration::from_secs(2);

    // A role change.
    let (member, team) = plain_member(&app);
    slack(
        sandbox,
        "admin.users.setAdmin",
        &[("team_id", &team), ("user_id", &member)],
    );
    let took = wait_for("the new role", || async {
        listed(&app, &member)
            .await
            .is_some_and(|u| u["type"] == "admin")
    })
    .await;
    assert!(took < limit, "{via:?}: role change took {took:?}");

    // A deactivation through SCIM.
    let scim = sandbox.handle_scim(&ScimRequest {
        method: axum::http::Method::DELETE,
        path: &format!("v1/Users/{member}"),
        token: Some(&sandbox.tokens().org_admin),
        query: None,
        body: b"",
    });
    assert!(
        matches!(scim, roster_sandbox::ScimReply::Empty(_)),
        "{scim:?}"
    );
    let took = wait_for("the deactivation", || async {
        listed(&app, &member)
            .await
            .is_some_and(|u| u["status"] == "deactivated")
    })
    .await;
    assert!(took < limit, "{via:?}: deactivation took {took:?}");

    // A new member.
    let invited = slack(
        sandbox,
        "admin.users.invite",
        &[
            ("team_id", &team),
            ("email", "new.person@larkspur.example"),
            ("channel_ids", &app.channel_on(&team)),
            ("real_name", "New Person"),
        ],
    );
    assert_eq!(invited["ok"], true);
    let new_id = sandbox.with_org(|o| {
        o.user_by_email("new.person@larkspur.example")
            .unwrap()
            .id
            .clone()
    });
    let took = wait_for("the new member", || async {
        listed(&app, &new_id).await.is_some()
    })
    .await;
    assert!(took < limit, "{via:?}: a new member took {took:?}");

    // A guest's expiration set by another client.
    let (guest, guest_team) = a_guest(&app);
    let when = (roster_proxy::directory::unix_now() + 30 * 86_400).to_string();
    slack(
        sandbox,
        "admin.users.setExpiration",
        &[
            ("team_id", &guest_team),
            ("user_id", &guest),
            ("expiration_ts", &when),
        ],
    );
    let took = wait_for("the expiration", || async {
        listed(&app, &guest)
            .await
            .is_some_and(|u| u["expires"].as_i64().map(|t| t.to_string()) == Some(when.clone()))
    })
    .await;
    assert!(took < limit, "{via:?}: an expiration took {took:?}");

    assert_eq!(
        sandbox.calls("admin.users.list"),
        syncs,
        "no full sync ran meanwhile"
    );
    assert_eq!(app.state.live_status().state, roster_api::LiveState::Live);
    let live = app.state.live_figures();
    assert!(live.applied >= 4, "{live:?}");
}

#[tokio::test]
async fn socket_mode_changes_show_within_two_seconds() {
    changes_made_elsewhere_show_within_two_seconds(Via::Socket).await;
}

#[tokio::test]
async fn http_changes_show_within_two_seconds() {
    changes_made_elsewhere_show_within_two_seconds(Via::Http).await;
}

async fn repeated_late_and_reordered_deliveries_leave_the_last_state(via: Via) {
    let app = live_app(via).await;
    let sandbox = &app.sandbox.sandbox;
    let bus = sandbox.events();
    let (member, team) = plain_member(&app);
    // Held back, each sent twice, then released newest first: the older state arrives last.
    bus.set_faults(DeliveryFaults {
        repeat_next: 10,
        hold: true,
        ..DeliveryFaults::default()
    });
    slack(
        sandbox,
        "admin.users.setAdmin",
        &[("team_id", &team), ("user_id", &member)],
    );
    slack(
        sandbox,
        "admin.users.setOwner",
        &[("team_id", &team), ("user_id", &member)],
    );
    slack(
        sandbox,
        "admin.users.setRegular",
        &[("team_id", &team), ("user_id", &member)],
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    slack(
        sandbox,
        "admin.users.setAdmin",
        &[("team_id", &team), ("user_id", &member)],
    );
    bus.release();
    bus.set_faults(DeliveryFaults::default());
    wait_for("every delivery", || async { bus.in_flight() == 0 }).await;
    // Whatever order they came in, the person ends as Slack has them.
    wait_for("the final role", || async {
        listed(&app, &member)
            .await
            .is_some_and(|u| u["type"] == "admin")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(listed(&app, &member).await.unwrap()["type"], "admin");
    let counters = &app.state.events.get().unwrap().live.counters;
    assert!(
        counters
            .duplicates
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 4,
        "{via:?}: repeats were dropped by event_id"
    );
}

#[tokio::test]
async fn socket_mode_repeats_and_reordering_leave_the_last_state() {
    repeated_late_and_reordered_deliveries_leave_the_last_state(Via::Socket).await;
}

#[tokio::test]
async fn http_repeats_and_reordering_leave_the_last_state() {
    repeated_late_and_reordered_deliveries_leave_the_last_state(Via::Http).await;
}

#[tokio::test]
async fn a_refreshed_or_cut_socket_loses_no_event() {
    let app = live_app(Via::Socket).await;
    let sandbox = &app.sandbox.sandbox;
    let bus = sandbox.events();
    let members = common::plain_members(sandbox, 6, |_| true);
    // Asked to refresh: a new socket opens before the old one closes.
    bus.disconnect_all("refresh_requested", Duration::from_millis(500));
    for (id, team) in &members[..3] {
        slack(
            sandbox,
            "admin.users.setAdmin",
            &[("team_id", team), ("user_id", id)],
        );
    }
    // Cut without a word, with changes made while no socket is open.
    wait_for("the new socket", || async {
        bus.sockets() == 1 && bus.stats().connections >= 2
    })
    .await;
    bus.cut_all();
    for (id, team) in &members[3..] {
        slack(
            sandbox,
            "admin.users.setAdmin",
            &[("team_id", team), ("user_id", id)],
        );
    }
    for (id, _) in &members {
        wait_for("every change", || async {
            listed(&app, id).await.is_some_and(|u| u["type"] == "admin")
        })
        .await;
    }
    let live = app.state.live_figures();
    assert!(live.reconnects >= 2, "{live:?}");
    assert_eq!(app.state.live_status().state, roster_api::LiveState::Live);
}

#[tokio::test]
async fn the_console_says_when_updates_stop() {
    let app = live_app(Via::Socket).await;
    let bus = app.sandbox.sandbox.events();
    // The app-level token stops working: Roster cannot reconnect.
    bus.configure(EventsConfig {
        app_token: Some("xapp-1-another".into()),
        ..EventsConfig::default()
    });
    bus.cut_all();
    wait_for("paused", || async {
        let (_, status) = app.get("/api/status").await;
        status["live"]["state"] == "paused" && status["live"]["paused_since"].is_i64()
    })
    .await;
    let (_, ready) = app.get("/readyz").await;
    assert_eq!(ready["events"]["state"], "paused", "{ready}");
    assert!(
        ready["events"].get("applied").is_none(),
        "counts are for /metrics: {ready}"
    );
    let metrics = app.metrics().await;
    assert!(metrics.contains("roster_events_live 0"), "{metrics}");
}

#[tokio::test]
async fn forged_old_and_mismatched_requests_are_refused_and_change_nothing() {
    let app = live_app(Via::Http).await;
    let sandbox = &app.sandbox.sandbox;
    let (member, team) = plain_member(&app);
    let before = listed(&app, &member).await.unwrap();
    let mut user = sandbox.with_org(|org| {
        org.users[&member].object(
            org,
            roster_sandbox::org::UserView {
                team: None,
                admin_viewer: true,
                include_locale: false,
                avatar_base: "",
            },
        )
    });
    user["is_admin"] = json!(true);
    user["updated"] = json!(roster_proxy::directory::unix_now() + 100);
    let body = json!({
        "type": "event_callback",
        "event_id": "EvFORGED0001",
        "event_time": roster_proxy::directory::unix_now(),
        "team_id": team,
        "event": {"type": "user_change", "user": user},
    })
    .to_string();
    let now = roster_proxy::directory::unix_now();
    let right = SigningSecret::new(SECRET);
    let wrong = SigningSecret::new("another-secret-0123456789abcdef");
    let cases: Vec<(&str, i64, String, String)> = vec![
        (
            "forged",
            now,
            wrong.sign(now, body.as_bytes()),
            body.clone(),
        ),
        (
            "stale",
            now - 600,
            right.sign(now - 600, body.as_bytes()),
            body.clone(),
        ),
        (
            "forged",
            now,
            right.sign(now, body.as_bytes()),
            body.replace("EvFORGED0001", "EvFORGED0002"),
        ),
    ];
    let http = reqwest::Client::new();
    for (reason, ts, signature, sent) in &cases {
        let resp = http
            .post(format!("{}/slack/events", app.url))
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signature)
            .header("content-type", "application/json")
            .body(sent.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{reason}");
        let error: Value = resp.json().await.unwrap();
        assert_eq!(error["error"]["code"], "bad_signature");
    }
    let unsigned = http
        .post(format!("{}/slack/events", app.url))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        listed(&app, &member).await.unwrap(),
        before,
        "nothing changed"
    );
    let metrics = app.metrics().await;
    for line in [
        "roster_events_refused_total{reason=\"forged\"} 2",
        "roster_events_refused_total{reason=\"stale\"} 1",
        "roster_events_refused_total{reason=\"unsigned\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    // The same request, signed with the right secret, is applied.
    let resp = http
        .post(format!("{}/slack/events", app.url))
        .header("x-slack-request-timestamp", now.to_string())
        .header("x-slack-signature", right.sign(now, body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    wait_for("the signed change", || async {
        listed(&app, &member)
            .await
            .is_some_and(|u| u["type"] == "admin")
    })
    .await;
}

#[tokio::test]
async fn open_pages_hear_of_changes_they_may_see_and_only_those() {
    let app = live_app(Via::Socket).await;
    let sandbox = &app.sandbox.sandbox;
    // The help desk covers the first two workspaces (by name); someone only on the third
    // is outside its view.
    let names = app.state.directory.workspaces();
    let covered: Vec<String> = names.iter().take(2).map(|w| w.id.clone()).collect();
    let pick = |on: &dyn Fn(&str) -> bool| {
        common::plain_members(sandbox, 1, on)
            .pop()
            .expect("a plain member")
    };
    let inside = pick(&|t| covered.iter().any(|c| c == t));
    let outside = pick(&|t| !covered.iter().any(|c| c == t));
    let (_, start) = app.get_as("helpdesk", "/api/users/changes").await;
    let since = start["until"].as_i64().unwrap();
    for (id, team) in [&inside, &outside] {
        slack(
            sandbox,
            "admin.users.setAdmin",
            &[("team_id", team), ("user_id", id)],
        );
    }
    for (id, _) in [&inside, &outside] {
        wait_for("the change", || async {
            listed(&app, id).await.is_some_and(|u| u["type"] == "admin")
        })
        .await;
    }
    let path = format!("/api/users/changes?since={since}");
    let (status, admin) = app.get(&path).await;
    assert_eq!(status, 200, "{admin}");
    let ids = |v: &Value| -> Vec<String> {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        ids(&admin).contains(&inside.0) && ids(&admin).contains(&outside.0),
        "{admin}"
    );
    let (_, desk) = app.get_as("helpdesk", &path).await;
    assert_eq!(ids(&desk), vec![inside.0.clone()], "{desk}");
    assert_eq!(desk["changes"][0]["user"]["type"], "admin");
    assert!(
        desk["changes"][0]["user"].get("email").is_none(),
        "hidden field: {desk}"
    );
    // The console learns the same from its status poll: who, not how they look.
    let (_, status) = app
        .get_as("helpdesk", &format!("/api/status?changes_since={since}"))
        .await;
    assert_eq!(
        status["changed"],
        serde_json::json!([inside.0.clone()]),
        "{status}"
    );
    assert!(status["changes_until"].as_i64().unwrap() >= since);
    // A moment too old, or a full sync since: reload.
    let (_, old) = app.get("/api/users/changes?since=1").await;
    assert_eq!(old["reload"], true);
}

#[tokio::test]
async fn the_console_and_metrics_name_the_workspaces_that_send_no_events() {
    let app = live_app(Via::Socket).await;
    let sandbox = &app.sandbox.sandbox;
    let coverage = || &app.state.events.get().unwrap().live.coverage;
    wait_for("Slack asked which workspaces send events", || async {
        coverage().known()
    })
    .await;
    let refresh = Duration::from_secs(15 * 60);
    let (_, status) = app.get("/api/status").await;
    assert!(status["live"].get("silent").is_none(), "{status}");
    assert!(
        app.metrics()
            .await
            .contains("roster_events_silent_workspaces 0")
    );
    assert_eq!(
        app.state.directory.sync_every(refresh),
        Duration::from_secs(3600),
        "every workspace sends events: full syncs only reconcile"
    );

    // An admin takes Roster's app off the third workspace (outside the help desk's view).
    let workspaces = app.state.directory.workspaces();
    let third = workspaces[2].clone();
    let events = sandbox.events();
    sandbox.with_org_mut(|org| events.grant(org, std::slice::from_ref(&third.id), false));
    wait_for("the admin told of the silent workspace", || async {
        app.get("/api/status").await.1["live"]["silent"]
            == json!([{"id": third.id, "name": third.name}])
    })
    .await;
    let (_, desk) = app.get_as("helpdesk", "/api/status").await;
    assert!(
        desk["live"].get("silent").is_none(),
        "the help desk does not hear of a workspace it cannot see: {desk}"
    );
    assert!(
        app.metrics()
            .await
            .contains("roster_events_silent_workspaces 1")
    );
    assert_eq!(
        app.state.directory.sync_every(refresh),
        refresh,
        "a silent workspace keeps full syncs at the regular pace"
    );
    // Followed from the event: Slack was asked once, at start.
    assert_eq!(sandbox.handled("auth.teams.list"), 1);

    // Added back: live everywhere again.
    sandbox.with_org_mut(|org| events.grant(org, std::slice::from_ref(&third.id), true));
    wait_for("every workspace live again", || async {
        app.get("/api/status").await.1["live"]
            .get("silent")
            .is_none()
    })
    .await;
    assert_eq!(
        app.state.directory.sync_every(refresh),
        Duration::from_secs(3600)
    );
}

#[tokio::test]
async fn a_new_invite_request_reaches_the_requests_page_through_its_event() {
    let app = live_app(Via::Socket).await;
    let sandbox = &app.sandbox.sandbox;
    sandbox.events().configure(EventsConfig {
        app_token: Some(APP_TOKEN.into()),
        invite_requested: true,
        ..EventsConfig::default()
    });
    app.state.invite_requests.follow_events(true);
    let workspaces = app.state.directory.workspaces();
    let (inside, outside) = (workspaces[0].id.clone(), workspaces[2].id.clone());
    let pending = |v: &Value| -> Vec<String> {
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    // The pages have read the pending requests once (so the next reads come from Roster's
    // copy for two minutes).
    let (status, before) = app.get("/api/invite-requests").await;
    assert_eq!(status, 200, "{before}");
    let (_, desk_status) = app.get_as("helpdesk", "/api/status").await;
    assert!(desk_status.get("requests_at").is_none(), "{desk_status}");
    let lists_before = sandbox.handled("admin.inviteRequests.list");

    let ask = |team: &str, email: &str| {
        let requester = common::plain_members(sandbox, 1, |t| t == team)
            .pop()
            .expect("a member of the workspace")
            .0;
        let events = sandbox.events();
        sandbox
            .with_org_mut(|org| {
                let request = org.request_invite(
                    serde_json::from_value(json!({
                        "team_id": team, "email": email, "requester_id": requester,
                        "request_reason": "Joins the support rota",
                    }))
                    .unwrap(),
                    4_000_000_000,
                )?;
                events.invite_requested(org, &request);
                Ok::<_, String>(request)
            })
            .unwrap()
    };
    let here = ask(&inside, "new.hire@partner.example").id;
    let there = ask(&outside, "elsewhere@partner.example").id;
    wait_for("both requests on the admin's page", || async {
        let (_, now) = app.get("/api/invite-requests").await;
        let ids = pending(&now);
        ids.contains(&here) && ids.contains(&there)
    })
    .await;
    assert_eq!(
        sandbox.handled("admin.inviteRequests.list"),
        lists_before,
        "the event, not another listing, brought them"
    );
    // The help desk reviews the first two workspaces only: it hears of the one there.
    let (_, desk) = app.get_as("helpdesk", "/api/invite-requests").await;
    let ids = pending(&desk);
    assert!(ids.contains(&here) && !ids.contains(&there), "{desk}");
    let (_, desk_status) = app.get_as("helpdesk", "/api/status").await;
    let desk_at = desk_status["requests_at"]
        .as_i64()
        .expect("told of the request");
    let (_, admin_status) = app.get("/api/status").await;
    assert!(admin_status["requests_at"].as_i64().unwrap() >= desk_at);
    // A role that does not review requests is not told.
    let (_, auditor) = app.get_as("auditor", "/api/status").await;
    assert!(auditor.get("requests_at").is_none(), "{auditor}");
}
