//! Hidden fields everywhere they travel: the audit log (its filters, entries and export),
//! jobs (detail, events, errors), dry runs and their verdicts, and the answers to changes.
//! A role reads back what it gave itself; what Slack or other people gave stays hidden.

mod common;

use common::{Options, TestApp, parse_roles, spawn_app};
use roster_api::{UserStatus, UserType};
use serde_json::{Value, json};

/// The org admin, and roles that see the whole org but not addresses or expirations.
fn roles() -> Vec<roster_proxy::policy::RoleConfig> {
    parse_roles(
        r#"
[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive", "users.invite", "users.assign", "users.remove",
               "users.set_role", "users.set_expiration", "users.deactivate",
               "users.deactivate_admins", "users.reactivate", "users.sessions",
               "users.session_settings", "invites.review", "audit.read", "audit.read_all"]
workspaces = "all"

[[roles]]
name = "no-emails"
permissions = ["users.read", "audit.read", "audit.read_all"]
workspaces = "all"
hidden_fields = ["email"]

[[roles]]
name = "no-dates"
permissions = ["users.read", "users.set_expiration", "users.deactivate", "users.invite",
               "audit.read", "audit.read_all"]
workspaces = "all"
hidden_fields = ["expires"]

[[roles]]
name = "guests-desk"
permissions = ["users.read", "users.invite", "invites.review", "audit.read"]
workspaces = "all"
hidden_fields = ["email"]
invite_guests_only = true

[[roles]]
name = "reviewer"
permissions = ["users.read", "invites.review", "audit.read"]
workspaces = "all"
"#,
    )
}

async fn app() -> TestApp {
    spawn_app(Options {
        roles: Some(roles()),
        ..Options::default()
    })
    .await
}

/// A GET as `role` whose body is text (CSV).
async fn text_as(app: &TestApp, role: &str, path: &str) -> String {
    app.http
        .get(format!("{}{path}", app.url))
        .header("cookie", format!("roster_demo_role={role}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// "10 Apr 2027", as Roster's sentences write days.
fn day(ts: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ts).unwrap();
    let month = t.month().to_string();
    format!("{} {} {}", t.day(), &month[..3], t.year())
}

fn marks(text: &str) -> bool {
    text.contains(['\u{E000}', '\u{E001}', '\u{E002}'])
}

#[tokio::test]
async fn an_address_is_hidden_from_every_reader_whose_role_hides_it() {
    let app = app().await;
    let team = app.workspace(0);
    let address = "hidden.person@agency.example";
    let invite = json!({"op": "invite", "email": address, "workspace": team,
        "channels": [app.channel_on(&team)], "guest": "multi_channel"});
    // Once as a change, once in a job.
    let (status, body) = app.post("/api/changes", invite.clone()).await;
    assert_eq!(status, 200, "{body}");
    let second = json!({"op": "invite", "email": "other.hidden@agency.example", "workspace": team,
        "channels": [app.channel_on(&team)], "guest": "multi_channel"});
    let (status, job) = app
        .post(
            "/api/jobs",
            json!({"operations": [second], "title": "Agency guests, asked by hidden.title@agency.example"}),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let job = job["job"]["id"].as_i64().unwrap();
    for _ in 0..100 {
        let (_, d) = app.get(&format!("/api/jobs/{job}")).await;
        if d["job"]["state"] == "finished" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A request denied with a reason that names someone.
    let request = request_for(&app, false).await;
    let (status, body) = app
        .post(
            "/api/changes",
            json!({"op": "deny_request", "request": request["id"], "workspace": request["workspace"],
                   "reason": "Already has an account as hidden.reason@agency.example."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // A role covering the whole org that hides addresses: not in the log, its export, the
    // job (its title too), its events or its errors, nor in a denial's reason.
    let (status, page) = app.get_as("no-emails", "/api/audit").await;
    assert_eq!(status, 200);
    let reads = [
        page.to_string(),
        text_as(&app, "no-emails", "/api/audit/export.csv").await,
        app.get_as("no-emails", &format!("/api/jobs/{job}"))
            .await
            .1
            .to_string(),
        text_as(&app, "no-emails", &format!("/api/jobs/{job}/events")).await,
        text_as(&app, "no-emails", &format!("/api/jobs/{job}/errors.csv")).await,
        app.get_as("no-emails", "/api/jobs").await.1.to_string(),
        app.get_as(
            "no-emails",
            &format!(
                "/api/invite-requests?state=denied&workspace={}",
                request["workspace"].as_str().unwrap()
            ),
        )
        .await
        .1
        .to_string(),
    ];
    for read in &reads {
        assert!(
            !read.contains("hidden.person")
                && !read.contains("other.hidden")
                && !read.contains("hidden.title")
                && !read.contains("hidden.reason"),
            "an address leaks: {read}"
        );
        assert!(!marks(read), "an unrendered sentence: {read:?}");
    }
    let (_, detail) = app.get_as("no-emails", &format!("/api/jobs/{job}")).await;
    assert_eq!(
        detail["operations"][0]["hidden"],
        json!(["email"]),
        "{detail}"
    );
    assert!(
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "invite"
                && e["message"]
                    .as_str()
                    .unwrap()
                    .contains("an address your role does not show")),
        "{page}"
    );
    // The org admin reads them.
    let (_, all) = app.get("/api/audit").await;
    assert!(all.to_string().contains(address));
    assert!(all.to_string().contains("hidden.reason@agency.example"));

    // A filter never matches a value the reader may not see: part of the address, the
    // whole of it, or a letter of it find nothing a reader could tell apart.
    for target in ["hidden", address, "h", "@agency"] {
        let (status, found) = app
            .get_as("no-emails", &format!("/api/audit?target={target}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(found["entries"], json!([]), "target={target}: {found}");
    }
    let (_, found) = app.get("/api/audit?target=hidden").await;
    assert_eq!(found["entries"].as_array().unwrap().len(), 2, "{found}");
}

#[tokio::test]
async fn a_role_that_hides_expirations_sees_no_date_it_did_not_give() {
    let app = app().await;
    let now = roster_proxy::directory::unix_now();
    let guest = app.find(|u| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type.is_guest()
            && u.memberships.len() == 1
            && u.memberships[0].expires.is_some_and(|e| e > now + 86_400)
    });
    let id = guest.summary.id.clone();
    let team = guest.memberships[0].workspace.to_string();
    let old = guest.memberships[0].expires.unwrap();

    // Moving it by a number of days would tell the date it counts from: refused, in words.
    let extend = json!({"op": "set_expiration", "user": id, "workspace": team, "extend_days": 30});
    let (status, body) = app
        .post_as("no-dates", "/api/changes", extend.clone())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "extend_days");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("give the new date"),
        "{body}"
    );
    let (_, dry) = app
        .post_as(
            "no-dates",
            "/api/jobs?dry_run=true",
            json!({"operations": [extend]}),
        )
        .await;
    assert_eq!(dry["checks"][0]["ok"], false, "{dry}");

    // A date it gives: the verdict and the answer say that date, never the old one.
    let new = now + 200 * 86_400;
    let set = json!({"op": "set_expiration", "user": id, "workspace": team, "expires": new});
    let (_, dry) = app
        .post_as(
            "no-dates",
            "/api/jobs?dry_run=true",
            json!({"operations": [set]}),
        )
        .await;
    let verdict = dry["checks"][0]["message"].as_str().unwrap();
    assert!(verdict.contains(&day(new)), "{verdict}");
    assert!(!verdict.contains(&day(old)), "{verdict}");
    assert!(
        !verdict.contains("it had none") && !marks(verdict),
        "{verdict}"
    );
    let (status, done) = app.post_as("no-dates", "/api/changes", set).await;
    assert_eq!(status, 200, "{done}");
    let said = done["message"].as_str().unwrap();
    assert!(
        said.contains(&day(new)) && !said.contains(&day(old)),
        "{said}"
    );

    // The org admin moves it again: the role reads that it was set, not to what.
    let newer = now + 300 * 86_400;
    let (status, _) = app
        .post(
            "/api/changes",
            json!({"op": "set_expiration", "user": id, "workspace": team, "expires": newer}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, log) = app
        .get_as("no-dates", &format!("/api/audit?target={id}"))
        .await;
    let entries: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "ok")
        .collect();
    assert_eq!(entries.len(), 2, "{log}");
    let (admins, own) = (entries[0], entries[1]);
    let admins_text = admins.to_string();
    assert!(
        !admins_text.contains(&day(newer)) && !admins_text.contains(&day(new)),
        "{admins}"
    );
    assert!(
        !admins["params"].as_str().unwrap().contains("expires"),
        "{admins}"
    );
    assert!(
        own["message"].as_str().unwrap().contains(&day(new)),
        "its own date: {own}"
    );
    assert!(!own.to_string().contains(&day(old)), "{own}");
    let export = text_as(&app, "no-dates", "/api/audit/export.csv").await;
    assert!(!export.contains(&day(newer)) && !export.contains(&day(old)));
    assert!(!marks(&export));
    // The org admin reads both dates of its own change.
    let (_, log) = app.get(&format!("/api/audit?target={id}")).await;
    let message = log["entries"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&day(new)) && message.contains(&day(newer)),
        "{message}"
    );

    // Offboarding's review does not say whether a guest has an expiration.
    let (_, dry) = app
        .post_as(
            "no-dates",
            "/api/jobs?dry_run=true",
            json!({"operations": [{"op": "offboard", "user": id}]}),
        )
        .await;
    let verdict = dry["checks"][0]["message"].as_str().unwrap();
    assert!(!verdict.contains("expiration"), "{verdict}");
    let (_, dry) = app
        .post(
            "/api/jobs?dry_run=true",
            json!({"operations": [{"op": "offboard", "user": id}]}),
        )
        .await;
    assert!(
        dry["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains("guest expiration"),
        "{dry}"
    );
    // A date set and a date removed read the same to the role: that it changed.
    let (status, _) = app
        .post(
            "/api/changes",
            json!({"op": "set_expiration", "user": id, "workspace": team, "expires": null}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, log) = app
        .get_as("no-dates", &format!("/api/audit?target={id}&limit=2"))
        .await;
    let (removed, set) = (&log["entries"][0]["message"], &log["entries"][1]["message"]);
    assert_eq!(removed, set, "{log}");
    assert!(removed.as_str().unwrap().starts_with("Changed "), "{log}");
}

/// A pending request, for a guest or for a full member, on any workspace.
async fn request_for(app: &TestApp, guest: bool) -> Value {
    for i in 0..3 {
        let team = app.workspace(i);
        let (_, list) = app
            .get(&format!("/api/invite-requests?workspace={team}"))
            .await;
        if let Some(found) = list["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r.get("guest").is_some() == guest)
        {
            return found.clone();
        }
    }
    panic!("no pending request with guest = {guest}");
}

#[tokio::test]
async fn approving_a_request_obeys_the_rules_of_an_invitation() {
    let app = app().await;
    // Someone asks for a guest too (the seeded org's pending requests are for members).
    let team = app.workspace(0);
    let requester = app
        .find(|u| u.summary.user_type == UserType::Member)
        .summary
        .id;
    app.sandbox.sandbox.with_org_mut(|org| {
        use roster_sandbox::org::{InviteRequest, InviteRequestState, InviteType};
        org.invite_requests.insert(
            "Ir0GUEST0001".into(),
            InviteRequest {
                id: "Ir0GUEST0001".into(),
                team_id: team.clone(),
                email: "contractor@agency.example".into(),
                date_created: 3_965_000_000,
                requester_ids: vec![requester],
                channel_ids: vec![],
                invite_type: InviteType::Restricted,
                real_name: Some("Casey Contractor".into()),
                date_expire: None,
                request_reason: Some("Two weeks of help".into()),
                state: InviteRequestState::Pending,
            },
        );
    });
    let member = request_for(&app, false).await;
    let guest = request_for(&app, true).await;
    let approve = |r: &Value| json!({"op": "approve_request", "request": r["id"], "workspace": r["workspace"]});
    // The guests-only desk reads the requests (so Roster knows what each asks for).
    for r in [&member, &guest] {
        let (status, _) = app
            .get_as(
                "guests-desk",
                &format!(
                    "/api/invite-requests?workspace={}",
                    r["workspace"].as_str().unwrap()
                ),
            )
            .await;
        assert_eq!(status, 200);
    }
    let before = app.calls("admin.inviteRequests.approve");

    // A request for a full member: refused, as a member invitation is, and audited.
    let (status, body) = app
        .post_as("guests-desk", "/api/changes", approve(&member))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only invite guests"),
        "{body}"
    );
    let (_, dry) = app
        .post_as(
            "guests-desk",
            "/api/jobs?dry_run=true",
            json!({"operations": [approve(&member)]}),
        )
        .await;
    assert_eq!(dry["checks"][0]["ok"], false, "{dry}");
    let (status, _) = app
        .post_as(
            "guests-desk",
            "/api/jobs",
            json!({"operations": [approve(&member)]}),
        )
        .await;
    assert_eq!(status, 403);
    // A role that may review but not invite approves nothing.
    let (status, body) = app
        .post_as("reviewer", "/api/changes", approve(&guest))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["permission"], "users.invite", "{body}");
    assert_eq!(app.calls("admin.inviteRequests.approve"), before);

    // A request for a guest: approved.
    let (status, body) = app
        .post_as("guests-desk", "/api/changes", approve(&guest))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.calls("admin.inviteRequests.approve"), before + 1);
    let audit = app.audit_rows().await;
    assert!(
        audit
            .iter()
            .any(|e| e.action == "approve_request" && e.outcome == roster_api::AuditOutcome::Denied),
        "the refusal is in the log"
    );
}

#[tokio::test]
async fn looking_up_addresses_collapses_repeats_and_has_a_budget() {
    let app = app().await;
    let someone = app.find(|u| u.summary.user_type == UserType::Member);
    let address = someone.summary.email.clone().unwrap();
    // 2,000 copies of one address cost one lookup: three such lists fit easily.
    for _ in 0..3 {
        let (status, body) = app
            .post(
                "/api/users/by-email",
                json!({"emails": vec![address.to_uppercase(); 2_000]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let matches = body["matches"].as_array().unwrap();
        assert_eq!(matches.len(), 2_000);
        assert!(
            matches
                .iter()
                .all(|m| m["user"]["id"] == someone.summary.id.as_str())
        );
    }
    // Distinct addresses are charged: two full lists a minute, then a 429 that says when.
    let list = |n: usize| -> Vec<String> {
        (0..2_000)
            .map(|i| format!("guess{n}-{i}@nowhere.example"))
            .collect()
    };
    for n in 0..2 {
        let (status, body) = app
            .post("/api/users/by-email", json!({"emails": list(n)}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let response = app
        .http
        .post(format!("{}/api/users/by-email", app.url))
        .header("x-roster-request", "1")
        .header("origin", app.origin())
        .header("cookie", "roster_demo_role=org-admin")
        .json(&json!({"emails": list(2)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_addresses");
}

#[tokio::test]
async fn two_sessions_of_one_person_on_one_workspace_are_two_rows() {
    let app = app().await;
    let person = app.find(|u| u.summary.status == UserStatus::Active);
    let team = person.summary.workspaces[0].to_string();
    let row = |session: &str| json!({"op": "end_session", "user": person.summary.id, "workspace": team, "session": session});
    let (status, dry) = app
        .post(
            "/api/jobs?dry_run=true",
            json!({"operations": [row("1000000000001"), row("1000000000002"), row("1000000000001")]}),
        )
        .await;
    assert_eq!(status, 200, "{dry}");
    let codes: Vec<&Value> = dry["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["code"])
        .collect();
    assert_ne!(codes[1], &json!("duplicate"), "{dry}");
    assert_eq!(codes[2], &json!("duplicate"), "{dry}");
}

/// A person's detail as `role`, once every live part has arrived.
async fn settled_detail(app: &TestApp, role: &str, id: &str) -> Value {
    for _ in 0..50 {
        let (status, d) = app.get_as(role, &format!("/api/users/{id}")).await;
        assert_eq!(status, 200, "{d}");
        if d["live"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["loading"] != true)
        {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{id}'s detail never finished loading");
}

/// The youngest age of a detail's live parts, in seconds.
fn youngest(detail: &Value) -> u64 {
    detail["live"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["age_seconds"].as_u64().unwrap_or(u64::MAX))
        .min()
        .unwrap()
}

#[tokio::test]
async fn what_a_restricted_role_sees_of_a_persons_live_parts_is_its_own() {
    // The demo's roles: the help desk covers the first two workspaces.
    let app = spawn_app(Options::default()).await;
    let (inside, outside) = (app.workspace(0), app.workspace(2));
    let both = |u: &roster_proxy::directory::DirUser| {
        u.summary.status == UserStatus::Active
            && u.summary.user_type == UserType::Member
            && u.summary.is_on(&inside)
            && u.summary.is_on(&outside)
            && !u.summary.is_on(&app.workspace(1))
    };
    let people = app.find_all(both);
    let (changed, opened) = (&people[0].summary.id, &people[1].summary.id);
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(2_200));

    // The help desk opens someone; the org admin then changes them on a workspace the
    // help desk does not cover. What the help desk sees keeps its age.
    settled_detail(&app, "helpdesk", changed).await;
    pause().await;
    let (status, body) = app
        .post(
            &format!("/api/users/{changed}/remove"),
            json!({"workspace": outside}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = settled_detail(&app, "helpdesk", changed).await;
    assert!(
        youngest(&after) >= 2,
        "a change elsewhere reset what the help desk sees: {after}"
    );

    // The org admin opens someone: the help desk opening them later gets its own reading,
    // not the age the org admin's visit left.
    settled_detail(&app, "org-admin", opened).await;
    pause().await;
    let seen = settled_detail(&app, "helpdesk", opened).await;
    assert!(
        youngest(&seen) < 2,
        "the help desk saw the age of the org admin's visit: {seen}"
    );
    // The org admin's own reading still has its age.
    let admins = settled_detail(&app, "org-admin", opened).await;
    assert!(youngest(&admins) >= 2, "{admins}");
}

#[tokio::test]
async fn a_restricted_role_is_told_only_of_syncs_that_ended() {
    let app = spawn_app(Options::default()).await;
    let (_, before) = app.get_as("helpdesk", "/api/status").await;
    // A sync starts and stays running (Slack is slow to answer its first page).
    app.sandbox.sandbox.set_faults(
        "admin.users.list",
        roster_sandbox::faults::Faults {
            latency_ms: 1_500,
            ..Default::default()
        },
    );
    let directory = app.state.directory.clone();
    let source = app.state.source.clone();
    let sync = tokio::spawn(async move { directory.sync(&source).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, admin) = app.get("/api/status").await;
    assert_eq!(admin["sync"]["state"], "running", "{admin}");
    let (_, desk) = app.get_as("helpdesk", "/api/status").await;
    assert_eq!(desk["sync"], before["sync"], "{desk}");
    let (_, page) = app.get_as("helpdesk", "/api/users?limit=1").await;
    assert_eq!(page["sync"], before["sync"], "{page}");
    sync.await.unwrap().unwrap();
    let (_, desk) = app.get_as("helpdesk", "/api/status").await;
    assert_eq!(desk["sync"]["state"], "done", "{desk}");
    assert!(desk["sync"].get("started_at").is_none(), "{desk}");
}

#[tokio::test]
async fn others_jobs_stay_unread_in_a_restricted_roles_audit_log() {
    let sandbox = std::sync::Arc::new(
        roster_sandbox::Sandbox::new(roster_sandbox::SandboxConfig {
            users: 300,
            seed: 4,
            rate_limits: roster_sandbox::ratelimit::RateLimitMode::Off,
            epoch: Some(4_000_000_000 - 86_400 * 400),
            ..Default::default()
        })
        .serve(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap(),
    );
    let inside = sandbox.sandbox.with_org(|org| org.teams[0].id.clone());
    let mut roles = roles();
    roles.extend(parse_roles(&format!(
        r#"
[[roles]]
name = "regional"
permissions = ["users.read", "users.set_role", "audit.read", "audit.read_all"]
workspaces = ["{inside}"]
"#
    )));
    let app = common::spawn_app_on(
        sandbox,
        None,
        Options {
            roles: Some(roles),
            ..Options::default()
        },
    )
    .await;
    let member = app.find(|u| {
        u.summary.user_type == UserType::Member
            && u.summary.status == UserStatus::Active
            && u.summary.is_on(&inside)
    });
    let (status, created) = app
        .post(
            "/api/jobs",
            json!({"operations": [{"op": "set_role", "user": member.summary.id, "workspace": inside, "role": "admin"}]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let job = created["job"]["id"].as_i64().unwrap();
    for _ in 0..100 {
        let (_, d) = app.get(&format!("/api/jobs/{job}")).await;
        if d["job"]["state"] == "finished" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The change is on the role's workspace, so it reads it, but not which job made it.
    let (_, log) = app.get_as("regional", "/api/audit?action=set_role").await;
    let entry = &log["entries"][0];
    assert_eq!(entry["target_user"], member.summary.id.as_str(), "{log}");
    assert_eq!(entry["request_id"], "job", "{entry}");
    let (status, _) = app.get_as("regional", &format!("/api/jobs/{job}")).await;
    assert_eq!(status, 404);
    // The org admin reads the job and row.
    let (_, log) = app.get("/api/audit?action=set_role").await;
    assert_eq!(
        log["entries"][0]["request_id"],
        format!("job-{job}-1-1"),
        "{log}"
    );
}
