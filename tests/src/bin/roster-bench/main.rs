//! `roster-bench`: measures Roster against its performance targets and prints one table
//! (`cargo xtask bench` builds everything in release and runs it). Every figure is measured
//! on this machine in this run; where a target is missed the table says so.
//!
//! Needs the same environment as the browser tests: `ROSTER_BIN` (a release `roster`),
//! `ROSTER_DIST`, `ROSTER_CHROMIUM`, `ROSTER_CHROMEDRIVER`.

mod browser;
mod bundle;
mod events;
mod load;
mod processes;
mod replicas;
mod report;
mod server;

use std::path::PathBuf;

use report::Row;
use serde_json::json;

/// How big each measurement is: `--quick` is a smoke run of about a minute.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub quick: bool,
    /// Users in the org for the 100,000-user rows.
    pub users: usize,
    /// Operations in the bulk job.
    pub job_operations: usize,
    /// Samples of page loads.
    pub loads: usize,
}

impl Scale {
    fn new(quick: bool) -> Scale {
        if quick {
            Scale {
                quick,
                users: 20_000,
                job_operations: 60,
                loads: 3,
            }
        } else {
            Scale {
                quick,
                users: 100_000,
                job_operations: 300,
                loads: 10,
            }
        }
    }

    /// "100,000", for row names.
    pub fn users_label(&self) -> String {
        thousands(self.users)
    }
}

pub fn thousands(n: usize) -> String {
    roster_e2e::thousands(n as u64)
}

fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let memory_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": (memory_kb as f64 / 1024.0 / 1024.0).round(),
        "os": std::env::consts::OS,
    })
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench/results.json")
        });
    // `--only bundle|server|events|processes|load|browser` runs one section, to iterate on one figure.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let scale = Scale::new(quick);
    let started = std::time::Instant::now();

    let mut rows: Vec<Row> = Vec::new();
    let section = |name: &str| eprintln!("\n==> {name}");
    if runs("bundle") {
        section("Bundle size");
        rows.extend(bundle::measure(&roster_e2e::env_path("ROSTER_DIST")));
    }
    if runs("server") {
        section("Users query, sync and bulk job (in process, against the sandbox)");
        rows.extend(server::measure(scale).await);
    }
    if runs("events") {
        section("A live directory: Slack's events (in process, against the sandbox)");
        rows.extend(events::measure(scale).await);
    }
    if runs("processes") {
        section("Proxy memory and overhead (roster serve and roster sandbox processes)");
        rows.extend(processes::measure(scale).await);
    }
    if runs("large") {
        // The largest org Roster is sized for (a tenth of it in the quick run).
        let users = if quick { 50_000 } else { 500_000 };
        section(&format!(
            "An org of {} users (sync against the Tier 4 floor, memory)",
            thousands(users)
        ));
        rows.push(server::sync_ratio_of(users).await);
        // 100 MB up to 100,000 users (the proxy's memory row), in proportion beyond.
        let target = 100.0 * (users as f64 / 100_000.0).max(1.0);
        rows.extend(processes::memory_at(users, target).await);
    }
    if runs("load") {
        section("A busy help desk (roster serve and roster sandbox, Slack's limits on)");
        rows.extend(load::measure(scale).await);
    }
    if runs("replicas") {
        section("Two replicas on one PostgreSQL (roster serve processes, roster sandbox)");
        rows.extend(replicas::measure(scale).await);
    }
    if runs("browser") {
        section("In the browser (headless Chromium, release bundle)");
        rows.extend(browser::measure(scale).await);
    }

    let table = report::table(&rows);
    let machine = machine();
    println!(
        "\nRoster benchmarks{} on {} ({} cores, {} GiB), commit {}, {:.0} s:\n\n{table}",
        if quick { " (quick)" } else { "" },
        machine["cpu"].as_str().unwrap_or("?"),
        machine["cores"],
        machine["memory_gib"],
        commit(),
        started.elapsed().as_secs_f64(),
    );
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| !r.pass())
        .map(|r| r.what.as_str())
        .collect();
    if missed.is_empty() {
        println!("Every target met.");
    } else {
        println!("Targets missed: {}.", missed.join("; "));
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let results = json!({
        "commit": commit(),
        "quick": quick,
        "machine": machine,
        "unix_time": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "rows": rows,
        "table": table,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    println!("Results written to {}", out.display());
}
