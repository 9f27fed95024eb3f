//! Bulk jobs against the sandbox: dry runs, the pace of Slack's tiers, restarts, unknown
//! outcomes, controls, permissions and progress events.

mod common;

use std::time::{Duration, Instant};

use common::{Options, TestApp, spawn_app, spawn_app_on};
use roster_api::{UserStatus, UserType};
use roster_sandbox::{
    faults::{FaultKind, Faults},
    ratelimit::RateLimitMode,
};
use serde_json::{Value, json};

fn invites(app: &TestApp, prefix: &str, n: usize, team: &str) -> Vec<Value> {
    let channel = app.channel_on(team);
    (0..n)
        .map(|i| {
            json!({"op": "invite", "email": format!("{prefix}{i:03}@agency.example"), "workspace": team,
                   "channels": [channel], "guest": "multi_channel"})
        })
        .collect()
}

/// Waits until job `id` has `state`, returning its detail.
async fn wait_for(app: &TestApp, id: i64, state: &str, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, job) = app.get(&format!("/api/jobs/{id}")).await;
        assert_eq!(status, 200, "{job}");
        if job["job"]["state"] == state {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} not {state} after {secs} s: {}",
            job["job"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// 429s Roster received (for `method`, or all when empty), from its metrics.
async fn rate_limited(app: &TestApp, method: &str) -> f64 {
    let metrics = app.metrics().await;
    metrics
        .lines()
        .filter(|l| l.starts_with("roster_slack_rate_limited_total{") && l.contains(method))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn states(job: &Value) -> Vec<String> {
    job["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["state"].as_str().unwrap().to_string())
        .collect()
}

fn invited(app: &TestApp, email: &str, team: &str) -> usize {
    app.sandbox.sandbox.with_org(|o| {
        o.users
            .values()
            .filter(|u| u.email == email && u.memberships.contains_key(team))
            .count()
    })
}

#[tokio::test]
async fn a_dry_run_says_what_each_row_would_do_and_calls_nothing() {
    let app = spawn_app(Options::default()).await;
    let team = app.workspace(0);
    let member = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.summary.is_on(&team)
    });
    let email = member.summary.email.clone().unwrap();
    let mut ops = invites(&app, "ok", 2, &team);
    ops.push(json!({"op": "invite", "email": "not-an-email", "workspace": team, "channels": [app.channel_on(&team)]}));
    ops.push(json!({"op": "invite", "email": email, "workspace": team, "channels": [app.channel_on(&team)]}));
    ops.push(ops[0].clone());
    ops.push(json!({"op": "set_expiration", "user": member.summary.id, "workspace": team, "expires": 4_100_000_000i64}));
    ops.push(json!({"op": "remove", "user": member.summary.id, "workspace": "T_NOPE"}));
    let before = app.sandbox.sandbox.call_counts();
    let audit_before = app.audit_rows().await.len();

    let (status, report) = app
        .post("/api/jobs?dry_run=true", json!({"operations": ops}))
        .await;
    assert_eq!(status, 200, "{report}");
    let verdicts: Vec<(bool, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["ok"].as_bool().unwrap(),
                c["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        verdicts[0].0
            && verdicts[0]
                .1
                .starts_with("Will invite ok000@agency.example"),
        "{verdicts:?}"
    );
    assert!(verdicts[1].0);
    assert!(
        !verdicts[2].0 && verdicts[2].1.contains("valid email"),
        "{verdicts:?}"
    );
    assert!(
        !verdicts[3].0 && verdicts[3].1.contains("already a member"),
        "{verdicts:?}"
    );
    assert!(
        !verdicts[4].0 && verdicts[4].1.contains("row 1"),
        "{verdicts:?}"
    );
    assert!(
        !verdicts[5].0 && verdicts[5].1.contains("guest"),
        "{verdicts:?}"
    );
    assert!(
        !verdicts[6].0 && verdicts[6].1.contains("no such workspace"),
        "{verdicts:?}"
    );
    assert_eq!(report["checks"][2]["field"], "email");
    // Rows about a user name them; an invitation's email speaks for itself.
    assert_eq!(
        report["checks"][5]["user_name"],
        member.summary.name.as_str()
    );
    assert_eq!(
        report["checks"][6]["user_name"],
        member.summary.name.as_str()
    );
    assert!(report["checks"][0].get("user_name").is_none(), "{report}");
    assert_eq!(
        (report["ok"].clone(), report["failing"].clone()),
        (json!(2), json!(5))
    );

    assert_eq!(
        app.sandbox.sandbox.call_counts(),
        before,
        "a dry run makes no Slack call"
    );
    assert_eq!(
        app.audit_rows().await.len(),
        audit_before,
        "and writes nothing"
    );
    let (_, list) = app.get("/api/jobs").await;
    assert_eq!(list["jobs"], json!([]), "and creates no job");

    // Creating it keeps the failing rows as skipped, with their reasons, and runs the rest.
    let (status, created) = app
        .post("/api/jobs", json!({"title": "Mixed", "operations": ops}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    let job = wait_for(&app, id, "finished", 20).await;
    assert_eq!(
        states(&job),
        [
            "done", "done", "skipped", "skipped", "skipped", "skipped", "skipped"
        ]
    );
    assert!(
        job["operations"][3]["message"]
            .as_str()
            .unwrap()
            .contains("already a member")
    );
    assert_eq!(
        app.calls("admin.users.invite") - before.get("admin.users.invite").copied().unwrap_or(0),
        2
    );

    // Nothing runnable: refused, nothing created.
    let (status, err) = app
        .post("/api/jobs", json!({"operations": [ops[2].clone()]}))
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("None of the operations")
    );
    let (status, err) = app.post("/api/jobs", json!({"operations": []})).await;
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("operations"))
    );
    let (status, err) = app
        .post("/api/jobs", json!({"operations": [{"op": "nuke"}]}))
        .await;
    assert_eq!(status, 400, "{err}");
}

#[tokio::test]
async fn three_hundred_invites_finish_close_to_the_tier_floor() {
    const SCALE: f64 = 60.0;
    let app = spawn_app(Options {
        rate_limits: RateLimitMode::Scale(SCALE),
        rate_scale: SCALE,
        ..Options::default()
    })
    .await;
    let team = app.workspace(1);
    let ops = invites(&app, "contractor", 300, &team);
    let (status, report) = app
        .post("/api/jobs?dry_run=true", json!({"operations": ops}))
        .await;
    assert_eq!(
        (status, report["ok"].clone()),
        (200, json!(300)),
        "{report}"
    );

    let started = Instant::now();
    let (status, created) = app
        .post(
            "/api/jobs",
            json!({"title": "Contractors", "operations": ops}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    let job = wait_for(&app, id, "finished", 120).await;
    let elapsed = started.elapsed().as_secs_f64();

    // Tier 2: a burst of 20, then 20 a minute; the sandbox's clock runs SCALE times faster.
    let floor = (300.0 - 20.0) / (20.0 / 60.0 * SCALE);
    println!(
        "300 invites: {elapsed:.2} s; tier floor {floor:.2} s; ratio {:.3}",
        elapsed / floor
    );
    assert!(states(&job).iter().all(|s| s == "done"), "{}", job["job"]);
    assert!(
        elapsed <= floor * 1.15,
        "{elapsed:.2} s is more than 1.15 x the floor of {floor:.2} s"
    );
    // Every row ran once. Roster paces at the tier's rate, so a 429 is rare; when timing
    // jitter earns one it is waited out and retried (counted below), never lost or doubled.
    assert_eq!(
        app.sandbox.sandbox.handled("admin.users.invite"),
        300,
        "every row once"
    );
    for i in [0, 150, 299] {
        assert_eq!(
            invited(&app, &format!("contractor{i:03}@agency.example"), &team),
            1
        );
    }
    let metrics = app.metrics().await;
    let limited: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("roster_slack_rate_limited_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    println!("429s from the sandbox: {limited}");
    assert!(limited <= 3.0, "{limited} 429s");
    assert_eq!(app.calls("admin.users.invite") as f64, 300.0 + limited);
}

#[tokio::test]
async fn a_killed_proxy_resumes_the_job_and_does_every_row_exactly_once() {
    const SCALE: f64 = 20.0;
    let options = || Options {
        rate_limits: RateLimitMode::Scale(SCALE),
        rate_scale: SCALE,
        ..Options::default()
    };
    let app = spawn_app(options()).await;
    let team = app.workspace(0);
    let ops = invites(&app, "restart", 60, &team);
    let (status, created) = app.post("/api/jobs", json!({"operations": ops})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    // Past the burst, into the paced part.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, job) = app.get(&format!("/api/jobs/{id}")).await;
        if job["job"]["counts"]["done"].as_u64().unwrap() >= 25 {
            break;
        }
        assert!(Instant::now() < deadline, "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let limited_before = rate_limited(&app, "admin.users.invite").await;
    let crashed = app.crash();
    let at_crash = crashed.sandbox.sandbox.calls("admin.users.invite");
    assert!(at_crash < 60, "the job was mid-way: {at_crash}");

    let app = spawn_app_on(
        crashed.sandbox,
        crashed.data,
        Options {
            data_dir: Some(crashed.data_dir),
            ..options()
        },
    )
    .await;
    app.state.jobs.resume_all(&app.state.core).await.unwrap();
    let job = wait_for(&app, id, "finished", 60).await;
    assert!(
        states(&job).iter().all(|s| s == "done"),
        "{}",
        job["operations"]
    );
    // The restarted Roster replays the first one's recent calls into its limiter, so it
    // does not spend a burst Slack has already counted: no 429 after the restart.
    let limited_after = rate_limited(&app, "admin.users.invite").await;
    let limited = limited_before + limited_after;
    println!(
        "after a restart: {} invite calls, {limited} answered 429, {} run",
        app.calls("admin.users.invite"),
        app.sandbox.sandbox.handled("admin.users.invite")
    );
    for op in job["operations"].as_array().unwrap() {
        if op["attempts"] != 1 {
            println!("{op}");
        }
    }
    assert_eq!(
        app.sandbox.sandbox.handled("admin.users.invite"),
        60,
        "every row exactly once"
    );
    assert_eq!(limited_after, 0.0, "429s after the restart");
    for i in 0..60 {
        assert_eq!(
            invited(&app, &format!("restart{i:03}@agency.example"), &team),
            1,
            "row {i}"
        );
    }
}

#[tokio::test]
async fn an_unknown_outcome_is_checked_with_slack_before_any_retry() {
    let app = spawn_app(Options::default()).await;
    let team = app.workspace(0);
    let ops = invites(&app, "unsure", 2, &team);
    // fatal_error: Slack applied the invite but did not say so.
    app.sandbox.sandbox.set_faults(
        "admin.users.invite",
        Faults {
            next: [FaultKind::FatalError].into(),
            ..Default::default()
        },
    );
    let (status, created) = app.post("/api/jobs", json!({"operations": ops[..1]})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    let job = wait_for(&app, id, "finished", 20).await;
    let op = &job["operations"][0];
    assert_eq!(op["state"], "done", "{op}");
    assert!(
        op["message"]
            .as_str()
            .unwrap()
            .contains("checked with Slack"),
        "{op}"
    );
    assert_eq!(op["slack_error"], "fatal_error");
    assert_eq!(app.calls("admin.users.invite"), 1, "checked, not repeated");
    assert_eq!(invited(&app, "unsure000@agency.example", &team), 1);
    let rows = app.audit_rows().await;
    assert!(
        rows.iter()
            .any(|r| r.action == "invite" && r.outcome == roster_api::AuditOutcome::Unknown)
    );
    assert!(
        rows.iter()
            .any(|r| r.action == "check_outcome" && r.outcome == roster_api::AuditOutcome::Ok)
    );

    // internal_error: Slack did nothing. The check says so, and only then is it retried.
    app.sandbox.sandbox.set_faults(
        "admin.users.invite",
        Faults {
            next: [FaultKind::InternalError].into(),
            ..Default::default()
        },
    );
    let (status, created) = app
        .post("/api/jobs", json!({"operations": ops[1..2]}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();
    let job = wait_for(&app, id, "finished", 20).await;
    let op = &job["operations"][0];
    assert_eq!(
        (op["state"].clone(), op["attempts"].clone()),
        (json!("done"), json!(2)),
        "{op}"
    );
    assert_eq!(app.calls("admin.users.invite"), 3);
    assert_eq!(invited(&app, "unsure001@agency.example", &team), 1);
}

#[tokio::test]
async fn the_help_desk_cannot_smuggle_a_removal_into_a_job() {
    let app = spawn_app(Options::default()).await;
    let (_, me) = app.get_as("helpdesk", "/api/me").await;
    let team = me["workspaces"][0].as_str().unwrap_or_default().to_string();
    let team = if team.is_empty() {
        app.workspace(0)
    } else {
        team
    };
    let victim = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.summary.is_on(&team)
    });
    // Someone on none of the help desk's workspaces, whom it cannot see.
    let desk_teams: Vec<String> = me["workspaces"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let outsider = app.find(|u| {
        u.summary.status == UserStatus::Active
            && !desk_teams.is_empty()
            && u.summary
                .workspaces
                .iter()
                .all(|w| !desk_teams.iter().any(|d| **d == **w))
    });
    let mut ops = invites(&app, "desk", 1, &team);
    ops.push(json!({"op": "remove", "user": victim.summary.id, "workspace": team}));
    ops.push(
        json!({"op": "set_role", "user": outsider.summary.id, "workspace": team, "role": "admin"}),
    );
    let before = app.sandbox.sandbox.call_counts();

    let (status, report) = app
        .post_as(
            "helpdesk",
            "/api/jobs?dry_run=true",
            json!({"operations": ops}),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["checks"][0]["ok"], true, "{report}");
    assert_eq!(report["checks"][1]["code"], "forbidden", "{report}");
    assert_eq!(
        report["checks"][1]["user_name"],
        victim.summary.name.as_str()
    );
    assert_eq!(report["checks"][2]["ok"], false, "{report}");
    assert!(
        report["checks"][2].get("user_name").is_none(),
        "no name of a user the help desk cannot see: {report}"
    );
    // The dry run's refused row is in the audit log, like any refused request.
    let rows = app.audit_rows().await;
    assert_eq!(rows[0].action, "dry_run");
    assert_eq!(rows[0].outcome, roster_api::AuditOutcome::Denied);
    assert!(
        rows[0].message.as_deref().unwrap().starts_with("Row 2"),
        "{:?}",
        rows[0]
    );

    let (status, err) = app
        .post_as("helpdesk", "/api/jobs", json!({"operations": ops}))
        .await;
    assert_eq!(status, 403, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Row 2"),
        "{err}"
    );
    assert_eq!(
        app.sandbox.sandbox.call_counts(),
        before,
        "nothing reached Slack"
    );
    let (_, list) = app.get_as("helpdesk", "/api/jobs").await;
    assert_eq!(list["jobs"], json!([]));
    let rows = app.audit_rows().await;
    assert_eq!(rows[0].action, "create_job");
    assert_eq!(rows[0].outcome, roster_api::AuditOutcome::Denied);
    // An auditor may not create jobs at all.
    let (status, _) = app
        .post_as("auditor", "/api/jobs", json!({"operations": ops[..1]}))
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn pause_resume_cancel_retry_and_live_progress() {
    const SCALE: f64 = 10.0;
    let app = spawn_app(Options {
        rate_limits: RateLimitMode::Scale(SCALE),
        rate_scale: SCALE,
        ..Options::default()
    })
    .await;
    let team = app.workspace(0);
    let mut ops = invites(&app, "steer", 40, &team);
    // A channel of another workspace: Slack refuses this row.
    ops[1]["channels"] = json!([app.channel_on(&app.workspace(1))]);
    let (status, created) = app.post("/api/jobs", json!({"operations": ops})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["job"]["id"].as_i64().unwrap();

    // Live events while it runs.
    let mut events = app
        .http
        .get(format!("{}/api/jobs/{id}/events", app.url))
        .header("cookie", "roster_demo_role=org-admin")
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    // Compressing would hold events back until a compressor's block fills.
    assert!(
        events.headers().get("content-encoding").is_none(),
        "{:?}",
        events.headers()
    );
    let mut seen = String::new();
    while !(seen.contains("event: operation") && seen.matches("event: progress").count() >= 3) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk())
            .await
            .expect("events keep coming")
            .unwrap()
            .expect("the stream is open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"counts\""), "{seen}");

    let (status, paused) = app.post(&format!("/api/jobs/{id}/pause"), json!({})).await;
    assert_eq!(
        (status, paused["state"].clone()),
        (200, json!("paused")),
        "{paused}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Counted as calls that ran: a 429 (possible under load) is refused, not run.
    let ran = app.sandbox.sandbox.handled("admin.users.invite");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.sandbox.sandbox.handled("admin.users.invite"),
        ran,
        "nothing runs while paused"
    );
    let calls = app.calls("admin.users.invite");
    let (status, again) = app.post(&format!("/api/jobs/{id}/pause"), json!({})).await;
    assert_eq!(
        (status, again["error"]["code"].clone()),
        (409, json!("conflict"))
    );
    // Only the creator steers it.
    let (status, err) = app
        .post_as("auditor", &format!("/api/jobs/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, 403, "{err}");

    let (status, resumed) = app.post(&format!("/api/jobs/{id}/resume"), json!({})).await;
    assert_eq!((status, resumed["state"].clone()), (200, json!("running")));
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.calls("admin.users.invite") <= calls + 2 {
        assert!(Instant::now() < deadline, "it goes on after resume");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, cancelled) = app.post(&format!("/api/jobs/{id}/cancel"), json!({})).await;
    assert_eq!(
        (status, cancelled["state"].clone()),
        (200, json!("cancelled")),
        "{cancelled}"
    );
    wait_for(&app, id, "cancelled", 10).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let job = loop {
        let (_, job) = app.get(&format!("/api/jobs/{id}")).await;
        if job["job"]["counts"]["running"] == 0 {
            break job;
        }
        assert!(Instant::now() < deadline, "{}", job["job"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let s = states(&job);
    assert_eq!(s[1], "failed", "{}", job["operations"][1]);
    assert!(job["operations"][1]["slack_error"].is_string());
    assert!(s.iter().any(|x| x == "skipped"), "{s:?}");
    assert!(
        s.iter()
            .all(|x| x == "done" || x == "failed" || x == "skipped"),
        "{s:?}"
    );
    let skipped = s.iter().filter(|x| *x == "skipped").count();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ran = app.sandbox.sandbox.handled("admin.users.invite");
    assert_eq!(ran as usize, 40 - skipped, "cancelled rows never ran");
    let calls = app.calls("admin.users.invite");

    // The failed row can be retried (it fails the same way), and the errors download.
    let (status, retried) = app.post(&format!("/api/jobs/{id}/retry"), json!({})).await;
    assert_eq!(status, 200, "{retried}");
    let job = wait_for(&app, id, "finished", 10).await;
    assert_eq!(job["operations"][1]["attempts"], 2);
    assert_eq!(
        app.calls("admin.users.invite"),
        calls + 1,
        "only the failed row ran again"
    );
    let csv = app
        .http
        .get(format!("{}/api/jobs/{id}/errors.csv", app.url))
        .header("cookie", "roster_demo_role=org-admin")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("row,action,target,workspace,state,message,slack_error\n2,Invite,steer001@agency.example"), "{csv}");
    assert_eq!(csv.lines().count(), 2 + skipped, "{csv}");
}

#[tokio::test]
async fn dry_runs_have_a_budget_per_person_and_a_refused_one_is_audited() {
    let app = spawn_app(Options::default()).await;
    let team = app.workspace(0);
    let ops = invites(&app, "budget", roster_api::MAX_JOB_OPERATIONS, &team);
    let dry_run = |role: &'static str| {
        let ops = ops.clone();
        let app = &app;
        async move {
            app.post_as(role, "/api/jobs?dry_run=true", json!({"operations": ops}))
                .await
        }
    };
    // Two full dry runs a minute, then a 429 that says why, and nothing more is checked.
    for _ in 0..2 {
        let (status, report) = dry_run("org-admin").await;
        assert_eq!(status, 200, "{report}");
    }
    let audited = app.audit_rows().await.len();
    let (status, err) = dry_run("org-admin").await;
    assert_eq!(status, 429, "{err}");
    assert_eq!(err["error"]["code"], "too_many_checks");
    let rows = app.audit_rows().await;
    assert_eq!(rows.len(), audited + 1, "the refusal is audited");
    assert_eq!(rows[0].action, "dry_run");
    assert_eq!(rows[0].outcome, roster_api::AuditOutcome::Denied);
    // Creating a job checks its rows too, from the same budget (which refills at about 67
    // rows a second: far from a full job's).
    let (status, _) = app.post("/api/jobs", json!({"operations": ops})).await;
    assert_eq!(status, 429);
    assert_eq!(app.calls("admin.users.invite"), 0);
    // The budget is per person: another role's is whole.
    let (status, report) = dry_run("helpdesk").await;
    assert_eq!(status, 200, "{report}");
    // A role that may not change anything is refused, and that is audited too.
    let (status, _) = app
        .post_as(
            "auditor",
            "/api/jobs?dry_run=true",
            json!({"operations": ops[..1]}),
        )
        .await;
    assert_eq!(status, 403);
    let rows = app.audit_rows().await;
    assert_eq!(
        (rows[0].actor_email.as_str(), rows[0].action.as_str()),
        ("auditor@demo.roster.invalid", "dry_run")
    );
}
