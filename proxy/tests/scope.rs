//! Restricted views hold: a role scoped to one workspace learns nothing about what lies
//! outside it, from any answer.
//!
//! Two sandbox orgs are built that are identical on the role's workspace and differ only
//! outside it: a member there is an admin elsewhere, a guest has an earlier expiration
//! elsewhere, a member owns another workspace and sits in many channels there, people and a
//! workspace exist only in one of them, and the org admin has done different things
//! outside the scope. Every GET route of the OpenAPI document and every write route (single
//! actions, job dry runs and real jobs) is called on both as the restricted role, with
//! parameters generated from the document, and each pair of answers must be identical.
//! Then every value the role is shown is compared with the org admin's view of the same
//! people, restricted by hand to the role's workspace and fields.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use roster_api::{SortKey, UserStatus, UserType};
use roster_proxy::{directory::fold, policy::RoleConfig};
use roster_sandbox::{
    RunningSandbox, Sandbox, SandboxConfig,
    org::{
        Channel, GuestKind, InviteRequest, InviteRequestState, InviteType, Membership, Org,
        OrgRole, Presence, Team, TeamRole, User,
    },
    ratelimit::RateLimitMode,
};
use serde_json::{Value, json};

/// A user who exists only in org B, on a workspace outside the scope.
const ONLY_B_USER: &str = "W0ZZOUTSIDE";
const ONLY_B_EMAIL: &str = "yara.outside@larkspur.example";
/// A deactivated user who exists only in org B, outside the scope.
const ONLY_B_DEACTIVATED: &str = "W0ZZGONE01";
const ONLY_B_DEACTIVATED_EMAIL: &str = "gone.outside@larkspur.example";
/// A workspace that exists only in org B.
const ONLY_B_TEAM: &str = "T0ZZOUTSIDE";
/// A pending invite request that exists only in org B, on a workspace outside the scope.
const ONLY_B_REQUEST: &str = "Ir0ZZOUTSIDE";
/// IDs nobody has, in either org.
const NO_USER: &str = "W0NOBODY00";
const NO_TEAM: &str = "T0NOWHERE0";

/// The people the test is about, picked from the seeded org (the same in A and B).
#[derive(Debug, Clone)]
struct Cast {
    /// The one workspace the restricted roles cover.
    inside: String,
    /// Two workspaces they do not cover.
    outside: String,
    outside2: String,
    /// A channel on `inside`.
    channel: String,
    /// A regular member only on `inside` (in B: also an admin on `outside`).
    member: String,
    /// A second regular member only on `inside` (in B: owner of `outside`, in 120 channels there).
    owner_elsewhere: String,
    /// A regular member on `inside` and `outside` (in B: admin on `outside`).
    shared: String,
    /// A multi-channel guest only on `inside`, with an expiration (in B: an earlier one on `outside`).
    guest: String,
    guest_expires: i64,
    /// A single-channel guest on `inside`.
    single_guest: String,
    /// Members only on `outside`, in both orgs; the org admin acts on them differently in A and B.
    outsiders: [String; 4],
}

fn pick(
    what: &str,
    org: &Org,
    inside: &str,
    outside: &str,
    f: impl Fn(&User) -> bool,
    skip: &[&str],
) -> String {
    org.users
        .values()
        .find(|u| {
            !skip.contains(&u.id.as_str())
                && !u.is_bot
                && !u.is_deactivated()
                && !u.invited
                && f(u)
                && (u.memberships.contains_key(inside) || u.memberships.contains_key(outside))
        })
        .map(|u| u.id.clone())
        .unwrap_or_else(|| panic!("the seeded org has no {what}"))
}

fn cast(org: &Org) -> Cast {
    let teams: Vec<&Team> = org.teams.iter().collect();
    let (inside, outside, outside2) = (
        teams[0].id.clone(),
        teams[1].id.clone(),
        teams[2].id.clone(),
    );
    let only = |u: &User, teams: &[&str]| {
        u.memberships.len() == teams.len()
            && teams
                .iter()
                .all(|t| u.memberships.get(*t).is_some_and(|m| m.active))
    };
    let regular = |u: &User| {
        u.org_role == OrgRole::Regular
            && u.guest.is_none()
            && u.memberships.values().all(|m| m.role == TeamRole::Regular)
    };
    let (i, o) = (inside.as_str(), outside.as_str());
    let member = pick(
        "member only inside",
        org,
        i,
        o,
        |u| regular(u) && only(u, &[i]),
        &[],
    );
    let owner_elsewhere = pick(
        "second member only inside",
        org,
        i,
        o,
        |u| regular(u) && only(u, &[i]),
        &[&member],
    );
    let shared = pick(
        "member inside and outside",
        org,
        i,
        o,
        |u| regular(u) && only(u, &[i, o]),
        &[],
    );
    let guest = pick(
        "guest only inside with an expiration",
        org,
        i,
        o,
        |u| {
            u.guest == Some(GuestKind::MultiChannel)
                && !u.memberships.contains_key(o)
                && u.memberships
                    .get(i)
                    .is_some_and(|m| m.active && m.expiration_ts > 0)
        },
        &[],
    );
    let single_guest = pick(
        "single-channel guest inside",
        org,
        i,
        o,
        |u| u.guest == Some(GuestKind::SingleChannel) && only(u, &[i]),
        &[],
    );
    let mut outsiders = Vec::new();
    for _ in 0..4 {
        let skip: Vec<&str> = outsiders.iter().map(String::as_str).collect();
        outsiders.push(pick(
            "member only outside",
            org,
            i,
            o,
            |u| regular(u) && only(u, &[o]),
            &skip,
        ));
    }
    let channel = org
        .channels
        .values()
        .find(|c| c.team_id == inside && !c.is_private && !c.is_archived)
        .unwrap()
        .id
        .clone();
    Cast {
        guest_expires: org.users[&guest].memberships[&inside].expiration_ts,
        inside,
        outside,
        outside2,
        channel,
        member,
        owner_elsewhere,
        shared,
        guest,
        single_guest,
        outsiders: outsiders.try_into().unwrap(),
    }
}

/// What makes org B differ from org A: only things outside `inside`.
fn differ_outside(org: &mut Org, cast: &Cast) {
    let membership = |role: TeamRole, expiration_ts: i64, channels: Vec<String>| Membership {
        role,
        active: true,
        expiration_ts,
        channels,
    };
    let outside = cast.outside.clone();
    // A member on the scope's workspace is an admin on another one.
    org.users
        .get_mut(&cast.member)
        .unwrap()
        .memberships
        .insert(outside.clone(), membership(TeamRole::Admin, 0, vec![]));
    org.users
        .get_mut(&cast.shared)
        .unwrap()
        .memberships
        .get_mut(&outside)
        .unwrap()
        .role = TeamRole::Admin;
    // A guest's earliest expiration is on another workspace.
    org.users.get_mut(&cast.guest).unwrap().memberships.insert(
        outside.clone(),
        membership(TeamRole::Regular, cast.guest_expires - 86_400 * 30, vec![]),
    );
    // A member owns another workspace and is in 120 of its channels.
    let template = org
        .channels
        .values()
        .find(|c| c.team_id == outside)
        .unwrap()
        .clone();
    let mut ids = Vec::new();
    for n in 0..120 {
        let id = format!("C0ZZ{n:05}");
        org.channels.insert(
            id.clone(),
            Channel {
                id: id.clone(),
                name: format!("zz-outside-{n}"),
                is_private: false,
                is_archived: false,
                ..template.clone()
            },
        );
        ids.push(id);
    }
    org.users
        .get_mut(&cast.owner_elsewhere)
        .unwrap()
        .memberships
        .insert(outside.clone(), membership(TeamRole::Owner, 0, ids));
    // A workspace, an active user and a deactivated user that only B has.
    org.teams.push(Team {
        id: ONLY_B_TEAM.into(),
        name: "Zz Outside".into(),
        domain: "zz-outside".into(),
        discoverability: "hidden",
    });
    let template = org.users[&cast.outsiders[0]].clone();
    // A request for an invitation outside the scope, sent by someone on the scope's
    // workspace (who is on both in B).
    org.invite_requests.insert(
        ONLY_B_REQUEST.into(),
        InviteRequest {
            id: ONLY_B_REQUEST.into(),
            team_id: outside.clone(),
            email: "asked.outside@agency.example".into(),
            date_created: template.date_created + 20,
            requester_ids: vec![cast.shared.clone()],
            channel_ids: vec![],
            invite_type: InviteType::FullMember,
            real_name: Some("Asked Outside".into()),
            date_expire: None,
            request_reason: Some("Joins the outside team".into()),
            state: InviteRequestState::Pending,
        },
    );
    let mut only_b = |id: &str, email: &str, name: &str, deactivated: bool| {
        let user = User {
            id: id.into(),
            username: email.split('@').next().unwrap().into(),
            full_name: name.into(),
            display_name: name.into(),
            first_name: name.into(),
            last_name: String::new(),
            email: email.into(),
            org_role: OrgRole::Regular,
            guest: None,
            memberships: [
                (outside.clone(), membership(TeamRole::Regular, 0, vec![])),
                (
                    ONLY_B_TEAM.to_string(),
                    membership(TeamRole::Admin, 0, vec![]),
                ),
            ]
            .into_iter()
            .collect(),
            deactivated_ts: if deactivated {
                template.date_created + 10
            } else {
                0
            },
            invited: false,
            presence: Presence::Active,
            ..template.clone()
        };
        org.insert_user(user);
    };
    only_b(ONLY_B_USER, ONLY_B_EMAIL, "Yara Outside", false);
    only_b(
        ONLY_B_DEACTIVATED,
        ONLY_B_DEACTIVATED_EMAIL,
        "Gone Outside",
        true,
    );
}

fn roles(inside: &str) -> Vec<RoleConfig> {
    let text = format!(
        r#"
[[roles]]
name = "org-admin"
permissions = ["users.read", "users.read_sensitive", "users.invite", "users.assign", "users.remove",
               "users.set_role", "users.set_expiration", "users.deactivate",
               "users.deactivate_admins", "users.reactivate", "users.sessions",
               "users.session_settings", "invites.review", "audit.read", "audit.read_all",
               "seats.read"]
workspaces = "all"

[[roles]]
name = "desk"
permissions = ["users.read", "users.lookup_by_email", "users.invite", "users.set_expiration",
               "users.sessions", "invites.review", "audit.read"]
workspaces = ["{inside}"]
hidden_fields = ["email"]
invite_guests_only = true

[[roles]]
name = "regional"
permissions = ["users.read", "users.read_sensitive", "users.invite", "users.assign", "users.remove",
               "users.set_role", "users.set_expiration", "users.deactivate",
               "users.deactivate_admins", "users.reactivate", "users.sessions",
               "users.session_settings", "invites.review", "audit.read", "audit.read_all",
               "seats.read"]
workspaces = ["{inside}"]
hidden_fields = ["email"]
"#
    );
    parse_roles(&text)
}

const RESTRICTED: [&str; 2] = ["desk", "regional"];

async fn sandbox() -> RunningSandbox {
    Sandbox::new(SandboxConfig {
        users: 300,
        seed: 4,
        rate_limits: RateLimitMode::Off,
        epoch: Some(4_000_000_000 - 86_400 * 400),
        ..SandboxConfig::default()
    })
    .serve(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .unwrap()
}

struct World {
    a: TestApp,
    b: TestApp,
    cast: Cast,
    /// A moment before B's org changed outside the scope (Unix milliseconds).
    since: i64,
    /// Every pair of answers that differed, described; the test fails at the end if any
    /// did, listing them all (so one run shows every leak, not only the first).
    differences: std::sync::Mutex<Vec<String>>,
}

impl World {
    fn assert_no_differences(&self) {
        let found = self.differences.lock().unwrap();
        if found.is_empty() {
            return;
        }
        panic!(
            "{} answers depend on something outside the role's workspace:\n\n{}",
            found.len(),
            found
                .iter()
                .take(12)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}

async fn world() -> World {
    let sandbox_a = sandbox().await;
    let sandbox_b = sandbox().await;
    let cast = sandbox_a.sandbox.with_org(cast);
    sandbox_b
        .sandbox
        .with_org_mut(|org| differ_outside(org, &cast));
    // Roster paces Slack calls at the real tiers; the sandbox's are off, so its clock runs
    // fast enough for hundreds of detail pages.
    let options = || Options {
        roles: Some(roles(&cast.inside)),
        rate_scale: 10_000.0,
        ..Options::default()
    };
    let a = spawn_app_on(std::sync::Arc::new(sandbox_a), None, options()).await;
    let b = spawn_app_on(std::sync::Arc::new(sandbox_b), None, options()).await;
    // Both read Slack's member analytics (each org's own history) meanwhile.
    for app in [&a, &b] {
        app.state.start_seats().await.unwrap();
    }
    // Both directories are live (Slack's events over Socket Mode), and only B's org changes
    // outside the scope: what the restricted roles are told of the live updates (their
    // state, counts and times) must not show it.
    for app in [&a, &b] {
        let token = "xapp-1-A0SANDBOX1-scope";
        app.sandbox
            .sandbox
            .events()
            .configure(roster_sandbox::events::EventsConfig {
                app_token: Some(token.into()),
                invite_requested: true,
                ..Default::default()
            });
        app.state.invite_requests.follow_events(true);
        app.state.start_events(
            &app.sandbox.api_url(),
            Some(roster_proxy::slack::SlackToken::new(token).unwrap()),
            None,
            std::time::Duration::from_secs(3600),
        );
    }
    let started = std::time::Instant::now();
    while [&a, &b]
        .iter()
        .any(|app| app.sandbox.sandbox.events().sockets() == 0)
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no socket"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let since = roster_proxy::directory::unix_now_ms();
    b.sandbox.sandbox.with_org_mut(|org| {
        let someone = org
            .users
            .values()
            .find(|u| {
                u.memberships.len() == 1
                    && u.memberships.contains_key(&cast.outside)
                    && u.id != ONLY_B_USER
            })
            .map(|u| u.id.clone())
            .expect("someone only outside the scope");
        org.touch(&someone);
        let user = org.users.get_mut(&someone).unwrap();
        user.title = "Changed outside".into();
        user.full_name = "Changed Outside".into();
        user.updated += 1;
    });
    // In B, too: someone asks for an invitation to a workspace outside the scope, and
    // Roster's app is taken off another (it sends no events).
    while [&a, &b]
        .iter()
        .any(|app| !app.state.events.get().unwrap().live.coverage.known())
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "Slack not asked which workspaces send events"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let events = b.sandbox.sandbox.events();
    b.sandbox.sandbox.with_org_mut(|org| {
        let requester = org
            .users
            .values()
            .find(|u| {
                !u.is_bot
                    && !u.is_deactivated()
                    && u.memberships.get(&cast.outside).is_some_and(|m| m.active)
            })
            .map(|u| u.id.clone())
            .expect("someone active outside the scope");
        let ask = serde_json::from_value(json!({
            "team_id": cast.outside, "email": "asked.outside@larkspur.example",
            "requester_id": requester,
        }))
        .unwrap();
        let request = org.request_invite(ask, 4_000_000_000).unwrap();
        events.invite_requested(org, &request);
        events.grant(org, std::slice::from_ref(&cast.outside2), false);
    });
    while b.state.live_figures().applied == 0
        || b.state.invite_requests.last_arrival(|_| true).is_none()
        || b.state.silent_workspaces().is_empty()
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no event applied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let now = roster_proxy::directory::unix_now();
    let published = (roster_sandbox::analytics::oldest_kept(now)
        ..=roster_sandbox::analytics::newest_published(now, &Default::default()))
        .count();
    let reading = std::time::Instant::now();
    while [&a, &b]
        .iter()
        .any(|app| app.state.seats.get().unwrap().progress().days_read < published)
    {
        assert!(
            reading.elapsed() < std::time::Duration::from_secs(90),
            "the analytics days not read"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    World {
        a,
        b,
        cast,
        since,
        differences: Default::default(),
    }
}

/// One answer, reduced to what may be compared: status, and the body with values that
/// depend on the moment (times, request IDs) replaced.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    body: Value,
}

async fn call(app: &TestApp, role: &str, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let url = format!("{}{path}", app.url);
    let request = match method {
        "get" => app.http.get(url),
        "post" => {
            let r = app
                .http
                .post(url)
                .header("x-roster-request", "1")
                .header("origin", app.origin());
            match body {
                Some(b) => r.json(b),
                None => r,
            }
        }
        other => panic!("no request builder for {other}"),
    };
    let response = request
        .header("cookie", format!("roster_demo_role={role}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    let text = response.text().await.unwrap();
    // A sentence is always rendered for its reader before it leaves (see `sentence`).
    assert!(
        !text.contains(['\u{E000}', '\u{E001}', '\u{E002}']),
        "{method} {path} as {role}: a sentence left the server unrendered: {text}"
    );
    let body = if json {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    } else {
        Value::String(text)
    };
    Answer {
        status,
        body: normalise(body),
    }
}

const MOMENT_KEYS: &[&str] = &[
    "at",
    "request_id",
    "synced_at",
    "started_at",
    "finished_at",
    "created_at",
    "updated_at",
    "checked_at",
    // How long the database took to answer a health check.
    "latency_ms",
];

/// Replaces what depends on the moment rather than on the org: times near now (the
/// seeded org's dates are decades away), request IDs, and sync timings.
fn normalise(value: Value) -> Value {
    let now = roster_proxy::directory::unix_now();
    let near_now = |n: i64| (n - now).abs() < 86_400 || (n / 1000 - now).abs() < 86_400;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if MOMENT_KEYS.contains(&k.as_str()) {
                        json!("<moment>")
                    } else {
                        normalise(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
        Value::Number(n) if n.as_i64().is_some_and(near_now) => json!("<now>"),
        Value::String(s) => {
            // CSV cells and SSE data carry times as text.
            let mut out = String::with_capacity(s.len());
            for (i, line) in s.split('\n').enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                let cells: Vec<String> = line
                    .split(',')
                    .map(|cell| {
                        if cell.len() == 20 && cell.ends_with('Z') && cell.starts_with(&now_year())
                        {
                            "<now>".to_string()
                        } else if cell.len() == 16
                            && cell
                                .bytes()
                                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                        {
                            // A request ID.
                            "<moment>".to_string()
                        } else {
                            cell.to_string()
                        }
                    })
                    .collect();
                out.push_str(&cells.join(","));
            }
            Value::String(out)
        }
        other => other,
    }
}

fn now_year() -> String {
    time::OffsetDateTime::now_utc().year().to_string()
}

/// Whether the two orgs gave the same answer; if not, where they first differ.
fn difference(what: &str, a: &Answer, b: &Answer) -> Option<String> {
    if a == b {
        return None;
    }
    let lines = |x: &Answer| -> Vec<String> {
        match &x.body {
            Value::String(text) => text.lines().map(str::to_string).collect(),
            other => serde_json::to_string_pretty(other)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect(),
        }
    };
    let (la, lb) = (lines(a), lines(b));
    let at = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    let around = |l: &[String]| l[at.saturating_sub(3)..(at + 3).min(l.len())].join("\n");
    Some(format!(
        "{what}\n  status A {} / B {}; first difference at line {at}:\n--- org A\n{}\n--- org B\n{}",
        a.status,
        b.status,
        around(&la),
        around(&lb)
    ))
}

async fn both(world: &World, role: &str, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let a = call(&world.a, role, method, path, body).await;
    let b = call(&world.b, role, method, path, body).await;
    let what = format!(
        "{role} {} {path} {}",
        method.to_uppercase(),
        body.map(Value::to_string).unwrap_or_default()
    );
    if let Some(d) = difference(&what, &a, &b) {
        world.differences.lock().unwrap().push(d);
    }
    a
}

/// Values to try for each query parameter, by name: in scope, out of scope, existing only
/// in B, and nowhere.
fn query_values(world: &World, name: &str, schema: &Value) -> Vec<String> {
    let c = &world.cast;
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
    }
    match name {
        "workspace" => vec![
            c.inside.clone(),
            c.outside.clone(),
            ONLY_B_TEAM.into(),
            NO_TEAM.into(),
        ],
        "q" => vec![
            "Yara".into(),
            ONLY_B_EMAIL.into(),
            // Complete addresses, for the role that looks people up by one.
            world
                .a
                .state
                .directory
                .get(&c.shared)
                .and_then(|u| u.summary.email)
                .expect("the shared member has an address"),
            ONLY_B_DEACTIVATED_EMAIL.into(),
            "outside".into(),
            "W0ZZ".into(),
            c.member.to_lowercase(),
            "a".into(),
        ],
        "sort" => SortKey::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
        "dir" => vec!["asc".into(), "desc".into()],
        "type" => UserType::ALL
            .iter()
            .map(|t| t.as_str().to_string())
            .collect(),
        "status" => UserStatus::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        "has_2fa" | "has_sso" | "dry_run" => vec!["true".into(), "false".into()],
        // Seeded expirations are decades ahead; 40,000 days reaches them.
        "expires_within_days" => vec!["1".into(), "40000".into()],
        "offset" => vec!["0".into(), "3".into()],
        "limit" => vec!["5".into(), "1000".into()],
        "actor" => vec!["admin".into(), "desk".into()],
        "target" => vec![
            c.member.clone(),
            c.outsiders[0].clone(),
            c.outsiders[1].clone(),
            ONLY_B_USER.into(),
        ],
        "action" => [
            "invite",
            "assign",
            "remove",
            "set_role",
            "set_expiration",
            "create_job",
        ]
        .map(String::from)
        .to_vec(),
        "outcome" => [
            "ok",
            "denied",
            "invalid",
            "slack_error",
            "pending",
            "unknown",
        ]
        .map(String::from)
        .to_vec(),
        "from" | "to" => vec!["0".into(), "99999999999999".into()],
        "inactive_days" => vec!["0".into(), "30".into(), "90".into()],
        "cursor" => vec!["1000000".into(), "5".into()],
        other => panic!(
            "query parameter {other:?} has no values to try: add them here so the route is covered"
        ),
    }
}

/// Values for a path parameter, by the route it belongs to.
fn path_values(world: &World, path: &str, jobs: &[i64]) -> Vec<String> {
    let c = &world.cast;
    if path.starts_with("/api/users/") {
        vec![
            c.member.clone(),
            c.owner_elsewhere.clone(),
            c.shared.clone(),
            c.guest.clone(),
            c.single_guest.clone(),
            c.outsiders[0].clone(),
            ONLY_B_USER.into(),
            ONLY_B_DEACTIVATED.into(),
            NO_USER.into(),
        ]
    } else if path.starts_with("/api/workspaces/") {
        vec![
            c.inside.clone(),
            c.outside.clone(),
            ONLY_B_TEAM.into(),
            NO_TEAM.into(),
        ]
    } else if path.starts_with("/api/jobs/") {
        let mut ids: Vec<String> = jobs.iter().map(i64::to_string).collect();
        ids.push("999999".into());
        ids
    } else {
        panic!("path {path} has a parameter with no values to try: add them here")
    }
}

/// Resolves a parameter schema that is a `$ref` to a component.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            doc["components"]["schemas"]
                .get(name)
                .unwrap_or_else(|| panic!("{r} is not defined in the OpenAPI document"))
        }
        None => schema,
    }
}

/// Every GET of the OpenAPI document, with each query parameter alone and the pairs that
/// derive values from memberships (workspace with type, sort and expiration).
fn get_requests(world: &World, doc: &Value, jobs: &[i64]) -> Vec<String> {
    let mut requests = Vec::new();
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        let Some(op) = item.get("get") else { continue };
        let params = op
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let concrete: Vec<String> = if path.contains('{') {
            path_values(world, path, jobs)
                .into_iter()
                .map(|v| {
                    let start = path.find('{').unwrap();
                    let end = path.find('}').unwrap();
                    format!("{}{v}{}", &path[..start], &path[end + 1..])
                })
                .collect()
        } else {
            vec![path.clone()]
        };
        let query: Vec<(String, Vec<String>)> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| {
                let name = p["name"].as_str().unwrap().to_string();
                let schema = resolve(doc, &p["schema"]);
                let values = query_values(world, &name, schema);
                (name, values)
            })
            .collect();
        for base in concrete {
            requests.push(base.clone());
            for (name, values) in &query {
                for v in values {
                    requests.push(format!("{base}?{name}={}", urlencode(v)));
                }
            }
            let names: BTreeSet<&str> = query.iter().map(|(n, _)| n.as_str()).collect();
            if names.contains("workspace") && names.contains("sort") {
                for w in query_values(world, "workspace", &Value::Null) {
                    for k in SortKey::ALL {
                        for dir in ["asc", "desc"] {
                            requests.push(format!(
                                "{base}?workspace={w}&sort={}&dir={dir}&limit=1000",
                                k.as_str()
                            ));
                        }
                    }
                    for t in UserType::ALL {
                        requests.push(format!("{base}?workspace={w}&type={}", t.as_str()));
                    }
                    requests.push(format!("{base}?workspace={w}&expires_within_days=40000"));
                }
                for k in SortKey::ALL {
                    for t in UserType::ALL {
                        requests.push(format!(
                            "{base}?type={}&sort={}&limit=1000",
                            t.as_str(),
                            k.as_str()
                        ));
                    }
                }
            }
        }
    }
    requests
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_string()
}

async fn openapi(world: &World) -> Value {
    call(&world.a, "org-admin", "get", "/api/openapi.json", None)
        .await
        .body
}

/// Every GET route, as each restricted role, on both orgs.
async fn every_get_is_the_same(world: &World, doc: &Value, jobs: &[i64]) -> usize {
    let requests = get_requests(world, doc, jobs);
    for role in RESTRICTED {
        for path in &requests {
            both(world, role, "get", path, None).await;
        }
    }
    requests.len()
}

/// Candidate changes, as job operations: each kind, on people and workspaces inside the
/// scope, outside it, only in B, and nowhere.
fn operations(world: &World) -> Vec<Value> {
    let c = &world.cast;
    let workspaces = [
        c.inside.as_str(),
        c.outside.as_str(),
        c.outside2.as_str(),
        ONLY_B_TEAM,
        NO_TEAM,
    ];
    let people = [
        c.member.as_str(),
        c.owner_elsewhere.as_str(),
        c.shared.as_str(),
        c.guest.as_str(),
        c.single_guest.as_str(),
        c.outsiders[2].as_str(),
        ONLY_B_USER,
        ONLY_B_DEACTIVATED,
        NO_USER,
    ];
    let future = roster_proxy::directory::unix_now() + 86_400 * 90;
    let mut ops = Vec::new();
    for email in [
        ONLY_B_EMAIL,
        ONLY_B_DEACTIVATED_EMAIL,
        "new.person@agency.example",
    ] {
        for w in workspaces {
            for guest in [json!("multi_channel"), Value::Null] {
                ops.push(json!({"op": "invite", "email": email, "workspace": w,
                    "channels": [c.channel], "guest": guest}));
            }
        }
    }
    for user in people {
        for w in workspaces {
            ops.push(json!({"op": "assign", "user": user, "workspace": w}));
            ops.push(json!({"op": "remove", "user": user, "workspace": w}));
            for role in ["admin", "regular"] {
                ops.push(json!({"op": "set_role", "user": user, "workspace": w, "role": role}));
            }
            ops.push(
                json!({"op": "set_expiration", "user": user, "workspace": w, "expires": future}),
            );
        }
        ops.push(json!({"op": "set_role", "user": user, "workspace": "org", "role": "admin"}));
        ops.push(json!({"op": "set_expiration", "user": user, "expires": future}));
        ops.push(json!({"op": "set_expiration", "user": user, "expires": null}));
        ops.push(json!({"op": "offboard", "user": user}));
        ops.push(json!({"op": "reactivate", "user": user}));
        ops.push(json!({"op": "reactivate", "user": user, "email": ONLY_B_EMAIL}));
        ops.push(json!({"op": "sign_out", "user": user, "devices": "web"}));
        ops.push(json!({"op": "set_session_duration", "user": user, "duration": 86_400}));
        ops.push(json!({"op": "set_session_duration", "user": user, "duration": null}));
        for w in workspaces {
            ops.push(json!({"op": "end_session", "user": user, "workspace": w,
                            "session": "1112275520242"}));
        }
    }
    for request in [ONLY_B_REQUEST, "Ir0NOBODY00"] {
        for w in workspaces {
            ops.push(json!({"op": "approve_request", "request": request, "workspace": w}));
            ops.push(
                json!({"op": "deny_request", "request": request, "workspace": w,
                            "reason": "Not expected"}),
            );
        }
    }
    ops
}

/// The single-action route and body of a job operation.
fn single(op: &Value) -> (String, Value) {
    let mut body = op.clone();
    let body_map = body.as_object_mut().unwrap();
    let kind = body_map.remove("op").unwrap();
    let kind = kind.as_str().unwrap();
    if kind == "invite" {
        return ("/api/users/invite".into(), body);
    }
    if !["assign", "remove", "set_role", "set_expiration"].contains(&kind) {
        // Kinds with no route of their own go through /api/changes.
        return ("/api/changes".into(), op.clone());
    }
    let user = body_map.remove("user").unwrap();
    let route = match kind {
        "assign" => "assign",
        "remove" => "remove",
        "set_role" => "role",
        "set_expiration" => "expiration",
        other => panic!("no single route for {other}"),
    };
    (
        format!("/api/users/{}/{route}", user.as_str().unwrap()),
        body,
    )
}

/// Whether a real (not dry-run) change is one whose answer is Slack's and may depend on the
/// org outside the scope: an invitation of an address that belongs to someone else in the
/// org. Slack accepts or refuses it (`invalid_role_for_user`, `user_disabled`) depending on
/// that person's account, and an invitation that is sent cannot be made to look refused.
/// README's security section states this limit; dry runs are still compared.
fn answered_by_slack_about_others(op: &Value) -> bool {
    op["op"] == "invite" && (op["email"] == ONLY_B_EMAIL || op["email"] == ONLY_B_DEACTIVATED_EMAIL)
}

async fn wait_for_job(world: &World, role: &str, id: i64) {
    for _ in 0..200 {
        let a = call(&world.a, role, "get", &format!("/api/jobs/{id}"), None).await;
        let b = call(&world.b, role, "get", &format!("/api/jobs/{id}"), None).await;
        let ended = |x: &Answer| {
            matches!(
                x.body["job"]["state"].as_str(),
                Some("finished" | "cancelled")
            )
        };
        if ended(&a) && ended(&b) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish");
}

/// Creates a job on both orgs. The answer is a moment of a job that has started: the rows
/// it runs are compared once it has ended (see [`wait_for_job`] and the GETs), the rows it
/// skipped, and everything else, at once.
async fn create_job(world: &World, role: &str, body: Option<&Value>) -> Answer {
    let a = call(&world.a, role, "post", "/api/jobs", body).await;
    let b = call(&world.b, role, "post", "/api/jobs", body).await;
    let settled = |x: &Answer| {
        let mut x = x.clone();
        if let Some(job) = x.body.get_mut("job").and_then(Value::as_object_mut) {
            for key in [
                "counts",
                "state",
                "eta_seconds",
                "rate_per_minute",
                "finished_at",
            ] {
                job.remove(key);
            }
        }
        for op in x
            .body
            .get_mut("operations")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if op["state"] != "skipped" {
                let op = op.as_object_mut().unwrap();
                for key in ["state", "message", "attempts", "audit_id", "slack_error"] {
                    op.remove(key);
                }
            }
        }
        x
    };
    let what = format!(
        "{role} POST /api/jobs {}",
        body.map(Value::to_string).unwrap_or_default()
    );
    if let Some(d) = difference(&what, &settled(&a), &settled(&b)) {
        world.differences.lock().unwrap().push(d);
    }
    a
}

/// Pause, resume, cancel and retry a job that has ended. A retry starts the failed rows
/// again at once, so its answer is a moment of a running job: compared by status, then the
/// job is compared once it has ended again.
async fn steer(world: &World, role: &str, id: i64) {
    for step in ["pause", "resume", "cancel"] {
        both(world, role, "post", &format!("/api/jobs/{id}/{step}"), None).await;
    }
    let path = format!("/api/jobs/{id}/retry");
    let a = call(&world.a, role, "post", &path, None).await;
    let b = call(&world.b, role, "post", &path, None).await;
    let outline = |x: &Answer| Answer {
        status: x.status,
        body: x.body.get("error").cloned().unwrap_or_default(),
    };
    if let Some(d) = difference(&format!("{role} POST {path}"), &outline(&a), &outline(&b)) {
        world.differences.lock().unwrap().push(d);
    }
    if a.status == 200 {
        wait_for_job(world, role, id).await;
        both(world, role, "get", &format!("/api/jobs/{id}"), None).await;
    }
}

/// The org admin does different things outside the scope in A and B (the same number of
/// them, so sequence numbers stay aligned).
async fn admin_acts_outside(world: &World) -> Vec<i64> {
    let c = &world.cast;
    let mut jobs = Vec::new();
    for (app, user, job_user) in [
        (&world.a, &c.outsiders[0], &c.outsiders[2]),
        (&world.b, &c.outsiders[1], &c.outsiders[3]),
    ] {
        let (status, body) = app
            .post(
                &format!("/api/users/{user}/remove"),
                json!({"workspace": c.outside}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = app
            .post(
                "/api/jobs",
                json!({"operations": [{"op": "set_role", "user": job_user, "workspace": c.outside, "role": "admin"}]}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        jobs.push(body["job"]["id"].as_i64().unwrap());
    }
    assert_eq!(jobs[0], jobs[1]);
    jobs.truncate(1);
    // The same requests in both orgs on the roles' own workspace, whose answers depend on
    // what lies outside it: someone who exists only in B, and a deactivated account only
    // in B. The org admin's answers differ; nothing of them may reach the roles.
    let inside = &c.inside;
    for app in [&world.a, &world.b] {
        app.post(
            &format!("/api/users/{ONLY_B_USER}/remove"),
            json!({"workspace": inside}),
        )
        .await;
        app.post(
            &format!("/api/users/{ONLY_B_DEACTIVATED}/assign"),
            json!({"workspace": inside}),
        )
        .await;
    }
    jobs
}

#[tokio::test]
async fn a_restricted_role_gets_the_same_answers_whatever_lies_outside_its_scope() {
    let world = world().await;
    let doc = openapi(&world).await;
    let mut jobs = admin_acts_outside(&world).await;

    // Reads, before any change by the restricted roles.
    let gets = every_get_is_the_same(&world, &doc, &jobs).await;
    assert!(gets > 300, "only {gets} GET requests generated");
    // The changes since before B's org changed outside the scope (and the org admin acted
    // outside it): the same, empty, for the restricted roles.
    for role in RESTRICTED {
        for path in [
            format!("/api/users/changes?since={}", world.since),
            format!("/api/status?changes_since={}", world.since),
        ] {
            let answer = both(&world, role, "get", &path, None).await;
            assert_eq!(answer.status, 200, "{answer:?}");
        }
    }
    let (_, seen) = world
        .b
        .get(&format!("/api/users/changes?since={}", world.since))
        .await;
    assert!(
        !seen["changes"].as_array().unwrap().is_empty(),
        "the org admin sees the change outside: {seen}"
    );

    // Every write route of the document is exercised below; a new one must be added here.
    let writes: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("post").is_some())
        .map(|(p, _)| p.as_str())
        .collect();
    let covered: BTreeSet<&str> = [
        "/api/changes",
        "/api/users/by-email",
        "/api/users/invite",
        "/api/users/{id}/assign",
        "/api/users/{id}/remove",
        "/api/users/{id}/role",
        "/api/users/{id}/expiration",
        "/api/jobs",
        "/api/jobs/{id}/pause",
        "/api/jobs/{id}/resume",
        "/api/jobs/{id}/cancel",
        "/api/jobs/{id}/retry",
        "/api/dev/role",
    ]
    .into();
    assert_eq!(writes, covered, "write routes the suite does not cover");

    let ops = operations(&world);
    for role in RESTRICTED {
        // Looking people up by address: the outside people's addresses read like nobody's,
        // and a person on both sides reads the same whatever they are outside.
        let shared = world
            .a
            .state
            .directory
            .get(&world.cast.shared)
            .and_then(|u| u.summary.email)
            .unwrap();
        both(
            &world,
            role,
            "post",
            "/api/users/by-email",
            Some(&json!({"emails": [shared, ONLY_B_EMAIL, ONLY_B_DEACTIVATED_EMAIL, "nobody@nowhere.example"]})),
        )
        .await;
        // Dry runs: every candidate at once, then each one alone.
        both(
            &world,
            role,
            "post",
            "/api/jobs?dry_run=true",
            Some(&json!({"operations": ops})),
        )
        .await;
        for op in &ops {
            both(
                &world,
                role,
                "post",
                "/api/jobs?dry_run=true",
                Some(&json!({"operations": [op]})),
            )
            .await;
        }
        // A real job with everything: refused as a whole, or created with the same verdicts.
        let whole = create_job(&world, role, Some(&json!({"operations": ops}))).await;
        if whole.status == 201 {
            let id = whole.body["job"]["id"].as_i64().unwrap();
            wait_for_job(&world, role, id).await;
            jobs.push(id);
        }
        // Real single changes and one-row jobs, for each candidate inside a write budget
        // (Roster paces each person at 60 changes a minute).
        let mut budget = 55;
        for op in ops.iter().filter(|op| !answered_by_slack_about_others(op)) {
            if budget == 0 {
                break;
            }
            let outside = op["workspace"] != json!(world.cast.inside)
                || [ONLY_B_USER, ONLY_B_DEACTIVATED, NO_USER]
                    .contains(&op["user"].as_str().unwrap_or_default());
            // Out-of-scope probes are the point; in-scope changes are sampled.
            if !outside && budget % 3 != 0 {
                budget -= 1;
                continue;
            }
            // Under its own route, and as /api/changes, alternately.
            if budget % 2 == 0 {
                let (path, body) = single(op);
                both(&world, role, "post", &path, Some(&body)).await;
            } else {
                both(&world, role, "post", "/api/changes", Some(op)).await;
            }
            budget -= 1;
        }
        // One row per person: rows in different lanes run concurrently, so two changes to
        // one person could land in either order.
        let mut people = BTreeSet::new();
        let in_scope: Vec<&Value> = ops
            .iter()
            .filter(|op| {
                op["workspace"] == json!(world.cast.inside)
                    // Invite requests run in a lane of their own, so their audit entries
                    // could interleave either way: compared as dry runs and singles.
                    && (op.get("user").is_some() || op.get("email").is_some())
                    && !answered_by_slack_about_others(op)
                    && people.insert(op.get("user").unwrap_or(&op["email"]).to_string())
            })
            .collect();
        let job = create_job(&world, role, Some(&json!({"operations": in_scope}))).await;
        if job.status == 201 {
            let id = job.body["job"]["id"].as_i64().unwrap();
            wait_for_job(&world, role, id).await;
            jobs.push(id);
        }
        for id in &jobs {
            steer(&world, role, *id).await;
        }
        both(
            &world,
            role,
            "post",
            "/api/dev/role",
            Some(&json!({"role": role})),
        )
        .await;
    }

    // Reads again, now that the roles have changed things and have jobs of their own.
    every_get_is_the_same(&world, &doc, &jobs).await;
    world.assert_no_differences();
}

/// The admin's view of everyone: summaries from the org admin's list, and memberships as
/// the org admin's detail pages show them (from the directory: asking Slack for 300 detail
/// pages would exceed one person's budget of Slack-backed pages).
async fn admin_view(app: &TestApp) -> BTreeMap<String, (Value, Vec<Value>)> {
    let (_, page) = app.get("/api/users?limit=1000").await;
    let mut out = BTreeMap::new();
    for u in page["users"].as_array().unwrap() {
        let id = u["id"].as_str().unwrap().to_string();
        let memberships = app.state.directory.get(&id).unwrap().memberships;
        out.insert(
            id,
            (
                u.clone(),
                serde_json::to_value(memberships)
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .clone(),
            ),
        );
    }
    out
}

fn rank(t: &str) -> u8 {
    [
        "owner",
        "admin",
        "member",
        "multi_channel_guest",
        "single_channel_guest",
        "bot",
    ]
    .iter()
    .position(|x| *x == t)
    .unwrap() as u8
}

/// The admin's summary of a person, restricted by hand to `scope` and to what `role` may see.
fn restrict(
    summary: &Value,
    memberships: &[Value],
    scope: &str,
    sensitive: bool,
    last_active: Option<Value>,
) -> Option<Value> {
    let mine: Vec<&Value> = memberships
        .iter()
        .filter(|m| m["workspace"] == scope)
        .collect();
    if mine.is_empty() {
        return None;
    }
    let mut s = summary.as_object().unwrap().clone();
    s.remove("email");
    s.remove("last_active");
    if let Some(day) = last_active {
        s.insert("last_active".into(), day);
    }
    if !sensitive {
        s.remove("has_2fa");
        s.remove("has_sso");
    }
    s.insert("workspaces".into(), json!([scope]));
    if summary["type"] != "bot" {
        let best = mine
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .min_by_key(|r| rank(r))
            .unwrap();
        s.insert("type".into(), json!(best));
    }
    match mine.iter().filter_map(|m| m["expires"].as_i64()).min() {
        Some(e) => {
            s.insert("expires".into(), json!(e));
        }
        None => {
            s.remove("expires");
        }
    }
    Some(Value::Object(s))
}

/// The fields of a user summary (flattened into a user's detail).
const SUMMARY_KEYS: [&str; 14] = [
    "id",
    "name",
    "username",
    "email",
    "type",
    "is_primary_owner",
    "status",
    "workspaces",
    "has_2fa",
    "has_sso",
    "created",
    "expires",
    "deactivated",
    "last_active",
];

fn by_name(a: &Value, b: &Value) -> std::cmp::Ordering {
    fold(a["name"].as_str().unwrap())
        .cmp(&fold(b["name"].as_str().unwrap()))
        .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
}

#[tokio::test]
async fn every_value_a_restricted_role_sees_comes_from_its_own_workspace() {
    let world = world().await;
    for app in [&world.a, &world.b] {
        let everyone = admin_view(app).await;
        for role in RESTRICTED {
            let sensitive = role == "regional";
            // `regional` may see activity: the last day active on its workspace, as the
            // sandbox's own history has it.
            let now = roster_proxy::directory::unix_now();
            let last_active = |id: &str| -> Option<Value> {
                (role == "regional").then(|| {
                    app.sandbox.sandbox.with_org(|org| {
                        org.users
                            .get(id)
                            .and_then(|u| {
                                roster_sandbox::analytics::last_active_day(
                                    org,
                                    u,
                                    &world.cast.inside,
                                    now,
                                )
                            })
                            .map_or(Value::Null, |d| {
                                json!(roster_sandbox::analytics::format_day(d))
                            })
                    })
                })
            };
            let expected: BTreeMap<String, Value> = everyone
                .iter()
                .filter_map(|(id, (s, m))| {
                    restrict(s, m, &world.cast.inside, sensitive, last_active(id))
                        .map(|v| (id.clone(), v))
                })
                .collect();
            let (status, page) = app.get_as(role, "/api/users?limit=1000").await;
            assert_eq!(status, 200, "{page}");
            let seen: BTreeMap<String, Value> = page["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| (u["id"].as_str().unwrap().to_string(), u.clone()))
                .collect();
            assert_eq!(page["total"], expected.len(), "{role}: the count");
            for (id, want) in &expected {
                assert_eq!(
                    seen.get(id),
                    Some(want),
                    "{role}: {id} as the role sees them"
                );
            }
            assert_eq!(seen.len(), expected.len());

            // Sorts by what differs between the org's view and the role's follow the role's.
            let mut want: Vec<&Value> = expected.values().collect();
            for (key, value) in [
                (
                    "type",
                    &(|u: &Value| json!(rank(u["type"].as_str().unwrap())))
                        as &dyn Fn(&Value) -> Value,
                ),
                ("workspaces", &|u: &Value| {
                    json!(u["workspaces"].as_array().unwrap().len())
                }),
                ("expires", &|u: &Value| {
                    u.get("expires").cloned().unwrap_or(json!(i64::MAX))
                }),
            ] {
                want.sort_by(|a, b| {
                    let (x, y) = (value(a), value(b));
                    x.as_i64().cmp(&y.as_i64()).then_with(|| by_name(a, b))
                });
                let (_, page) = app
                    .get_as(role, &format!("/api/users?limit=1000&sort={key}"))
                    .await;
                let order: Vec<&str> = page["users"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["id"].as_str().unwrap())
                    .collect();
                let want_order: Vec<&str> =
                    want.iter().map(|u| u["id"].as_str().unwrap()).collect();
                assert_eq!(order, want_order, "{role}: sorted by {key}");
            }

            // Filters by type and expiration count the role's values.
            for t in UserType::ALL {
                let (_, page) = app
                    .get_as(role, &format!("/api/users?limit=1000&type={}", t.as_str()))
                    .await;
                let want = expected
                    .values()
                    .filter(|u| u["type"] == t.as_str())
                    .count();
                assert_eq!(page["total"], want, "{role}: type={}", t.as_str());
            }

            // Each person's detail: the same summary, only the scope's memberships and channels.
            for (id, want) in expected.iter().take(40).chain(
                [
                    &world.cast.member,
                    &world.cast.guest,
                    &world.cast.owner_elsewhere,
                    &world.cast.shared,
                ]
                .into_iter()
                .filter_map(|id| expected.get_key_value(id)),
            ) {
                let (status, detail) = app.detail_as(role, id).await;
                assert_eq!(status, 200, "{detail}");
                for key in SUMMARY_KEYS {
                    assert_eq!(detail.get(key), want.get(key), "{role}: {key} of {id}");
                }
                for m in detail["memberships"].as_array().unwrap() {
                    assert_eq!(m["workspace"], world.cast.inside.as_str(), "{role}: {id}");
                }
                for ch in detail["channels"].as_array().unwrap() {
                    assert_eq!(ch["workspace"], world.cast.inside.as_str(), "{role}: {id}");
                }
                assert_eq!(detail["channels_truncated"], false, "{role}: {id}");
            }

            // The export has the same people and values.
            let csv = app
                .http
                .get(format!("{}/api/users/export.csv", app.url))
                .header("cookie", format!("roster_demo_role={role}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let mut lines = csv.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').collect();
            assert!(!header.contains(&"email"), "{role}: {header:?}");
            let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
            let mut rows = 0;
            for line in lines {
                let cells: Vec<&str> = line.split(',').collect();
                let id = cells[col("id")];
                let want = expected
                    .get(id)
                    .unwrap_or_else(|| panic!("{role}: {id} exported"));
                assert_eq!(
                    cells[col("type")],
                    want["type"].as_str().unwrap(),
                    "{role}: {id}"
                );
                rows += 1;
            }
            assert_eq!(rows, expected.len(), "{role}: exported rows");
        }
    }
}

#[tokio::test]
async fn the_audit_log_shows_a_restricted_role_only_what_it_may_see() {
    let world = world().await;
    let (app, c) = (&world.a, &world.cast);
    // The org admin invites someone to the roles' workspace, and makes a mistake there.
    let (status, body) = app
        .post(
            "/api/users/invite",
            json!({"email": "hidden.address@agency.example", "workspace": c.inside,
                   "channels": [c.channel], "guest": "multi_channel"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .post(
            &format!("/api/users/{}/remove", c.outsiders[0]),
            json!({"workspace": c.inside}),
        )
        .await;
    assert_eq!(status, 422);
    let (_, page) = app.get_as("regional", "/api/audit").await;
    let entries = page["entries"].as_array().unwrap();
    let invite = entries
        .iter()
        .find(|e| e["action"] == "invite")
        .expect("the change made on its workspace");
    assert!(invite.get("target_user").is_none(), "{invite}");
    assert!(
        !page.to_string().contains("hidden.address"),
        "an address the role may not see: {page}"
    );
    assert!(
        !entries.iter().any(|e| e["action"] == "remove"),
        "someone else's refused attempt: {page}"
    );
    // The org admin reads it all.
    let (_, all) = app.get("/api/audit").await;
    assert!(all.to_string().contains("hidden.address"));

    // People acted on are named for a reader who may see them today.
    let (status, body) = app
        .post(
            &format!("/api/users/{}/role", c.member),
            json!({"workspace": c.inside, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let name = app.state.directory.get(&c.member).unwrap().summary.name;
    for role in ["org-admin", "regional"] {
        let (_, page) = app.get_as(role, "/api/audit").await;
        let entry = &page["entries"][0];
        assert_eq!(entry["target_user"], c.member.as_str(), "{role}: {entry}");
        assert_eq!(entry["target_name"], name.as_str(), "{role}: {entry}");
        assert!(
            entry["message"]
                .as_str()
                .unwrap()
                .contains("(was a member)"),
            "{role}: {entry}"
        );
    }
}
