//! Bulk jobs in a real browser: import a CSV, read each row's verdict from the dry run, run
//! the job and watch it finish.

use roster_e2e::{Browser, Roster, one_at_a_time};

async fn count(browser: &Browser, css: &str) -> u64 {
    browser
        .eval(&format!(
            "return document.querySelectorAll({css:?}).length;"
        ))
        .await
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn importing_a_csv_previews_each_row_and_runs_the_good_ones() {
    let _turn = one_at_a_time().await;
    let roster = Roster::start(&["--users", "300", "--seed", "8"]);
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/import", roster.url))
        .await
        .unwrap();
    browser.wait_for("#import-text", 30).await;

    // Before any upload, the page says what the file looks like and offers a template of
    // it, in which every row would pass.
    let help = browser.text_of("[data-testid=import-help]", 10).await;
    assert!(help.contains("Only email is required"), "{help}");
    let template = browser
        .eval("return decodeURIComponent(document.querySelector('[data-testid=import-help] a[download]').href.split(',').slice(1).join(','))")
        .await;
    let template = template.as_str().unwrap().to_string();
    assert!(
        template.starts_with("email,name,workspace,channels,type,expires\r\n"),
        "{template}"
    );
    assert_eq!(template.lines().count(), 3, "{template}");

    // Real IDs from the demo org: a workspace, one of its channels, one of its members.
    let workspaces = browser.api("/api/workspaces").await;
    let ws = workspaces[0]["id"].as_str().unwrap().to_string();
    let ws_name = workspaces[0]["name"].as_str().unwrap().to_string();
    let channels = browser.api(&format!("/api/workspaces/{ws}/channels")).await;
    let channel = channels[0]["id"].as_str().unwrap().to_string();
    let channel_name = channels[0]["name"].as_str().unwrap().to_string();
    let members = browser
        .api(&format!(
            "/api/users?type=member&status=active&workspace={ws}&limit=1"
        ))
        .await;
    let existing = members["users"][0]["email"].as_str().unwrap().to_string();

    let csv = format!(
        "email,name,workspace,channels,type,expires\n\
         ana.one@agency.example,Ana One,{ws_name},{channel},multi-channel guest,2031-06-01\n\
         ben.two@agency.example,Ben Two,{ws},{channel},single-channel guest,2031-06-01 09:30\n\
         not-an-email,Nobody,{ws},{channel},multi-channel guest,2031-06-01\n\
         cy.three@agency.example,Cy Three,{ws},#{channel_name},member,\n\
         {existing},Already Here,{ws},{channel},member,\n\
         di.four@agency.example,Di Four,{ws},#no-such-channel,member,\n"
    );
    browser.type_into("#import-text", &csv).await;
    browser
        .wait_until("document.querySelectorAll('tr[data-row]').length === 6", 15)
        .await;
    // Channel names are looked up on the row's workspace before anything is checked.
    browser
        .wait_until(
            "document.querySelectorAll('tr[data-verdict=pending]').length === 0",
            15,
        )
        .await;
    let unknown = browser.texts("tr[data-row='7']").await.join("");
    assert!(
        unknown.contains("No channel called #no-such-channel"),
        "{unknown}"
    );
    let message = "Welcome to Larkspur: your access starts today.";
    browser.type_into("#import-message", message).await;
    browser
        .eval("document.querySelector('#import-message').scrollIntoView({block: 'center'}); return 1;")
        .await;
    browser.screenshot("import-columns").await;

    browser.click_text("button", "Check").await;
    browser
        .wait_until(
            "document.querySelectorAll('tr[data-verdict=unchecked]').length === 0",
            15,
        )
        .await;
    assert_eq!(count(&browser, "tr[data-verdict=ok]").await, 3);
    assert_eq!(count(&browser, "tr[data-verdict=error]").await, 3);
    let bad = browser.texts("tr[data-verdict=error]").await.join("\n");
    assert!(bad.contains("not-an-email"), "{bad}");
    assert!(bad.contains("already a member"), "{bad}");
    let summary = browser.texts("[data-testid=import-summary]").await.join("");
    assert!(
        summary.starts_with("3 invitations will run, 3 will fail."),
        "{summary}"
    );
    browser
        .eval("document.activeElement.blur(); window.scrollTo(0, 0); return 1;")
        .await;
    browser.screenshot("import-light").await;
    browser
        .eval("document.querySelector('tr[data-row]').scrollIntoView({block: 'start'}); return 1;")
        .await;
    browser.screenshot("import-rows").await;
    browser.eval("window.scrollTo(0, 0); return 1;").await;
    browser.color_scheme(true).await;
    browser.screenshot("import-dark").await;
    browser.color_scheme(false).await;
    browser.assert_accessible("the import page").await;

    browser.click_text("button", "Run 3").await;
    browser.wait_for_finished_job().await;
    assert_eq!(
        count(&browser, "tr[data-op-index][data-state=done]").await,
        3
    );
    let total = browser.texts("[data-testid=job-total]").await.join("");
    assert_eq!(total, "3");
    let found = browser.api("/api/users?q=ben.two@agency.example").await;
    assert_eq!(found["users"][0]["type"], "single_channel_guest", "{found}");
    // Slack sent each invitation once, with the message typed on the page.
    let outbox: serde_json::Value = reqwest::get(format!("{}_sandbox/outbox", roster.sandbox))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut sent: Vec<(String, String, String)> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_string(),
                m["custom_message"].as_str().unwrap_or("(none)").to_string(),
                m["channel_ids"].to_string(),
            )
        })
        .collect();
    sent.sort();
    // Cy's row named the channel; the invitation went to its ID.
    let expected: Vec<(String, String, String)> = ["ana.one", "ben.two", "cy.three"]
        .iter()
        .map(|who| {
            (
                format!("{who}@agency.example"),
                message.to_string(),
                serde_json::json!([channel]).to_string(),
            )
        })
        .collect();
    assert_eq!(sent, expected);
    browser.screenshot("job-light").await;
    browser.color_scheme(true).await;
    browser.screenshot("job-dark").await;
    browser.color_scheme(false).await;
    browser.assert_accessible("the job page").await;
    browser
        .assert_no_console_errors("while importing and running a job")
        .await;
    browser.close().await;
}
