//! A live directory in the browser: a person's page follows a change made in Slack (by
//! another client of the demo's sandbox) without a reload, the users list offers the
//! changes since it loaded, and the header says when live updates stop.

use roster_e2e::{Browser, Roster, one_at_a_time};
use serde_json::json;

/// The sandbox's second org-admin token (the demo's own is random): "someone in Slack".
const OTHER_ADMIN: &str = "xoxp-sandbox-admin-0000000000";

#[tokio::test(flavor = "multi_thread")]
async fn an_open_page_follows_a_change_made_in_slack() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "5"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/users", roster.url))
        .await
        .unwrap();
    browser
        .wait_until(
            "document.querySelector('[data-testid=sync-status]')?.textContent.startsWith('Live ·')",
            20,
        )
        .await;
    let page = browser
        .api("/api/users?type=member&status=active&limit=1")
        .await;
    let id = page["users"][0]["id"].as_str().unwrap().to_string();
    let name = page["users"][0]["name"].as_str().unwrap().to_string();

    browser
        .client
        .goto(&format!("{}/users/{id}", roster.url))
        .await
        .unwrap();
    browser
        .wait_until(
            &format!("document.querySelector('.detail-name')?.textContent === {name:?}"),
            20,
        )
        .await;
    // Anything the page holds survives only if it is not reloaded.
    browser
        .eval("window.__notReloaded = true; return null;")
        .await;

    let http = reqwest::Client::new();
    let renamed = http
        .patch(format!("{}scim/v1/Users/{id}", roster.sandbox))
        .bearer_auth(OTHER_ADMIN)
        .json(&json!({"name": {"givenName": "Renamed", "familyName": "InSlack"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200, "{}", renamed.text().await.unwrap());
    browser
        .wait_until(
            "document.querySelector('.detail-name')?.textContent === 'Renamed InSlack'",
            10,
        )
        .await;
    assert_eq!(
        browser.eval("return window.__notReloaded === true;").await,
        json!(true),
        "the page was reloaded"
    );

    // The users list, loaded before a second change, offers it.
    browser
        .client
        .goto(&format!("{}/users", roster.url))
        .await
        .unwrap();
    browser.wait_for("[data-testid=total]", 20).await;
    let renamed = http
        .patch(format!("{}scim/v1/Users/{id}", roster.sandbox))
        .bearer_auth(OTHER_ADMIN)
        .json(&json!({"name": {"givenName": "Renamed", "familyName": "Again"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let notice = browser.text_of("[data-testid=live-changes]", 10).await;
    assert!(
        notice.starts_with("1 person changed since this list loaded."),
        "{notice}"
    );
    browser.screenshot("live-changes-offered").await;

    // Slack's socket is cut and the app-level token stops working: the header says so.
    let control = |path: &str, body: serde_json::Value| {
        http.post(format!("{}_sandbox/events{path}", roster.sandbox))
            .json(&body)
            .send()
    };
    assert!(
        control("", json!({"app_token": "xapp-1-no-longer-valid"}))
            .await
            .unwrap()
            .status()
            .is_success()
    );
    assert!(
        control("/cut", json!({}))
            .await
            .unwrap()
            .status()
            .is_success()
    );
    browser
        .wait_until(
            "document.querySelector('[data-testid=sync-status]')?.textContent.startsWith('Paused since')",
            30,
        )
        .await;
    let line = browser.text_of("[data-testid=sync-status]", 5).await;
    assert!(line.ends_with("reconnecting…"), "{line}");
    let title = browser
        .eval("return document.querySelector('[data-testid=sync-status]').title;")
        .await;
    let title = title.as_str().unwrap_or_default();
    assert!(
        title.starts_with("Live updates paused since") && title.contains("last full sync"),
        "{title}"
    );
    browser.screenshot("live-updates-paused").await;
    browser.assert_no_console_errors("live updates").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_requests_page_follows_new_requests_and_the_header_names_silent_workspaces() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "5"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/requests", roster.url))
        .await
        .unwrap();
    browser.wait_for(".request-card", 20).await;
    browser
        .eval("window.__notReloaded = true; return null;")
        .await;
    let workspaces = browser.api("/api/workspaces").await;
    let team = workspaces[0]["id"].as_str().unwrap().to_string();
    let members = browser
        .api(&format!(
            "/api/users?workspace={team}&type=member&status=active&limit=1"
        ))
        .await;
    let requester = members["users"][0]["id"].as_str().unwrap().to_string();

    // Someone asks in Slack for an invitation: the page shows it without a reload.
    let http = reqwest::Client::new();
    let asked = http
        .post(format!("{}_sandbox/invite-requests", roster.sandbox))
        .json(
            &json!({"team_id": team, "email": "asks.live@partner.example",
                      "requester_id": requester, "real_name": "Asked Live",
                      "request_reason": "Starts Monday"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 201, "{}", asked.text().await.unwrap());
    browser
        .wait_until(
            "document.body.textContent.includes('Asked Live (asks.live@partner.example)')",
            15,
        )
        .await;
    assert_eq!(
        browser.eval("return window.__notReloaded === true;").await,
        json!(true),
        "the page was reloaded"
    );

    // Roster's app is taken off a workspace: the header says events do not come from it.
    let silent = workspaces.as_array().unwrap().last().unwrap().clone();
    let revoked = http
        .post(format!("{}_sandbox/events/grant", roster.sandbox))
        .json(&json!({"team_ids": [silent["id"]], "granted": false}))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    let name = silent["name"].as_str().unwrap();
    browser
        .wait_until(
            &format!(
                "document.querySelector('[data-testid=sync-status]')?.textContent.startsWith('Live, not {name} ·')"
            ),
            15,
        )
        .await;
    let title = browser
        .eval("return document.querySelector('[data-testid=sync-status]').title;")
        .await;
    let title = title.as_str().unwrap_or_default();
    assert!(
        title.starts_with(&format!("Slack sends no events from {name}:")),
        "{title}"
    );
    browser
        .screenshot("live-requests-and-silent-workspace")
        .await;
    browser.assert_no_console_errors("live requests").await;
    browser.close().await;
}
