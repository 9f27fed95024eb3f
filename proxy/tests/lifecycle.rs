//! Offboarding, reactivation, sessions and invite requests given what cannot be done: a
//! clear refusal in words, the refusal in the audit log, and nothing changed in Slack.

mod common;

use common::*;
use roster_api::{AuditOutcome, UserStatus, UserType};
use serde_json::{Value, json};

/// The Slack writes these changes make.
const WRITES: [&str; 6] = [
    "scim.users.delete",
    "scim.users.patch",
    "admin.users.session.reset",
    "admin.users.session.invalidate",
    "admin.inviteRequests.approve",
    "admin.inviteRequests.deny",
];

fn writes(app: &TestApp) -> u64 {
    WRITES.iter().map(|m| app.sandbox.sandbox.handled(m)).sum()
}

/// Posts `op` as the org admin; it must be refused with `status` and a message containing
/// `words`, audited as `outcome`, and reach no Slack write beyond `slack_writes`.
async fn refused(
    app: &TestApp,
    op: Value,
    status: u16,
    words: &str,
    outcome: AuditOutcome,
    slack_writes: u64,
) {
    let before = writes(app);
    let (got, body) = app.post("/api/changes", op.clone()).await;
    assert_eq!(got, status, "{op}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{op}: {message}");
    let rows = app.audit_rows().await;
    assert_eq!(rows[0].outcome, outcome, "{op}: {:?}", rows[0]);
    assert_eq!(rows[0].action, op["op"].as_str().unwrap(), "{op}");
    assert_eq!(writes(app) - before, slack_writes, "{op}: Slack writes");
}

#[tokio::test]
async fn what_cannot_be_done_is_refused_in_words_and_audited() {
    let app = spawn_app(Options::default()).await;
    let w = app.workspace(0);
    let gone = app.find(|u| {
        u.summary.status == UserStatus::Deactivated && u.summary.user_type == UserType::Member
    });
    let active = app.find(|u| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type == UserType::Member
            && !u.summary.is_primary_owner
    });
    let owner = app.find(|u| u.summary.is_primary_owner);

    refused(
        &app,
        json!({"op": "offboard", "user": gone.summary.id}),
        422,
        "already deactivated",
        AuditOutcome::Invalid,
        0,
    )
    .await;
    refused(
        &app,
        json!({"op": "offboard", "user": owner.summary.id}),
        422,
        "primary owner's account can't be deactivated",
        AuditOutcome::Invalid,
        0,
    )
    .await;
    refused(
        &app,
        json!({"op": "reactivate", "user": active.summary.id}),
        422,
        "already active",
        AuditOutcome::Invalid,
        0,
    )
    .await;
    refused(
        &app,
        json!({"op": "sign_out", "user": gone.summary.id}),
        422,
        "deactivated",
        AuditOutcome::Invalid,
        0,
    )
    .await;
    refused(
        &app,
        json!({"op": "set_session_duration", "user": active.summary.id, "duration": 60}),
        422,
        "8 hours",
        AuditOutcome::Invalid,
        0,
    )
    .await;

    // A session that no longer exists: Slack says so, in words, and it is audited.
    let (_, sessions) = app
        .get(&format!("/api/users/{}/sessions", active.summary.id))
        .await;
    let workspace = sessions["sessions"][0]["workspace"]
        .as_str()
        .map(str::to_string)
        .unwrap_or(w.clone());
    refused(
        &app,
        json!({"op": "end_session", "user": active.summary.id, "workspace": workspace,
               "session": "1000000000001"}),
        502,
        "already ended",
        AuditOutcome::SlackError,
        1,
    )
    .await;

    // A request approved once cannot be approved again, nor denied.
    let (_, list) = app
        .get(&format!("/api/invite-requests?workspace={w}"))
        .await;
    let request = list["requests"][0]["id"].clone();
    let (status, body) = app
        .post(
            "/api/changes",
            json!({"op": "approve_request", "request": request, "workspace": w}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for op in ["approve_request", "deny_request"] {
        refused(
            &app,
            json!({"op": op, "request": request, "workspace": w}),
            422,
            "already been approved",
            AuditOutcome::Invalid,
            0,
        )
        .await;
    }
    // A request of another workspace is refused like one that does not exist.
    let other = app.workspace(1);
    let (_, listed) = app
        .get(&format!("/api/invite-requests?workspace={other}"))
        .await;
    let elsewhere = listed["requests"][0]["id"].clone();
    for id in [elsewhere, json!("Ir0NOBODY00")] {
        refused(
            &app,
            json!({"op": "deny_request", "request": id, "workspace": w}),
            422,
            "not waiting for an answer on that workspace",
            AuditOutcome::Invalid,
            0,
        )
        .await;
    }
    // A denial's reason is kept, so it is bounded.
    let next = list["requests"][1]["id"].clone();
    refused(
        &app,
        json!({"op": "deny_request", "request": next, "workspace": w,
               "reason": "x".repeat(501)}),
        422,
        "500",
        AuditOutcome::Invalid,
        0,
    )
    .await;
}
