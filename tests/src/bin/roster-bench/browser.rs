//! Measurements in headless Chromium on the release bundle: how soon the first rows of the
//! users table are painted on a cold load, how soon a search is painted, how smooth a scroll
//! through the whole org is, and how much memory the page holds afterwards.
//!
//! Every figure is timed inside the page (`performance.now()`, `requestAnimationFrame`
//! timestamps, the app's own `performance.mark`s), so WebDriver round trips never count.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use roster_e2e::{Browser, Roster};
use serde_json::{Value, json};

use crate::{
    Scale,
    report::{Row, quantile},
};

/// Trunk's loader announces the instantiated module with this event; its `detail.wasm` is
/// the module's exports, `memory` among them. Installed before any script of the page runs.
const WASM_HOOK: &str = "addEventListener('TrunkApplicationStarted', e => { \
     window.__rosterWasm = e.detail && e.detail.wasm; });";

/// What a search sample waits for at most before it is given up.
const SEARCH_TIMEOUT_MS: u64 = 10_000;

/// Searches typed one after the other, as someone looking for people would: one character
/// more each time, and now and then a new word in place of the old one. Every value differs
/// from the one before, so each one starts a new query.
const SEARCHES: [&str; 24] = [
    "a", "an", "ana", "anan", "m", "ma", "mar", "mari", "g", "gu", "gup", "gupt", "e", "el", "ele",
    "elen", "h", "ha", "han", "hans", "c", "ch", "che", "chen",
];

pub async fn measure(scale: Scale) -> Vec<Row> {
    let started = Instant::now();
    let mut rows = guarded(load_row_names(), first_rows(scale)).await;
    rows.extend(guarded(big_org_row_names(scale), big_org(scale)).await);
    eprintln!(
        "    browser measurements took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    rows
}

/// (name, unit, target) of a row.
type RowName = (String, &'static str, f64);

fn load_row_names() -> Vec<RowName> {
    vec![
        (
            "first rows painted, 1,000 users (median)".into(),
            "ms",
            1000.0,
        ),
        (
            "first rows after wasm start, 1,000 users (median)".into(),
            "ms",
            300.0,
        ),
        (
            "first rows painted on 10 Mbit/s, 40 ms RTT (median)".into(),
            "ms",
            400.0,
        ),
        (
            "a page's first opening, extra time on 10 Mbit/s, 40 ms RTT (median, slowest page)"
                .into(),
            "ms",
            150.0,
        ),
    ]
}

/// A search's target at the 95th percentile, from the input event to the table painted.
const SEARCH_TARGET_MS: f64 = 90.0;

fn search_row_name(scale: Scale) -> RowName {
    (
        format!(
            "search typed to table painted, {} users (p95)",
            scale.users_label()
        ),
        "ms",
        SEARCH_TARGET_MS,
    )
}

fn scroll_row_name(scale: Scale) -> RowName {
    (
        format!(
            "scroll through {} rows: frames over 50 ms",
            scale.users_label()
        ),
        "",
        0.0,
    )
}

fn memory_row_name(scale: Scale) -> RowName {
    (
        format!("browser memory, {} users loaded", scale.users_label()),
        "MB",
        150.0,
    )
}

fn big_org_row_names(scale: Scale) -> Vec<RowName> {
    vec![
        search_row_name(scale),
        scroll_row_name(scale),
        memory_row_name(scale),
    ]
}

/// A row that could not be measured: no figure, and the reason.
fn unmeasured((name, unit, target): RowName, why: &str) -> Row {
    Row::new(name, f64::NAN, unit, target)
        .samples(0)
        .detail(format!("not measured: {why}"))
}

/// Runs a section on its own task, so a panic (a browser that does not start, a page that
/// never shows its rows) costs that section's rows, not the whole report.
async fn guarded<F>(names: Vec<RowName>, section: F) -> Vec<Row>
where
    F: Future<Output = Vec<Row>> + Send + 'static,
{
    match tokio::spawn(section).await {
        Ok(rows) => rows,
        Err(e) => {
            let why = if e.is_panic() {
                let panic = e.into_panic();
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the measurement panicked".into())
            } else {
                e.to_string()
            };
            let why = why.lines().next().unwrap_or_default().to_string();
            eprintln!("    browser measurement failed: {why}");
            names.into_iter().map(|n| unmeasured(n, &why)).collect()
        }
    }
}

/// Runs `script` (a function body) with `args`; a failed script is an error, not a panic.
async fn js(browser: &Browser, script: &str, args: Vec<Value>) -> Result<Value, String> {
    browser
        .client
        .execute(script, args)
        .await
        .map_err(|e| format!("script failed: {e}"))
}

/// Waits up to `secs` until the JavaScript expression `condition` is true.
async fn wait_until(browser: &Browser, condition: &str, secs: u64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let script = format!("return !!({condition});");
    loop {
        if js(browser, &script, vec![]).await? == Value::Bool(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("still not true after {secs} s: {condition}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ms(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn median(values: &[f64]) -> f64 {
    quantile(&mut values.to_vec(), 0.5)
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

// ---------------------------------------------------------------------------------------
// 1. Cold loads of /users with 1,000 users.

/// After a navigation, waits in the page for the first-rows mark and reads the marks and
/// the resource timings of the bundle (all in ms since the navigation started).
const READ_LOAD_MARKS: &str = r#"
return new Promise(resolve => {
  const started = performance.now();
  const check = () => {
    const rows = performance.getEntriesByName('roster:first-rows')[0];
    const app = performance.getEntriesByName('roster:app-start')[0];
    if (rows && app) {
      const res = performance.getEntriesByType('resource');
      const wasm = res.find(e => e.name.endsWith('.wasm'));
      const nav = performance.getEntriesByType('navigation')[0];
      resolve({
        firstRows: rows.startTime,
        appStart: app.startTime,
        wasmEnd: wasm ? wasm.responseEnd : null,
        wasmBytes: wasm ? wasm.transferSize : null,
        domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
      });
    } else if (performance.now() - started > 20000) {
      resolve({ timeout: true, appStart: app ? app.startTime : null });
    } else {
      setTimeout(check, 10);
    }
  };
  check();
});
"#;

struct Load {
    first_rows: f64,
    app_start: f64,
    wasm_end: Option<f64>,
    wasm_bytes: Option<f64>,
}

async fn cold_load(browser: &Browser, url: &str) -> Result<Load, String> {
    browser
        .client
        .goto("about:blank")
        .await
        .map_err(|e| format!("about:blank: {e}"))?;
    browser
        .client
        .goto(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let v = js(browser, READ_LOAD_MARKS, vec![]).await?;
    if v["timeout"] == true {
        return Err(format!(
            "no roster:first-rows mark 20 s after loading {url} (app-start: {})",
            v["appStart"]
        ));
    }
    Ok(Load {
        first_rows: ms(&v["firstRows"]).ok_or("no first-rows time")?,
        app_start: ms(&v["appStart"]).ok_or("no app-start time")?,
        wasm_end: ms(&v["wasmEnd"]),
        wasm_bytes: ms(&v["wasmBytes"]).filter(|b| *b > 0.0),
    })
}

async fn first_rows(scale: Scale) -> Vec<Row> {
    eprintln!("    starting roster demo with 1,000 users");
    let roster = Roster::start(&["--users", "1000", "--seed", "1", "--rate-limits", "off"]);
    let browser = Browser::start().await;
    let result = measure_loads(&browser, &roster, scale).await;
    browser.close().await;
    drop(roster);
    match result {
        Ok(rows) => rows,
        Err(why) => load_row_names()
            .into_iter()
            .map(|n| unmeasured(n, &why))
            .collect(),
    }
}

async fn measure_loads(
    browser: &Browser,
    roster: &Roster,
    scale: Scale,
) -> Result<Vec<Row>, String> {
    browser.cdp("Network.enable", json!({})).await;
    browser
        .cdp("Network.setCacheDisabled", json!({"cacheDisabled": true}))
        .await;
    let url = format!("{}/users", roster.url);
    // One load first, not recorded: it starts the renderer and the demo's first session,
    // which a user's cold load of the page does not pay.
    eprintln!("    warm-up load of /users");
    cold_load(browser, &url).await?;
    let mut loads = Vec::new();
    for i in 0..scale.loads {
        let load = cold_load(browser, &url).await?;
        eprintln!(
            "    cold load {}/{}: first rows at {:.0} ms, {:.0} ms after wasm start",
            i + 1,
            scale.loads,
            load.first_rows,
            load.first_rows - load.app_start
        );
        loads.push(load);
    }
    let painted: Vec<f64> = loads.iter().map(|l| l.first_rows).collect();
    let after_start: Vec<f64> = loads.iter().map(|l| l.first_rows - l.app_start).collect();
    let app_start: Vec<f64> = loads.iter().map(|l| l.app_start).collect();
    let wasm_end: Vec<f64> = loads.iter().filter_map(|l| l.wasm_end).collect();
    let n = loads.len();

    let (lo, hi) = min_max(&painted);
    let mut detail = format!(
        "min {lo:.0} ms, max {hi:.0} ms; wasm started at median {:.0} ms",
        median(&app_start)
    );
    if wasm_end.is_empty() {
        detail.push_str("; wasm download time not in resource timing");
    } else {
        detail.push_str(&format!(
            ", wasm downloaded at median {:.0} ms",
            median(&wasm_end)
        ));
        if let Some(bytes) = loads.iter().find_map(|l| l.wasm_bytes) {
            detail.push_str(&format!(" ({:.0} KB transferred)", bytes / 1e3));
        }
        // No bytes transferred: the wasm came from a cache after all.
        let cached = loads.iter().filter(|l| l.wasm_bytes.is_none()).count();
        if cached > 0 {
            detail.push_str(&format!(
                "; in {cached} of {n} loads the wasm was not transferred (cached?)"
            ));
        }
    }
    detail.push_str("; HTTP cache disabled, after one unrecorded warm-up load");
    let (lo2, hi2) = min_max(&after_start);
    let constrained = measure_constrained(browser, &url, scale).await?;
    Ok(vec![
        Row::new(
            "first rows painted, 1,000 users (median)",
            median(&painted),
            "ms",
            1000.0,
        )
        .samples(n)
        .detail(detail),
        Row::new(
            "first rows after wasm start, 1,000 users (median)",
            median(&after_start),
            "ms",
            300.0,
        )
        .samples(n)
        .detail(format!(
            "min {lo2:.0} ms, max {hi2:.0} ms (roster:first-rows − roster:app-start)"
        )),
    ]
    .into_iter()
    .chain(constrained)
    .collect())
}

/// Clicks the main navigation's link to `href` and resolves with the milliseconds until
/// the page's heading reads `heading` (checked every animation frame).
const TIME_NAVIGATION: &str = r#"
const [href, heading] = arguments;
return new Promise(resolve => {
  const started = performance.now();
  document.querySelector(`nav a[href='${href}']`).click();
  const check = () => {
    const h1 = document.querySelector('main h1');
    if (h1 && h1.textContent === heading) {
      resolve(performance.now() - started);
    } else if (performance.now() - started > 20000) {
      resolve(null);
    } else {
      requestAnimationFrame(check);
    }
  };
  check();
});
"#;

/// The pages whose first opening is timed: (link, heading).
const TIMED_PAGES: [(&str, &str); 3] = [
    ("/audit", "Audit log"),
    ("/import", "Import CSV"),
    ("/invite", "Invite people"),
];

async fn time_navigation(browser: &Browser, href: &str, heading: &str) -> Result<f64, String> {
    let v = js(browser, TIME_NAVIGATION, vec![json!(href), json!(heading)]).await?;
    ms(&v).ok_or_else(|| format!("{href} did not show {heading:?} within 20 s"))
}

/// Cold loads with Chromium's network emulation at 10 Mbit/s both ways and 40 ms round
/// trip; after each, every timed page is opened from the navigation twice (its code comes
/// over the network the first time only), and the difference is what loading its code
/// added.
async fn measure_constrained(
    browser: &Browser,
    url: &str,
    scale: Scale,
) -> Result<Vec<Row>, String> {
    let bytes_per_s = 10e6 / 8.0;
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({
                "offline": false,
                "latency": 40,
                "downloadThroughput": bytes_per_s,
                "uploadThroughput": bytes_per_s,
            }),
        )
        .await;
    let mut painted = Vec::new();
    let mut extra: Vec<Vec<f64>> = vec![Vec::new(); TIMED_PAGES.len()];
    let mut first_times: Vec<Vec<f64>> = vec![Vec::new(); TIMED_PAGES.len()];
    for i in 0..scale.loads {
        let load = cold_load(browser, url).await?;
        painted.push(load.first_rows);
        let mut line = format!(
            "    10 Mbit/s load {}/{}: first rows at {:.0} ms",
            i + 1,
            scale.loads,
            load.first_rows
        );
        for (k, (href, heading)) in TIMED_PAGES.iter().enumerate() {
            let first = time_navigation(browser, href, heading).await?;
            time_navigation(browser, "/users", "Users").await?;
            let again = time_navigation(browser, href, heading).await?;
            time_navigation(browser, "/users", "Users").await?;
            extra[k].push(first - again);
            first_times[k].push(first);
            line.push_str(&format!("; {href} {first:.0} then {again:.0} ms"));
        }
        eprintln!("{line}");
    }
    browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .await;
    let n = painted.len();
    let (lo, hi) = min_max(&painted);
    let per_page: Vec<(f64, String)> = TIMED_PAGES
        .iter()
        .enumerate()
        .map(|(k, (href, _))| {
            let m = median(&extra[k]);
            (
                m,
                format!(
                    "{href} +{m:.0} ms (opened in {:.0} ms the first time)",
                    median(&first_times[k])
                ),
            )
        })
        .collect();
    let slowest = per_page
        .iter()
        .map(|(m, _)| *m)
        .fold(f64::NEG_INFINITY, f64::max);
    Ok(vec![
        Row::new(
            "first rows painted on 10 Mbit/s, 40 ms RTT (median)",
            median(&painted),
            "ms",
            400.0,
        )
        .samples(n)
        .detail(format!(
            "min {lo:.0} ms, max {hi:.0} ms; Chromium's network emulation (DevTools protocol), HTTP cache disabled"
        )),
        Row::new(
            "a page's first opening, extra time on 10 Mbit/s, 40 ms RTT (median, slowest page)",
            slowest,
            "ms",
            150.0,
        )
        .samples(n * TIMED_PAGES.len())
        .detail(format!(
            "{}; from the click on its link to its heading, the first opening minus the second (whose code is already loaded)",
            per_page
                .iter()
                .map(|(_, d)| d.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    ])
}

// ---------------------------------------------------------------------------------------
// 2–4. The big org: scroll, memory, search, on one page.

async fn big_org(scale: Scale) -> Vec<Row> {
    let users = scale.users.to_string();
    eprintln!(
        "    starting roster demo with {} users",
        scale.users_label()
    );
    let started = Instant::now();
    let roster = Roster::start(&["--users", &users, "--seed", "1", "--rate-limits", "off"]);
    eprintln!(
        "    roster demo started in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let browser = Browser::start().await;

    let (search, scroll, memory) = match open_users(&browser, &roster, scale).await {
        Ok(()) => {
            let scroll = measure_scroll(&browser, scale).await;
            let memory = measure_memory(&browser, scale).await;
            let search = measure_search(&browser, scale).await;
            (search, scroll, memory)
        }
        Err(why) => (Err(why.clone()), Err(why.clone()), Err(why)),
    };
    browser.close().await;
    drop(roster);

    [
        (search, search_row_name(scale)),
        (scroll, scroll_row_name(scale)),
        (memory, memory_row_name(scale)),
    ]
    .into_iter()
    .map(|(result, name)| result.unwrap_or_else(|why| unmeasured(name, &why)))
    .collect()
}

/// Opens /users with the wasm hook installed, and waits for the first rows and the total.
async fn open_users(browser: &Browser, roster: &Roster, scale: Scale) -> Result<(), String> {
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": WASM_HOOK }),
        )
        .await;
    browser
        .client
        .goto(&format!("{}/users", roster.url))
        .await
        .map_err(|e| format!("/users: {e}"))?;
    wait_until(browser, "document.querySelector('tr[data-user-id]')", 60).await?;
    let expected = format!("{} users", scale.users_label());
    wait_until(
        browser,
        &format!(
            "document.querySelector('[data-testid=total]')?.textContent.trim() === {expected:?}"
        ),
        30,
    )
    .await
    .map_err(|e| format!("the page does not show {expected:?}: {e}"))
}

// --- Scroll ------------------------------------------------------------------------------

/// Starts the scroll in the page (it runs for longer than a WebDriver script may), leaving
/// its result in `window.__benchScroll`. Arguments: small steps, big steps, the last row's
/// aria-rowindex. After the last frame it goes on watching, without scrolling, until no row
/// is still loading and the last row is shown (or 20 s passed).
const START_SCROLL: &str = r#"
const [small, big, lastIndex] = arguments;
const v = document.querySelector('.table-viewport');
window.__benchScroll = null;
v.scrollTop = 0;
const stamps = [];
const steps = small + big;
const from = small * 400;
let i = 0;
const loadingRows = () => document.querySelectorAll('tr.row-loading').length;
const lastShown = () =>
  document.querySelector(`tr[aria-rowindex="${lastIndex}"][data-user-id]`) !== null;
const frame = ts => {
  stamps.push(ts);
  if (i < small) {
    v.scrollTop = (i + 1) * 400;
  } else if (i < steps) {
    const bottom = v.scrollHeight - v.clientHeight;
    v.scrollTop = from + (bottom - from) * (i - small + 1) / big;
  }
  i += 1;
  // One frame more than there are steps, so the last step's rendering is timed too.
  if (i <= steps + 1) {
    requestAnimationFrame(frame);
    return;
  }
  const ended = performance.now();
  const result = {
    intervals: stamps.slice(1).map((t, k) => t - stamps[k]),
    loading: loadingRows(),
    atBottom: v.scrollTop >= v.scrollHeight - v.clientHeight - 1,
    elapsed: stamps[stamps.length - 1] - stamps[0],
  };
  const settle = () => {
    const loading = loadingRows();
    const last = lastShown();
    const waited = performance.now() - ended;
    if (loading === 0 && last) {
      window.__benchScroll = { ...result, settleMs: waited };
    } else if (waited > 20000) {
      window.__benchScroll = { ...result, settleMs: null, loadingAfter: loading, lastShown: last };
    } else {
      setTimeout(settle, 5);
    }
  };
  settle();
};
// Let the reset to the top render before the first timed frame.
requestAnimationFrame(() => requestAnimationFrame(frame));
return true;
"#;

async fn measure_scroll(browser: &Browser, scale: Scale) -> Result<Row, String> {
    let (small, big) = if scale.quick { (25, 100) } else { (50, 300) };
    eprintln!(
        "    scrolling through {} rows: {small} steps of 400 px, then {big} steps to the bottom",
        scale.users_label()
    );
    js(
        browser,
        START_SCROLL,
        vec![json!(small), json!(big), json!(scale.users + 1)],
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(150);
    let result = loop {
        let v = js(browser, "return window.__benchScroll;", vec![]).await?;
        if !v.is_null() {
            break v;
        }
        if Instant::now() > deadline {
            return Err("the scroll did not finish within 150 s".into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut intervals: Vec<f64> = result["intervals"]
        .as_array()
        .ok_or("no frame intervals")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    if intervals.is_empty() {
        return Err("no frames were timed".into());
    }
    let loading_at_end = result["loading"].as_u64().unwrap_or(0);
    let at_bottom = result["atBottom"] == true;
    let elapsed = result["elapsed"].as_f64().unwrap_or(0.0);
    let settled = match result["settleMs"].as_f64() {
        Some(t) => format!("all loaded {t:.0} ms later"),
        None => format!(
            "still {} 20 s later{}",
            result["loadingAfter"],
            if result["lastShown"] == false {
                " (last row not shown)"
            } else {
                ""
            }
        ),
    };

    let frames = intervals.len();
    let slow = intervals.iter().filter(|&&t| t > 50.0).count();
    // The frames of the small steps (rows fetched page after page) and of the big ones (a
    // new page at almost every step) apart, and the big ones' first and second halves: a
    // cost that grows with the rows fetched so far shows there.
    let split = small.min(frames);
    let over = |part: &[f64]| part.iter().filter(|&&t| t > 50.0).count();
    let p50_of = |part: &[f64]| {
        if part.is_empty() {
            "–".to_string()
        } else {
            format!("{:.1} ms", median(part))
        }
    };
    let (smalls, bigs) = intervals.split_at(split);
    let (early, late) = bigs.split_at(bigs.len() / 2);
    let phases = format!(
        "400-px steps: {} of {} over 50 ms, p50 {}; big steps: {} of {} over 50 ms, p50 {} in \
         the first half, {} in the second",
        over(smalls),
        smalls.len(),
        p50_of(smalls),
        over(bigs),
        bigs.len(),
        p50_of(early),
        p50_of(late)
    );
    let max = quantile(&mut intervals, 1.0);
    let p99 = quantile(&mut intervals, 0.99);
    let p50 = quantile(&mut intervals, 0.5);
    eprintln!(
        "    {frames} frames in {:.1} s: {slow} over 50 ms, max {max:.0} ms; {loading_at_end} rows \
         loading at the end, {settled}",
        elapsed / 1e3
    );
    Ok(Row::new(scroll_row_name(scale).0, slow as f64, "", 0.0)
        .samples(frames)
        .detail(format!(
            "{frames} frames in {:.1} s ({small} steps of 400 px, then {big} to the bottom{}): \
             p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms ({phases}); rows still loading \
             after the last frame: {loading_at_end}, {settled}",
            elapsed / 1e3,
            if at_bottom {
                ""
            } else {
                ", bottom not reached"
            }
        )))
}

// --- Memory ------------------------------------------------------------------------------

async fn measure_memory(browser: &Browser, scale: Scale) -> Result<Row, String> {
    eprintln!("    collecting garbage and reading the page's memory");
    browser.cdp("HeapProfiler.enable", json!({})).await;
    // Twice: objects freed by the first collection's finalizers go in the second.
    browser.cdp("HeapProfiler.collectGarbage", json!({})).await;
    browser.cdp("HeapProfiler.collectGarbage", json!({})).await;
    let heap = browser.cdp("Runtime.getHeapUsage", json!({})).await;
    let js_heap = heap["usedSize"]
        .as_f64()
        .ok_or_else(|| format!("Runtime.getHeapUsage gave no usedSize: {heap}"))?;
    let wasm = js(
        browser,
        "const w = window.__rosterWasm; \
         return w && w.memory && w.memory.buffer ? w.memory.buffer.byteLength : null;",
        vec![],
    )
    .await?
    .as_f64();
    let js_mb = js_heap / 1e6;
    // Blink's own heap (DOM nodes and the like), where this Chromium reports it: shown
    // beside the figure, not added to it.
    let dom = heap["embedderHeapUsedSize"]
        .as_f64()
        .map_or(String::new(), |b| {
            format!("; Blink (DOM) heap {:.1} MB, not included", b / 1e6)
        });
    let rows_in_dom = js(
        browser,
        "return document.querySelectorAll('table.users tbody tr').length;",
        vec![],
    )
    .await?;
    Ok(match wasm {
        Some(bytes) => {
            let wasm_mb = bytes / 1e6;
            eprintln!("    JS heap {js_mb:.1} MB, wasm memory {wasm_mb:.1} MB");
            Row::new(memory_row_name(scale).0, js_mb + wasm_mb, "MB", 150.0).detail(format!(
                "JS heap used {js_mb:.1} MB + wasm linear memory {wasm_mb:.1} MB, after the \
                 scroll and a forced GC; {rows_in_dom} table rows in the DOM{dom}"
            ))
        }
        None => {
            eprintln!("    JS heap {js_mb:.1} MB, wasm memory not readable");
            Row::new(memory_row_name(scale).0, js_mb, "MB", 150.0).detail(format!(
                "JS heap used only ({js_mb:.1} MB, after the scroll and a forced GC): the wasm \
                 memory could not be read (no TrunkApplicationStarted event seen), so it is \
                 NOT included{dom}"
            ))
        }
    })
}

// --- Search ------------------------------------------------------------------------------

/// One search sample. Arguments: the new value of the search box, a timeout in ms.
///
/// First asks the API (as the page would, before the clock starts) what the new result is:
/// its count and its first user. Then sets the value, dispatches `input`, and waits until
/// the page's own request for the new search has been answered and the table shows that
/// result (the count text and the first row), then two animation frames more: painted.
/// Waiting for the answer to the page's own request means a search whose result looks the
/// same as the one before is not taken as done too early; such samples are flagged
/// `unchanged`. The answer is read from the resource timeline at each DOM change, not
/// waited for through a `PerformanceObserver`, whose callbacks can come well after the
/// rows are on screen.
const SEARCH_SAMPLE: &str = r#"
const [value, timeoutMs] = arguments;
return (async () => {
  const q = value.trim();
  const expected = await fetch('/api/users?' + new URLSearchParams(q ? { q, limit: '1' } : { limit: '1' }))
    .then(r => r.json());
  const expectedCount = expected.total.toLocaleString('en-US') + (expected.total === 1 ? ' user' : ' users');
  const expectedFirst = expected.users.length ? expected.users[0].id : null;
  const input = document.querySelector('#filter-q');
  const countText = () => (document.querySelector('[data-testid=total]')?.textContent ?? '').trim();
  const firstRow = () => document.querySelector('tr[data-user-id][aria-rowindex="2"]');
  const anyRow = () => document.querySelector('tr[data-user-id]');
  const unchanged = countText() === expectedCount && (firstRow()?.dataset.userId ?? null) === expectedFirst;
  performance.clearResourceTimings();
  return await new Promise(resolve => {
    let done = false;
    let answered = null;
    let t0 = 0;
    const isOurs = e => {
      if (e.startTime < t0) return false;
      try {
        const url = new URL(e.name);
        return url.pathname === '/api/users'
          && (url.searchParams.get('q') ?? '') === q
          && !(Number(url.searchParams.get('offset') ?? 0) > 0);
      } catch (_) {
        return false;
      }
    };
    const finish = result => {
      done = true;
      observer.disconnect();
      timing.disconnect();
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      if (!done) finish({ timeout: true, ms: performance.now() - t0, count: countText(), answered: !!answered, expectedCount });
    }, timeoutMs);
    const check = () => {
      if (done) return;
      // The resource timeline has the entry as soon as the answer is in; the observer below
      // hears of it later (a low-priority task), so only wakes up samples with no mutation.
      if (!answered) answered = performance.getEntriesByType('resource').find(isOurs) ?? null;
      if (!answered) return;
      if (countText() !== expectedCount) return;
      const first = firstRow();
      if (expectedFirst === null ? anyRow() !== null : first?.dataset.userId !== expectedFirst) return;
      const shown = performance.now();
      done = true;
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const painted = performance.now();
        finish({
          ms: painted - t0,
          shown: shown - t0,
          requestStart: answered.startTime - t0,
          responseEnd: answered.responseEnd - t0,
          count: expectedCount,
          unchanged,
        });
      }));
    };
    const observer = new MutationObserver(check);
    const timing = new PerformanceObserver(list => {
      if (!answered) answered = list.getEntries().find(isOurs) ?? null;
      check();
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    timing.observe({ type: 'resource' });
    input.value = value;
    t0 = performance.now();
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
})();
"#;

async fn measure_search(browser: &Browser, scale: Scale) -> Result<Row, String> {
    let count = if scale.quick { 12 } else { SEARCHES.len() };
    eprintln!(
        "    {count} searches typed into #filter-q with {} users",
        scale.users_label()
    );
    let mut painted = Vec::new();
    let mut request_start = Vec::new();
    let mut response_end = Vec::new();
    let mut after_answer = Vec::new();
    let mut shown = Vec::new();
    let mut timeouts = Vec::new();
    let mut unchanged = Vec::new();
    for q in &SEARCHES[..count] {
        let v = js(
            browser,
            SEARCH_SAMPLE,
            vec![json!(q), json!(SEARCH_TIMEOUT_MS)],
        )
        .await?;
        let t = ms(&v["ms"]).ok_or_else(|| format!("search {q:?} gave no time: {v}"))?;
        if v["timeout"] == true {
            eprintln!(
                "    {q:?}: the new result was not shown within {SEARCH_TIMEOUT_MS} ms (page's \
                 request answered: {}; count shown {}, expected {})",
                v["answered"], v["count"], v["expectedCount"]
            );
            timeouts.push(*q);
            // Let whatever is still on its way arrive before the next sample.
            tokio::time::sleep(Duration::from_secs(1)).await;
        } else {
            eprintln!(
                "    {q:?}: {} painted after {t:.0} ms (request sent at {} ms)",
                v["count"].as_str().unwrap_or("?"),
                ms(&v["requestStart"]).map_or("?".into(), |t| format!("{t:.0}"))
            );
            if let Some(t) = ms(&v["shown"]) {
                shown.push(t);
            }
            if v["unchanged"] == true {
                unchanged.push(*q);
            }
            if let Some(s) = ms(&v["requestStart"]) {
                request_start.push(s);
            }
            if let Some(e) = ms(&v["responseEnd"]) {
                response_end.push(e);
                after_answer.push(t - e);
            }
        }
        // A timed-out sample counts as the time waited, a lower bound of the real figure.
        painted.push(t);
    }
    let n = painted.len();
    let p95 = quantile(&mut painted, 0.95);
    let p50 = quantile(&mut painted, 0.5);
    let max = quantile(&mut painted, 1.0);
    let mut detail = format!("p50 {p50:.0} ms, max {max:.0} ms");
    if !request_start.is_empty() {
        detail.push_str(&format!(
            "; the query request started at median {:.0} ms",
            median(&request_start)
        ));
    }
    if !response_end.is_empty() {
        detail.push_str(&format!(
            " and answered at median {:.0} ms; painted a median {:.0} ms after the answer",
            median(&response_end),
            median(&after_answer)
        ));
    }
    if !shown.is_empty() {
        detail.push_str(&format!(
            "; the new rows were in the DOM at median {:.0} ms",
            median(&shown)
        ));
    }
    if !timeouts.is_empty() {
        detail.push_str(&format!(
            "; {} of {n} searches showed no new result within {SEARCH_TIMEOUT_MS} ms ({}), \
             counted as the time waited",
            timeouts.len(),
            timeouts.join(", ")
        ));
    }
    if !unchanged.is_empty() {
        detail.push_str(&format!(
            "; {} showed the same count and first row as the search before, timed to the \
             answer to its request being shown",
            unchanged.join(", ")
        ));
    }
    detail.push_str("; from the input event to two animation frames after the new rows");
    Ok(
        Row::new(search_row_name(scale).0, p95, "ms", SEARCH_TARGET_MS)
            .samples(n)
            .detail(detail),
    )
}
