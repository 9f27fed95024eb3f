//! The console in a real browser, on the release bundle: filters and the URL, sorting,
//! 100,000 rows, the detail, every form, roles, the audit page, accessibility, and
//! screenshots of each page in light and dark. Every test fails on a console error.

use fantoccini::Locator;
use roster_e2e::{Browser, Roster, one_at_a_time, thousands};
use serde_json::Value;

/// "1,234 users", as the page writes it.
fn count_text(n: u64) -> String {
    format!("{} {}", thousands(n), if n == 1 { "user" } else { "users" })
}

async fn total_shown(browser: &Browser) -> String {
    browser.texts("[data-testid=total]").await.join("")
}

async fn wait_for_total(browser: &Browser, expected: &str) {
    browser
        .wait_until(
            &format!("document.querySelector('[data-testid=total]')?.textContent === {expected:?}"),
            15,
        )
        .await;
}

async fn click_button(browser: &Browser, text: &str) {
    let xpath = format!("//button[normalize-space()={text:?}]");
    let el = browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no button {text:?}: {e}"));
    el.click().await.unwrap();
}

async fn open(browser: &Browser, roster: &Roster, path: &str) {
    browser
        .client
        .goto(&format!("{}{path}", roster.url))
        .await
        .unwrap();
}

async fn screenshot_both(browser: &Browser, name: &str) {
    browser.color_scheme(false).await;
    browser.screenshot(&format!("{name}-light")).await;
    browser.color_scheme(true).await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    browser.screenshot(&format!("{name}-dark")).await;
    browser.color_scheme(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_live_in_the_url_and_survive_reload_and_back() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "1000", "--seed", "3"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;
    assert_eq!(total_shown(&browser).await, "1,000 users");

    browser.type_into("#filter-q", "el").await;
    browser
        .wait_until("location.search.includes('q=el')", 10)
        .await;
    let by_search = browser.api("/api/users?q=el&limit=1").await["total"]
        .as_u64()
        .unwrap();
    assert!(by_search > 0 && by_search < 1000);
    wait_for_total(&browser, &count_text(by_search)).await;

    browser.select("#filter-type", "member").await;
    browser
        .wait_until("location.search.includes('type=member')", 10)
        .await;
    let both = browser.api("/api/users?q=el&type=member&limit=1").await["total"]
        .as_u64()
        .unwrap();
    assert!(both < by_search);
    wait_for_total(&browser, &count_text(both)).await;
    // Every row shown is a member matching the search.
    let types = browser.texts("tr[data-user-id] td.col-type").await;
    assert!(
        !types.is_empty() && types.iter().all(|t| t == "Member"),
        "{types:?}"
    );

    // Reload: the same view.
    browser.client.refresh().await.unwrap();
    browser.wait_for("tr[data-user-id]", 30).await;
    wait_for_total(&browser, &count_text(both)).await;
    let q = browser
        .eval("return document.querySelector('#filter-q').value")
        .await;
    assert_eq!(q, "el");
    let t = browser
        .eval("return document.querySelector('#filter-type').value")
        .await;
    assert_eq!(t, "member");

    // Back: the search alone again.
    browser.client.back().await.unwrap();
    wait_for_total(&browser, &count_text(by_search)).await;
    browser
        .wait_until("document.querySelector('#filter-type').value === ''", 10)
        .await;
    // Back again: before the search. Typing a word is one history entry, not one per letter.
    browser.client.back().await.unwrap();
    wait_for_total(&browser, "1,000 users").await;
    browser
        .wait_until("document.querySelector('#filter-q').value === ''", 10)
        .await;

    browser.assert_no_console_errors("while filtering").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sorting_by_a_column_header() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "500"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;
    assert_eq!(
        browser
            .eval("return document.querySelector('th[data-sort=name]').getAttribute('aria-sort')")
            .await,
        "ascending"
    );
    browser.click("th[data-sort=created] button").await;
    browser
        .wait_until("location.search.includes('sort=created')", 10)
        .await;
    browser
        .wait_until("document.querySelector('th[data-sort=created]').getAttribute('aria-sort') === 'ascending'", 10)
        .await;
    let expected: Vec<String> =
        browser.api("/api/users?sort=created&dir=asc&limit=5").await["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect();
    browser
        .wait_until(
            &format!(
                "document.querySelector('tr[data-user-id]').dataset.userId === {:?}",
                expected[0]
            ),
            10,
        )
        .await;
    let shown = browser.row_ids(5).await;
    assert_eq!(shown, expected);
    // Again: descending.
    browser.click("th[data-sort=created] button").await;
    browser
        .wait_until("document.querySelector('th[data-sort=created]').getAttribute('aria-sort') === 'descending'", 10)
        .await;
    assert!(
        browser
            .eval("return location.search")
            .await
            .as_str()
            .unwrap()
            .contains("dir=desc")
    );
    browser.assert_no_console_errors("while sorting").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_thousand_rows_scroll_with_few_elements() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "100000", "--rate-limits", "off"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 60).await;
    assert_eq!(total_shown(&browser).await, "100,000 users");
    let rows = browser
        .eval("return document.querySelectorAll('table.users tbody tr').length")
        .await;
    assert!(
        rows.as_u64().unwrap() < 200,
        "{rows} rows in the DOM at the top"
    );
    browser
        .eval("const v = document.querySelector('.table-viewport'); v.scrollTop = v.scrollHeight; return true;")
        .await;
    browser
        .wait_until(
            "document.querySelector('tr[aria-rowindex=\"100001\"][data-user-id]') !== null",
            20,
        )
        .await;
    let rows = browser
        .eval("return document.querySelectorAll('table.users tbody tr').length")
        .await;
    assert!(
        rows.as_u64().unwrap() < 200,
        "{rows} rows in the DOM at the bottom"
    );
    let last = browser.api("/api/users?offset=99999&limit=1").await;
    let last_id = last["users"][0]["id"].as_str().unwrap().to_string();
    let shown = browser
        .eval("return document.querySelector('tr[aria-rowindex=\"100001\"]').dataset.userId")
        .await;
    assert_eq!(shown, last_id.as_str());
    // The middle, by scrolling.
    browser
        .eval("const v = document.querySelector('.table-viewport'); v.scrollTop = 44 * 50000; return true;")
        .await;
    browser
        .wait_until(
            "document.querySelector('tr[aria-rowindex=\"50002\"][data-user-id]') !== null",
            20,
        )
        .await;
    browser
        .assert_no_console_errors("while scrolling 100,000 rows")
        .await;
    browser.close().await;
}

/// A plain active member on exactly `workspaces` workspaces, from the API.
async fn member(browser: &Browser, workspaces: usize) -> (String, String, Vec<String>) {
    let page = browser
        .api("/api/users?type=member&status=active&limit=300")
        .await;
    let u = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["workspaces"].as_array().unwrap().len() == workspaces)
        .expect("such a member")
        .clone();
    (
        u["id"].as_str().unwrap().to_string(),
        u["name"].as_str().unwrap().to_string(),
        u["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn detail_role_change_removal_and_the_audit_page() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "400", "--seed", "5"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;

    // Open the first user in the side panel, then as a page.
    let first_name = browser.texts("tr[data-user-id] td.col-name button").await[0].clone();
    browser.click("tr[data-user-id] td.col-name button").await;
    browser
        .wait_until("location.search.includes('user=')", 10)
        .await;
    let heading = browser.text_of(".side-panel h2.detail-name", 15).await;
    assert_eq!(heading, first_name);
    browser.wait_for(".side-panel .detail-section", 15).await;
    screenshot_both(&browser, "detail-panel").await;
    browser
        .assert_accessible("the users page with the detail panel")
        .await;
    browser.click(".panel-bar a").await;
    browser
        .wait_until("location.pathname.startsWith('/users/W')", 10)
        .await;
    browser.wait_for(".page-user h2.detail-name", 15).await;
    browser.assert_accessible("the user page").await;

    // Change a member's role, from the panel next to their row.
    let (id, name, workspaces) = member(&browser, 1).await;
    open(&browser, &roster, &format!("/users?q={id}&user={id}")).await;
    browser
        .wait_for(&format!("tr[data-user-id={id}]"), 30)
        .await;
    click_button(&browser, "Change role").await;
    browser.wait_for("dialog[open] #role-workspace", 10).await;
    browser.select("#role-workspace", &workspaces[0]).await;
    browser.click("input[name=role][value=admin]").await;
    click_button(&browser, "Review").await;
    let review = browser.text_of("dialog[open] .review", 10).await;
    assert!(
        review.contains(&format!("{name} will become an admin on")),
        "{review}"
    );
    screenshot_both(&browser, "change-role").await;
    browser.assert_accessible("the change-role dialog").await;
    click_button(&browser, "Confirm").await;
    let toast = browser.text_of(".toast-ok", 15).await;
    assert!(toast.contains("is now an admin"), "{toast}");
    browser
        .wait_until(&format!("document.querySelector('tr[data-user-id={id}] td.col-type')?.textContent === 'Admin'"), 10)
        .await;
    assert_eq!(
        browser.api(&format!("/api/users/{id}")).await["type"],
        "admin"
    );
    // Focus is back on the button that opened the dialog, in the redrawn detail.
    browser
        .wait_until(
            "document.activeElement?.closest('.detail-actions') && document.activeElement.textContent === 'Change role'",
            10,
        )
        .await;
    // The toast links to the audit entry, so it stays until it is used or dismissed.
    tokio::time::sleep(std::time::Duration::from_secs(9)).await;
    assert!(
        browser
            .eval("return !!document.querySelector('.toast-ok a')")
            .await
            == true,
        "a toast with a link stays"
    );
    browser.click(".toast-ok a").await;
    browser
        .wait_until(
            &format!("location.pathname === '/audit' && location.search.includes({id:?})"),
            10,
        )
        .await;
    browser.wait_for("tr[data-audit-id]", 15).await;
    let first_action = browser.texts("tr[data-audit-id] td:nth-child(3)").await[0].clone();
    assert_eq!(first_action, "Change role");

    // Remove a member from one of two workspaces; an admin needs their name typed.
    let (id2, name2, ws2) = member(&browser, 2).await;
    open(&browser, &roster, &format!("/users/{id2}")).await;
    browser.wait_for(".page-user h2.detail-name", 15).await;
    click_button(&browser, "Remove from a workspace").await;
    browser.select("#remove-workspace", &ws2[1]).await;
    click_button(&browser, "Review").await;
    let review = browser.text_of("dialog[open] .review", 10).await;
    assert!(
        review.contains(&format!("{name2} will be removed from")),
        "{review}"
    );
    click_button(&browser, "Confirm").await;
    let toast = browser.text_of(".toast-ok", 15).await;
    assert!(
        toast.starts_with(&format!("Removed {name2} from")),
        "{toast}"
    );
    let after = browser.api(&format!("/api/users/{id2}")).await;
    assert_eq!(after["workspaces"], serde_json::json!([ws2[0]]));

    // The audit page lists both actions.
    open(&browser, &roster, "/audit").await;
    browser.wait_for("tr[data-audit-id]", 15).await;
    let actions = browser.texts("tr[data-audit-id] td:nth-child(3)").await;
    assert!(
        actions.contains(&"Change role".to_string())
            && actions.contains(&"Remove from workspace".to_string()),
        "{actions:?}"
    );
    screenshot_both(&browser, "audit").await;
    browser.assert_accessible("the audit page").await;

    browser
        .assert_no_console_errors("during the detail, role, removal and audit flows")
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inviting_a_guest_and_field_errors() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "6"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/invite").await;
    browser.wait_for("#invite-emails", 30).await;
    browser
        .wait_until(
            "document.querySelectorAll('#invite-workspace option').length > 0",
            15,
        )
        .await;

    // An empty form: a summary of what to fix at the top, and the focus on the first field.
    click_button(&browser, "Review").await;
    let summary = browser.text_of("[data-testid=error-summary]", 10).await;
    assert!(
        summary.starts_with("Fix these 2 problems")
            && summary.contains("Enter at least one email address.")
            && summary.contains("Choose at least one channel."),
        "{summary}"
    );
    browser
        .wait_until("document.activeElement?.id === 'invite-emails'", 5)
        .await;
    browser.screenshot("invite-errors").await;
    // Its links go to the field.
    browser
        .click("[data-testid=error-summary] a[href='#invite-channels']")
        .await;
    browser
        .wait_until("document.activeElement?.id === 'invite-channels'", 5)
        .await;

    // A bad address is caught next to the field, before anything is sent.
    browser.type_into("#invite-emails", "not-an-email").await;
    click_button(&browser, "Review").await;
    let err = browser.text_of("#invite-emails-error", 10).await;
    assert!(err.contains("not a valid email"), "{err}");
    let calls: Value = reqwest_json(&format!("{}_sandbox/calls", roster.sandbox)).await;
    assert!(
        calls.get("admin.users.invite").is_none(),
        "nothing was sent: {calls}"
    );

    // A guest with an expiration.
    browser
        .type_into("#invite-emails", "casey.contractor@agency.example")
        .await;
    browser.click("input[name=kind][value=multi_channel]").await;
    browser.type_into("#invite-channels", "gen").await;
    browser
        .wait_until(
            "document.querySelector('.picker-option')?.textContent.includes('general')",
            10,
        )
        .await;
    browser.click(".picker-option").await;
    browser.wait_for(".channel-picker .chip", 5).await;
    browser.type_into("#invite-name", "Casey Contractor").await;
    // A channel was picked: its earlier error is gone.
    assert!(
        browser
            .eval("return !document.querySelector('.channel-picker .field-error')")
            .await
            == true
    );
    browser
        .eval("document.activeElement.blur(); window.scrollTo(0, 0); return 1;")
        .await;
    screenshot_both(&browser, "invite").await;
    browser.assert_accessible("the invite form").await;
    click_button(&browser, "Review").await;
    let review = browser.text_of(".review", 10).await;
    assert!(
        review.contains("as a multi-channel guest") && review.contains("will be disabled on"),
        "{review}"
    );
    click_button(&browser, "Send invitations").await;
    let result = browser.text_of(".result-ok", 15).await;
    assert!(
        result.contains("Invited casey.contractor@agency.example"),
        "{result}"
    );
    let found = browser.api("/api/users?q=casey.contractor").await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["users"][0]["type"], "multi_channel_guest");
    assert!(found["users"][0]["expires"].as_i64().is_some());

    // The proxy's own field error (already on that workspace) lands next to the field.
    browser
        .type_into("#invite-emails", "casey.contractor@agency.example")
        .await;
    click_button(&browser, "Review").await;
    click_button(&browser, "Send invitations").await;
    let err = browser.text_of("#invite-emails-error", 10).await;
    assert!(err.contains("already a member of that workspace"), "{err}");
    browser
        .wait_until("document.activeElement?.id === 'invite-emails'", 5)
        .await;
    // The browser logs the 422 it received; nothing else may be in the console.
    let errors = browser.console_errors().await;
    assert!(
        errors
            .iter()
            .all(|e| e.contains("/api/users/invite") && e.contains("422")),
        "{errors:?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_help_desk_sees_less_and_cannot_remove() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "7"]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;
    assert!(
        browser
            .eval("return !!document.querySelector('th[data-sort=email]')")
            .await
            == true
    );
    screenshot_both(&browser, "users").await;
    browser.assert_accessible("the users page").await;

    browser.act_as("helpdesk").await;
    browser.wait_for("tr[data-user-id]", 30).await;
    assert!(
        browser
            .eval("return !document.querySelector('th[data-sort=email]')")
            .await
            == true,
        "no email column"
    );
    let text = browser.eval("return document.body.innerText").await;
    assert!(
        !text.as_str().unwrap().contains("@larkspur.example"),
        "no emails on the page"
    );
    // A member in scope: no remove button; no role change either.
    let id = browser
        .eval("return document.querySelector('tr[data-user-id]').dataset.userId")
        .await;
    open(
        &browser,
        &roster,
        &format!("/users/{}", id.as_str().unwrap()),
    )
    .await;
    browser.wait_for(".page-user h2.detail-name", 15).await;
    let buttons = browser
        .texts(".detail-actions button:not([disabled])")
        .await;
    assert!(
        !buttons
            .iter()
            .any(|b| b == "Remove from a workspace" || b == "Change role"),
        "{buttons:?}"
    );
    // They are shown greyed out, with the reason.
    let greyed = browser.texts(".detail-actions button[disabled]").await;
    assert!(greyed.iter().any(|b| b == "Change role"), "{greyed:?}");
    let why = browser.text_of("[data-testid=unavailable]", 5).await;
    assert!(why.contains("Not part of your role:"), "{why}");
    let page = browser.eval("return document.body.innerText").await;
    assert!(!page.as_str().unwrap().contains("@larkspur.example"));

    // The auditor opening the invitation form by its address is told at the door.
    browser.act_as("auditor").await;
    open(&browser, &roster, "/invite").await;
    let door = browser.text_of("[data-testid=door]", 15).await;
    assert!(
        door.starts_with("Your role (auditor) cannot invite people."),
        "{door}"
    );
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('main form').length")
            .await,
        0,
        "no form to fill in"
    );
    browser.screenshot("door-light").await;
    browser.assert_no_console_errors("as the help desk").await;
    browser.close().await;
}

/// The sandbox's test endpoint, read outside the browser.
async fn reqwest_json(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_people_are_cards_filters_fold_and_a_person_opens_as_a_page() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "14"]);
    let browser = Browser::start().await;
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
        )
        .await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 30).await;

    // The first person is in view without scrolling past the filters, with what tells
    // people apart under the name.
    let top = browser
        .eval("return Math.round(document.querySelector('tr[data-user-id]').getBoundingClientRect().top)")
        .await;
    browser.screenshot("users-phone").await;
    assert!(top.as_i64().unwrap() < 420, "first row at {top} px");
    let sub = browser.text_of("tr[data-user-id] .row-sub", 5).await;
    assert!(sub.contains('@') && sub.contains(" · "), "{sub}");
    let hidden = browser
        .eval("return getComputedStyle(document.querySelector('tr[data-user-id] td.col-status')).display")
        .await;
    assert_eq!(hidden, "none");
    assert_eq!(
        browser
            .eval("return document.getElementById('filter-type').offsetParent === null")
            .await,
        true,
        "the filters are folded"
    );
    browser.screenshot("users-phone").await;
    browser.assert_accessible("the users page on a phone").await;

    // Unfolded, a filter used is counted on the button.
    browser.click(".filters-toggle").await;
    browser.select("#filter-status", "active").await;
    browser
        .wait_until(
            "document.querySelector('.filters-toggle').textContent === 'Filters (1)'",
            10,
        )
        .await;
    browser.screenshot("filters-phone").await;

    // A person opens as a page of their own.
    browser.click("tr[data-user-id] button.name").await;
    browser
        .wait_until("location.pathname.startsWith('/users/')", 10)
        .await;
    browser.wait_for(".page-user h2.detail-name", 15).await;
    browser.screenshot("detail-phone").await;

    // The audit log reads as a list (with one change in it).
    let someone = browser
        .api("/api/users?type=member&status=active&limit=1")
        .await["users"][0]["id"]
        .clone();
    let done = browser
        .post_change(&serde_json::json!({"op": "offboard", "user": someone}))
        .await;
    assert_eq!(done, 200);
    open(&browser, &roster, "/audit").await;
    browser.wait_for("table.audit", 15).await;
    let head = browser
        .eval("return getComputedStyle(document.querySelector('table.audit thead')).display")
        .await;
    assert_eq!(head, "none");
    let wide = browser
        .eval("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(wide, true, "nothing wider than the phone");
    browser.screenshot("audit-phone").await;
    browser.assert_no_console_errors("on a phone").await;
    browser.close().await;
}

/// The wasm files the page has fetched so far (their names, without the build's hash).
async fn wasm_fetched(browser: &Browser) -> Vec<String> {
    let names = browser
        .eval(
            "return performance.getEntriesByType('resource')
                .map(e => new URL(e.name).pathname.slice(1))
                .filter(n => n.endsWith('.wasm'));",
        )
        .await;
    names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

/// Waits for the page headed `heading`, and checks that its code (`wasm`) was fetched.
async fn page_with_its_code(browser: &Browser, heading: &str, wasm: &str, how: &str) {
    browser
        .wait_until(
            &format!("document.querySelector('main h1')?.textContent === {heading:?}"),
            15,
        )
        .await;
    assert!(
        wasm_fetched(browser).await.iter().any(|n| n.contains(wasm)),
        "{how} did not fetch {wasm}"
    );
}

/// The release bundle loads the users list first and each other page's code the first
/// time it is opened; every page works from a cold load and from navigation, under the
/// proxy's CSP, with no console error.
#[tokio::test(flavor = "multi_thread")]
async fn every_page_opens_cold_and_by_navigation_with_its_code_loaded_on_first_use() {
    let _turn = one_at_a_time().await;
    let dist = roster_e2e::assert_release_bundle();
    let pages: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("split_") && n.ends_with(".wasm"))
        .collect();
    assert!(
        pages.iter().any(|p| p.starts_with("split_audit-")),
        "the release bundle is not split into pages: {pages:?}"
    );

    let roster = Roster::start(&[]);
    // (nav link, heading, the page's own wasm)
    let routes = [
        ("/invite", "Invite people", "split_invite-"),
        ("/import", "Import CSV", "split_import-"),
        ("/jobs", "Jobs", "split_jobs-"),
        ("/audit", "Audit log", "split_audit-"),
        ("/requests", "Invite requests", "split_requests-"),
    ];

    // Cold: the users list fetches only the first load's wasm.
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 15).await;
    let first = wasm_fetched(&browser).await;
    assert_eq!(
        first.len(),
        1,
        "the users list should need one wasm file, fetched: {first:?}"
    );
    assert!(first[0].ends_with("_bg.wasm"), "{first:?}");

    // By navigation: each page's code arrives when its link is first followed.
    for (path, heading, wasm) in routes {
        assert!(
            !wasm_fetched(&browser)
                .await
                .iter()
                .any(|n| n.contains(wasm)),
            "{wasm} was fetched before {path} was opened"
        );
        browser.click(&format!("nav a[href='{path}']")).await;
        page_with_its_code(&browser, heading, wasm, &format!("opening {path}")).await;
    }
    // And back to the list, whose code never left.
    browser.click("nav a[href='/users']").await;
    browser.wait_for("tr[data-user-id]", 15).await;
    browser
        .assert_no_console_errors("navigating to every page")
        .await;
    browser.close().await;

    // Cold, straight to each page's address.
    let browser = Browser::start().await;
    for (path, heading, wasm) in routes {
        open(&browser, &roster, path).await;
        page_with_its_code(&browser, heading, wasm, &format!("a cold load of {path}")).await;
    }
    // A person, cold: the detail's code comes with them.
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 15).await;
    let id = browser.row_ids(1).await.pop().expect("a first row");
    open(&browser, &roster, &format!("/users/{id}")).await;
    browser.wait_for(".user-detail .detail-name", 15).await;
    assert!(
        wasm_fetched(&browser)
            .await
            .iter()
            .any(|n| n.contains("split_user_detail-")),
        "a person's page did not fetch the detail's code"
    );
    browser
        .assert_no_console_errors("on cold loads of every page")
        .await;
    browser.close().await;
}

/// A page whose code cannot be fetched (the network, or a Roster updated since the tab was
/// opened, whose old files are gone) says so in an alert instead of stopping the app: the
/// rest of the console keeps working, and "Try again" opens the page once its code arrives.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_whose_code_cannot_be_fetched_says_so_and_can_be_tried_again() {
    let _turn = one_at_a_time().await;
    roster_e2e::assert_release_bundle();
    let roster = Roster::start(&[]);
    let browser = Browser::start().await;
    open(&browser, &roster, "/users").await;
    browser.wait_for("tr[data-user-id]", 15).await;
    browser.cdp("Network.enable", serde_json::json!({})).await;
    browser
        .cdp(
            "Network.setBlockedURLs",
            serde_json::json!({"urls": ["*split_audit-*"]}),
        )
        .await;
    let refused = "document.querySelector('main .not-loaded[role=alert]')\
                   ?.textContent.includes('could not be loaded')";

    browser.click("nav a[href='/audit']").await;
    browser.wait_until(refused, 15).await;
    assert_eq!(
        browser
            .eval("return document.querySelector('main h1')?.textContent ?? null")
            .await,
        Value::Null,
        "no page heading without the page"
    );
    browser.screenshot("code-not-loaded").await;

    // The app is still alive: the list and a person's detail work.
    browser.click("nav a[href='/users']").await;
    browser.wait_for("tr[data-user-id]", 15).await;
    browser.click("tr[data-user-id] td.col-name button").await;
    browser.wait_for(".side-panel h2.detail-name", 15).await;

    // Still blocked: the same alert, asked anew.
    browser.click("nav a[href='/audit']").await;
    browser.wait_until(refused, 15).await;

    // The code can be fetched again: "Try again" opens the page.
    browser
        .cdp("Network.setBlockedURLs", serde_json::json!({"urls": []}))
        .await;
    click_button(&browser, "Try again").await;
    page_with_its_code(&browser, "Audit log", "split_audit-", "trying again").await;
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('main .not-loaded, main .loading-code').length")
            .await,
        0,
        "the alert is gone once the page is there: {}",
        browser
            .eval("return document.querySelector('main').innerHTML")
            .await
    );

    // On a slow network, "Loading…" while a page's code is on its way.
    let network = |kbytes_per_s: i64| {
        serde_json::json!({
            "offline": false,
            "latency": if kbytes_per_s < 0 { 0 } else { 40 },
            "downloadThroughput": if kbytes_per_s < 0 { -1 } else { kbytes_per_s * 1000 },
            "uploadThroughput": if kbytes_per_s < 0 { -1 } else { kbytes_per_s * 1000 },
        })
    };
    browser
        .cdp("Network.emulateNetworkConditions", network(8))
        .await;
    browser.click("nav a[href='/invite']").await;
    browser
        .wait_until(
            "document.querySelector('main .loading-code') \
             && getComputedStyle(document.querySelector('main .loading-code')).opacity === '1'",
            10,
        )
        .await;
    browser.screenshot("code-loading").await;
    browser
        .cdp("Network.emulateNetworkConditions", network(-1))
        .await;
    page_with_its_code(&browser, "Invite people", "split_invite-", "a slow opening").await;
    browser.close().await;
}
