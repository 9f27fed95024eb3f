//! `admin.users.*`, `admin.teams.list`, `admin.conversations.search`, `auth.test` and
//! `auth.teams.list`:
//! success shapes, state changes and each listed error.

mod common;

use std::collections::HashSet;

use common::*;
use roster_sandbox::org::{GuestKind, OrgRole, User};
use serde_json::Value;

fn find(sb: &roster_sandbox::Sandbox, f: impl Fn(&User) -> bool) -> User {
    sb.with_org(|org| org.users.values().find(|u| f(u)).cloned())
        .expect("the seeded org has such a user")
}

fn team(sb: &roster_sandbox::Sandbox, i: usize) -> String {
    sb.with_org(|org| org.teams[i].id.clone())
}

fn channel_on(sb: &roster_sandbox::Sandbox, team: &str) -> String {
    sb.with_org(|org| {
        org.channels
            .values()
            .find(|c| c.team_id == team && !c.is_private)
            .unwrap()
            .id
            .clone()
    })
}

fn member(sb: &roster_sandbox::Sandbox) -> User {
    find(sb, |u| {
        u.org_role == OrgRole::Regular
            && u.guest.is_none()
            && !u.is_bot
            && !u.is_deactivated()
            && !u.invited
            && u.memberships.len() == 1
    })
}

#[test]
fn auth_test_tells_org_tokens_from_workspace_tokens() {
    let sb = sandbox(100);
    let org = admin(&sb, "auth.test", &[]);
    let enterprise = sb.with_org(|o| o.enterprise_id.clone());
    assert_eq!(org["is_enterprise_install"], true);
    assert_eq!(org["team_id"], enterprise.as_str());
    assert_eq!(org["enterprise_id"], enterprise.as_str());
    let ws = call(&sb, "auth.test", &sb.tokens().workspace.clone(), &[]).unwrap();
    assert_eq!(ws["is_enterprise_install"], false);
    assert_eq!(ws["team_id"], team(&sb, 0).as_str());
    let bot = call(&sb, "auth.test", &sb.tokens().bot.clone(), &[]).unwrap();
    assert!(bot["bot_id"].as_str().unwrap().starts_with('B'));
}

#[test]
fn auth_teams_list_names_the_workspaces_the_app_is_added_to() {
    let sb = sandbox(100);
    let all: Vec<String> = sb.with_org(|o| o.teams.iter().map(|t| t.id.clone()).collect());
    let ids = |body: &Value| -> Vec<String> {
        body["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    let listed = admin(&sb, "auth.teams.list", &[]);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(
        ids(&listed),
        sorted,
        "at start the app is on every workspace"
    );
    assert!(listed["teams"][0].get("icon").is_none());

    // Taken off one workspace: no longer listed, and `team_access_revoked` goes out.
    let off = sorted[0].clone();
    sb.with_org_mut(|org| sb.events().grant(org, std::slice::from_ref(&off), false));
    let listed = admin(&sb, "auth.teams.list", &[("include_icon", "true")]);
    assert_eq!(ids(&listed), sorted[1..].to_vec());
    assert!(listed["teams"][0]["icon"]["image_34"].is_string());

    // One workspace a page, then the cursor.
    let first = admin(&sb, "auth.teams.list", &[("limit", "1")]);
    assert_eq!(ids(&first), vec![sorted[1].clone()]);
    let cursor = first["response_metadata"]["next_cursor"].as_str().unwrap();
    let second = admin(
        &sb,
        "auth.teams.list",
        &[("limit", "1"), ("cursor", cursor)],
    );
    assert_eq!(ids(&second), vec![sorted[2].clone()]);

    let org_token = sb.tokens().org_admin.clone();
    for (args, error) in [
        (vec![("limit", "0")], "invalid_limit"),
        (vec![("limit", "1001")], "invalid_limit"),
        (vec![("cursor", "nonsense")], "invalid_cursor"),
    ] {
        assert_eq!(
            call(&sb, "auth.teams.list", &org_token, &args).unwrap_err(),
            error
        );
    }
    // A workspace app is on its own workspace only.
    let ws = call(&sb, "auth.teams.list", &sb.tokens().workspace.clone(), &[]).unwrap();
    assert_eq!(ids(&ws), vec![team(&sb, 0)]);
}

#[test]
fn common_errors_come_in_slacks_order() {
    let sb = sandbox(50);
    assert_eq!(
        call(&sb, "admin.users.nope", "x", &[]).unwrap_err(),
        "unknown_method"
    );
    let no_token = roster_sandbox::request::Call::default();
    match sb.handle("admin.users.list", &no_token) {
        roster_sandbox::SlackReply::Fail(f) => assert_eq!(f.code, "not_authed"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        call(&sb, "admin.users.list", "xoxp-wrong", &[]).unwrap_err(),
        "invalid_auth"
    );
    let bot = sb.tokens().bot.clone();
    assert_eq!(
        call(&sb, "admin.users.list", &bot, &[]).unwrap_err(),
        "not_allowed_token_type"
    );
    let ws = sb.tokens().workspace.clone();
    assert_eq!(
        call(&sb, "admin.users.list", &ws, &[]).unwrap_err(),
        "missing_scope"
    );
    let no_admin = sb.tokens().no_admin.clone();
    assert_eq!(
        call(
            &sb,
            "admin.users.remove",
            &no_admin,
            &[("team_id", "T1"), ("user_id", "W1")]
        )
        .unwrap_err(),
        "missing_scope"
    );

    sb.set_admin_api(false);
    assert_eq!(
        admin_err(&sb, "admin.users.list", &[]),
        "feature_not_enabled"
    );
    assert_eq!(
        admin_err(&sb, "admin.users.getExpiration", &[]),
        "not_permitted"
    );
    sb.set_admin_api(true);
    admin(&sb, "admin.users.list", &[]);
}

#[test]
fn missing_scope_says_what_is_needed_and_provided() {
    let sb = sandbox(20);
    let call = roster_sandbox::request::Call {
        token: Some(sb.tokens().workspace.clone()),
        ..Default::default()
    };
    let roster_sandbox::SlackReply::Fail(f) = sb.handle("admin.users.list", &call) else {
        panic!("expected a failure");
    };
    assert_eq!(f.code, "missing_scope");
    assert_eq!(f.extra["needed"], "admin.users:read");
    assert!(f.extra["provided"].as_str().unwrap().contains("users:read"));
}

#[test]
fn list_pages_through_the_whole_org_once() {
    let sb = sandbox(1_000);
    let active = list_all(&sb, &[]);
    let inactive = list_all(&sb, &[("is_active", "false")]);
    let ids: HashSet<_> = active
        .iter()
        .chain(&inactive)
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1_000, "every user exactly once");
    assert_eq!(active.len() + inactive.len(), 1_000);
    assert!(
        inactive
            .iter()
            .all(|u| u["is_active"] == false && u["deactivated_ts"].as_i64() > Some(0))
    );
    assert!(
        active
            .iter()
            .all(|u| u["is_active"] == true && u["deactivated_ts"] == 0)
    );
    // Org token, no team: security flags present. With team_id: absent.
    assert!(
        active
            .iter()
            .all(|u| u["has_2fa"].is_boolean() && u["has_sso"].is_boolean())
    );
    let t = team(&sb, 1);
    let on_team = list_all(&sb, &[("team_id", &t)]);
    assert!(!on_team.is_empty());
    assert!(on_team.iter().all(|u| u.get("has_2fa").is_none()));
    assert!(on_team.iter().all(|u| {
        u["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == t.as_str())
    }));
}

#[test]
fn list_limit_default_and_maximum() {
    let sb = sandbox(2_500);
    let page = admin(&sb, "admin.users.list", &[]);
    assert_eq!(
        page["users"].as_array().unwrap().len(),
        100,
        "default limit"
    );
    let page = admin(&sb, "admin.users.list", &[("limit", "5000")]);
    assert_eq!(
        page["users"].as_array().unwrap().len(),
        1_000,
        "clamped to the maximum"
    );
    assert_eq!(
        admin_err(&sb, "admin.users.list", &[("limit", "0")]),
        "invalid_arguments"
    );
    assert_eq!(
        admin_err(&sb, "admin.users.list", &[("limit", "ten")]),
        "invalid_arguments"
    );
}

#[test]
fn list_filters_guests_admins_and_owners() {
    let sb = sandbox(1_000);
    let guests = list_all(&sb, &[("only_guests", "true")]);
    assert!(!guests.is_empty());
    assert!(
        guests
            .iter()
            .all(|u| u["is_restricted"] == true || u["is_ultra_restricted"] == true)
    );
    assert!(guests.iter().any(|u| u["expiration_ts"].as_i64() > Some(0)));
    let admins = list_all(&sb, &[("include_admins", "true")]);
    assert!(!admins.is_empty());
    assert!(
        admins
            .iter()
            .all(|u| u["is_admin"] == true && u["is_owner"] == false)
    );
    let owners = list_all(&sb, &[("include_owners", "true")]);
    assert!(owners.iter().all(|u| u["is_owner"] == true));
    assert!(owners.iter().any(|u| u["is_primary_owner"] == true));
    let both = list_all(
        &sb,
        &[("include_owners", "true"), ("include_admins", "true")],
    );
    assert_eq!(both.len(), admins.len() + owners.len());
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.list",
            &[("only_guests", "true"), ("include_admins", "true")]
        ),
        "invalid_arguments"
    );
}

#[test]
fn list_errors() {
    let sb = sandbox(300);
    assert_eq!(
        admin_err(&sb, "admin.users.list", &[("team_id", "T0NOPE000")]),
        "team_not_found"
    );
    let t = team(&sb, 0);
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.list",
            &[
                ("team_id", &t),
                ("include_deactivated_user_workspaces", "true")
            ]
        ),
        "include_deactivated_user_workspaces_invalid"
    );
    let page = admin(&sb, "admin.users.list", &[("limit", "10")]);
    let cursor = page["response_metadata"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!cursor.is_empty());
    let mut tampered = cursor.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        admin_err(&sb, "admin.users.list", &[("cursor", &tampered)]),
        "invalid_cursor"
    );
    assert_eq!(
        admin_err(&sb, "admin.users.list", &[("cursor", "dXNlcjpXMA==")]),
        "invalid_cursor"
    );
}

#[test]
fn list_includes_workspaces_a_user_was_removed_from_only_when_asked() {
    let sb = sandbox(300);
    let u = member(&sb);
    let t = u.memberships.keys().next().unwrap().clone();
    admin(
        &sb,
        "admin.users.remove",
        &[("team_id", &t), ("user_id", &u.id)],
    );
    let r = row(&sb, &u.id);
    assert_eq!(r["workspaces"], Value::Array(vec![]));
    let all = list_all(&sb, &[("include_deactivated_user_workspaces", "true")]);
    let r = all.iter().find(|x| x["id"] == u.id.as_str()).unwrap();
    assert_eq!(r["workspaces"][0], t.as_str());
}

#[test]
fn paging_is_stable_while_users_are_added_and_removed() {
    let sb = sandbox(10_000);
    let before: HashSet<String> = sb.with_org(|o| {
        o.users
            .values()
            .filter(|u| !u.is_deactivated())
            .map(|u| u.id.clone())
            .collect()
    });
    let mut seen = Vec::new();
    let mut removed = HashSet::new();
    let mut cursor = String::new();
    let mut page_no = 0;
    loop {
        let mut args = vec![("limit", "250")];
        if !cursor.is_empty() {
            args.push(("cursor", &cursor));
        }
        let page = admin(&sb, "admin.users.list", &args);
        for u in page["users"].as_array().unwrap() {
            seen.push(u["id"].as_str().unwrap().to_string());
        }
        cursor = page["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_string();
        if cursor.is_empty() {
            break;
        }
        page_no += 1;
        // Between pages: invite new people, and delete someone not seen yet.
        let t = team(&sb, 0);
        let c = channel_on(&sb, &t);
        for i in 0..5 {
            let email = format!("new.{page_no}.{i}@larkspur.example");
            admin(
                &sb,
                "admin.users.invite",
                &[("email", &email), ("team_id", &t), ("channel_ids", &c)],
            );
        }
        let victim = sb.with_org(|o| {
            o.users
                .keys()
                .rev()
                .find(|id| !seen.contains(*id) && before.contains(*id) && !removed.contains(*id))
                .cloned()
        });
        if let Some(id) = victim {
            sb.with_org_mut(|o| o.users.remove(&id));
            removed.insert(id);
        }
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a user was listed twice");
    for id in before.difference(&removed) {
        assert!(
            unique.contains(id),
            "{id} existed throughout and was skipped"
        );
    }
    assert!(removed.iter().all(|id| !unique.contains(id)));
    assert!(page_no >= 30, "only {page_no} page turns");
}

#[test]
fn teams_list_names_every_workspace() {
    let sb = sandbox(50);
    let teams = admin(&sb, "admin.teams.list", &[]);
    let teams = teams["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 3);
    assert!(teams.iter().any(|t| t["name"] == "Larkspur HQ"));
    assert!(teams.iter().all(|t| {
        t["primary_owner"]["user_id"]
            .as_str()
            .unwrap()
            .starts_with('W')
    }));
    let page = admin(&sb, "admin.teams.list", &[("limit", "2")]);
    let cursor = page["response_metadata"]["next_cursor"].as_str().unwrap();
    let rest = admin(
        &sb,
        "admin.teams.list",
        &[("limit", "2"), ("cursor", cursor)],
    );
    assert_eq!(rest["teams"].as_array().unwrap().len(), 1);
    assert_eq!(rest["response_metadata"]["next_cursor"], "");
    assert_eq!(
        admin_err(&sb, "admin.teams.list", &[("limit", "0")]),
        "invalid_limit"
    );
}

#[test]
fn conversations_search_finds_channels_of_a_workspace() {
    let sb = sandbox(200);
    let t = team(&sb, 0);
    let found = admin(
        &sb,
        "admin.conversations.search",
        &[("team_ids", &t), ("query", "eng")],
    );
    let convs = found["conversations"].as_array().unwrap();
    assert!(!convs.is_empty());
    assert!(
        convs
            .iter()
            .all(|c| c["name"].as_str().unwrap().contains("eng"))
    );
    assert!(convs.iter().all(|c| c["context_team_id"] == t.as_str()));
    assert!(convs.iter().all(|c| c["is_archived"] == false));
    let general = admin(
        &sb,
        "admin.conversations.search",
        &[("team_ids", &t), ("query", "general")],
    );
    assert!(general["conversations"][0]["member_count"].as_u64() > Some(10));
    // Pages of 20 at most, with a top-level next_cursor.
    let page = admin(
        &sb,
        "admin.conversations.search",
        &[("team_ids", &t), ("limit", "5")],
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    assert!(!cursor.is_empty());
    let next = admin(
        &sb,
        "admin.conversations.search",
        &[("team_ids", &t), ("limit", "5"), ("cursor", cursor)],
    );
    assert_ne!(
        page["conversations"][0]["id"],
        next["conversations"][0]["id"]
    );
    assert_eq!(
        admin_err(&sb, "admin.conversations.search", &[("limit", "21")]),
        "invalid_limit"
    );
    assert_eq!(
        admin_err(
            &sb,
            "admin.conversations.search",
            &[("team_ids", "T0NOPE000")]
        ),
        "team_not_found"
    );
    assert_eq!(
        admin_err(&sb, "admin.conversations.search", &[("sort", "size")]),
        "invalid_sort"
    );
    assert_eq!(
        admin_err(&sb, "admin.conversations.search", &[("cursor", "bm9wZQ==")]),
        "invalid_cursor"
    );
}

#[test]
fn assign_adds_a_workspace() {
    let sb = sandbox(300);
    let u = member(&sb);
    let (other, _) = sb.with_org(|o| {
        let t = o
            .teams
            .iter()
            .find(|t| !u.memberships.contains_key(&t.id))
            .unwrap()
            .id
            .clone();
        (t, ())
    });
    let c = channel_on(&sb, &other);
    admin(
        &sb,
        "admin.users.assign",
        &[("team_id", &other), ("user_id", &u.id), ("channel_ids", &c)],
    );
    let r = row(&sb, &u.id);
    assert!(
        r["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == other.as_str())
    );
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.assign",
            &[("team_id", &other), ("user_id", &u.id)]
        ),
        "user_already_team_member"
    );
}

#[test]
fn assign_errors() {
    let sb = sandbox(500);
    let t = team(&sb, 2);
    let u = member(&sb);
    let bot = find(&sb, |u| u.is_bot);
    let guest = find(&sb, |u| {
        u.guest == Some(GuestKind::MultiChannel)
            && !u.is_deactivated()
            && !u.memberships.contains_key(&t)
    });
    let gone = find(&sb, |u| {
        u.is_deactivated() && !u.memberships.contains_key(&t)
    });
    let err = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.assign", args);
    assert_eq!(
        err(&[("team_id", "T0NOPE000"), ("user_id", &u.id)]),
        "team_not_found"
    );
    assert_eq!(
        err(&[("team_id", &t), ("user_id", "W0NOPE000")]),
        "user_not_found"
    );
    assert_eq!(err(&[("team_id", &t), ("user_id", &bot.id)]), "user_is_bot");
    assert_eq!(
        err(&[("team_id", &t), ("user_id", &guest.id)]),
        "invalid_role_for_user"
    );
    assert_eq!(
        err(&[("team_id", &t), ("user_id", &gone.id)]),
        "invited_user_not_reactivated"
    );
    assert_eq!(
        err(&[
            ("team_id", &t),
            ("user_id", &guest.id),
            ("is_restricted", "true"),
            ("channel_ids", "C0NOPE000")
        ]),
        "invitor_cannot_see_channel"
    );
    assert_eq!(err(&[("team_id", &t)]), "invalid_arguments");
}

#[test]
fn invite_creates_a_pending_guest_with_expiration() {
    let sb = sandbox(300);
    let t = team(&sb, 1);
    let c = channel_on(&sb, &t);
    let expires = (EPOCH + 30 * 86_400).to_string();
    admin(
        &sb,
        "admin.users.invite",
        &[
            ("email", "Pat.Contractor@agency.example"),
            ("team_id", &t),
            ("channel_ids", &c),
            ("is_restricted", "true"),
            ("guest_expiration_ts", &format!("{expires}.000000")),
            ("real_name", r#"{"full_name":"Pat Contractor"}"#),
            ("custom_message", "Welcome aboard"),
            ("resend", "true"),
        ],
    );
    let token = sb.tokens().org_admin.clone();
    let found = call(
        &sb,
        "users.lookupByEmail",
        &token,
        &[("email", "pat.contractor@agency.example")],
    )
    .unwrap();
    let id = found["user"]["id"].as_str().unwrap().to_string();
    assert_eq!(found["user"]["real_name"], "Pat Contractor");
    assert_eq!(found["user"]["is_invited_user"], true);
    let r = row(&sb, &id);
    assert_eq!(r["is_restricted"], true);
    assert_eq!(r["is_invited_user"], true);
    assert_eq!(r["expiration_ts"].as_i64().unwrap().to_string(), expires);
    assert_eq!(r["workspaces"][0], t.as_str());
    let exp = admin(
        &sb,
        "admin.users.getExpiration",
        &[("user_id", &id), ("target_team", &t)],
    );
    assert_eq!(exp["expiration_ts"].as_i64().unwrap().to_string(), expires);

    let again = admin_err(
        &sb,
        "admin.users.invite",
        &[
            ("email", "pat.contractor@agency.example"),
            ("team_id", &t),
            ("channel_ids", &c),
            ("is_restricted", "true"),
        ],
    );
    assert_eq!(again, "already_in_team_invited_user");

    // One invitation went out, with its message; the refused second one sent nothing.
    let outbox = sb.outbox();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0].email, "pat.contractor@agency.example");
    assert_eq!(outbox[0].team_id, t);
    assert_eq!(outbox[0].channel_ids, [c]);
    assert_eq!(outbox[0].custom_message.as_deref(), Some("Welcome aboard"));
}

#[test]
fn invite_errors() {
    let sb = sandbox(500);
    let t = team(&sb, 0);
    let c = channel_on(&sb, &t);
    let other = channel_on(&sb, &team(&sb, 1));
    let future = (EPOCH + 86_400).to_string();
    let past = "1000000000";
    let existing = find(&sb, |u| {
        !u.is_bot
            && !u.is_deactivated()
            && !u.invited
            && u.memberships.get(&t).is_some_and(|m| m.active)
            && u.guest.is_none()
    });
    let gone = find(&sb, |u| u.is_deactivated() && !u.is_bot);
    let err = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.invite", args);
    assert_eq!(
        err(&[
            ("email", "not-an-email"),
            ("team_id", &t),
            ("channel_ids", &c)
        ]),
        "invalid_email"
    );
    assert_eq!(
        err(&[("email", "a@b"), ("team_id", &t), ("channel_ids", &c)]),
        "invalid_email"
    );
    assert_eq!(
        err(&[
            ("email", "a@x.example"),
            ("team_id", "T0NOPE000"),
            ("channel_ids", &c)
        ]),
        "team_not_found"
    );
    assert_eq!(
        err(&[("email", "a@x.example"), ("team_id", &t)]),
        "invalid_arguments"
    );
    assert_eq!(
        err(&[
            ("email", "a@x.example"),
            ("team_id", &t),
            ("channel_ids", &other)
        ]),
        "failed_to_validate_channels"
    );
    assert_eq!(
        err(&[
            ("email", "a@x.example"),
            ("team_id", &t),
            ("channel_ids", &format!("{c},{c}")),
            ("is_ultra_restricted", "true")
        ]),
        "failed_to_validate_channels"
    );
    assert_eq!(
        err(&[
            ("email", "a@x.example"),
            ("team_id", &t),
            ("channel_ids", &c),
            ("is_restricted", "true"),
            ("guest_expiration_ts", past)
        ]),
        "failed_to_validate_expiration"
    );
    assert_eq!(
        err(&[
            ("email", "a@x.example"),
            ("team_id", &t),
            ("channel_ids", &c),
            ("guest_expiration_ts", &future)
        ]),
        "failed_to_validate_expiration"
    );
    assert_eq!(
        err(&[
            ("email", "a@x.example"),
            ("team_id", &t),
            ("channel_ids", &c),
            ("custom_message", &"x".repeat(1_001))
        ]),
        "failed_to_validate_custom_message"
    );
    assert_eq!(
        err(&[
            ("email", &existing.email.to_uppercase()),
            ("team_id", &t),
            ("channel_ids", &c)
        ]),
        "already_in_team"
    );
    assert_eq!(
        err(&[("email", &gone.email), ("team_id", &t), ("channel_ids", &c)]),
        "user_disabled"
    );
}

#[test]
fn remove_takes_a_user_off_a_workspace() {
    let sb = sandbox(400);
    let u = find(&sb, |u| {
        u.org_role == OrgRole::Regular
            && !u.is_bot
            && !u.is_deactivated()
            && u.memberships.len() >= 2
    });
    let t = u.memberships.keys().next().unwrap().clone();
    assert_eq!(
        admin(
            &sb,
            "admin.users.remove",
            &[("team_id", &t), ("user_id", &u.id)]
        ),
        serde_json::json!({"ok": true})
    );
    let r = row(&sb, &u.id);
    assert!(
        !r["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == t.as_str())
    );
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.remove",
            &[("team_id", &t), ("user_id", &u.id)]
        ),
        "user_not_found"
    );
}

#[test]
fn remove_errors() {
    let sb = sandbox(1_000);
    let t = team(&sb, 0);
    let primary = find(&sb, |u| u.org_role == OrgRole::PrimaryOwner);
    let owner = find(&sb, |u| u.org_role == OrgRole::Owner);
    let gone = find(&sb, |u| u.is_deactivated());
    let err = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.remove", args);
    assert_eq!(
        err(&[("team_id", &t), ("user_id", &primary.id)]),
        "cannot_modify_primary_owner"
    );
    assert_eq!(
        err(&[("team_id", &t), ("user_id", &owner.id)]),
        "failed_to_remove_user_from_workspace"
    );
    assert_eq!(
        err(&[("team_id", &t), ("user_id", &gone.id)]),
        "user_already_deleted"
    );
    assert_eq!(
        err(&[("team_id", &t), ("user_id", "W0NOPE000")]),
        "user_not_found"
    );
    assert_eq!(
        err(&[("team_id", "T0NOPE000"), ("user_id", &owner.id)]),
        "team_not_found"
    );
    assert_eq!(err(&[("user_id", &owner.id)]), "invalid_arguments");
}

#[test]
fn role_changes_show_in_list_and_info() {
    let sb = sandbox(400);
    let u = member(&sb);
    let t = u.memberships.keys().next().unwrap().clone();
    let token = sb.tokens().org_admin.clone();
    let flags = |sb: &roster_sandbox::Sandbox| {
        let r = list_all(sb, &[("team_id", &t)])
            .into_iter()
            .find(|r| r["id"] == u.id.as_str())
            .unwrap();
        (
            r["is_admin"].as_bool().unwrap(),
            r["is_owner"].as_bool().unwrap(),
        )
    };
    assert_eq!(flags(&sb), (false, false));
    admin(
        &sb,
        "admin.users.setAdmin",
        &[("team_id", &t), ("user_id", &u.id)],
    );
    assert_eq!(flags(&sb), (true, false));
    admin(
        &sb,
        "admin.users.setOwner",
        &[("team_id", &t), ("user_id", &u.id)],
    );
    assert_eq!(flags(&sb), (true, true));
    let info = call(&sb, "users.info", &token, &[("user", &u.id)]).unwrap();
    assert_eq!(info["user"]["is_owner"], true);
    admin(
        &sb,
        "admin.users.setRegular",
        &[("team_id", &t), ("user_id", &u.id)],
    );
    assert_eq!(flags(&sb), (false, false));

    // Org level: team_id is the enterprise ID.
    let enterprise = sb.with_org(|o| o.enterprise_id.clone());
    admin(
        &sb,
        "admin.users.setAdmin",
        &[("team_id", &enterprise), ("user_id", &u.id)],
    );
    assert_eq!(row(&sb, &u.id)["is_admin"], true);
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.setRegular",
            &[("team_id", &t), ("user_id", &u.id)]
        ),
        "cannot_set_org_admin_to_regular_at_workspace_level"
    );
    admin(
        &sb,
        "admin.users.setRegular",
        &[("team_id", &enterprise), ("user_id", &u.id)],
    );
    assert_eq!(row(&sb, &u.id)["is_admin"], false);
}

#[test]
fn role_change_errors() {
    let sb = sandbox(1_000);
    let t = team(&sb, 0);
    let primary = find(&sb, |u| u.org_role == OrgRole::PrimaryOwner);
    let guest = find(&sb, |u| {
        u.guest.is_some() && !u.is_deactivated() && u.memberships.contains_key(&t)
    });
    let multi = find(&sb, |u| {
        u.guest == Some(GuestKind::MultiChannel)
            && !u.is_deactivated()
            && u.active_teams().count() == 2
    });
    let multi_team = multi.memberships.keys().next().unwrap().clone();
    for method in [
        "admin.users.setAdmin",
        "admin.users.setOwner",
        "admin.users.setRegular",
    ] {
        assert_eq!(
            admin_err(&sb, method, &[("team_id", &t), ("user_id", &primary.id)]),
            "cannot_modify_primary_owner",
            "{method}"
        );
        assert_eq!(
            admin_err(
                &sb,
                method,
                &[("team_id", "T0NOPE000"), ("user_id", &guest.id)]
            ),
            "team_not_found",
            "{method}"
        );
        assert_eq!(
            admin_err(&sb, method, &[("team_id", &t), ("user_id", "W0NOPE000")]),
            "user_not_found",
            "{method}"
        );
    }
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.setAdmin",
            &[("team_id", &t), ("user_id", &guest.id)]
        ),
        "invalid_role_for_user"
    );
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.setOwner",
            &[("team_id", &t), ("user_id", &guest.id)]
        ),
        "invalid_role_for_user"
    );
    assert_eq!(
        admin_err(
            &sb,
            "admin.users.setRegular",
            &[("team_id", &multi_team), ("user_id", &multi.id)]
        ),
        "cannot_set_this_guest_to_regular_at_team_level"
    );
    // A single-workspace guest can be made a regular member there.
    let single = find(&sb, |u| {
        u.guest.is_some() && !u.is_deactivated() && u.active_teams().count() == 1
    });
    let st = single.active_teams().next().unwrap().to_string();
    admin(
        &sb,
        "admin.users.setRegular",
        &[("team_id", &st), ("user_id", &single.id)],
    );
    let r = row(&sb, &single.id);
    assert_eq!(
        (
            r["is_restricted"].as_bool(),
            r["is_ultra_restricted"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(r["expiration_ts"], 0);
}

#[test]
fn expirations_are_for_guests() {
    let sb = sandbox(1_000);
    let guest = find(&sb, |u| {
        u.guest.is_some() && !u.is_deactivated() && u.active_teams().count() == 1
    });
    let t = guest.active_teams().next().unwrap().to_string();
    let when = (EPOCH + 7 * 86_400).to_string();
    admin(
        &sb,
        "admin.users.setExpiration",
        &[("user_id", &guest.id), ("expiration_ts", &when)],
    );
    let got = admin(&sb, "admin.users.getExpiration", &[("user_id", &guest.id)]);
    assert_eq!(got["expiration_ts"].as_i64().unwrap().to_string(), when);
    assert_eq!(
        row(&sb, &guest.id)["expiration_ts"]
            .as_i64()
            .unwrap()
            .to_string(),
        when
    );
    admin(
        &sb,
        "admin.users.setExpiration",
        &[
            ("user_id", &guest.id),
            ("team_id", &t),
            ("expiration_ts", "0"),
        ],
    );
    assert_eq!(
        admin(&sb, "admin.users.getExpiration", &[("user_id", &guest.id)])["expiration_ts"],
        0
    );

    let member = member(&sb);
    let multi = find(&sb, |u| {
        u.guest.is_some() && !u.is_deactivated() && u.active_teams().count() == 2
    });
    let gone_guest = find(&sb, |u| u.guest.is_some() && u.is_deactivated());
    let set = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.setExpiration", args);
    assert_eq!(
        set(&[("user_id", &member.id), ("expiration_ts", &when)]),
        "user_is_not_a_guest"
    );
    assert_eq!(
        set(&[("user_id", &guest.id), ("expiration_ts", "1000")]),
        "failed_to_validate_expiration"
    );
    assert_eq!(
        set(&[("user_id", &guest.id), ("expiration_ts", "soon")]),
        "failed_to_validate_expiration"
    );
    assert_eq!(
        set(&[("user_id", &multi.id), ("expiration_ts", &when)]),
        "team_id_required_for_enterprise"
    );
    assert_eq!(
        set(&[("user_id", &gone_guest.id), ("expiration_ts", &when)]),
        "user_is_deactivated"
    );
    assert_eq!(
        set(&[("user_id", "W0NOPE000"), ("expiration_ts", &when)]),
        "user_not_found"
    );
    assert_eq!(
        set(&[
            ("user_id", &guest.id),
            ("expiration_ts", &when),
            ("team_id", "T0NOPE000")
        ]),
        "team_not_found"
    );

    let get = |args: &[(&str, &str)]| admin_err(&sb, "admin.users.getExpiration", args);
    assert_eq!(get(&[("user_id", &member.id)]), "user_is_not_guest");
    assert_eq!(
        get(&[]),
        "user_is_not_guest",
        "without user_id it reads the caller, the owner"
    );
    assert_eq!(
        get(&[("user_id", &guest.id), ("target_team", "T0NOPE000")]),
        "target_team_not_on_org"
    );
    assert_eq!(get(&[("user_id", "W0NOPE000")]), "user_not_found");
}
