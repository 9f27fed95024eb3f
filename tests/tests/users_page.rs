//! The walking skeleton, end to end: the release bundle in headless Chromium, served by
//! `roster demo`, listing the sandbox org's users through the proxy.

use roster_e2e::{Browser, Roster};
use roster_proxy::directory::fold;
use roster_sandbox::seed::{SeedSpec, seed_org};

const USERS: usize = 1_000;
const SEED: u64 = 42;

/// The names the table must start with: the seeded org, sorted as the proxy sorts.
fn expected_first_names(n: usize) -> Vec<String> {
    let org = seed_org(&SeedSpec {
        users: USERS,
        seed: SEED,
        workspaces: 3,
        epoch: 0,
    });
    let mut users: Vec<_> = org.users.values().collect();
    users.sort_by(|a, b| {
        fold(&a.full_name)
            .cmp(&fold(&b.full_name))
            .then_with(|| a.id.cmp(&b.id))
    });
    users.iter().take(n).map(|u| u.full_name.clone()).collect()
}

/// The demo org of [`USERS`] in a browser at `path`, once the table has rows.
async fn demo_at(path: &str) -> (Roster, Browser) {
    demo_with(path, &[]).await
}

/// [`demo_at`], the demo started with `extra` arguments.
async fn demo_with(path: &str, extra: &[&str]) -> (Roster, Browser) {
    let users = USERS.to_string();
    let seed = SEED.to_string();
    let mut args = vec!["--users", users.as_str(), "--seed", seed.as_str()];
    args.extend_from_slice(extra);
    let roster = Roster::start(&args);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}{path}", roster.url))
        .await
        .unwrap();
    browser
        .wait_for("table.users tbody tr[data-user-id]", 30)
        .await;
    (roster, browser)
}

#[tokio::test(flavor = "multi_thread")]
async fn users_page_lists_the_org_through_the_proxy() {
    let (_roster, browser) = demo_at("/").await;

    let names = browser
        .texts("table.users tbody tr td.col-name .name")
        .await;
    let expected = expected_first_names(5);
    assert_eq!(&names[..5], &expected[..], "first rows of the table");

    let total = browser.texts("[data-testid=total]").await.join("");
    assert!(
        total.starts_with("1,000 users"),
        "expected the total of 1,000 users, the page says {total:?}"
    );

    let title = browser.client.title().await.unwrap();
    assert_eq!(title, "Roster · Slack user administration");

    // The stylesheet from style/ is applied and the favicon is served.
    let styled = browser
        .eval(
            "const t = document.querySelector('table.users');
             return getComputedStyle(t).borderCollapse === 'separate'
                 && [...document.styleSheets].some(s => s.href && s.href.endsWith('.css'));",
        )
        .await;
    assert_eq!(styled, true, "roster.css is not applied");
    let favicon = browser
        .eval(
            "const link = document.querySelector('link[rel=icon]');
             return fetch(link.href).then(r => r.status + ' ' + r.headers.get('content-type'));",
        )
        .await;
    assert_eq!(favicon, "200 image/svg+xml", "favicon");

    // Time from wasm start to the first rows in the DOM, for the record.
    let timing = browser
        .eval(
            "const at = n => performance.getEntriesByName(n)[0]?.startTime;
             return [at('roster:app-start'), at('roster:first-rows')];",
        )
        .await;
    let (start, rows) = (timing[0].as_f64(), timing[1].as_f64());
    let (Some(start), Some(rows)) = (start, rows) else {
        panic!("performance marks missing: {timing}");
    };
    println!(
        "first rows visible {:.0} ms after the wasm started ({:.0} ms after navigation start)",
        rows - start,
        rows
    );

    let shot = browser.screenshot("first-rows").await;
    println!("screenshot: {}", shot.display());

    browser
        .assert_no_console_errors("while loading the Users page")
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_get_the_app_and_unknown_api_routes_get_json() {
    let roster = Roster::start(&["--users", "50"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/no/such/page", roster.url))
        .await
        .unwrap();
    let heading = browser.text_of("main h1", 30).await;
    assert_eq!(heading, "Page not found");
    browser
        .assert_no_console_errors("on the not-found page")
        .await;

    let api = browser
        .eval("return fetch('/api/nope').then(async r => [r.status, (await r.json()).error.code]);")
        .await;
    assert_eq!(api, serde_json::json!([404, "not_found"]));
    // The browser logs the 404 it was asked to fetch, and nothing else.
    let errors = browser.console_errors().await;
    assert!(
        errors.len() == 1 && errors[0].contains("/api/nope"),
        "{errors:?}"
    );
    browser.close().await;
}

/// WebDriver's codes for the arrow keys.
const DOWN: &str = "\u{e015}";
const UP: &str = "\u{e013}";

/// What has the focus: its id, or the text of a row's name.
async fn focused(browser: &Browser) -> String {
    browser
        .eval("const e = document.activeElement; return e.id || e.textContent;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// From the search box, the down arrow goes to the first result, and the arrows walk the
/// rows; up from the first row goes back to the search box.
#[tokio::test(flavor = "multi_thread")]
async fn the_arrow_keys_go_from_the_search_box_through_the_results() {
    let (_roster, browser) = demo_at("/users").await;
    let expected = expected_first_names(2);

    // The first Tab stop is the skip link; Enter on it moves the focus to the page.
    browser
        .eval("document.activeElement?.blur(); return 1;")
        .await;
    browser.keys("\u{e004}").await;
    assert_eq!(focused(&browser).await, "Skip to content");
    browser.keys("\u{e007}").await;
    assert_eq!(
        focused(&browser).await,
        "main",
        "the skip link moved the focus"
    );

    // With Tab: the filters, the column headers (one stop), the row's checkbox, its name.
    let search = browser.wait_for("#filter-q", 5).await;
    search.click().await.unwrap();
    let mut tabs = 0;
    while focused(&browser).await != expected[0] {
        browser.keys("\u{e004}").await;
        tabs += 1;
        assert!(tabs <= 30, "the first result is not reached with Tab");
    }
    println!("{tabs} Tab presses from the search box to the first result");
    assert!(
        tabs <= 10,
        "{tabs} Tab stops from the search box to the first result"
    );

    search.click().await.unwrap();
    search.send_keys(DOWN).await.unwrap();
    assert_eq!(
        focused(&browser).await,
        expected[0],
        "down from the search box"
    );
    browser.keys(DOWN).await;
    assert_eq!(
        focused(&browser).await,
        expected[1],
        "down from the first row"
    );
    browser.keys(UP).await;
    assert_eq!(
        focused(&browser).await,
        expected[0],
        "up from the second row"
    );
    browser.keys(UP).await;
    assert_eq!(focused(&browser).await, "filter-q", "up from the first row");
    // Enter on a focused name opens that person.
    search.send_keys(DOWN).await.unwrap();
    browser.keys("\u{e007}").await;
    browser.wait_for(".side-panel .detail-name", 15).await;
    assert_eq!(
        browser.text_of(".side-panel .detail-name", 5).await,
        expected[0]
    );
    browser
        .assert_no_console_errors("walking the rows with the keyboard")
        .await;
    browser.close().await;
}

/// While a query is slow, the page says "Searching…" and dims the previous rows; when it
/// fails, the error comes with "Try again", which loads the rows once the network is back.
#[tokio::test(flavor = "multi_thread")]
async fn a_slow_search_says_so_and_a_failed_one_can_be_retried() {
    let (_roster, browser) = demo_at("/users").await;
    browser.cdp("Network.enable", serde_json::json!({})).await;
    let network = |offline: bool, latency: u32| {
        serde_json::json!({
            "offline": offline,
            "latency": latency,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        })
    };

    browser
        .cdp("Network.emulateNetworkConditions", network(false, 1500))
        .await;
    browser.type_into("#filter-q", "a").await;
    browser
        .wait_until(
            "document.querySelector('.searching')?.textContent === 'Searching…' \
             && document.querySelector('table.users').classList.contains('stale')",
            5,
        )
        .await;
    browser
        .wait_until(
            "document.querySelector('.searching').textContent === '' \
             && !document.querySelector('table.users').classList.contains('stale')",
            15,
        )
        .await;

    browser
        .cdp("Network.emulateNetworkConditions", network(true, 0))
        .await;
    browser.type_into("#filter-q", "b").await;
    browser.wait_for(".table-error .notice", 15).await;
    browser
        .cdp("Network.emulateNetworkConditions", network(false, 0))
        .await;
    browser.click_text("button", "Try again").await;
    browser
        .wait_until(
            "!document.querySelector('.table-error') \
             && document.querySelectorAll('tr[data-user-id]').length > 0",
            15,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_persons_detail_shows_at_once_and_fills_in_what_slack_is_slow_to_give() {
    // Slack takes 1.5 s to list anyone's channels.
    let (roster, browser) = demo_with(
        "/users",
        &["--fault", "users.conversations:latency_ms=1500"],
    )
    .await;
    let page = browser
        .api("/api/users?type=member&status=active&limit=1")
        .await;
    let id = page["users"][0]["id"].as_str().unwrap().to_string();
    browser
        .client
        .goto(&format!("{}/users/{id}", roster.url))
        .await
        .unwrap();
    // The person is shown before Slack has listed their channels, and the page says so.
    let state = browser.text_of("[data-testid=live-state]", 10).await;
    assert!(
        state.starts_with("Still loading from Slack:") && state.contains("channels"),
        "{state}"
    );
    let channels = browser.text_of("section[aria-labelledby=ch-h] p", 5).await;
    assert_eq!(channels, "Loading the channels from Slack…");
    assert!(!browser.text_of(".detail-name", 5).await.is_empty());
    browser.screenshot("detail-filling-in").await;
    // A keyboard user already on an action keeps their place while the page fills in.
    browser
        .eval("document.querySelector('.detail-actions button:not([disabled])').focus(); return 1;")
        .await;
    let focused = browser
        .eval("return document.activeElement.textContent")
        .await;
    browser
        .wait_until(
            "document.querySelectorAll('section[aria-labelledby=ch-h] li.chip').length > 0",
            10,
        )
        .await;
    assert_eq!(
        browser
            .eval("return document.activeElement.textContent")
            .await,
        focused,
        "focus stayed on the action"
    );
    assert_eq!(
        browser.text_of("[data-testid=live-state]", 5).await,
        "",
        "nothing is loading any more"
    );
    browser
        .assert_no_console_errors("while the detail filled in")
        .await;
}
