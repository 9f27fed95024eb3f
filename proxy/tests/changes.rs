//! What must hold for every kind of change, tested once for all of them: each property
//! below runs over `changes::KINDS`, so a new kind is covered as soon as it is registered
//! (and fails here until it has a sample).

mod common;

use std::{collections::BTreeSet, time::Duration};

use common::*;
use roster_api::{AuditOutcome, UserStatus, UserType};
use roster_proxy::{changes::KINDS, directory::Directory, policy::RoleConfig};
use roster_sandbox::faults::{FaultKind, Faults};
use serde_json::{Value, json};

fn roles(inside: &str) -> Vec<RoleConfig> {
    let text = format!(
        r#"
[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive", "users.invite", "users.assign", "users.remove",
               "users.set_role", "users.set_expiration", "users.deactivate", "users.reactivate",
               "users.sessions", "users.session_settings", "invites.review",
               "audit.read", "audit.read_all"]
workspaces = "all"

[[roles]]
name = "auditor"
permissions = ["users.read", "audit.read", "audit.read_all"]
workspaces = "all"

[[roles]]
name = "regional"
permissions = ["users.read", "users.invite", "users.assign", "users.remove", "users.set_role",
               "users.set_expiration", "users.deactivate", "users.reactivate", "users.sessions",
               "users.session_settings", "invites.review", "audit.read"]
workspaces = ["{inside}"]
"#
    );
    parse_roles(&text)
}

async fn app() -> TestApp {
    // Roles name a workspace: read its ID from a first start of the same seeded org.
    let probe = spawn_app(Options::default()).await;
    let inside = probe.workspace(0);
    drop(probe);
    spawn_app(Options {
        roles: Some(roles(&inside)),
        ..Options::default()
    })
    .await
}

fn active_member(u: &roster_proxy::directory::DirUser) -> bool {
    u.summary.status == UserStatus::Active
        && u.summary.user_type == UserType::Member
        && !u.summary.is_primary_owner
}

/// A change of `kind` that the org admin can make, acting on workspace `w` (`other` is a
/// second workspace, for the kinds that move people between two). Each call picks a
/// different person, so the samples do not interfere.
async fn sample(app: &TestApp, kind: &str, w: &str, other: &str, n: usize) -> Value {
    let pick = |f: &dyn Fn(&roster_proxy::directory::DirUser) -> bool| {
        let seen = std::cell::Cell::new(0);
        app.find(|u| {
            if f(u) {
                seen.set(seen.get() + 1);
                seen.get() > n
            } else {
                false
            }
        })
        .summary
        .id
    };
    let future = roster_proxy::directory::unix_now() + 90 * 86_400;
    match kind {
        "invite" => {
            json!({"op": "invite", "email": format!("sample{n}-{w}@agency.example").to_lowercase(),
            "workspace": w, "channels": [app.channel_on(w)], "guest": "multi_channel"})
        }
        "assign" => {
            let user = pick(&|u| active_member(u) && u.summary.workspaces == [other.into()]);
            json!({"op": "assign", "user": user, "workspace": w})
        }
        "remove" => {
            let user = pick(&|u| {
                active_member(u) && u.summary.is_on(w) && u.summary.workspaces.len() >= 2
            });
            json!({"op": "remove", "user": user, "workspace": w})
        }
        "set_role" => {
            let user = pick(&|u| active_member(u) && u.summary.is_on(w));
            json!({"op": "set_role", "user": user, "workspace": w, "role": "admin"})
        }
        "set_expiration" => {
            let user = pick(&|u| {
                u.summary.status == UserStatus::Active
                    && u.summary.user_type == UserType::MultiChannelGuest
                    && u.summary.is_on(w)
            });
            json!({"op": "set_expiration", "user": user, "workspace": w, "expires": future})
        }
        "offboard" => {
            let user = pick(&|u| active_member(u) && u.summary.is_on(w));
            json!({"op": "offboard", "user": user})
        }
        "reactivate" => {
            let user = pick(&|u| {
                u.summary.status == UserStatus::Deactivated
                    && u.summary.user_type == UserType::Member
                    && u.summary.is_on(w)
            });
            json!({"op": "reactivate", "user": user})
        }
        "sign_out" => {
            let user = pick(&|u| active_member(u) && u.summary.is_on(w));
            json!({"op": "sign_out", "user": user, "devices": "all"})
        }
        "set_session_duration" => {
            let user = pick(&|u| active_member(u) && u.summary.is_on(w));
            json!({"op": "set_session_duration", "user": user, "duration": 86_400})
        }
        "end_session" => {
            // The n-th person on `w` with a session there.
            let mut seen = 0;
            let candidates: Vec<String> = app
                .find_all(|u| active_member(u) && u.summary.is_on(w))
                .into_iter()
                .map(|u| u.summary.id)
                .collect();
            for user in candidates {
                let (status, sessions) = app.get(&format!("/api/users/{user}/sessions")).await;
                assert_eq!(status, 200, "{sessions}");
                if let Some(session) = sessions["sessions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["workspace"] == w)
                {
                    if seen == n {
                        return json!({"op": "end_session", "user": user, "workspace": w,
                                      "session": session["id"]});
                    }
                    seen += 1;
                }
            }
            panic!("nobody on {w} has a session")
        }
        "approve_request" | "deny_request" => {
            let (status, list) = app
                .get(&format!("/api/invite-requests?workspace={w}"))
                .await;
            assert_eq!(status, 200, "{list}");
            let requests = list["requests"].as_array().unwrap();
            // Approvals take the first, denials the last (there are two or more).
            if kind == "approve_request" {
                json!({"op": kind, "request": requests[0]["id"], "workspace": w})
            } else {
                json!({"op": kind, "request": requests.last().unwrap()["id"], "workspace": w,
                       "reason": "Not someone we work with"})
            }
        }
        other => panic!("no sample of the change kind {other:?}: add one here"),
    }
}

/// The Slack method a sample of `kind` calls.
fn method(kind: &str) -> &'static str {
    match kind {
        "invite" => "admin.users.invite",
        "assign" => "admin.users.assign",
        "remove" => "admin.users.remove",
        "set_role" => "admin.users.setAdmin",
        "set_expiration" => "admin.users.setExpiration",
        "offboard" => "scim.users.delete",
        "reactivate" => "scim.users.patch",
        "sign_out" => "admin.users.session.reset",
        "end_session" => "admin.users.session.invalidate",
        "set_session_duration" => "admin.users.session.setSettings",
        "approve_request" => "admin.inviteRequests.approve",
        "deny_request" => "admin.inviteRequests.deny",
        other => panic!("no method for the change kind {other:?}: add it here"),
    }
}

fn writes(app: &TestApp) -> u64 {
    KINDS
        .iter()
        .map(|k| app.sandbox.sandbox.calls(method(k)))
        .sum()
}

async fn wait_for_job(app: &TestApp, id: i64) -> Value {
    for _ in 0..400 {
        let (_, detail) = app.get(&format!("/api/jobs/{id}")).await;
        if matches!(
            detail["job"]["state"].as_str(),
            Some("finished" | "cancelled")
        ) {
            return detail;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn a_dry_run_makes_no_slack_call_and_writes_nothing() {
    let app = app().await;
    let (w, other) = (app.workspace(0), app.workspace(1));
    for kind in KINDS {
        let op = sample(&app, kind, &w, &other, 0).await;
        let calls = app.sandbox.sandbox.call_counts();
        let audited = app.audit_rows().await.len();
        let (status, report) = app
            .post("/api/jobs?dry_run=true", json!({"operations": [op]}))
            .await;
        assert_eq!(status, 200, "{kind}: {report}");
        assert_eq!(report["checks"][0]["ok"], true, "{kind}: {report}");
        assert_eq!(
            app.sandbox.sandbox.call_counts(),
            calls,
            "{kind}: a dry run calls Slack"
        );
        assert_eq!(
            app.audit_rows().await.len(),
            audited,
            "{kind}: a dry run writes to the audit log"
        );
    }
}

#[tokio::test]
async fn without_the_permission_or_outside_the_scope_nothing_reaches_slack() {
    let app = app().await;
    let (inside, outside) = (app.workspace(0), app.workspace(1));
    for kind in KINDS {
        // The auditor may not change anything; the regional role may, on `inside` only.
        for (role, op) in [
            ("auditor", sample(&app, kind, &inside, &outside, 1).await),
            ("regional", sample(&app, kind, &outside, &inside, 1).await),
        ] {
            let before = writes(&app);
            let (status, err) = app.post_as(role, "/api/changes", op.clone()).await;
            assert_eq!(status, 403, "{role} {kind}: {err}");
            assert_eq!(err["error"]["code"], "forbidden", "{role} {kind}");
            let rows = app.audit_rows().await;
            assert_eq!(
                (rows[0].action.as_str(), rows[0].outcome),
                (kind, AuditOutcome::Denied),
                "{role} {kind}: the refusal is audited"
            );
            // As a job row: the whole job is refused.
            let (status, err) = app
                .post_as(role, "/api/jobs", json!({"operations": [op]}))
                .await;
            assert_eq!(status, 403, "{role} {kind} as a job: {err}");
            assert_eq!(writes(&app), before, "{role} {kind}: Slack was called");
        }
    }
}

#[tokio::test]
async fn an_unknown_outcome_is_checked_with_slack_before_any_second_call() {
    let app = app().await;
    let (w, other) = (app.workspace(0), app.workspace(1));
    for kind in KINDS {
        let op = sample(&app, kind, &w, &other, 2).await;
        let m = method(kind);
        app.sandbox.sandbox.set_faults(
            m,
            Faults {
                next: [FaultKind::FatalError].into(),
                ..Default::default()
            },
        );
        let before = app.sandbox.sandbox.handled(m);
        let (status, job) = app.post("/api/jobs", json!({"operations": [op]})).await;
        assert_eq!(status, 201, "{kind}: {job}");
        let detail = wait_for_job(&app, job["job"]["id"].as_i64().unwrap()).await;
        let row = &detail["operations"][0];
        assert_eq!(row["state"], "done", "{kind}: {detail}");
        assert!(
            row["message"]
                .as_str()
                .unwrap()
                .contains("checked with Slack"),
            "{kind}: {row}"
        );
        assert_eq!(
            app.sandbox.sandbox.handled(m) - before,
            1,
            "{kind}: Slack was asked to do it again"
        );
        assert!(
            app.audit_rows()
                .await
                .iter()
                .any(|r| r.action == "check_outcome" && r.outcome == AuditOutcome::Ok),
            "{kind}: the check is audited"
        );
        app.sandbox.sandbox.clear_faults();
    }
}

/// What a change may alter of a person, as a comparable value.
fn shape(user: &roster_proxy::directory::DirUser) -> (UserType, UserStatus, BTreeSet<String>) {
    let seats = user
        .seats()
        .map(|(w, role, expires)| format!("{w}:{role:?}:{expires:?}"))
        .collect();
    (user.summary.user_type, user.summary.status, seats)
}

#[tokio::test]
async fn after_each_change_the_directory_matches_a_fresh_read_from_slack() {
    let app = app().await;
    let (w, other) = (app.workspace(0), app.workspace(1));
    for kind in KINDS {
        let op = sample(&app, kind, &w, &other, 3).await;
        let (status, result) = app.post("/api/changes", op.clone()).await;
        assert_eq!(status, 200, "{kind}: {result}");
        if kind == "deny_request" {
            // No person yet: the request is listed as denied, with the reason given.
            let (_, denied) = app
                .get(&format!("/api/invite-requests?workspace={w}&state=denied"))
                .await;
            let listed = denied["requests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == op["request"])
                .unwrap_or_else(|| panic!("not listed as denied: {denied}"));
            assert_eq!(listed["deny_reason"], op["reason"], "{listed}");
            continue;
        }
        let id = result["user"]["id"].as_str().unwrap().to_string();
        assert!(!id.is_empty(), "{kind}: {result}");
        let fresh = Directory::default();
        fresh.sync(&app.state.source).await.unwrap();
        let ours = app.state.directory.get(&id).expect("in the directory");
        let slacks = fresh.get(&id).expect("in Slack");
        assert_eq!(shape(&ours), shape(&slacks), "{kind}: {id}");
    }
}
