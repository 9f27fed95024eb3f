//! Harness for Roster's browser tests: start the real `roster demo` binary on a free port,
//! drive a real headless Chromium through chromedriver, and collect its console.
//!
//! `cargo xtask test` builds the release bundle and the binary, installs Chromium, and
//! passes their paths in `ROSTER_BIN`, `ROSTER_DIST`, `ROSTER_CHROMIUM` and
//! `ROSTER_CHROMEDRIVER`.

pub mod processes;

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// Browser tests take turns: two cores do not run several Chromiums well.
/// (A failed test does not poison the turn of the next.)
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

use fantoccini::{Client, ClientBuilder, Locator, wd::WebDriverCompatibleCommand};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// `1234567` as "1,234,567", as the app and the benchmarks write counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A path from the environment `cargo xtask test` sets up.
pub fn env_path(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => panic!(
            "{var} is not set: the browser tests need the release bundle, the roster binary and \
             Chromium. Run them with `cargo xtask test`."
        ),
    }
}

/// The largest the first load's wasm of a release build can be (714 KB once the pages
/// other than the users list are split off, plus about 5%, so that a regression in size
/// fails the tests too); a debug or unsplit build is larger.
const MAX_RELEASE_WASM: u64 = 750_000;

/// Fails unless `ROSTER_DIST` holds a release build.
pub fn assert_release_bundle() -> PathBuf {
    let dist = env_path("ROSTER_DIST");
    let wasm = std::fs::read_dir(&dist)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dist.display()))
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with("_bg.wasm"))
        .unwrap_or_else(|| panic!("no app wasm (*_bg.wasm) in {}", dist.display()));
    let size = wasm.metadata().unwrap().len();
    assert!(
        size < MAX_RELEASE_WASM,
        "{} is {size} bytes: that is a debug or unsplit build; the browser tests must test the release bundle (`cargo xtask build`)",
        wasm.path().display()
    );
    dist
}

/// A running `roster demo`, stopped when dropped.
#[derive(Debug)]
pub struct Roster {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The demo's sandbox, `http://127.0.0.1:PORT/` (its `/_sandbox/calls` counts Slack calls).
    pub sandbox: String,
}

impl Roster {
    /// Starts `roster demo` on a free port with extra `args`, and waits until it listens.
    pub fn start(args: &[&str]) -> Roster {
        let bin = env_path("ROSTER_BIN");
        let dist = assert_release_bundle();
        let mut child = Command::new(&bin)
            .arg("demo")
            .args(["--addr", "127.0.0.1:0", "--dist"])
            .arg(&dist)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sandbox = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some((_, rest)) = line.split_once("Slack API emulated at ") {
                    sandbox = rest.trim().trim_end_matches("api/").to_string();
                }
                if let Some(rest) = line.strip_prefix("Roster is running at ") {
                    let url = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send((url.trim_end_matches('/').to_string(), sandbox.clone()));
                }
            }
        });
        let (url, sandbox) = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("roster demo {args:?} did not start within 120 s"));
        Roster {
            child,
            url,
            sandbox,
        }
    }
}

impl Drop for Roster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium driven over WebDriver, with its own fresh profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// chromedriver's port and the session's ID, to end it from `Drop`.
    port: u16,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium window of 1400×900.
    pub async fn start() -> Browser {
        Self::start_with(&[]).await
    }

    /// Starts chromedriver and Chromium with extra command-line switches.
    pub async fn start_with(extra_args: &[&str]) -> Browser {
        let chromium = env_path("ROSTER_CHROMIUM");
        let chromedriver = env_path("ROSTER_CHROMEDRIVER");
        let profile = tempfile::tempdir().expect("a temporary profile directory");
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-extensions".into(),
            "--window-size=1400,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend(extra_args.iter().map(|a| a.to_string()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let caps = caps.as_object().unwrap().clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            // chromedriver speaks plain HTTP on loopback: no TLS stack needed.
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let session = client.session_id().await.ok().flatten();
        Browser {
            client,
            driver,
            port,
            session,
            _profile: profile,
        }
    }

    /// Console entries at level SEVERE (errors, failed loads, CSP violations) since the
    /// last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("chromedriver returns the browser log");
        logs.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Fails the test if the console has any error.
    pub async fn assert_no_console_errors(&self, context: &str) {
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "browser console errors {context}:\n{}",
            errors.join("\n")
        );
    }

    /// Waits up to `secs` for an element matching `css`.
    pub async fn wait_for(&self, css: &str, secs: u64) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(secs))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(el) => el,
            Err(e) => {
                let errors = self.console_errors().await;
                let body = self
                    .client
                    .source()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(2_000)
                    .collect::<String>();
                panic!(
                    "no {css:?} after {secs} s ({e}).\nconsole errors:\n{}\npage:\n{body}",
                    errors.join("\n")
                )
            }
        }
    }

    /// Sends `keys` (WebDriver key codes allowed) to the element that has the focus.
    pub async fn keys(&self, keys: &str) {
        self.client
            .active_element()
            .await
            .expect("a focused element")
            .send_keys(keys)
            .await
            .expect("keys sent");
    }

    /// The text of the element matching `css`, once there is one (`secs` at most).
    pub async fn text_of(&self, css: &str, secs: u64) -> String {
        self.wait_for(css, secs)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("no text of {css:?}: {e}"))
    }

    /// Texts of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for el in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(el.text().await.unwrap());
        }
        out
    }

    /// Runs `script` (a function body that may `return`) in the page.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// GETs a proxy API path from inside the page (same cookies, same role) as JSON.
    pub async fn api(&self, path: &str) -> Value {
        self.eval(&format!("return fetch({path:?}).then(r => r.json());"))
            .await
    }

    /// Switches the demo to `role` and waits until the console shows it.
    pub async fn act_as(&self, role: &str) {
        self.select("#demo-role", role).await;
        self.wait_until(
            &format!("document.querySelector('.badge-role')?.textContent === {role:?}"),
            20,
        )
        .await;
    }

    /// Posts a change to `/api/changes` from the page, as the console would; the status.
    pub async fn post_change(&self, op: &Value) -> u16 {
        let status = self
            .eval(&format!(
                "return fetch('/api/changes', {{method: 'POST', headers: {{'content-type': \
                 'application/json', 'x-roster-request': '1'}}, body: JSON.stringify({op})}})\
                 .then(r => r.status)"
            ))
            .await;
        status.as_u64().expect("an HTTP status") as u16
    }

    /// The IDs of the first `n` users the table shows.
    pub async fn row_ids(&self, n: usize) -> Vec<String> {
        self.eval(&format!(
            "return [...document.querySelectorAll('tr[data-user-id]')].slice(0, {n}).map(r => r.dataset.userId)"
        ))
        .await
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("an ID").to_string())
        .collect()
    }

    /// After a job is started: waits for its page (15 s), then for the job to finish (60 s).
    pub async fn wait_for_finished_job(&self) {
        self.wait_until("location.pathname.startsWith('/jobs/')", 15)
            .await;
        self.wait_until(
            "document.querySelector('[data-testid=job-state]')?.dataset.state === 'finished'",
            60,
        )
        .await;
    }

    /// Clicks the element whose normalized text starts with `text`, waiting up to 15 s;
    /// `step` is an XPath step: `button`, or `dialog[@open]//label` for a label in the
    /// open dialog.
    pub async fn click_text(&self, step: &str, text: &str) {
        let xpath = format!("//{step}[starts-with(normalize-space(), {text:?})]");
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no {step} {text:?}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {step} {text:?}: {e}"));
    }

    /// Saves a PNG of the viewport to `ROSTER_SCREENSHOT_DIR` (default `target/screenshots`).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = std::env::var_os("ROSTER_SCREENSHOT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
            });
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Clicks the element matching `css` (waiting up to 10 s for it).
    pub async fn click(&self, css: &str) {
        let el = self.wait_for(css, 10).await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css:?}: {e}"));
    }

    /// Types `text` into the input matching `css`, after clearing it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css, 10).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Picks the `<option>` with `value` in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let el = self.wait_for(css, 10).await;
        el.select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot select {value:?} in {css:?}: {e}"));
    }

    /// Waits up to `secs` until the JavaScript expression `condition` is true.
    pub async fn wait_until(&self, condition: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let ok = self.eval(&format!("return !!({condition});")).await;
            if ok == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let errors = self.console_errors().await;
                panic!(
                    "still not true after {secs} s: {condition}\nconsole errors:\n{}",
                    errors.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends a Chrome DevTools Protocol command (through chromedriver).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.to_string(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd} failed: {e}"))
    }

    /// Emulates `prefers-color-scheme: dark` (or light).
    pub async fn color_scheme(&self, dark: bool) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }}]}),
        )
        .await;
    }

    /// Runs axe-core on the page and fails on serious or critical violations: in light and
    /// dark mode, at the window's width and, unless it is already a phone's, at a phone's
    /// (390 × 844).
    pub async fn assert_accessible(&self, page: &str) {
        let axe = std::fs::read_to_string(env_path("ROSTER_AXE")).expect("axe-core is installed");
        let script = format!(
            "{axe}\nreturn axe.run(document, {{resultTypes: ['violations']}}).then(r => r.violations\
               .filter(v => v.impact === 'serious' || v.impact === 'critical')\
               .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')));"
        );
        let width = self
            .eval("return window.innerWidth")
            .await
            .as_u64()
            .unwrap_or(0);
        let mut sizes = vec![None];
        if width > 500 {
            sizes.push(Some(
                json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
            ));
        }
        let mut list: Vec<String> = Vec::new();
        for size in sizes {
            let phone = size.is_some();
            if let Some(metrics) = size {
                self.cdp("Emulation.setDeviceMetricsOverride", metrics)
                    .await;
            }
            for dark in [false, true] {
                self.color_scheme(dark).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                let violations = self.eval(&script).await;
                list.extend(violations.as_array().unwrap().iter().map(|v| {
                    format!(
                        "[{}, {}] {}",
                        if phone { "phone" } else { "window" },
                        if dark { "dark" } else { "light" },
                        v.as_str().unwrap()
                    )
                }));
            }
            if phone {
                self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
                    .await;
            }
        }
        self.color_scheme(false).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            list.is_empty(),
            "accessibility violations on {page}:\n{}",
            list.join("\n")
        );
    }

    /// Ends the session and stops chromedriver (in `Drop`).
    pub async fn close(mut self) {
        if self.client.clone().close().await.is_ok() {
            self.session = None;
        }
    }
}

/// `DELETE /session/{id}` to chromedriver, waiting for its answer. Blocking on purpose: it
/// runs in `Drop`, where no runtime can be awaited.
fn end_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

impl Drop for Browser {
    /// Ends the session if it is still open, which closes Chromium (stopping chromedriver
    /// alone leaves its browser running), and stops chromedriver.
    fn drop(&mut self) {
        if let Some(session) = &self.session {
            end_session(self.port, session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

/// chromedriver's `POST /session/{id}/se/log` for the `browser` log.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}
