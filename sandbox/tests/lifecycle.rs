//! The user lifecycle: `admin.users.deactivate`, `admin.users.session.*` and
//! `admin.inviteRequests.*`: success shapes, each emulated error, and the state changes
//! seen through `admin.users.list`, `users.info` and `users.lookupByEmail`.

mod common;

use std::{collections::HashSet, time::Duration};

use common::*;
use roster_sandbox::{
    Sandbox,
    org::{Device, GuestKind, InviteRequest, InviteRequestState, InviteType, OrgRole, User},
};
use serde_json::{Value, json};

fn find(sb: &Sandbox, f: impl Fn(&User) -> bool) -> User {
    sb.with_org(|org| org.users.values().find(|u| f(u)).cloned())
        .expect("the seeded org has such a user")
}

fn devices_of(sb: &Sandbox, id: &str) -> Vec<Device> {
    sb.with_org(|org| {
        let mut d: Vec<Device> = org
            .sessions
            .values()
            .filter(|s| s.user_id == id)
            .map(|s| s.device)
            .collect();
        d.sort();
        d
    })
}

/// An active full member (not an owner) with sessions on all three kinds of device.
fn signed_in_everywhere(sb: &Sandbox) -> User {
    let ids: Vec<String> = sb.with_org(|o| o.users.keys().cloned().collect());
    for id in ids {
        let u = sb.with_org(|o| o.users[&id].clone());
        if u.org_role == OrgRole::Regular
            && u.guest.is_none()
            && devices_of(sb, &id) == [Device::Web, Device::Desktop, Device::Mobile]
        {
            return u;
        }
    }
    panic!("nobody is signed in on every kind of device")
}

/// Every session of the org, following cursors.
fn all_sessions(sb: &Sandbox) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut args = vec![("limit", "100")];
        if !cursor.is_empty() {
            args.push(("cursor", &cursor));
        }
        let page = admin(sb, "admin.users.session.list", &args);
        out.extend(page["active_sessions"].as_array().unwrap().iter().cloned());
        cursor = page["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_string();
        if cursor.is_empty() {
            return out;
        }
    }
}

fn listed(sb: &Sandbox, id: &str, extra: &[(&str, &str)]) -> bool {
    list_all(sb, extra).iter().any(|u| u["id"] == id)
}

fn admin_token(sb: &Sandbox) -> String {
    sb.tokens().admin.clone()
}

// ---------------------------------------------------------------------------------------
// admin.users.deactivate

#[test]
fn deactivate_takes_a_user_off_every_workspace_and_signs_them_out() {
    let sb = sandbox(300);
    let u = signed_in_everywhere(&sb);
    let team = u.active_teams().next().unwrap().to_string();
    assert!(listed(&sb, &u.id, &[]));
    assert!(listed(&sb, &u.id, &[("team_id", &team)]));

    let reply = admin(&sb, "admin.users.deactivate", &[("user_id", &u.id)]);
    assert_eq!(reply, json!({"ok": true}));

    // admin.users.list: gone from the default listing, org-wide and on each workspace.
    assert!(!listed(&sb, &u.id, &[]));
    assert!(!listed(&sb, &u.id, &[("team_id", &team)]));
    let deactivated = row(&sb, &u.id);
    assert_eq!(deactivated["is_active"], false);
    assert!(deactivated["deactivated_ts"].as_i64().unwrap() > 0);
    assert!(listed(
        &sb,
        &u.id,
        &[("team_id", &team), ("is_active", "false")]
    ));
    // users.info: deleted. users.lookupByEmail: not found.
    let info = admin(&sb, "users.info", &[("user", &u.id)]);
    assert_eq!(info["user"]["deleted"], true);
    assert_eq!(
        admin_err(&sb, "users.lookupByEmail", &[("email", &u.email)]),
        "users_not_found"
    );
    // No sessions left.
    assert!(devices_of(&sb, &u.id).is_empty());
    assert!(
        all_sessions(&sb)
            .iter()
            .all(|s| s["user_id"] != u.id.as_str())
    );
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.session.list",
            &[("team_id", &team), ("user_id", &u.id)]
        ),
        "no_active_sessions"
    );

    // Again: nothing changes, and it succeeds.
    let ts = deactivated["deactivated_ts"].clone();
    admin(&sb, "admin.users.deactivate", &[("user_id", &u.id)]);
    assert_eq!(row(&sb, &u.id)["deactivated_ts"], ts);
}

#[test]
fn deactivate_errors() {
    let sb = sandbox(300);
    assert_eq!(
        admin_err(&sb, "admin.users.deactivate", &[]),
        "invalid_arguments"
    );
    assert_eq!(
        admin_err(&sb, "admin.users.deactivate", &[("user_id", "W0NOPE000")]),
        "user_not_found"
    );
    let owner = find(&sb, |u| u.org_role == OrgRole::PrimaryOwner);
    assert_eq!(
        admin_err(&sb, "admin.users.deactivate", &[("user_id", &owner.id)]),
        "deactivation_failed"
    );
    let bot = find(&sb, |u| u.is_bot);
    assert_eq!(
        admin_err(&sb, "admin.users.deactivate", &[("user_id", &bot.id)]),
        "deactivation_failed"
    );
    // An org admin may not deactivate an org owner; the primary owner may.
    let org_owner = find(&sb, |u| u.org_role == OrgRole::Owner);
    let admin_tok = admin_token(&sb);
    assert_eq!(
        call(
            &sb,
            "admin.users.deactivate",
            &admin_tok,
            &[("user_id", &org_owner.id)]
        )
        .unwrap_err(),
        "deactivation_failed"
    );
    admin(&sb, "admin.users.deactivate", &[("user_id", &org_owner.id)]);
    // Token kinds, scopes and the Admin API, in Slack's order.
    let member = find(&sb, |u| {
        u.org_role == OrgRole::Regular && !u.is_bot && !u.is_deactivated()
    });
    let args = [("user_id", member.id.as_str())];
    let ws = sb.tokens().workspace.clone();
    assert_eq!(
        call(&sb, "admin.users.deactivate", &ws, &args).unwrap_err(),
        "missing_scope"
    );
    let bot_tok = sb.tokens().bot.clone();
    assert_eq!(
        call(&sb, "admin.users.deactivate", &bot_tok, &args).unwrap_err(),
        "not_allowed_token_type"
    );
    sb.set_admin_api(false);
    assert_eq!(
        admin_err(&sb, "admin.users.deactivate", &args),
        "feature_not_enabled"
    );
    sb.set_admin_api(true);
    // A token whose user is no longer an org admin.
    let enterprise = sb.with_org(|o| o.enterprise_id.clone());
    let admin_user = sb.with_org(|o| {
        o.users
            .values()
            .find(|u| u.org_role == OrgRole::Admin && !u.is_deactivated() && !u.invited)
            .unwrap()
            .id
            .clone()
    });
    admin(
        &sb,
        "admin.users.setRegular",
        &[("team_id", &enterprise), ("user_id", &admin_user)],
    );
    assert_eq!(
        call(&sb, "admin.users.deactivate", &admin_tok, &args).unwrap_err(),
        "not_an_admin"
    );
}

// ---------------------------------------------------------------------------------------
// admin.users.session.list

#[test]
fn session_list_pages_through_every_session_once() {
    let sb = sandbox(300);
    let sessions = all_sessions(&sb);
    let total = sb.with_org(|o| o.sessions.len());
    assert_eq!(sessions.len(), total);
    let ids: HashSet<u64> = sessions
        .iter()
        .map(|s| s["session_id"].as_u64().expect("an integer session ID"))
        .collect();
    assert_eq!(ids.len(), total, "each session once");
    let teams: HashSet<String> = sb.with_org(|o| o.teams.iter().map(|t| t.id.clone()).collect());
    for s in &sessions {
        assert!(s["session_id"].as_u64().unwrap() > u64::from(u32::MAX));
        assert!(teams.contains(s["team_id"].as_str().unwrap()));
        assert!(s["user_id"].as_str().unwrap().starts_with('W'));
        for key in [
            "device_hardware",
            "os",
            "os_version",
            "slack_client_version",
            "ip",
        ] {
            assert!(s["created"][key].is_string(), "{s}");
        }
    }
    assert!(sessions.iter().any(|s| s.get("recent").is_some()));
    assert!(sessions.iter().any(|s| s.get("recent").is_none()));
    // The default page holds up to 1,000.
    let page = admin(&sb, "admin.users.session.list", &[]);
    assert_eq!(
        page["active_sessions"].as_array().unwrap().len(),
        total.min(1000)
    );

    // One user on one workspace.
    let u = signed_in_everywhere(&sb);
    for team in u.active_teams() {
        let mine: Vec<&Value> = sessions
            .iter()
            .filter(|s| s["user_id"] == u.id.as_str() && s["team_id"] == team)
            .collect();
        let args = [("team_id", team), ("user_id", u.id.as_str())];
        if mine.is_empty() {
            assert_eq!(
                admin_err(&sb, "admin.users.session.list", &args),
                "no_active_sessions"
            );
        } else {
            let got = admin(&sb, "admin.users.session.list", &args);
            assert_eq!(got["active_sessions"].as_array().unwrap().len(), mine.len());
        }
    }
}

#[test]
fn session_list_errors() {
    let sb = sandbox(200);
    let u = signed_in_everywhere(&sb);
    let team = u.active_teams().next().unwrap().to_string();
    let list = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.session.list", args);
    assert_eq!(list(&[("team_id", &team)]), "missing_user");
    assert_eq!(list(&[("user_id", &u.id)]), "missing_team");
    assert_eq!(
        list(&[("team_id", "T0NOPE000"), ("user_id", &u.id)]),
        "team_not_found"
    );
    assert_eq!(
        list(&[("team_id", &team), ("user_id", "W0NOPE000")]),
        "user_not_found"
    );
    let bot = find(&sb, |u| u.is_bot);
    assert_eq!(
        list(&[("team_id", &team), ("user_id", &bot.id)]),
        "bots_not_allowed"
    );
    let invited = find(&sb, |u| u.invited);
    let invited_team = invited.active_teams().next().unwrap().to_string();
    assert_eq!(
        list(&[("team_id", &invited_team), ("user_id", &invited.id)]),
        "no_active_sessions",
        "an invitation not accepted yet has no session"
    );
    assert_eq!(list(&[("cursor", "bm9wZQ==")]), "invalid_cursor");
    assert_eq!(list(&[("limit", "0")]), "invalid_arguments");
    assert_eq!(list(&[("limit", "1001")]), "invalid_arguments");
    let ws = sb.tokens().workspace.clone();
    assert_eq!(
        call(&sb, "admin.users.session.list", &ws, &[]).unwrap_err(),
        "missing_scope"
    );
}

// ---------------------------------------------------------------------------------------
// admin.users.session.reset

#[test]
fn session_reset_ends_all_or_only_mobile_or_web_sessions() {
    let sb = sandbox(400);
    // Python sends "1", Node "true", a JSON body true: each is a yes.
    let u = signed_in_everywhere(&sb);
    admin(
        &sb,
        "admin.users.session.reset",
        &[("user_id", &u.id), ("mobile_only", "1")],
    );
    assert_eq!(devices_of(&sb, &u.id), [Device::Web, Device::Desktop]);
    admin(
        &sb,
        "admin.users.session.reset",
        &[
            ("user_id", &u.id),
            ("web_only", "true"),
            ("mobile_only", "0"),
        ],
    );
    assert_eq!(devices_of(&sb, &u.id), [Device::Desktop]);
    admin(&sb, "admin.users.session.reset", &[("user_id", &u.id)]);
    assert!(devices_of(&sb, &u.id).is_empty());
    // Still active everywhere: only signed out.
    assert!(listed(&sb, &u.id, &[]));

    let v = signed_in_everywhere(&sb);
    let token = sb.tokens().org_admin.clone();
    let r = call_json(
        &sb,
        "admin.users.session.reset",
        &token,
        json!({"user_id": v.id, "web_only": true, "mobile_only": false}),
    )
    .unwrap();
    assert_eq!(r, json!({"ok": true}));
    assert_eq!(devices_of(&sb, &v.id), [Device::Desktop, Device::Mobile]);
    // Both flags: mobile and web end, desktop stays.
    admin(
        &sb,
        "admin.users.session.reset",
        &[("user_id", &v.id), ("web_only", "1"), ("mobile_only", "1")],
    );
    assert_eq!(devices_of(&sb, &v.id), [Device::Desktop]);
}

#[test]
fn session_reset_errors() {
    let sb = sandbox(200);
    let reset = |token: &str, args: &[(&str, &str)]| {
        call(&sb, "admin.users.session.reset", token, args).unwrap_err()
    };
    let org = sb.tokens().org_admin.clone();
    assert_eq!(reset(&org, &[]), "invalid_arguments");
    assert_eq!(reset(&org, &[("user_id", "W0NOPE000")]), "user_not_found");
    let bot = find(&sb, |u| u.is_bot);
    assert_eq!(reset(&org, &[("user_id", &bot.id)]), "cannot_reset_bot");
    let owner = find(&sb, |u| u.org_role == OrgRole::PrimaryOwner);
    assert_eq!(
        reset(&admin_token(&sb), &[("user_id", &owner.id)]),
        "cannot_reset_primary_owner"
    );
    // The primary owner may reset their own sessions.
    call(
        &sb,
        "admin.users.session.reset",
        &org,
        &[("user_id", &owner.id)],
    )
    .unwrap();
    let u = signed_in_everywhere(&sb);
    assert_eq!(
        reset(&org, &[("user_id", &u.id), ("mobile_only", "yes")]),
        "invalid_arguments"
    );
    let no_admin = sb.tokens().no_admin.clone();
    assert_eq!(reset(&no_admin, &[("user_id", &u.id)]), "missing_scope");
}

// ---------------------------------------------------------------------------------------
// admin.users.session.resetBulk

#[test]
fn reset_bulk_is_queued_and_ends_the_sessions_shortly_after() {
    let sb = sandbox(400);
    sb.set_job_delay(Duration::from_secs(3600));
    let a = signed_in_everywhere(&sb);
    admin(&sb, "admin.users.session.reset", &[("user_id", &a.id)]);
    sb.with_org_mut(|o| {
        // Give `a` sessions back, as if they signed in again.
        let template = o.sessions.values().next().unwrap().clone();
        for (n, device) in [Device::Web, Device::Desktop, Device::Mobile]
            .into_iter()
            .enumerate()
        {
            let id = 1_999_999_999_000 + n as u64;
            o.sessions.insert(
                id,
                roster_sandbox::org::Session {
                    id,
                    user_id: a.id.clone(),
                    team_id: a.active_teams().next().unwrap().to_string(),
                    device,
                    ..template.clone()
                },
            );
        }
    });
    let b = signed_in_everywhere(&sb);
    let users = format!("{},{}", a.id, b.id);
    let r = admin(
        &sb,
        "admin.users.session.resetBulk",
        &[("user_ids", &users), ("mobile_only", "true")],
    );
    assert_eq!(r, json!({"ok": true}));
    // Queued: nothing has ended yet.
    assert_eq!(devices_of(&sb, &a.id).len(), 3);
    assert_eq!(devices_of(&sb, &b.id).len(), 3);
    // The job runs once its time has come.
    sb.set_job_delay(Duration::ZERO);
    assert_eq!(devices_of(&sb, &a.id), [Device::Web, Device::Desktop]);
    assert_eq!(devices_of(&sb, &b.id), [Device::Web, Device::Desktop]);

    // With the default delay, a client polling session.list sees them go.
    sb.set_job_delay(roster_sandbox::DEFAULT_JOB_DELAY);
    let c = signed_in_everywhere(&sb);
    let token = sb.tokens().org_admin.clone();
    call_json(
        &sb,
        "admin.users.session.resetBulk",
        &token,
        json!({"user_ids": [c.id]}),
    )
    .unwrap();
    let started = std::time::Instant::now();
    while !devices_of(&sb, &c.id).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(5), "never ended");
        std::thread::sleep(Duration::from_millis(50));
        let _ = admin(&sb, "admin.users.session.list", &[("limit", "1")]);
    }
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[test]
fn reset_bulk_takes_user_ids_in_every_form() {
    let sb = sandbox(600);
    sb.set_job_delay(Duration::ZERO);
    let token = sb.tokens().org_admin.clone();
    let next = || {
        let u = signed_in_everywhere(&sb);
        assert!(!devices_of(&sb, &u.id).is_empty());
        u.id
    };
    // Python: comma-separated.
    let (a, b) = (next(), next());
    admin(
        &sb,
        "admin.users.session.resetBulk",
        &[("user_ids", &format!("{a},{b}"))],
    );
    assert!(devices_of(&sb, &a).is_empty() && devices_of(&sb, &b).is_empty());
    // Node: a JSON array in a form field.
    let (a, b) = (next(), next());
    admin(
        &sb,
        "admin.users.session.resetBulk",
        &[("user_ids", &format!(r#"["{a}","{b}"]"#))],
    );
    assert!(devices_of(&sb, &a).is_empty() && devices_of(&sb, &b).is_empty());
    // A JSON body's array.
    let (a, b) = (next(), next());
    call_json(
        &sb,
        "admin.users.session.resetBulk",
        &token,
        json!({"user_ids": [a, b], "web_only": false}),
    )
    .unwrap();
    assert!(devices_of(&sb, &a).is_empty() && devices_of(&sb, &b).is_empty());
}

#[test]
fn reset_bulk_errors() {
    let sb = sandbox(300);
    sb.set_job_delay(Duration::ZERO);
    let bulk = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.session.resetBulk", args);
    assert_eq!(bulk(&[]), "invalid_arguments");
    assert_eq!(bulk(&[("user_ids", "")]), "invalid_arguments");
    let many: Vec<String> = (0..1001).map(|n| format!("W{n:08}")).collect();
    assert_eq!(bulk(&[("user_ids", &many.join(","))]), "invalid_arguments");
    assert_eq!(bulk(&[("user_ids", "W0NOPE000")]), "user_not_found");
    let bot = find(&sb, |u| u.is_bot);
    assert_eq!(bulk(&[("user_ids", &bot.id)]), "cannot_reset_bot");
    let owner = find(&sb, |u| u.org_role == OrgRole::PrimaryOwner);
    assert_eq!(
        call(
            &sb,
            "admin.users.session.resetBulk",
            &admin_token(&sb),
            &[("user_ids", &owner.id)]
        )
        .unwrap_err(),
        "cannot_reset_primary_owner"
    );
    // Some users fail: the others are still reset, and each failure is named.
    let u = signed_in_everywhere(&sb);
    let ids = format!("{},W0NOPE000,{}", u.id, bot.id);
    let token = sb.tokens().org_admin.clone();
    let body = fail_body(
        &sb,
        "admin.users.session.resetBulk",
        &token,
        &[("user_ids", &ids)],
    );
    assert_eq!(body["error"], "failed_for_some_users");
    assert_eq!(
        body["response_metadata"]["messages"],
        json!([
            "[ERROR] user_not_found [user_id: W0NOPE000]",
            format!("[ERROR] cannot_reset_bot [user_id: {}]", bot.id)
        ])
    );
    assert!(devices_of(&sb, &u.id).is_empty());
}

// ---------------------------------------------------------------------------------------
// admin.users.session.invalidate

#[test]
fn invalidate_ends_one_session() {
    let sb = sandbox(300);
    let u = signed_in_everywhere(&sb);
    let mine: Vec<(u64, String)> = sb.with_org(|o| {
        o.sessions
            .values()
            .filter(|s| s.user_id == u.id)
            .map(|s| (s.id, s.team_id.clone()))
            .collect()
    });
    assert_eq!(mine.len(), 3);
    // The current form: session_id and user_id.
    let (first, _) = &mine[0];
    admin(
        &sb,
        "admin.users.session.invalidate",
        &[("session_id", &first.to_string()), ("user_id", &u.id)],
    );
    assert_eq!(devices_of(&sb, &u.id).len(), 2);
    // What slack_sdk sends: session_id and team_id.
    let (second, team) = &mine[1];
    admin(
        &sb,
        "admin.users.session.invalidate",
        &[("session_id", &second.to_string()), ("team_id", team)],
    );
    // A JSON body with an integer session_id.
    let (third, team) = &mine[2];
    let token = sb.tokens().org_admin.clone();
    call_json(
        &sb,
        "admin.users.session.invalidate",
        &token,
        json!({"session_id": third, "user_id": u.id, "team_id": team}),
    )
    .unwrap();
    assert!(devices_of(&sb, &u.id).is_empty());
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.session.invalidate",
            &[("session_id", &first.to_string()), ("user_id", &u.id)]
        ),
        "session_not_found",
        "already ended"
    );
}

#[test]
fn invalidate_errors() {
    let sb = sandbox(300);
    let u = signed_in_everywhere(&sb);
    let (sid, team) = sb.with_org(|o| {
        let s = o.sessions.values().find(|s| s.user_id == u.id).unwrap();
        (s.id.to_string(), s.team_id.clone())
    });
    let inv = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.session.invalidate", args);
    assert_eq!(inv(&[("user_id", &u.id)]), "invalid_arguments");
    assert_eq!(inv(&[("session_id", &sid)]), "invalid_arguments");
    assert_eq!(
        inv(&[("session_id", "abc"), ("user_id", &u.id)]),
        "invalid_arguments"
    );
    assert_eq!(
        inv(&[("session_id", &sid), ("user_id", "W0NOPE000")]),
        "user_not_found"
    );
    let other = find(&sb, |x| x.id != u.id && !x.is_bot);
    assert_eq!(
        inv(&[("session_id", &sid), ("user_id", &other.id)]),
        "session_not_found",
        "not that user's session"
    );
    let elsewhere = sb.with_org(|o| o.teams.iter().find(|t| t.id != team).unwrap().id.clone());
    assert_eq!(
        inv(&[("session_id", &sid), ("team_id", &elsewhere)]),
        "session_not_found",
        "not on that workspace"
    );
    assert_eq!(
        inv(&[("session_id", "1000000000001"), ("user_id", &u.id)]),
        "session_not_found"
    );
    // The primary owner's sessions are the primary owner's to end.
    let owner = find(&sb, |u| u.org_role == OrgRole::PrimaryOwner);
    let owner_session = sb.with_org_mut(|o| {
        let mut s = o.sessions.values().next().unwrap().clone();
        s.id = 1_999_999_999_999;
        s.user_id = owner.id.clone();
        s.team_id = owner.active_teams().next().unwrap().to_string();
        o.sessions.insert(s.id, s.clone());
        s.id.to_string()
    });
    let args = [
        ("session_id", owner_session.as_str()),
        ("user_id", &owner.id),
    ];
    assert_eq!(
        call(
            &sb,
            "admin.users.session.invalidate",
            &admin_token(&sb),
            &args
        )
        .unwrap_err(),
        "cannot_invalidate_primary_owner"
    );
    admin(&sb, "admin.users.session.invalidate", &args);
}

// ---------------------------------------------------------------------------------------
// admin.users.session.getSettings / setSettings / clearSettings

#[test]
fn session_settings_are_set_read_and_cleared() {
    let sb = sandbox(300);
    let a = signed_in_everywhere(&sb);
    let b = find(&sb, |u| {
        u.id != a.id && !u.is_bot && u.org_role == OrgRole::Regular
    });
    let both = format!("{},{}", a.id, b.id);
    let get = || {
        admin(
            &sb,
            "admin.users.session.getSettings",
            &[("user_ids", &both)],
        )
    };
    assert_eq!(
        get(),
        json!({"ok": true, "session_settings": [], "no_settings_applied": [a.id, b.id]})
    );
    admin(
        &sb,
        "admin.users.session.setSettings",
        &[("user_ids", &a.id), ("duration", "86400")],
    );
    // Node's form: a JSON array in the field, and "true".
    admin(
        &sb,
        "admin.users.session.setSettings",
        &[
            ("user_ids", &format!(r#"["{}"]"#, a.id)),
            ("desktop_app_browser_quit", "true"),
        ],
    );
    assert_eq!(
        get(),
        json!({
            "ok": true,
            "session_settings": [
                {"user_id": a.id, "desktop_app_browser_quit": true, "duration": 86400}
            ],
            "no_settings_applied": [b.id],
        })
    );
    let token = sb.tokens().org_admin.clone();
    call_json(
        &sb,
        "admin.users.session.setSettings",
        &token,
        json!({"user_ids": [b.id], "desktop_app_browser_quit": false}),
    )
    .unwrap();
    let got = get();
    assert_eq!(
        got["session_settings"][1],
        json!({"user_id": b.id, "desktop_app_browser_quit": false, "duration": null})
    );
    admin(
        &sb,
        "admin.users.session.clearSettings",
        &[("user_ids", &both)],
    );
    assert_eq!(get()["no_settings_applied"], json!([a.id, b.id]));
}

#[test]
fn a_shorter_duration_ends_older_sessions() {
    let sb = sandbox(300);
    let u = signed_in_everywhere(&sb);
    let now = roster_sandbox::unix_now();
    sb.with_org_mut(|o| {
        let mut ages = [60, 3 * 86_400, 30 * 86_400].into_iter();
        for s in o.sessions.values_mut().filter(|s| s.user_id == u.id) {
            s.created = now - ages.next().unwrap();
        }
    });
    admin(
        &sb,
        "admin.users.session.setSettings",
        &[("user_ids", &u.id), ("duration", &(2 * 86_400).to_string())],
    );
    assert_eq!(devices_of(&sb, &u.id).len(), 1, "only the newest is left");
}

#[test]
fn session_settings_errors() {
    let sb = sandbox(200);
    let u = signed_in_everywhere(&sb);
    let bot = find(&sb, |u| u.is_bot);
    let set = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.session.setSettings", args);
    assert_eq!(
        set(&[("user_ids", &u.id)]),
        "at_least_one_session_setting_required"
    );
    assert_eq!(
        set(&[("user_ids", &u.id), ("duration", "28799")]),
        "invalid_arguments"
    );
    assert_eq!(
        set(&[("user_ids", &u.id), ("duration", "315569521")]),
        "invalid_arguments"
    );
    set_ok(&sb, &u.id, "28800");
    set_ok(&sb, &u.id, "315569520");
    assert_eq!(set(&[("duration", "28800")]), "invalid_arguments");
    assert_eq!(
        set(&[("user_ids", "W0NOPE000"), ("duration", "28800")]),
        "user_not_found"
    );
    assert_eq!(
        set(&[("user_ids", &bot.id), ("duration", "28800")]),
        "bots_not_allowed"
    );
    for method in [
        "admin.users.session.getSettings",
        "admin.users.session.clearSettings",
    ] {
        assert_eq!(admin_err(&sb, method, &[]), "invalid_arguments");
        assert_eq!(
            admin_err(&sb, method, &[("user_ids", "W0NOPE000")]),
            "user_not_found"
        );
        assert_eq!(
            admin_err(&sb, method, &[("user_ids", &bot.id)]),
            "bots_not_allowed"
        );
    }
    let ws = sb.tokens().workspace.clone();
    assert_eq!(
        call(
            &sb,
            "admin.users.session.getSettings",
            &ws,
            &[("user_ids", &u.id)]
        )
        .unwrap_err(),
        "missing_scope"
    );
}

fn set_ok(sb: &Sandbox, user: &str, duration: &str) {
    admin(
        sb,
        "admin.users.session.setSettings",
        &[("user_ids", user), ("duration", duration)],
    );
}

// ---------------------------------------------------------------------------------------
// admin.inviteRequests.*

fn requests(sb: &Sandbox, f: impl Fn(&InviteRequest) -> bool) -> Vec<InviteRequest> {
    sb.with_org(|o| {
        o.invite_requests
            .values()
            .filter(|r| f(r))
            .cloned()
            .collect()
    })
}

#[test]
fn invite_requests_are_listed_per_workspace() {
    let sb = sandbox(600);
    let teams: Vec<String> = sb.with_org(|o| o.teams.iter().map(|t| t.id.clone()).collect());
    for team in &teams {
        let pending = requests(&sb, |r| &r.team_id == team && r.is_pending());
        assert!(pending.len() >= 2);
        let page = admin(&sb, "admin.inviteRequests.list", &[("team_id", team)]);
        let listed = page["invite_requests"].as_array().unwrap();
        assert_eq!(listed.len(), pending.len());
        assert_eq!(page["response_metadata"]["next_cursor"], "");
        for (item, r) in listed.iter().zip(&pending) {
            assert_eq!(item["id"], r.id.as_str());
            assert_eq!(item["email"], r.email.as_str());
            assert_eq!(item["date_created"], r.date_created);
            assert_eq!(item["requester_ids"], json!(r.requester_ids));
            assert_eq!(item["channel_ids"], json!(r.channel_ids));
            assert_eq!(item["invite_type"], r.invite_type.name());
            assert_eq!(item["real_name"], json!(r.real_name));
            assert_eq!(item["date_expire"], json!(r.date_expire));
            assert_eq!(item["request_reason"], json!(r.request_reason));
        }
        // Paging.
        let first = admin(
            &sb,
            "admin.inviteRequests.list",
            &[("team_id", team), ("limit", "1")],
        );
        let cursor = first["response_metadata"]["next_cursor"].as_str().unwrap();
        assert!(!cursor.is_empty());
        let second = admin(
            &sb,
            "admin.inviteRequests.list",
            &[("team_id", team), ("limit", "1"), ("cursor", cursor)],
        );
        assert_eq!(second["invite_requests"][0]["id"], pending[1].id.as_str());

        let denied = admin(
            &sb,
            "admin.inviteRequests.denied.list",
            &[("team_id", team)],
        );
        let denied = denied["denied_requests"].as_array().unwrap();
        assert!(!denied.is_empty(), "the seed denied some");
        for d in denied {
            assert_eq!(d["denied_by"]["actor_type"], "user");
            assert!(
                d["denied_by"]["actor_id"]
                    .as_str()
                    .unwrap()
                    .starts_with('W')
            );
            assert!(
                d["invite_request"]["id"]
                    .as_str()
                    .unwrap()
                    .starts_with("Ir")
            );
        }
        let approved = admin(
            &sb,
            "admin.inviteRequests.approved.list",
            &[("team_id", team)],
        );
        assert_eq!(approved["approved_requests"], json!([]));
    }
}

#[test]
fn invite_request_listing_errors() {
    let sb = sandbox(300);
    for method in [
        "admin.inviteRequests.list",
        "admin.inviteRequests.approved.list",
        "admin.inviteRequests.denied.list",
    ] {
        // Three workspaces: team_id is required.
        assert_eq!(admin_err(&sb, method, &[]), "invalid_arguments");
        assert_eq!(
            admin_err(&sb, method, &[("team_id", "T0NOPE000")]),
            "team_not_found"
        );
        let team = sb.with_org(|o| o.teams[0].id.clone());
        assert_eq!(
            admin_err(&sb, method, &[("team_id", &team), ("limit", "0")]),
            "invalid_arguments"
        );
        assert_eq!(
            admin_err(&sb, method, &[("team_id", &team), ("cursor", "bm9wZQ==")]),
            "invalid_cursor"
        );
        let ws = sb.tokens().workspace.clone();
        assert_eq!(
            call(&sb, method, &ws, &[("team_id", &team)]).unwrap_err(),
            "missing_scope"
        );
    }
    // With one workspace, team_id may be left out.
    let one = roster_sandbox::Sandbox::new(roster_sandbox::SandboxConfig {
        users: 100,
        workspaces: 1,
        rate_limits: roster_sandbox::ratelimit::RateLimitMode::Off,
        epoch: Some(EPOCH),
        ..Default::default()
    });
    let listed = admin(&one, "admin.inviteRequests.list", &[]);
    assert!(!listed["invite_requests"].as_array().unwrap().is_empty());
}

#[test]
fn approving_a_request_invites_exactly_as_admin_users_invite_does() {
    let sb = sandbox(600);
    let r = requests(&sb, |r| {
        r.is_pending() && r.invite_type == InviteType::FullMember && !r.channel_ids.is_empty()
    })
    .remove(0);
    let caller = sb.tokens().org_admin.clone();
    let caller_id = admin(&sb, "auth.test", &[])["user_id"].clone();
    let outbox_before = sb.outbox().len();
    assert_eq!(
        admin_err(&sb, "users.lookupByEmail", &[("email", &r.email)]),
        "users_not_found"
    );
    let reply = call(
        &sb,
        "admin.inviteRequests.approve",
        &caller,
        &[("team_id", &r.team_id), ("invite_request_id", &r.id)],
    )
    .unwrap();
    assert_eq!(reply, json!({"ok": true}));

    // A pending user, as admin.users.invite creates.
    let user = admin(&sb, "users.lookupByEmail", &[("email", &r.email)])["user"].clone();
    assert_eq!(user["is_invited_user"], true);
    assert_eq!(user["is_restricted"], false);
    let id = user["id"].as_str().unwrap().to_string();
    assert!(listed(&sb, &id, &[("team_id", &r.team_id)]));
    let channels = sb.with_org(|o| o.users[&id].memberships[&r.team_id].channels.clone());
    assert_eq!(channels, r.channel_ids);
    if let Some(name) = &r.real_name {
        assert_eq!(user["real_name"], name.as_str());
    }
    // And the invitation email.
    let outbox = sb.outbox();
    assert_eq!(outbox.len(), outbox_before + 1);
    let sent = outbox.last().unwrap();
    assert_eq!(sent.email, r.email);
    assert_eq!(sent.team_id, r.team_id);
    assert_eq!(sent.channel_ids, r.channel_ids);

    // Out of the pending list, into the approved one with the invitation.
    let pending = admin(&sb, "admin.inviteRequests.list", &[("team_id", &r.team_id)]);
    assert!(
        pending["invite_requests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != r.id.as_str())
    );
    let approved = admin(
        &sb,
        "admin.inviteRequests.approved.list",
        &[("team_id", &r.team_id)],
    );
    let item = &approved["approved_requests"][0];
    assert_eq!(item["invite_request"]["id"], r.id.as_str());
    assert_eq!(
        item["approved_by"],
        json!({"actor_type": "user", "actor_id": caller_id})
    );
    let invite = &item["invite"];
    assert_eq!(invite["id"], format!("I{}", &r.id[2..]));
    assert_eq!(invite["email"], r.email.as_str());
    assert_eq!(invite["inviter_id"], caller_id);
    assert!(invite["date_created"].as_i64().unwrap() > 0);
    assert_eq!(invite["is_bouncing"], false);
    assert_eq!(
        invite["invite_preferences"],
        json!({
            "is_restricted": false,
            "is_ultra_restricted": false,
            "channel_ids": r.channel_ids,
            "is_domain_matched": true,
        })
    );

    // Handled already.
    for method in ["admin.inviteRequests.approve", "admin.inviteRequests.deny"] {
        assert_eq!(
            admin_err(
                &sb,
                method,
                &[("team_id", &r.team_id), ("invite_request_id", &r.id)]
            ),
            "already_processed"
        );
    }
}

#[test]
fn approving_guest_requests_and_requests_without_channels() {
    let sb = sandbox(900);
    let guest = requests(&sb, |r| {
        r.is_pending() && r.invite_type != InviteType::FullMember
    })
    .remove(0);
    admin(
        &sb,
        "admin.inviteRequests.approve",
        &[
            ("team_id", &guest.team_id),
            ("invite_request_id", &guest.id),
        ],
    );
    let user = sb.with_org(|o| o.user_by_email(&guest.email).cloned().unwrap());
    let kind = match guest.invite_type {
        InviteType::Restricted => GuestKind::MultiChannel,
        _ => GuestKind::SingleChannel,
    };
    assert_eq!(user.guest, Some(kind));
    assert_eq!(
        user.memberships[&guest.team_id].expiration_ts,
        guest.date_expire.unwrap_or(0)
    );
    let approved = admin(
        &sb,
        "admin.inviteRequests.approved.list",
        &[("team_id", &guest.team_id)],
    );
    let prefs = &approved["approved_requests"][0]["invite"]["invite_preferences"];
    assert_eq!(prefs["is_domain_matched"], false);
    assert_eq!(
        prefs["is_restricted"],
        guest.invite_type == InviteType::Restricted
    );

    let plain = requests(&sb, |r| r.is_pending() && r.channel_ids.is_empty()).remove(0);
    admin(
        &sb,
        "admin.inviteRequests.approve",
        &[
            ("team_id", &plain.team_id),
            ("invite_request_id", &plain.id),
        ],
    );
    let general = sb.with_org(|o| {
        o.channels
            .values()
            .find(|c| c.team_id == plain.team_id && c.name == "general")
            .unwrap()
            .id
            .clone()
    });
    let user = sb.with_org(|o| o.user_by_email(&plain.email).cloned().unwrap());
    assert_eq!(
        user.memberships[&plain.team_id].channels,
        [general],
        "invited to #general"
    );
}

#[test]
fn an_approval_whose_invitation_cannot_be_sent() {
    let sb = sandbox(300);
    let member = find(&sb, |u| {
        u.guest.is_none() && !u.is_bot && !u.is_deactivated() && !u.invited
    });
    let team = member.active_teams().next().unwrap().to_string();
    let mut r = requests(&sb, |r| r.is_pending() && r.team_id == team).remove(0);
    r.id = "Ir0TAKEN00".into();
    r.email = member.email.to_uppercase();
    r.invite_type = InviteType::FullMember;
    sb.with_org_mut(|o| o.invite_requests.insert(r.id.clone(), r.clone()));
    let outbox = sb.outbox().len();
    assert_eq!(
        admin_err(
            &sb,
            "admin.inviteRequests.approve",
            &[("team_id", &team), ("invite_request_id", &r.id)]
        ),
        "failed_to_send_invite"
    );
    assert_eq!(sb.outbox().len(), outbox, "nothing was sent");
    // Approved all the same, without an invitation.
    let approved = admin(
        &sb,
        "admin.inviteRequests.approved.list",
        &[("team_id", &team)],
    );
    let item = approved["approved_requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["invite_request"]["id"] == r.id.as_str())
        .unwrap()
        .clone();
    assert!(item.get("invite").is_none());
    assert_eq!(
        admin_err(
            &sb,
            "admin.inviteRequests.approve",
            &[("team_id", &team), ("invite_request_id", &r.id)]
        ),
        "already_processed"
    );
}

#[test]
fn denying_a_request() {
    let sb = sandbox(300);
    let r = requests(&sb, |r| r.is_pending()).remove(0);
    let token = admin_token(&sb);
    let caller = call(&sb, "auth.test", &token, &[]).unwrap()["user_id"].clone();
    let users_before = sb.with_org(|o| o.users.len());
    call(
        &sb,
        "admin.inviteRequests.deny",
        &token,
        &[("team_id", &r.team_id), ("invite_request_id", &r.id)],
    )
    .unwrap();
    assert_eq!(sb.with_org(|o| o.users.len()), users_before);
    let state = sb.with_org(|o| o.invite_requests[&r.id].state.clone());
    assert!(matches!(state, InviteRequestState::Denied { by, .. } if json!(by) == caller));
    let denied = admin(
        &sb,
        "admin.inviteRequests.denied.list",
        &[("team_id", &r.team_id)],
    );
    let item = denied["denied_requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["invite_request"]["id"] == r.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        item["denied_by"],
        json!({"actor_type": "user", "actor_id": caller})
    );
    assert_eq!(
        admin_err(
            &sb,
            "admin.inviteRequests.approve",
            &[("team_id", &r.team_id), ("invite_request_id", &r.id)]
        ),
        "already_processed"
    );
}

#[test]
fn invite_request_decision_errors() {
    let sb = sandbox(300);
    let r = requests(&sb, |r| r.is_pending()).remove(0);
    let other_team = sb.with_org(|o| {
        o.teams
            .iter()
            .find(|t| t.id != r.team_id)
            .unwrap()
            .id
            .clone()
    });
    for method in ["admin.inviteRequests.approve", "admin.inviteRequests.deny"] {
        let err = |args: &[(&str, &str)]| admin_err(&sb, method, args);
        assert_eq!(err(&[("team_id", &r.team_id)]), "invalid_arguments");
        assert_eq!(err(&[("invite_request_id", &r.id)]), "invalid_arguments");
        assert_eq!(
            err(&[("team_id", "T0NOPE000"), ("invite_request_id", &r.id)]),
            "team_not_found"
        );
        assert_eq!(
            err(&[("team_id", &r.team_id), ("invite_request_id", "Ir0NOPE000")]),
            "invalid_request"
        );
        assert_eq!(
            err(&[("team_id", &other_team), ("invite_request_id", &r.id)]),
            "invalid_request",
            "a request of another workspace"
        );
        let no_admin = sb.tokens().no_admin.clone();
        assert_eq!(
            call(
                &sb,
                method,
                &no_admin,
                &[("team_id", &r.team_id), ("invite_request_id", &r.id)]
            )
            .unwrap_err(),
            "missing_scope"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Tiers and booleans

#[test]
fn new_methods_have_their_documented_tiers_and_scopes() {
    use roster_sandbox::{methods::lookup, ratelimit::Tier};
    let expect = [
        ("admin.users.deactivate", Tier::Tier2, "admin.users:write"),
        ("admin.users.session.list", Tier::Tier2, "admin.users:read"),
        (
            "admin.users.session.reset",
            Tier::Tier2,
            "admin.users:write",
        ),
        (
            "admin.users.session.resetBulk",
            Tier::Tier2,
            "admin.users:write",
        ),
        (
            "admin.users.session.invalidate",
            Tier::Tier2,
            "admin.users:write",
        ),
        (
            "admin.users.session.getSettings",
            Tier::Tier4,
            "admin.users:read",
        ),
        (
            "admin.users.session.setSettings",
            Tier::Tier4,
            "admin.users:write",
        ),
        (
            "admin.users.session.clearSettings",
            Tier::Tier4,
            "admin.users:write",
        ),
        (
            "admin.inviteRequests.list",
            Tier::Tier2,
            "admin.invites:read",
        ),
        (
            "admin.inviteRequests.approve",
            Tier::Tier2,
            "admin.invites:write",
        ),
        (
            "admin.inviteRequests.deny",
            Tier::Tier2,
            "admin.invites:write",
        ),
        (
            "admin.inviteRequests.approved.list",
            Tier::Tier2,
            "admin.invites:read",
        ),
        (
            "admin.inviteRequests.denied.list",
            Tier::Tier2,
            "admin.invites:read",
        ),
    ];
    for (name, tier, scope) in expect {
        let spec = lookup(name).unwrap_or_else(|| panic!("{name} is known"));
        assert_eq!(spec.tier, tier, "{name}");
        assert_eq!(spec.scopes, [scope], "{name}");
        assert!(spec.org_install, "{name}");
    }
}

#[test]
fn someone_asking_for_an_invitation_makes_a_pending_request() {
    let sb = sandbox(300);
    let team = sb.with_org(|o| o.teams[0].id.clone());
    let other = sb.with_org(|o| o.teams[1].id.clone());
    let member = find(&sb, |u| {
        !u.is_bot
            && !u.is_deactivated()
            && u.memberships.get(&team).is_some_and(|m| m.active)
            && !u.memberships.contains_key(&other)
    });
    let ask = |team: &str, requester: &str, channels: Vec<String>| {
        let ask = serde_json::from_value(json!({
            "team_id": team, "email": "asked.for@partner.example", "requester_id": requester,
            "channel_ids": channels, "invite_type": "restricted",
        }))
        .unwrap();
        sb.with_org_mut(|o| o.request_invite(ask, 1_700_000_000))
    };
    // Refused, and nothing made: the requester is not on that workspace, a channel is
    // not on it, the workspace does not exist.
    let before = requests(&sb, |_| true).len();
    assert!(
        ask(&other, &member.id, vec![])
            .unwrap_err()
            .contains("is not active on")
    );
    let elsewhere = sb.with_org(|o| {
        o.channels
            .values()
            .find(|c| c.team_id == other)
            .unwrap()
            .id
            .clone()
    });
    assert!(
        ask(&team, &member.id, vec![elsewhere])
            .unwrap_err()
            .contains("no channel")
    );
    assert!(
        ask("T000NOPE", &member.id, vec![])
            .unwrap_err()
            .contains("no workspace")
    );
    assert_eq!(requests(&sb, |_| true).len(), before);

    let made = ask(&team, &member.id, vec![]).unwrap();
    assert!(
        made.id.starts_with("Ir") && made.id.len() == 10,
        "{}",
        made.id
    );
    let page = admin(&sb, "admin.inviteRequests.list", &[("team_id", &team)]);
    let listed = page["invite_requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == made.id.as_str())
        .expect("listed as pending")
        .clone();
    assert_eq!(listed["email"], "asked.for@partner.example");
    assert_eq!(listed["invite_type"], "restricted");
    assert_eq!(listed["requester_ids"], json!([member.id]));
}
