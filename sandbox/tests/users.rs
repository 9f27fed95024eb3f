//! `users.*`: success shapes and each listed error.

mod common;

use serde_json::Value;

use common::*;
use roster_sandbox::{Sandbox, org::User};

fn find(sb: &Sandbox, f: impl Fn(&User) -> bool) -> User {
    sb.with_org(|org| org.users.values().find(|u| f(u)).cloned())
        .expect("the seeded org has such a user")
}

#[test]
fn info_returns_slacks_user_object() {
    let sb = sandbox(300);
    let u = find(&sb, |u| {
        !u.is_bot && !u.email.is_empty() && !u.title.is_empty()
    });
    let token = sb.tokens().org_admin.clone();
    let info = call(
        &sb,
        "users.info",
        &token,
        &[("user", &u.id), ("include_locale", "true")],
    )
    .unwrap();
    let user = &info["user"];
    assert_eq!(user["id"], u.id.as_str());
    assert_eq!(user["name"], u.username.as_str());
    assert_eq!(user["real_name"], u.full_name.as_str());
    assert_eq!(user["profile"]["email"], u.email.as_str());
    assert_eq!(user["profile"]["title"], u.title.as_str());
    assert_eq!(user["tz"], u.tz.as_str());
    assert_eq!(user["locale"], "en-US");
    assert!(
        user["profile"]["image_72"]
            .as_str()
            .unwrap()
            .starts_with("https://avatars.example/")
    );
    assert!(user["has_2fa"].is_boolean(), "org admins see 2FA");
    assert!(user["enterprise_user"]["teams"].is_array());
    for flag in [
        "is_admin",
        "is_owner",
        "is_primary_owner",
        "is_restricted",
        "is_ultra_restricted",
        "is_bot",
        "deleted",
    ] {
        assert!(user[flag].is_boolean(), "{flag}");
    }
    let bot = sb.tokens().bot.clone();
    let seen_by_bot = call(&sb, "users.info", &bot, &[("user", &u.id)]).unwrap();
    assert!(seen_by_bot["user"].get("has_2fa").is_none());
    assert!(seen_by_bot["user"].get("locale").is_none());
}

#[test]
fn info_errors() {
    let sb = sandbox(300);
    let token = sb.tokens().org_admin.clone();
    assert_eq!(
        call(&sb, "users.info", &token, &[("user", "W0NOPE000")]).unwrap_err(),
        "user_not_found"
    );
    assert_eq!(
        call(&sb, "users.info", &token, &[("user", "bob")]).unwrap_err(),
        "invalid_user"
    );
    assert_eq!(
        call(&sb, "users.info", &token, &[]).unwrap_err(),
        "invalid_arguments"
    );
    // A workspace token cannot see users of other workspaces.
    let first = sb.with_org(|o| o.teams[0].id.clone());
    let outsider = find(&sb, |u| !u.memberships.contains_key(&first));
    let ws = sb.tokens().workspace.clone();
    assert_eq!(
        call(&sb, "users.info", &ws, &[("user", &outsider.id)]).unwrap_err(),
        "user_not_visible"
    );
}

#[test]
fn lookup_by_email() {
    let sb = sandbox(300);
    let u = find(&sb, |u| !u.email.is_empty());
    let token = sb.tokens().org_admin.clone();
    let found = call(
        &sb,
        "users.lookupByEmail",
        &token,
        &[("email", &u.email.to_uppercase())],
    )
    .unwrap();
    assert_eq!(found["user"]["id"], u.id.as_str());
    assert_eq!(
        call(
            &sb,
            "users.lookupByEmail",
            &token,
            &[("email", "nobody@larkspur.example")]
        )
        .unwrap_err(),
        "users_not_found"
    );
    assert_eq!(
        call(&sb, "users.lookupByEmail", &token, &[]).unwrap_err(),
        "invalid_arguments"
    );
    let no_email_scope = sb.tokens().bot.clone();
    call(
        &sb,
        "users.lookupByEmail",
        &no_email_scope,
        &[("email", &u.email)],
    )
    .unwrap();
}

#[test]
fn list_pages_members_and_needs_a_limit_for_big_orgs() {
    let sb = sandbox(1_500);
    let token = sb.tokens().org_admin.clone();
    assert_eq!(
        call(&sb, "users.list", &token, &[]).unwrap_err(),
        "limit_required"
    );
    let mut seen = 0;
    let mut cursor = String::new();
    loop {
        let mut args = vec![("limit", "400")];
        if !cursor.is_empty() {
            args.push(("cursor", &cursor));
        }
        let page = call(&sb, "users.list", &token, &args).unwrap();
        assert!(page["cache_ts"].is_i64());
        seen += page["members"].as_array().unwrap().len();
        cursor = page["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_string();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(seen, 1_500, "deleted accounts are listed too");
    let ws = sb.tokens().workspace.clone();
    let first = sb.with_org(|o| o.teams[0].id.clone());
    let page = call(&sb, "users.list", &ws, &[("limit", "1000")]).unwrap();
    assert!(
        page["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["team_id"] == first.as_str())
    );
    assert_eq!(
        call(
            &sb,
            "users.list",
            &token,
            &[("limit", "10"), ("cursor", "eA==")]
        )
        .unwrap_err(),
        "invalid_cursor"
    );
}

#[test]
fn presence_is_full_for_the_caller_and_brief_for_others() {
    let sb = sandbox(100);
    let token = sb.tokens().org_admin.clone();
    let me = call(&sb, "users.getPresence", &token, &[]).unwrap();
    assert!(me["presence"] == "active" || me["presence"] == "away");
    for key in [
        "online",
        "auto_away",
        "manual_away",
        "connection_count",
        "last_activity",
    ] {
        assert!(me.get(key).is_some(), "{key}");
    }
    let other = find(&sb, |u| u.id != sb.tokens().lookup(&token).unwrap().user_id);
    let them = call(&sb, "users.getPresence", &token, &[("user", &other.id)]).unwrap();
    assert_eq!(
        them.as_object().unwrap().len(),
        2,
        "only ok and presence: {them}"
    );
    assert_eq!(
        call(&sb, "users.getPresence", &token, &[("user", "W0NOPE000")]).unwrap_err(),
        "user_not_found"
    );
}

#[test]
fn identity_is_for_user_tokens() {
    let sb = sandbox(100);
    let token = sb.tokens().org_admin.clone();
    let me = call(&sb, "users.identity", &token, &[]).unwrap();
    assert!(me["user"]["id"].as_str().unwrap().starts_with('W'));
    assert!(me["user"]["name"].is_string());
    assert!(me["team"]["id"].as_str().unwrap().starts_with('E'));
    let bot = sb.tokens().bot.clone();
    assert_eq!(
        call(&sb, "users.identity", &bot, &[]).unwrap_err(),
        "user_is_bot"
    );
}

#[test]
fn delete_photo_resets_the_callers_avatar() {
    let sb = sandbox(100);
    let token = sb.tokens().org_admin.clone();
    let me = sb.tokens().lookup(&token).unwrap().user_id.clone();
    let before = sb.with_org(|o| o.users[&me].avatar_hash.clone());
    assert_eq!(
        call(&sb, "users.deletePhoto", &token, &[]).unwrap(),
        serde_json::json!({"ok": true})
    );
    let after = sb.with_org(|o| o.users[&me].avatar_hash.clone());
    assert_ne!(before, after);
    let bot = sb.tokens().bot.clone();
    assert_eq!(
        call(&sb, "users.deletePhoto", &bot, &[]).unwrap_err(),
        "user_is_bot"
    );
    let json_call = roster_sandbox::request::Call {
        token: Some(token),
        args: Default::default(),
        json_body: true,
    };
    match sb.handle("users.deletePhoto", &json_call) {
        roster_sandbox::SlackReply::Fail(f) => assert_eq!(f.code, "invalid_form_data"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn conversations_lists_a_users_channels() {
    let sb = sandbox(300);
    let token = sb.tokens().org_admin.clone();
    let u = find(&sb, |u| {
        !u.is_bot
            && u.guest.is_none()
            && u.memberships
                .values()
                .map(|m| m.channels.len())
                .sum::<usize>()
                >= 5
    });
    let all = call(
        &sb,
        "users.conversations",
        &token,
        &[
            ("user", &u.id),
            ("types", "public_channel,private_channel"),
            ("limit", "1000"),
        ],
    )
    .unwrap();
    let channels = all["channels"].as_array().unwrap();
    assert!(!channels.is_empty());
    assert!(
        channels
            .iter()
            .all(|c| c.get("num_members").is_none() && c.get("is_member").is_none())
    );
    let public = call(
        &sb,
        "users.conversations",
        &token,
        &[("user", &u.id), ("limit", "1000")],
    )
    .unwrap();
    assert!(
        public["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["is_private"] == false)
    );
    // Paging.
    let first = call(
        &sb,
        "users.conversations",
        &token,
        &[("user", &u.id), ("limit", "2")],
    )
    .unwrap();
    let cursor = first["response_metadata"]["next_cursor"].as_str().unwrap();
    assert!(!cursor.is_empty());
    let second = call(
        &sb,
        "users.conversations",
        &token,
        &[("user", &u.id), ("limit", "2"), ("cursor", cursor)],
    )
    .unwrap();
    assert_ne!(first["channels"][0]["id"], second["channels"][0]["id"]);

    let err = |args: &[(&str, &str)]| call(&sb, "users.conversations", &token, args).unwrap_err();
    assert_eq!(
        err(&[("user", &u.id), ("types", "public_channel,dm")]),
        "invalid_types"
    );
    assert_eq!(err(&[("user", &u.id), ("limit", "0")]), "invalid_limit");
    assert_eq!(err(&[("user", &u.id), ("limit", "1001")]), "invalid_limit");
    assert_eq!(
        err(&[("user", &u.id), ("cursor", "bm9wZQ==")]),
        "invalid_cursor"
    );
    assert_eq!(err(&[("user", "W0NOPE000")]), "user_not_found");
    assert_eq!(
        err(&[("user", &u.id), ("team_id", "T0NOWHERE")]),
        "team_not_found"
    );
}

#[test]
fn conversations_of_one_workspace_with_team_id() {
    let sb = sandbox(300);
    let token = sb.tokens().org_admin.clone();
    let u = find(&sb, |u| {
        !u.is_bot
            && u.guest.is_none()
            && u.memberships
                .values()
                .filter(|m| m.active && !m.channels.is_empty())
                .count()
                >= 2
    });
    let list = |team: Option<&str>| -> Vec<Value> {
        let mut args = vec![
            ("user", u.id.as_str()),
            ("types", "public_channel,private_channel"),
            ("limit", "1000"),
        ];
        if let Some(t) = team {
            args.push(("team_id", t));
        }
        call(&sb, "users.conversations", &token, &args).unwrap()["channels"]
            .as_array()
            .unwrap()
            .clone()
    };
    let everywhere = list(None);
    let mut per_team = 0;
    for team in u.memberships.keys() {
        let on_team = list(Some(team));
        assert!(
            on_team
                .iter()
                .all(|c| c["context_team_id"] == team.as_str())
        );
        assert_eq!(
            on_team.len(),
            everywhere
                .iter()
                .filter(|c| c["context_team_id"] == team.as_str())
                .count()
        );
        per_team += on_team.len();
    }
    assert_eq!(per_team, everywhere.len());
}
