//! The SCIM API (`/scim/v1/`, `/scim/v2/`) over real HTTP: listing with filters and paging,
//! reading, PATCH (`active`, `emails`, `userName`), DELETE, SCIM's error shapes, its
//! org-wide rate limits, the per-user write lock, and the state the Web API sees after.

use std::net::SocketAddr;

use reqwest::{Client, Method, StatusCode};
use roster_sandbox::{
    RunningSandbox, Sandbox, SandboxConfig,
    org::{GuestKind, OrgRole, User},
    ratelimit::RateLimitMode,
    scim::Version,
};
use serde_json::{Value, json};

async fn serve(users: usize, rate_limits: RateLimitMode) -> RunningSandbox {
    Sandbox::new(SandboxConfig {
        users,
        seed: 4,
        rate_limits,
        epoch: Some(4_000_000_000),
        ..SandboxConfig::default()
    })
    .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .unwrap()
}

struct Scim<'a> {
    sb: &'a RunningSandbox,
    http: Client,
    token: String,
}

impl<'a> Scim<'a> {
    fn new(sb: &'a RunningSandbox) -> Self {
        Scim {
            sb,
            http: Client::new(),
            token: sb.sandbox.tokens().org_admin.clone(),
        }
    }

    fn with_token(sb: &'a RunningSandbox, token: &str) -> Self {
        Scim {
            token: token.to_string(),
            ..Scim::new(sb)
        }
    }

    async fn send(
        &self,
        method: Method,
        version: Version,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.sb.scim_url(version));
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(&self.token)
            .header("content-type", "application/json;charset=utf-8");
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON, not {text:?}"))
        };
        (status, body)
    }

    async fn get(&self, version: Version, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, version, path, None).await
    }

    async fn patch(&self, version: Version, id: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, version, &format!("Users/{id}"), Some(body))
            .await
    }

    async fn delete(&self, version: Version, id: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, version, &format!("Users/{id}"), None)
            .await
    }

    /// Calls a Web API method with the org-admin token.
    async fn web(&self, method: &str, args: &[(&str, &str)]) -> Value {
        self.http
            .post(format!("{}{method}", self.sb.api_url()))
            .bearer_auth(&self.sb.sandbox.tokens().org_admin)
            .form(args)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn find(sb: &RunningSandbox, f: impl Fn(&User) -> bool) -> User {
    sb.sandbox
        .with_org(|o| o.users.values().find(|u| f(u)).cloned())
        .expect("the seeded org has such a user")
}

fn member(sb: &RunningSandbox) -> User {
    find(sb, |u| {
        u.org_role == OrgRole::Regular
            && u.guest.is_none()
            && !u.is_bot
            && !u.is_deactivated()
            && !u.invited
            && u.memberships.len() >= 2
    })
}

fn v1_error(code: u16, description: &str) -> Value {
    json!({"Errors": {"description": description, "code": code}})
}

fn v2_error(status: u16, detail: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "detail": detail,
        "status": status,
    })
}

fn q(filter: &str) -> String {
    format!(
        "Users?filter={}&count=1000",
        filter
            .replace('%', "%25")
            .replace(' ', "%20")
            .replace('"', "%22")
    )
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_every_user_in_pages_in_both_versions() {
    let sb = serve(300, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let all: Vec<String> = sb.sandbox.with_org(|o| o.users.keys().cloned().collect());

    let (status, first) = scim.get(Version::V1, "Users").await;
    assert_eq!(status, 200);
    assert_eq!(first["schemas"], json!(["urn:scim:schemas:core:1.0"]));
    assert_eq!(first["totalResults"], 300);
    assert_eq!(first["itemsPerPage"], 10, "10 by default");
    assert_eq!(first["startIndex"], 1);
    assert_eq!(ids(&first), all[..10]);

    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let (_, page) = scim
            .get(Version::V2, &format!("Users?startIndex={start}&count=70"))
            .await;
        assert_eq!(
            page["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        );
        assert_eq!(page["startIndex"], start);
        let got = ids(&page);
        if got.is_empty() {
            break;
        }
        seen.extend(got);
        start += 70;
    }
    assert_eq!(seen, all, "every user once, deactivated ones included");

    let (_, page) = scim.get(Version::V1, "Users?count=5000").await;
    assert_eq!(
        page["itemsPerPage"], 300,
        "count above 1,000 is read as 1,000"
    );
    let (_, page) = scim.get(Version::V1, "Users?count=0").await;
    assert_eq!(page["itemsPerPage"], 0);
    assert_eq!(page["totalResults"], 300);
    let (status, body) = scim.get(Version::V1, "Users?count=ten").await;
    assert_eq!(status, 400);
    assert_eq!(body, v1_error(400, "invalid_query"));
}

#[tokio::test]
async fn user_resources_in_v1_and_v2() {
    let sb = serve(300, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let u = member(&sb);
    let (status, v1) = scim.get(Version::V1, &format!("Users/{}", u.id)).await;
    assert_eq!(status, 200);
    assert_eq!(v1["schemas"], json!(["urn:scim:schemas:core:1.0"]));
    assert_eq!(v1["id"], u.id.as_str());
    assert_eq!(v1["userName"], u.username.as_str());
    assert_eq!(v1["nickName"], u.username.as_str());
    assert_eq!(v1["active"], true);
    assert_eq!(
        v1["emails"],
        json!([{"value": u.email, "type": "work", "primary": true}])
    );
    assert_eq!(v1["name"]["givenName"], u.first_name.as_str());
    assert_eq!(v1["name"]["familyName"], u.last_name.as_str());
    assert!(v1["meta"]["created"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(
        v1["meta"]["location"],
        format!("https://api.slack.com/scim/v1/Users/{}", u.id)
    );
    let (_, v2) = scim.get(Version::V2, &format!("Users/{}", u.id)).await;
    assert_eq!(
        v2["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    assert_eq!(v2["userName"], v1["userName"]);

    // Guests carry Slack's guest extension.
    let guest = find(&sb, |u| {
        u.guest == Some(GuestKind::MultiChannel) && u.expiration_on(None) > 0
    });
    let (_, g) = scim.get(Version::V2, &format!("Users/{}", guest.id)).await;
    let ext = "urn:ietf:params:scim:schemas:extension:slack:guest:2.0:User";
    assert!(g["schemas"].as_array().unwrap().contains(&json!(ext)));
    assert_eq!(g[ext]["type"], "multi");
    assert!(g[ext]["expiration"].is_string());

    // A deactivated user is still there, inactive.
    let gone = find(&sb, |u| u.is_deactivated());
    let (status, d) = scim.get(Version::V1, &format!("Users/{}", gone.id)).await;
    assert_eq!(status, 200);
    assert_eq!(d["active"], false);

    let (status, body) = scim.get(Version::V1, "Users/W0NOPE000").await;
    assert_eq!(status, 404);
    assert_eq!(body, v1_error(404, "no_such_user"));
    let (status, body) = scim.get(Version::V2, "Users/W0NOPE000").await;
    assert_eq!(status, 404);
    assert_eq!(body, v2_error(404, "no_such_user"));
}

#[tokio::test]
async fn filters() {
    let sb = serve(400, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let u = member(&sb);
    for version in [Version::V1, Version::V2] {
        for filter in [
            format!(r#"userName eq "{}""#, u.username.to_uppercase()),
            format!(r#"username Eq "{}""#, u.username),
            format!(r#"email eq "{}""#, u.email),
            format!(r#"emails.value eq "{}""#, u.email.to_uppercase()),
            format!(r#"id eq "{}" and active eq true"#, u.id),
        ] {
            let (status, found) = scim.get(version, &q(&filter)).await;
            assert_eq!(status, 200, "{filter}: {found}");
            assert_eq!(ids(&found), [u.id.as_str()], "{filter}");
            assert_eq!(found["totalResults"], 1);
        }
    }
    let expect = |f: &dyn Fn(&User) -> bool| -> Vec<String> {
        sb.sandbox.with_org(|o| {
            o.users
                .values()
                .filter(|u| f(u))
                .map(|u| u.id.clone())
                .collect()
        })
    };
    let (_, inactive) = scim.get(Version::V1, &q("active eq false")).await;
    assert_eq!(ids(&inactive), expect(&|u| u.is_deactivated()));
    let (_, active) = scim.get(Version::V1, &q("active eq true")).await;
    assert_eq!(ids(&active), expect(&|u| !u.is_deactivated()));
    let (_, guests) = scim.get(Version::V1, &q("restricted eq '1'")).await;
    assert_eq!(
        ids(&guests),
        expect(&|u| u.guest == Some(GuestKind::MultiChannel))
    );
    let (_, either) = scim
        .get(
            Version::V1,
            &q(r#"(restricted eq '1' or ultra_restricted eq '1') and active eq true"#),
        )
        .await;
    assert_eq!(
        ids(&either),
        expect(&|u| u.guest.is_some() && !u.is_deactivated())
    );
    let (_, sw) = scim.get(Version::V2, &q(r#"userName sw "ada""#)).await;
    assert_eq!(ids(&sw), expect(&|u| u.username.starts_with("ada")));
    let (_, paged) = scim
        .get(
            Version::V1,
            "Users?filter=active%20eq%20true&startIndex=3&count=2",
        )
        .await;
    assert_eq!(ids(&paged), expect(&|u| !u.is_deactivated())[2..4]);

    // Malformed filters, in each version's error shape.
    let (status, body) = scim.get(Version::V1, "Users?filter=foo").await;
    assert_eq!(status, 400);
    assert_eq!(body, v1_error(400, "no_filters (is_aggregate_call=1)"));
    let (status, body) = scim.get(Version::V2, "Users?filter=foo").await;
    assert_eq!(status, 400);
    assert_eq!(body, v2_error(400, "no_filters"));
    for (filter, code) in [
        ("userName eq", "incomplete_filter"),
        (r#"userName  eq "a""#, "incomplete_filter"),
        (r#"(userName eq "a""#, "invalid_filter_group"),
        (r#"shoeSize eq "9""#, "invalid_query"),
    ] {
        let (status, body) = scim.get(Version::V2, &q(filter)).await;
        assert_eq!(status, 400, "{filter}");
        assert_eq!(body, v2_error(400, code), "{filter}");
    }
}

#[tokio::test]
async fn patch_active_false_deactivates_and_true_reactivates() {
    let sb = serve(300, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let u = member(&sb);
    let teams: Vec<String> = u.active_teams().map(str::to_string).collect();

    // v1: the attribute itself, as slack_sdk sends it.
    let (status, body) = scim
        .patch(
            Version::V1,
            &u.id,
            json!({"schemas": ["urn:scim:schemas:core:1.0"], "active": false}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], false);
    assert_eq!(body["id"], u.id.as_str());

    // The Web API sees a deactivated user everywhere.
    let list = scim.web("admin.users.list", &[("limit", "1000")]).await;
    assert!(
        list["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != u.id.as_str())
    );
    let info = scim.web("users.info", &[("user", &u.id)]).await;
    assert_eq!(info["user"]["deleted"], true);
    let lookup = scim
        .web("users.lookupByEmail", &[("email", &u.email)])
        .await;
    assert_eq!(lookup["error"], "users_not_found");
    assert!(
        !sb.sandbox
            .with_org(|o| o.sessions.values().any(|s| s.user_id == u.id)),
        "signed out everywhere"
    );

    // v2: a PatchOp brings them back, on the workspaces they were on.
    let (status, body) = scim
        .patch(
            Version::V2,
            &u.id,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": true}],
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true);
    for team in &teams {
        let on = scim
            .web("admin.users.list", &[("limit", "1000"), ("team_id", team)])
            .await;
        assert!(
            on["users"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == u.id.as_str()),
            "back on {team}"
        );
    }
    let lookup = scim
        .web("users.lookupByEmail", &[("email", &u.email)])
        .await;
    assert_eq!(lookup["user"]["id"], u.id.as_str());
    assert_eq!(lookup["user"]["deleted"], false);
    // Not put back in their channels: each workspace's #general only.
    let channels = sb.sandbox.with_org(|o| {
        o.users[&u.id]
            .memberships
            .iter()
            .map(|(t, m)| {
                m.channels
                    .iter()
                    .map(|c| (t.clone(), o.channels[c].name.clone()))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });
    for on_team in channels {
        assert_eq!(on_team.len(), 1);
        assert_eq!(on_team[0].1, "general");
    }

    // What identity providers send: no path, and a string.
    let (status, body) = scim
        .patch(
            Version::V2,
            &u.id,
            json!({"Operations": [{"op": "Replace", "value": {"active": "False"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], false);
    let (_, body) = scim
        .patch(Version::V1, &u.id, json!({"active": true}))
        .await;
    assert_eq!(body["active"], true);
}

#[tokio::test]
async fn patch_emails() {
    let sb = serve(300, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let u = member(&sb);
    let other = find(&sb, |x| x.id != u.id && !x.email.is_empty());
    let gone = find(&sb, |x| x.is_deactivated());

    // A new primary address: users.lookupByEmail follows it.
    let (status, body) = scim
        .patch(
            Version::V1,
            &u.id,
            json!({"emails": [{"value": "New.Address@larkspur.example", "primary": true}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["emails"],
        json!([{"value": "new.address@larkspur.example", "type": "work", "primary": true}])
    );
    let found = scim
        .web(
            "users.lookupByEmail",
            &[("email", "new.address@larkspur.example")],
        )
        .await;
    assert_eq!(found["user"]["id"], u.id.as_str());
    assert_eq!(
        found["user"]["profile"]["email"],
        "new.address@larkspur.example"
    );
    let old = scim
        .web("users.lookupByEmail", &[("email", &u.email)])
        .await;
    assert_eq!(old["error"], "users_not_found");
    let (_, by_filter) = scim
        .get(
            Version::V1,
            &q(r#"email eq "new.address@larkspur.example""#),
        )
        .await;
    assert_eq!(ids(&by_filter), [u.id.as_str()]);

    // A secondary address, then v1's delete.
    let (_, body) = scim
        .patch(
            Version::V1,
            &u.id,
            json!({"emails": [{"value": "second@home.example", "primary": false}]}),
        )
        .await;
    assert_eq!(
        body["emails"][1],
        json!({"value": "second@home.example", "primary": false})
    );
    assert_eq!(body["emails"][0]["value"], "new.address@larkspur.example");
    let (_, body) = scim
        .patch(
            Version::V1,
            &u.id,
            json!({"emails": [{"value": "second@home.example", "operation": "delete"}]}),
        )
        .await;
    assert_eq!(body["emails"].as_array().unwrap().len(), 1);

    // v2 paths.
    let v2 = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let (_, body) = scim
        .patch(
            Version::V2,
            &u.id,
            v2(json!([{"op": "add", "path": "emails", "value": [{"value": "b@home.example", "type": "home"}]}])),
        )
        .await;
    assert_eq!(body["emails"][1]["value"], "b@home.example");
    let (_, body) = scim
        .patch(
            Version::V2,
            &u.id,
            v2(json!([{"op": "replace", "path": "emails[primary eq false]", "value": {"value": "c@home.example"}}])),
        )
        .await;
    assert_eq!(body["emails"][1]["value"], "c@home.example");
    let (_, body) = scim
        .patch(
            Version::V2,
            &u.id,
            v2(json!([{"op": "remove", "path": "emails[value eq \"c@home.example\"]"}])),
        )
        .await;
    assert_eq!(body["emails"].as_array().unwrap().len(), 1);
    let (_, body) = scim
        .patch(
            Version::V2,
            &u.id,
            v2(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "third@larkspur.example"}])),
        )
        .await;
    assert_eq!(body["emails"][0]["value"], "third@larkspur.example");

    // Errors.
    for (version, patch, status, code) in [
        (
            Version::V1,
            json!({"emails": [{"value": other.email, "primary": true}]}),
            409,
            "email_taken",
        ),
        (
            Version::V1,
            json!({"emails": [{"value": gone.email.to_uppercase(), "primary": true}]}),
            409,
            "email_taken",
        ),
        (
            Version::V1,
            json!({"emails": [{"value": "not an address", "primary": true}]}),
            400,
            "email_invalid",
        ),
        (
            Version::V1,
            json!({"emails": [{"value": "third@larkspur.example", "operation": "delete"}]}),
            400,
            "missing_primary_email",
        ),
        (
            Version::V2,
            v2(json!([{"op": "remove", "path": "emails[primary eq true]"}])),
            400,
            "missing_primary_email",
        ),
    ] {
        let (got, body) = scim.patch(version, &u.id, patch.clone()).await;
        assert_eq!(got.as_u16(), status, "{patch}: {body}");
        let expected = match version {
            Version::V1 => v1_error(status, code),
            Version::V2 => v2_error(status, code),
        };
        assert_eq!(body, expected, "{patch}");
    }
    // Nothing changed by the refused ones.
    let (_, now) = scim.get(Version::V1, &format!("Users/{}", u.id)).await;
    assert_eq!(now["emails"][0]["value"], "third@larkspur.example");
}

#[tokio::test]
async fn patch_user_name_and_other_attributes() {
    let sb = serve(300, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let u = member(&sb);
    let other = find(&sb, |x| x.id != u.id && !x.is_bot);
    let (status, body) = scim
        .patch(Version::V1, &u.id, json!({"userName": "Ada.Renamed"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userName"], "ada.renamed");
    assert_eq!(body["nickName"], "ada.renamed");
    let info = scim.web("users.info", &[("user", &u.id)]).await;
    assert_eq!(info["user"]["name"], "ada.renamed");
    let (_, body) = scim
        .patch(
            Version::V2,
            &u.id,
            json!({"Operations": [
                {"op": "replace", "path": "userName", "value": "ada.v2"},
                {"op": "replace", "path": "title", "value": "Staff Engineer"},
                {"op": "replace", "path": "name.familyName", "value": "Lovelace"},
            ]}),
        )
        .await;
    assert_eq!(body["userName"], "ada.v2");
    assert_eq!(body["title"], "Staff Engineer");
    assert_eq!(body["name"]["familyName"], "Lovelace");

    for (patch, status, code) in [
        (json!({"userName": other.username}), 409, "username_taken"),
        (json!({"userName": "general"}), 409, "username_taken"),
        (json!({"userName": ""}), 400, "username_empty"),
        (
            json!({"userName": "a-name-that-is-far-too-long"}),
            400,
            "username_too_long",
        ),
        (json!({"userName": "no spaces"}), 400, "username_invalid"),
        (json!({"active": "maybe"}), 400, "invalid_attribute_format"),
        (
            json!({"password": "hunter2"}),
            403,
            "password_change_not_allowed",
        ),
        (
            json!({"phoneNumbers": [{"value": "555"}]}),
            400,
            "invalid_request_payload",
        ),
    ] {
        let (got, body) = scim.patch(Version::V1, &u.id, patch.clone()).await;
        assert_eq!(got.as_u16(), status, "{patch}: {body}");
        assert_eq!(body, v1_error(status, code), "{patch}");
    }
    let (status, body) = scim
        .patch(Version::V2, &u.id, json!({"active": false}))
        .await;
    assert_eq!(status, 400, "v2 wants Operations");
    assert_eq!(body, v2_error(400, "invalid_request_payload"));
    let (status, _) = scim
        .send(Method::PATCH, Version::V1, &format!("Users/{}", u.id), None)
        .await;
    assert_eq!(status, 400);
    // All or nothing: a refused operation leaves the earlier ones undone.
    let (status, _) = scim
        .patch(
            Version::V2,
            &u.id,
            json!({"Operations": [
                {"op": "replace", "path": "title", "value": "Changed"},
                {"op": "replace", "path": "userName", "value": other.username},
            ]}),
        )
        .await;
    assert_eq!(status, 409);
    let (_, now) = scim.get(Version::V2, &format!("Users/{}", u.id)).await;
    assert_eq!(now["title"], "Staff Engineer");
}

#[tokio::test]
async fn delete_deactivates_and_is_idempotent() {
    let sb = serve(300, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let a = member(&sb);
    let (status, body) = scim.delete(Version::V1, &a.id).await;
    assert_eq!(status, 200);
    assert_eq!(body, Value::Null, "no body");
    let (status, _) = scim.delete(Version::V1, &a.id).await;
    assert_eq!(status, 200, "again");
    let row = sb.sandbox.with_org(|o| o.users[&a.id].clone());
    assert!(row.is_deactivated());
    let (_, read) = scim.get(Version::V2, &format!("Users/{}", a.id)).await;
    assert_eq!(read["active"], false);

    let b = find(&sb, |u| {
        u.id != a.id && u.org_role == OrgRole::Regular && !u.is_bot && !u.is_deactivated()
    });
    for _ in 0..3 {
        let (status, body) = scim.delete(Version::V2, &b.id).await;
        assert_eq!(status, 204);
        assert_eq!(body, Value::Null);
    }
    let lookup = scim
        .web("users.lookupByEmail", &[("email", &b.email)])
        .await;
    assert_eq!(lookup["error"], "users_not_found");

    let owner = find(&sb, |u| u.org_role == OrgRole::PrimaryOwner);
    let (status, body) = scim.delete(Version::V1, &owner.id).await;
    assert_eq!(status, 403);
    assert_eq!(body, v1_error(403, "cannot_disable_primary_owner"));
    let (status, body) = scim
        .patch(Version::V1, &owner.id, json!({"active": false}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body, v1_error(403, "cannot_disable_primary_owner"));
    let bot = find(&sb, |u| u.is_bot);
    let (status, body) = scim.delete(Version::V2, &bot.id).await;
    assert_eq!(status, 403);
    assert_eq!(body, v2_error(403, "cannot_disable_bot_user_with_scim"));
    let (status, body) = scim.delete(Version::V2, "W0NOPE000").await;
    assert_eq!(status, 404);
    assert_eq!(body, v2_error(404, "no_such_user"));

    // An admin's token cannot change owners.
    let org_owner = find(&sb, |u| u.org_role == OrgRole::Owner);
    let admin = Scim::with_token(&sb, &sb.sandbox.tokens().admin);
    let (status, body) = admin.delete(Version::V1, &org_owner.id).await;
    assert_eq!(status, 403);
    assert_eq!(body, v1_error(403, "cannot_modify_owner"));
    let (status, body) = admin
        .patch(Version::V1, &org_owner.id, json!({"title": "x"}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body, v1_error(403, "cannot_modify_owner"));
    let c = find(&sb, |u| {
        u.org_role == OrgRole::Regular && !u.is_bot && !u.is_deactivated()
    });
    let (status, _) = admin.delete(Version::V1, &c.id).await;
    assert_eq!(status, 200, "an admin may deactivate a member");
}

#[tokio::test]
async fn authentication_routing_and_error_shapes() {
    let sb = serve(100, RateLimitMode::Off).await;
    let http = Client::new();
    let url = sb.scim_url(Version::V1);
    let resp = http.get(format!("{url}Users")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        v1_error(401, "missing_authentication")
    );
    let tokens = sb.sandbox.tokens().clone();
    for (token, status, code) in [
        ("xoxp-not-a-token", 401, "invalid_authentication"),
        (tokens.workspace.as_str(), 403, "non_org_teams_only"),
        (tokens.no_admin.as_str(), 403, "permission_denied"),
        (tokens.bot.as_str(), 403, "permission_denied"),
    ] {
        for version in [Version::V1, Version::V2] {
            let (got, body) = Scim::with_token(&sb, token).get(version, "Users").await;
            assert_eq!(got.as_u16(), status, "{token}");
            let expected = match version {
                Version::V1 => v1_error(status, code),
                Version::V2 => v2_error(status, code),
            };
            assert_eq!(body, expected, "{token}");
        }
    }
    let admin = Scim::with_token(&sb, &tokens.admin);
    assert_eq!(admin.get(Version::V2, "Users").await.0, 200);

    let scim = Scim::new(&sb);
    let (status, body) = scim.get(Version::V1, "Groups").await;
    assert_eq!(status, 404);
    assert_eq!(body, v1_error(404, "bad_endpoint"));
    let (status, body) = scim
        .send(Method::POST, Version::V2, "Users", Some(json!({})))
        .await;
    assert_eq!(status, 405);
    assert_eq!(body, v2_error(405, "method_not_allowed"));
    let (status, _) = scim
        .send(Method::PUT, Version::V1, "Users/W0NOPE000", Some(json!({})))
        .await;
    assert_eq!(status, 405);
    let resp = http
        .get(format!("http://{}/scim/v3/Users", sb.addr))
        .bearer_auth(&tokens.org_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        v1_error(400, "unsupported_version")
    );
}

#[tokio::test]
async fn rate_limits_are_shared_by_every_scim_client_of_the_org() {
    let sb = serve(200, RateLimitMode::Real).await;
    let owner = Scim::new(&sb);
    let admin = Scim::with_token(&sb, &sb.sandbox.tokens().admin);
    let users: Vec<String> = sb.sandbox.with_org(|o| {
        o.users
            .values()
            .filter(|u| u.org_role == OrgRole::Regular && !u.is_bot)
            .map(|u| u.id.clone())
            .take(25)
            .collect()
    });
    // PATCH /Users/{id}: a burst of 20, whichever token sends it.
    let mut statuses = Vec::new();
    for (n, id) in users.iter().enumerate() {
        let client = if n % 2 == 0 { &owner } else { &admin };
        let (status, body) = client
            .patch(
                Version::V2,
                id,
                json!({"Operations": [{"op": "replace", "path": "title", "value": "t"}]}),
            )
            .await;
        statuses.push(status.as_u16());
        if status == 429 {
            assert_eq!(body, v2_error(429, "too_many_requests"));
        }
    }
    assert_eq!(statuses[..20], [200; 20], "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    let resp = Client::new()
        .patch(format!("{}Users/{}", sb.scim_url(Version::V1), users[0]))
        .bearer_auth(&sb.sandbox.tokens().org_admin)
        .body(r#"{"title":"u"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        v1_error(429, "too_many_requests")
    );
    // DELETE has its own budget; reads are not touched.
    let (status, _) = owner.delete(Version::V1, &users[0]).await;
    assert_eq!(status, 200);
    assert_eq!(owner.get(Version::V1, "Users").await.0, 200);
    // The Web API's limits are separate.
    let list = owner.web("admin.users.list", &[("limit", "1")]).await;
    assert_eq!(list["ok"], true);
}

#[tokio::test]
async fn overlapping_writes_to_one_user_meet_resource_locked() {
    let sb = serve(100, RateLimitMode::Off).await;
    sb.sandbox.set_faults(
        "scim.users.patch",
        roster_sandbox::faults::Faults {
            latency_ms: 400,
            ..Default::default()
        },
    );
    let scim = Scim::new(&sb);
    let a = member(&sb);
    let b = find(&sb, |u| {
        u.id != a.id && u.org_role == OrgRole::Regular && !u.is_bot && !u.is_deactivated()
    });
    let body = json!({"title": "x"});
    let first = scim.patch(Version::V1, &a.id, body.clone());
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        scim.patch(Version::V1, &a.id, body.clone()).await
    };
    let elsewhere = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        scim.patch(Version::V1, &b.id, body.clone()).await
    };
    let ((s1, _), (s2, b2), (s3, _)) = tokio::join!(first, second, elsewhere);
    assert_eq!(s1, 200);
    assert_eq!(s2, 429);
    assert_eq!(b2, v1_error(429, "resource_locked"));
    assert_eq!(s3, 200, "another user is not locked");
    // Released once the first write is done.
    assert_eq!(scim.patch(Version::V1, &a.id, body).await.0, 200);
}

#[tokio::test]
async fn faults_and_counters_cover_scim() {
    use roster_sandbox::faults::{FaultKind, Faults};
    let sb = serve(100, RateLimitMode::Off).await;
    let scim = Scim::new(&sb);
    let a = member(&sb);
    let next = |kinds: Vec<FaultKind>| Faults {
        next: kinds.into(),
        ..Faults::default()
    };
    // fatal_error: the deactivation happened, the answer says it failed.
    sb.sandbox
        .set_faults("scim.users.delete", next(vec![FaultKind::FatalError]));
    let (status, body) = scim.delete(Version::V2, &a.id).await;
    assert_eq!(status, 500);
    assert_eq!(body, v2_error(500, "fatal_error"));
    assert!(sb.sandbox.with_org(|o| o.users[&a.id].is_deactivated()));
    // internal_error: nothing changed.
    sb.sandbox
        .set_faults("scim.users.patch", next(vec![FaultKind::InternalError]));
    let (status, body) = scim
        .patch(Version::V1, &a.id, json!({"active": true}))
        .await;
    assert_eq!(status, 500);
    assert_eq!(body, v1_error(500, "internal_error"));
    assert!(sb.sandbox.with_org(|o| o.users[&a.id].is_deactivated()));
    sb.sandbox.set_faults("*", next(vec![FaultKind::Http500]));
    let resp = Client::new()
        .get(format!("{}Users", sb.scim_url(Version::V1)))
        .bearer_auth(&sb.sandbox.tokens().org_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.headers()["content-type"], "text/html");
    sb.sandbox.clear_faults();
    assert_eq!(scim.get(Version::V1, "Users").await.0, 200);
    let (_, _) = Scim::with_token(&sb, "xoxp-nope")
        .get(Version::V1, "Users")
        .await;

    assert_eq!(sb.sandbox.calls("scim.users.delete"), 1);
    assert_eq!(sb.sandbox.handled("scim.users.delete"), 1);
    assert_eq!(sb.sandbox.calls("scim.users.patch"), 1);
    assert_eq!(
        sb.sandbox.handled("scim.users.patch"),
        0,
        "stopped by internal_error"
    );
    assert_eq!(
        sb.sandbox.calls("scim.users.list"),
        2,
        "unauthenticated calls not counted"
    );
    assert_eq!(sb.sandbox.handled("scim.users.list"), 1);
    let handled: Value = Client::new()
        .get(format!("http://{}/_sandbox/handled", sb.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(handled["scim.users.delete"], 1);
}
