//! The help desk's daily work in a real browser, on the release bundle: a person's
//! sessions and signing them out, offboarding and reactivating, and answering invite
//! requests. Every test fails on a console error.

use roster_e2e::{Browser, Roster, one_at_a_time};
use serde_json::Value;

async fn open(browser: &Browser, roster: &Roster, path: &str) {
    browser
        .client
        .goto(&format!("{}{path}", roster.url))
        .await
        .unwrap();
}

async fn toast(browser: &Browser) -> String {
    let text = browser.text_of(".toast-ok", 20).await;
    // The next toast is told apart from this one.
    browser
        .eval("document.querySelectorAll('.toast-ok').forEach(t => t.remove()); return null")
        .await;
    text
}

/// An active member on one workspace with at least one session there.
async fn signed_in_member(browser: &Browser) -> (String, String) {
    let page = browser
        .api("/api/users?type=member&status=active&limit=200")
        .await;
    // Each look costs one of the person's Slack-reading pages (120 a minute): a few will do.
    for u in page["users"].as_array().unwrap().iter().take(25) {
        let id = u["id"].as_str().unwrap();
        let sessions = browser.api(&format!("/api/users/{id}/sessions")).await;
        if sessions["sessions"]
            .as_array()
            .is_some_and(|s| s.len() >= 2)
        {
            return (id.to_string(), u["name"].as_str().unwrap().to_string());
        }
    }
    panic!("nobody has two sessions")
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_sign_out_offboarding_and_reactivation_from_a_persons_detail() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "11"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;

    // Their sessions are on the detail; one is ended from there.
    let (id, name) = signed_in_member(&browser).await;
    let before = browser.api(&format!("/api/users/{id}/sessions")).await["sessions"]
        .as_array()
        .unwrap()
        .len();
    open(&browser, &roster, &format!("/users/{id}")).await;
    browser.wait_for(".page-user h2.detail-name", 15).await;
    browser.wait_for("#sessions-h ~ table tbody tr", 20).await;
    let rows = browser.texts("#sessions-h ~ table tbody tr").await;
    assert_eq!(rows.len(), before, "{rows:?}");
    browser
        .eval("document.getElementById('sessions-h').scrollIntoView(); return null")
        .await;
    browser.screenshot("sessions-light").await;
    browser.assert_accessible("a person's sessions").await;
    browser.click("#sessions-h ~ table tbody tr button").await;
    browser.click_text("button", "End this session").await;
    let said = toast(&browser).await;
    assert!(said.contains("session"), "{said}");
    let after = browser.api(&format!("/api/users/{id}/sessions")).await["sessions"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before - 1);

    // Sign out of every device: the review says so, and nothing is left.
    browser.click_text("button", "Sign out").await;
    browser
        .wait_for("dialog[open] input[name=sign-out-devices]", 10)
        .await;
    browser.click_text("button", "Review").await;
    let review = browser.text_of("dialog[open] .review", 10).await;
    assert!(
        review.contains(&format!("{name} will be signed out of every device")),
        "{review}"
    );
    browser.click_text("button", "Confirm").await;
    let said = toast(&browser).await;
    assert!(said.contains(&name), "{said}");
    browser
        .wait_until(
            "document.body.innerText.includes('Not signed in anywhere on your workspaces.')",
            20,
        )
        .await;
    let left = browser.api(&format!("/api/users/{id}/sessions")).await;
    assert_eq!(left["sessions"], Value::Array(vec![]), "{left}");

    // Offboard: deactivated on the whole org; then reactivated.
    browser.click_text("button", "Offboard").await;
    browser.click_text("button", "Review").await;
    let review = browser.text_of("dialog[open] .review", 10).await;
    assert!(
        review.contains(&format!("{name} will be deactivated on every workspace")),
        "{review}"
    );
    browser.screenshot("offboard-light").await;
    browser.assert_accessible("the offboarding review").await;
    browser.click_text("button", "Confirm").await;
    toast(&browser).await;
    let user = browser.api(&format!("/api/users/{id}")).await;
    assert_eq!(user["status"], "deactivated", "{user}");
    browser.click_text("button", "Reactivate").await;
    let address = format!("back.{}@larkspur.example", id.to_lowercase());
    browser.type_into("#reactivate-email", &address).await;
    browser.click_text("button", "Review").await;
    let review = browser.text_of("dialog[open] .review", 10).await;
    assert!(
        review.contains(&format!("Their address becomes {address}")),
        "{review}"
    );
    browser.click_text("button", "Confirm").await;
    toast(&browser).await;
    let user = browser.api(&format!("/api/users/{id}")).await;
    assert_eq!(user["status"], "active", "{user}");
    assert_eq!(user["email"], address.as_str(), "{user}");

    // The audit log has each, under its own name.
    let audit = browser.api(&format!("/api/audit?target={id}")).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["end_session", "sign_out", "offboard", "reactivate"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    // Offboarded meanwhile by someone else: the refusal is shown in words, and the same
    // change cannot be confirmed again. (The browser logs the 422: the errors before it
    // are checked here.)
    browser
        .assert_no_console_errors("during sessions, sign-out, offboarding and reactivation")
        .await;
    browser.click_text("button", "Offboard").await;
    browser.click_text("button", "Review").await;
    let elsewhere = browser
        .post_change(&serde_json::json!({"op": "offboard", "user": id}))
        .await;
    assert_eq!(elsewhere, 200);
    browser.click_text("button", "Confirm").await;
    let refusal = browser.text_of("dialog[open] .notice-error", 15).await;
    assert!(refusal.contains("already deactivated"), "{refusal}");
    let disabled = browser
        .eval(
            "return [...document.querySelectorAll('dialog[open] button')]\
             .find(b => b.textContent.trim() === 'Confirm')?.disabled",
        )
        .await;
    assert_eq!(disabled, true, "Confirm after a refusal");
    browser.click("dialog[open] .icon-button").await;
    let logged = browser.console_errors().await;
    assert!(
        logged.len() == 1 && logged[0].contains("/api/changes") && logged[0].contains("422"),
        "{logged:?}"
    );

    // The help desk sees sessions on its workspaces and ends them one by one; signing out
    // of every device and offboarding reach beyond its workspaces.
    browser.act_as("helpdesk").await;
    let (desk_id, _) = signed_in_member(&browser).await;
    open(&browser, &roster, &format!("/users/{desk_id}")).await;
    browser.wait_for("#sessions-h ~ table tbody tr", 20).await;
    let buttons = browser
        .texts(".detail-actions button:not([disabled])")
        .await;
    assert!(
        !buttons.iter().any(|b| b == "Sign out" || b == "Offboard"),
        "{buttons:?}"
    );
    let why = browser.text_of("[data-testid=unavailable]", 5).await;
    assert!(
        why.contains("Needs a role that covers every workspace: Sign out"),
        "{why}"
    );
    assert!(why.contains("Offboard"), "{why}");
    browser.screenshot("unavailable-light").await;
    let ends = browser.texts("#sessions-h ~ table tbody tr button").await;
    assert!(
        ends.iter().all(|b| b == "End") && !ends.is_empty(),
        "{ends:?}"
    );
    // Ending every session it can see is one confirmation, and each is audited.
    let count = ends.len();
    assert!(count >= 2, "{ends:?}");
    browser.click_text("button", "End all").await;
    let review = browser.text_of(".detail-section .review", 10).await;
    assert!(
        review.contains(&format!("all {count} sessions listed will end")),
        "{review}"
    );
    browser
        .click_text("button", &format!("End {count} sessions"))
        .await;
    let said = toast(&browser).await;
    assert!(said.contains(&format!("{count} sessions ended.")), "{said}");
    browser
        .wait_until(
            "document.body.innerText.includes('Not signed in anywhere on your workspaces.')",
            20,
        )
        .await;
    let audit = browser.api(&format!("/api/audit?target={desk_id}")).await;
    let ended = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "end_session" && e["outcome"] == "ok")
        .count();
    assert_eq!(ended, count, "{audit}");
    browser
        .assert_no_console_errors("as the help desk, ending sessions")
        .await;
    // And the API refuses it what the console does not offer (the browser logs the 403).
    let refused = browser
        .post_change(&serde_json::json!({"op": "offboard", "user": desk_id}))
        .await;
    assert_eq!(refused, 403);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn approving_and_denying_invite_requests() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "600", "--seed", "12"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/requests").await;
    browser.wait_for(".request-card", 30).await;
    let waiting = browser.api("/api/invite-requests").await;
    let pending = waiting["pending"].as_u64().unwrap();
    assert!(pending >= 4, "{waiting}");
    // The navigation counts them.
    browser
        .wait_until(
            &format!("document.querySelector('.count-badge')?.textContent === '{pending}'"),
            15,
        )
        .await;
    browser.screenshot("requests-light").await;
    browser.assert_accessible("the invite requests").await;

    // Approve the first: Slack invites the address, and the person is in the directory.
    let first = waiting["requests"][0].clone();
    let email = first["email"].as_str().unwrap().to_string();
    browser
        .click_text("li[contains(@class, 'request-card')]//button", "Approve")
        .await;
    let review = browser.text_of(".request-card .review", 10).await;
    assert!(review.contains(&email), "{review}");
    browser.click_text("button", "Approve and invite").await;
    let said = toast(&browser).await;
    assert!(said.contains("Approved"), "{said}");
    browser
        .wait_until(
            &format!(
                "document.querySelector('.count-badge')?.textContent === '{}'",
                pending - 1
            ),
            15,
        )
        .await;
    let found = browser
        .api(&format!("/api/users?q={}", email.replace('@', "%40")))
        .await;
    assert_eq!(found["total"], 1, "{found}");

    // A second approval, of the next one waiting.
    browser
        .click_text("li[contains(@class, 'request-card')]//button", "Approve")
        .await;
    browser.click_text("button", "Approve and invite").await;
    toast(&browser).await;
    browser
        .wait_until(
            &format!(
                "document.querySelector('.count-badge')?.textContent === '{}'",
                pending - 2
            ),
            15,
        )
        .await;

    // Deny the next with a reason; the Denied list shows it.
    browser
        .click_text("li[contains(@class, 'request-card')]//button", "Deny")
        .await;
    browser
        .type_into("#deny-reason", "Not someone we work with")
        .await;
    browser.click_text("button", "Deny the request").await;
    toast(&browser).await;
    browser.click_text("button", "Denied").await;
    browser
        .wait_until(
            "document.body.innerText.includes('Not someone we work with')",
            20,
        )
        .await;
    browser
        .assert_no_console_errors("while answering invite requests")
        .await;
    browser.close().await;
}

/// Active members with an address and no seat above member, as many as asked.
async fn plain_members(browser: &Browser, n: usize, skip: usize) -> Vec<(String, String)> {
    let page = browser
        .api("/api/users?type=member&status=active&limit=200")
        .await;
    page["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["email"].is_string())
        .skip(skip)
        .take(n)
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["email"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn offboarding_a_list_of_leavers_and_signing_out_a_selection_as_jobs() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "13"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;

    // HR's list of leavers: three people of the org and one address nobody has.
    let leavers = plain_members(&browser, 3, 0).await;
    assert_eq!(leavers.len(), 3);
    let mut csv = String::from("Name,Email,Manager\n");
    for (i, (_, email)) in leavers.iter().enumerate() {
        csv.push_str(&format!(
            "Leaver {i},{},boss@larkspur.example\n",
            email.to_uppercase()
        ));
    }
    csv.push_str("Stranger,nobody@nowhere.example,boss@larkspur.example\n");
    browser.click_text("button", "Select by email").await;
    browser.type_into("dialog[open] #import-text", &csv).await;
    browser
        .click_text("dialog[@open]//button", "Find 4 addresses")
        .await;
    let summary = browser.text_of("[data-testid=email-summary]", 15).await;
    assert_eq!(summary, "3 of 4 addresses found on your workspaces.");
    let missing = browser
        .texts("ul[aria-label='Addresses not found'] li")
        .await;
    assert_eq!(missing, ["nobody@nowhere.example"]);
    browser.screenshot("select-by-email-light").await;
    browser.assert_accessible("selecting people by email").await;

    // The people found become the selection, and offboarding them is a job.
    browser
        .click_text("dialog[@open]//button", "Select 3 people")
        .await;
    browser
        .wait_until(
            "document.querySelector('[data-testid=selected-count]')?.textContent === '3 selected'",
            10,
        )
        .await;
    browser.click_text("dialog[@open]//label", "Offboard").await;
    browser.click_text("dialog[@open]//button", "Check").await;
    let summary = browser.text_of("[data-testid=bulk-summary]", 20).await;
    assert!(
        summary.starts_with("3 changes will run, 0 will fail."),
        "{summary}"
    );
    browser
        .click_text("dialog[@open]//button", "Run 3 changes")
        .await;
    browser.wait_for_finished_job().await;
    for (id, _) in &leavers {
        let user = browser.api(&format!("/api/users/{id}")).await;
        assert_eq!(user["status"], "deactivated", "{user}");
        let sessions = browser.api(&format!("/api/users/{id}/sessions")).await;
        assert_eq!(sessions["sessions"], Value::Array(vec![]), "{sessions}");
    }

    // Sign two other people out of their phones, from a selection made in the table.
    open(&browser, &roster, "/users?type=member&status=active").await;
    browser.wait_for("tr[data-user-id]", 30).await;
    let ids = browser.row_ids(2).await;
    assert_eq!(ids.len(), 2);
    for id in &ids {
        browser
            .click(&format!("tr[data-user-id={id:?}] input[type=checkbox]"))
            .await;
    }
    browser.click_text("button", "Bulk action").await;
    browser
        .click_text("dialog[@open]//label", "Sign out of devices")
        .await;
    browser
        .click_text("dialog[@open]//label", "Phones and tablets only")
        .await;
    browser.click_text("dialog[@open]//button", "Check").await;
    let summary = browser.text_of("[data-testid=bulk-summary]", 20).await;
    assert!(summary.starts_with("2 changes will run"), "{summary}");
    browser
        .click_text("dialog[@open]//button", "Run 2 changes")
        .await;
    browser.wait_for_finished_job().await;
    for id in &ids {
        let sessions = browser.api(&format!("/api/users/{id}/sessions")).await;
        let devices: Vec<&str> = sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["device"].as_str().unwrap())
            .collect();
        assert!(!devices.contains(&"mobile"), "{id}: {devices:?}");
    }

    // The help desk does not see addresses, but finds a person by the complete one in a
    // ticket; part of an address finds nobody.
    // Off the job page first: the help desk may not see the org admin's job.
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;
    let workspaces = browser.api("/api/workspaces").await;
    let everywhere = workspaces.as_array().unwrap().len();
    let page = browser.api("/api/users?status=active&limit=500").await;
    let (wanted, address) = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["workspaces"].as_array().unwrap().len() == everywhere && u["email"].is_string())
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["email"].as_str().unwrap().to_string(),
            )
        })
        .expect("someone on every workspace");
    browser.act_as("helpdesk").await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;
    let hint = browser
        .eval("return document.getElementById('filter-q').placeholder")
        .await;
    assert_eq!(hint, "Name, username, ID or complete email");
    browser.type_into("#filter-q", &address).await;
    browser
        .wait_until(
            "document.querySelector('[data-testid=total]')?.textContent === '1 user, matched by email address'",
            15,
        )
        .await;
    let rows = browser
        .eval(
            "return [...document.querySelectorAll('tr[data-user-id]')].map(r => r.dataset.userId)",
        )
        .await;
    assert_eq!(rows, serde_json::json!([wanted]));
    assert!(
        !browser
            .text_of("table", 5)
            .await
            .to_lowercase()
            .contains(&address.to_lowercase()),
        "the address is not shown"
    );
    browser.screenshot("lookup-by-email-light").await;
    let part = address.split('@').next().unwrap().to_string() + "@";
    browser.type_into("#filter-q", &part).await;
    browser
        .wait_until(
            "document.querySelector('[data-testid=total]')?.textContent === '0 users'",
            15,
        )
        .await;
    browser
        .assert_no_console_errors("offboarding a list and signing out a selection")
        .await;
    browser.close().await;
}
