//! Bulk actions on the users table's selection, in a real browser: pick rows (or every
//! matching user), choose one change, read the dry run's verdicts, run the job and check
//! what Slack now holds.

use roster_e2e::{Browser, Roster, one_at_a_time};
use serde_json::Value;

async fn text_of(browser: &Browser, css: &str) -> String {
    browser.texts(css).await.join("")
}

/// Opens the users page with `query` and waits for its rows.
async fn users_page(browser: &Browser, roster: &Roster, query: &str) {
    browser
        .client
        .goto(&format!("{}/users?{query}", roster.url))
        .await
        .unwrap();
    browser.wait_for("tr[data-user-id]", 30).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expiration_for_every_matching_guest_and_a_workspace_for_three_picked_rows() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "11"]);
    let browser = Browser::start().await;
    users_page(&browser, &roster, "").await;

    // Every active multi-channel guest of one workspace gets the same expiration.
    let workspaces = browser.api("/api/workspaces").await;
    let ws = workspaces[0]["id"].as_str().unwrap().to_string();
    let filter = format!("type=multi_channel_guest&status=active&workspace={ws}");
    let guests = browser.api(&format!("/api/users?{filter}&limit=500")).await;
    let total = guests["total"].as_u64().unwrap();
    assert!(total >= 3, "the seeded org has guests on {ws}: {guests}");

    users_page(&browser, &roster, &filter).await;
    // The header's box selects every matching user, loaded or not.
    browser.click("[data-testid=select-all]").await;
    browser
        .wait_until(
            &format!(
                "document.querySelector('[data-testid=selected-count]')?.textContent === '{total} selected'"
            ),
            10,
        )
        .await;
    browser.click_text("button", "Bulk action").await;
    // Nothing is chosen for the person: checking without an action says so.
    browser
        .wait_for("dialog[open] input[name=bulk-kind]", 10)
        .await;
    let chosen = browser
        .eval(
            "return document.querySelectorAll('dialog[open] input[name=bulk-kind]:checked').length",
        )
        .await;
    assert_eq!(chosen, 0, "an action is preselected");
    browser.click_text("dialog[@open]//button", "Check").await;
    let said = browser.text_of("dialog[open] .field-error", 10).await;
    assert_eq!(said, "Choose an action first.");
    browser
        .click_text("dialog[@open]//label", "Guest expiration")
        .await;
    browser
        .click_text("dialog[@open]//label", "The same date for everyone")
        .await;
    browser.wait_for("#bulk-when", 10).await;
    let expires = browser
        .eval(
            "const el = document.getElementById('bulk-when');\
             el.value = '2031-06-01T09:30';\
             el.dispatchEvent(new Event('input', { bubbles: true }));\
             return new Date('2031-06-01T09:30').getTime() / 1000;",
        )
        .await
        .as_i64()
        .unwrap();
    browser.click_text("button", "Check").await;
    browser.wait_for("[data-testid=bulk-summary]", 30).await;
    let summary = text_of(&browser, "[data-testid=bulk-summary]").await;
    assert!(
        summary.starts_with(&format!("{total} changes will run, 0 will fail.")),
        "{summary} {:?}",
        browser.texts(".check-list li").await
    );
    browser.screenshot("bulk-expiration-check").await;
    browser.assert_accessible("the bulk action dialog").await;
    browser
        .click_text("button", &format!("Run {total} changes"))
        .await;
    browser.wait_for_finished_job().await;
    assert_eq!(
        text_of(&browser, "[data-testid=job-done]").await,
        total.to_string()
    );
    // Slack now holds the new expiration on that workspace, for every one of them.
    for user in guests["users"].as_array().unwrap() {
        let id = user["id"].as_str().unwrap();
        let detail = browser.api(&format!("/api/users/{id}")).await;
        let on_ws = detail["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["workspace"] == ws.as_str())
            .unwrap_or_else(|| panic!("{id} is on {ws}: {detail}"));
        assert_eq!(on_ws["expires"].as_i64(), Some(expires), "{detail}");
    }

    // Three rows picked by hand: two members are added to a workspace; the third, already
    // on it, is reported by the dry run and left out of the job.
    let target = workspaces[1]["id"].as_str().unwrap().to_string();
    let target_name = workspaces[1]["name"].as_str().unwrap().to_string();
    let on_target = |u: &Value| {
        u["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == target.as_str())
    };
    let members = browser
        .api(&format!(
            "/api/users?type=member&status=active&workspace={ws}&limit=300"
        ))
        .await;
    let members = members["users"].as_array().unwrap();
    let mut picked_ids: Vec<String> = members
        .iter()
        .filter(|u| !on_target(u))
        .take(2)
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let already = members
        .iter()
        .find(|u| on_target(u))
        .expect("a member of both workspaces");
    picked_ids.push(already["id"].as_str().unwrap().to_string());
    assert_eq!(picked_ids.len(), 3, "two members of {ws} not on {target}");
    let name_of = |id: &str| -> String {
        members
            .iter()
            .find(|u| u["id"] == id)
            .and_then(|u| u["name"].as_str())
            .unwrap()
            .to_string()
    };

    users_page(
        &browser,
        &roster,
        &format!("type=member&status=active&workspace={ws}"),
    )
    .await;
    for id in &picked_ids {
        // The table is virtual: scroll until the row exists, then tick its box.
        let row = format!("tr[data-user-id={id:?}] input[type=checkbox]");
        let found = browser
            .eval(&format!(
                "return (async () => {{\
                   const table = document.querySelector('.table-viewport');\
                   for (let top = 0; top <= table.scrollHeight; top += 300) {{\
                     table.scrollTop = top;\
                     await new Promise(r => setTimeout(r, 150));\
                     const box = document.querySelector({row:?});\
                     if (box) {{ box.scrollIntoView({{ block: 'center' }}); box.click(); return true; }}\
                   }}\
                   return false;\
                 }})();"
            ))
            .await;
        assert_eq!(found, Value::Bool(true), "row {id} was not found");
    }
    browser
        .wait_until(
            "document.querySelector('[data-testid=selected-count]')?.textContent === '3 selected'",
            10,
        )
        .await;
    browser.click_text("button", "Bulk action").await;
    browser
        .click_text("dialog[@open]//label", "Add to a workspace")
        .await;
    browser.select("#bulk-workspace", &target).await;
    browser.click_text("button", "Check").await;
    browser.wait_for("[data-testid=bulk-summary]", 30).await;
    let summary = text_of(&browser, "[data-testid=bulk-summary]").await;
    assert!(
        summary.starts_with("2 changes will run, 1 will fail."),
        "{summary}"
    );
    let failing = browser.texts(".check-list li").await;
    assert_eq!(failing.len(), 1, "{failing:?}");
    assert!(failing[0].contains(&picked_ids[2]), "{failing:?}");
    assert!(
        failing[0].contains(&name_of(&picked_ids[2])),
        "the verdict names the user: {failing:?}"
    );
    assert!(
        failing[0].to_lowercase().contains("already"),
        "the verdict says why: {failing:?}"
    );
    browser.click_text("button", "Run 2 changes").await;
    browser.wait_for_finished_job().await;
    let title = text_of(&browser, "h1").await;
    assert!(title.contains(&target_name), "{title}");
    // Each row names its user, linked to their detail, with the ID.
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let who = browser.texts("tr[data-op-index] td:nth-child(3) a").await;
    let names: Vec<String> = picked_ids[..2].iter().map(|id| name_of(id)).collect();
    assert_eq!(
        sorted(who),
        sorted(names),
        "the job's rows name their users"
    );
    let ids = browser.texts("tr[data-op-index] .op-user-id").await;
    assert_eq!(
        sorted(ids),
        sorted(picked_ids[..2].to_vec()),
        "with their IDs"
    );
    browser.screenshot("bulk-assign-job").await;
    for id in &picked_ids[..2] {
        let user = browser.api(&format!("/api/users/{id}")).await;
        assert!(on_target(&user), "{id} is now on {target}: {user}");
    }
    browser
        .assert_no_console_errors("while running bulk actions")
        .await;
    browser.close().await;
}
