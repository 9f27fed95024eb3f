//! Offboarding, reactivation, sessions and invite requests given what cannot be done: a
//! clear refusal in words, the refusal in the audit log, and nothing changed in Slack.
//! Offboarding and reactivation through Slack's SCIM API: its 429 waited out as its
//! `Retry-After` says, its refusals in words with SCIM's own code.

mod common;

use std::time::{Duration, Instant};

use common::*;
use roster_api::{AuditOutcome, UserStatus, UserType};
use roster_sandbox::{org::OrgRole, ratelimit::RateLimitMode, scim::Version};
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
/// `words`, audited as `outcome`, and reach no Slack write beyond `slack_writes`. Returns
/// the error body.
async fn refused(
    app: &TestApp,
    op: Value,
    status: u16,
    words: &str,
    outcome: AuditOutcome,
    slack_writes: u64,
) -> Value {
    let before = writes(app);
    let (got, body) = app.post("/api/changes", op.clone()).await;
    assert_eq!(got, status, "{op}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{op}: {message}");
    let rows = app.audit_rows().await;
    assert_eq!(rows[0].outcome, outcome, "{op}: {:?}", rows[0]);
    assert_eq!(rows[0].action, op["op"].as_str().unwrap(), "{op}");
    assert_eq!(writes(app) - before, slack_writes, "{op}: Slack writes");
    body
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

/// 429s Roster received for `method`, from its metrics.
async fn rate_limited(app: &TestApp, method: &str) -> f64 {
    app.metrics()
        .await
        .lines()
        .filter(|l| l.starts_with("roster_slack_rate_limited_total{") && l.contains(method))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Spends the org's SCIM budget for `verb` on `/Users/{id}` the way another SCIM client of
/// the org would (with its own token, `body` for a PATCH), until Slack answers 429; returns
/// that answer's `Retry-After` in seconds.
async fn exhaust_scim(
    app: &TestApp,
    version: Version,
    verb: reqwest::Method,
    id: &str,
    body: Option<Value>,
) -> u64 {
    let url = format!("{}Users/{id}", app.sandbox.scim_url(version));
    for _ in 0..40 {
        let mut call = app
            .http
            .request(verb.clone(), &url)
            .bearer_auth(&app.sandbox.sandbox.tokens().admin);
        if let Some(body) = &body {
            call = call.json(body);
        }
        let resp = call.send().await.unwrap();
        if resp.status() == 429 {
            return resp.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
        }
        assert!(
            resp.status().is_success(),
            "{verb} {url}: {}",
            resp.status()
        );
    }
    panic!("{verb} {url} was never refused with 429");
}

/// Slack's SCIM limits at 0.15 of their speed: one DELETE or PATCH slot every 2.2 s once
/// the burst of 20 is spent, so Slack's `Retry-After` (3 s, whole seconds) is longer than
/// the slot and than Roster's own backoff, and only a caller that waits it out is admitted
/// at its next try.
const SCIM_SLOW: RateLimitMode = RateLimitMode::Scale(0.15);

/// Posts `op` while Slack's SCIM API refuses `method` for `retry_after` seconds: the
/// answer (200) comes no sooner, after one refused call and one that reached the account,
/// with one 429 counted and one audited success. The answer's body.
async fn waits_out(app: &TestApp, method: &str, retry_after: u64, op: Value) -> Value {
    let sandbox = &app.sandbox.sandbox;
    assert!(retry_after >= 2, "Retry-After: {retry_after}");
    let (calls, handled) = (sandbox.calls(method), sandbox.handled(method));
    let started = Instant::now();
    let (status, body) = app.post("/api/changes", op.clone()).await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(
        took >= Duration::from_secs(retry_after),
        "answered after {took:?}, before Slack's Retry-After of {retry_after}s"
    );
    // One call refused with 429, then one that changed the account: nothing more.
    assert_eq!(sandbox.calls(method) - calls, 2, "{method} calls");
    assert_eq!(
        sandbox.handled(method) - handled,
        1,
        "{method} calls that reached the account"
    );
    assert_eq!(rate_limited(app, method).await, 1.0);
    let rows = app.audit_rows().await;
    assert_eq!(rows[0].action, op["op"].as_str().unwrap());
    assert_eq!(rows[0].outcome, AuditOutcome::Ok, "{:?}", rows[0]);
    body
}

#[tokio::test]
async fn offboarding_waits_out_a_scim_429_and_deactivates_once() {
    let app = spawn_app(Options::default()).await;
    let person = app.find(|u| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type == UserType::Member
            && !u.summary.is_primary_owner
    });
    // Deleting a deactivated account again changes nothing in Slack.
    let spare = app.find(|u| {
        u.summary.status == UserStatus::Deactivated && u.summary.user_type == UserType::Member
    });
    let sandbox = &app.sandbox.sandbox;
    sandbox.set_rate_limits(SCIM_SLOW);
    let retry_after = exhaust_scim(
        &app,
        Version::V2,
        reqwest::Method::DELETE,
        &spare.summary.id,
        None,
    )
    .await;
    let body = waits_out(
        &app,
        "scim.users.delete",
        retry_after,
        json!({"op": "offboard", "user": person.summary.id}),
    )
    .await;
    assert!(sandbox.with_org(|o| o.users[&person.summary.id].is_deactivated()));
    assert_eq!(body["user"]["status"], "deactivated", "{body}");
    let rows = app.audit_rows().await;
    assert_eq!(
        rows.iter().filter(|r| r.action == "offboard").count(),
        1,
        "one audited offboarding"
    );
}

#[tokio::test]
async fn reactivation_waits_out_a_scim_429_and_reactivates_once() {
    let app = spawn_app(Options {
        scim: Version::V1,
        ..Options::default()
    })
    .await;
    let gone = app.find_all(|u| {
        u.summary.status == UserStatus::Deactivated && u.summary.user_type == UserType::Member
    });
    let (person, spare) = (&gone[0], &gone[1]);
    let sandbox = &app.sandbox.sandbox;
    sandbox.set_rate_limits(SCIM_SLOW);
    // Deactivating a deactivated account again changes nothing in Slack.
    let retry_after = exhaust_scim(
        &app,
        Version::V1,
        reqwest::Method::PATCH,
        &spare.summary.id,
        Some(json!({"active": false})),
    )
    .await;
    let body = waits_out(
        &app,
        "scim.users.patch",
        retry_after,
        json!({"op": "reactivate", "user": person.summary.id}),
    )
    .await;
    assert!(!sandbox.with_org(|o| o.users[&person.summary.id].is_deactivated()));
    assert!(sandbox.with_org(|o| o.users[&spare.summary.id].is_deactivated()));
    assert_eq!(body["user"]["status"], "active", "{body}");
}

/// Posts `op`, which Slack's SCIM API refuses with `code`: the caller gets a 502 whose
/// message is `words` (no SCIM code or detail in it) and whose `slack_error` is SCIM's
/// code, and the audit log records both. `reached` is 1 when Slack refuses it after
/// looking at the account, 0 when it refuses the token first.
async fn refused_by_scim(app: &TestApp, op: Value, code: &str, words: &str, reached: u64) {
    let body = refused(
        app,
        op.clone(),
        502,
        words,
        AuditOutcome::SlackError,
        reached,
    )
    .await;
    let error = &body["error"];
    assert_eq!(error["code"], "slack_error", "{op}: {body}");
    assert_eq!(error["slack_error"], code, "{op}: {body}");
    assert_eq!(error["message"], words, "{op}: {body}");
    assert!(!words.contains('_'), "{op}: {words:?} is not plain words");
    let rows = app.audit_rows().await;
    assert_eq!(
        rows[0].slack_error.as_deref(),
        Some(code),
        "{op}: {:?}",
        rows[0]
    );
    assert_eq!(
        rows[0].message.as_deref(),
        Some(words),
        "{op}: {:?}",
        rows[0]
    );
}

#[tokio::test]
async fn scim_refusals_reach_the_caller_in_words_with_slacks_code() {
    // SCIM 1.1: errors as `{"Errors": {"description", "code"}}`.
    let app = spawn_app(Options {
        scim: Version::V1,
        ..Options::default()
    })
    .await;
    let sandbox = &app.sandbox.sandbox;
    let members = app.find_all(|u| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type == UserType::Member
            && !u.summary.is_primary_owner
    });
    // Primary ownership moved to a member since Roster's last sync.
    let new_owner = &members[0];
    sandbox.with_org_mut(|o| {
        o.users.get_mut(&new_owner.summary.id).unwrap().org_role = OrgRole::PrimaryOwner;
    });
    refused_by_scim(
        &app,
        json!({"op": "offboard", "user": new_owner.summary.id}),
        "cannot_disable_primary_owner",
        "The primary owner's account can't be deactivated.",
        1,
    )
    .await;
    assert!(!sandbox.with_org(|o| o.users[&new_owner.summary.id].is_deactivated()));

    // An account Slack no longer has.
    let gone = &members[1];
    sandbox.with_org_mut(|o| o.users.remove(&gone.summary.id));
    refused_by_scim(
        &app,
        json!({"op": "offboard", "user": gone.summary.id}),
        "no_such_user",
        "Slack has no such user.",
        1,
    )
    .await;

    // A second address of another account is taken too, though Roster's directory knows
    // only primary addresses.
    let person = app.find(|u| {
        u.summary.status == UserStatus::Deactivated && u.summary.user_type == UserType::Member
    });
    sandbox.with_org_mut(|o| {
        o.users
            .get_mut(&members[2].summary.id)
            .unwrap()
            .secondary_email = "second.address@example.com".into();
    });
    refused_by_scim(
        &app,
        json!({"op": "reactivate", "user": person.summary.id,
               "email": "second.address@example.com"}),
        "email_taken",
        "Another Slack account already uses that email address.",
        1,
    )
    .await;
    assert!(sandbox.with_org(|o| o.users[&person.summary.id].is_deactivated()));
}

#[tokio::test]
async fn scim_refusals_for_an_admins_token_reach_the_caller_in_words() {
    // SCIM 2.0: errors as `{"schemas", "detail", "status"}`; Roster holds an org admin's
    // token, not an owner's.
    let app = spawn_app(Options {
        token: TokenChoice::Admin,
        ..Options::default()
    })
    .await;
    let sandbox = &app.sandbox.sandbox;
    let owner = sandbox.with_org(|o| {
        o.users
            .values()
            .find(|u| u.org_role == OrgRole::Owner && !u.is_deactivated() && !u.is_bot)
            .unwrap()
            .id
            .clone()
    });
    refused_by_scim(
        &app,
        json!({"op": "offboard", "user": owner}),
        "cannot_modify_owner",
        "Owners can only be changed by an owner, and the Slack account behind Roster is not one.",
        1,
    )
    .await;
    assert!(!sandbox.with_org(|o| o.users[&owner].is_deactivated()));

    // The account behind the token is no longer an org admin.
    let token_user = sandbox
        .tokens()
        .lookup(&sandbox.tokens().admin)
        .unwrap()
        .user_id
        .clone();
    sandbox.with_org_mut(|o| o.users.get_mut(&token_user).unwrap().org_role = OrgRole::Regular);
    let member = app.find(|u| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type == UserType::Member
            && u.summary.id != token_user
    });
    refused_by_scim(
        &app,
        json!({"op": "offboard", "user": member.summary.id}),
        "permission_denied",
        "The Slack account behind Roster is not an org admin or owner, or its token lacks the admin permission, so Slack refused.",
        0,
    )
    .await;
    assert!(!sandbox.with_org(|o| o.users[&member.summary.id].is_deactivated()));
}
