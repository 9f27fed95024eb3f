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

#[tokio::test(flavor = "multi_thread")]
async fn users_page_lists_the_org_through_the_proxy() {
    let roster = Roster::start(&["--users", &USERS.to_string(), "--seed", &SEED.to_string()]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/", roster.url))
        .await
        .unwrap();

    browser
        .wait_for("table.users tbody tr[data-user-id]", 30)
        .await;

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
