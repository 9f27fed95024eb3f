//! How fast the sandbox answers `admin.users.list` pages over a 100,000-user org, over
//! real HTTP on loopback (parse, handler, JSON serialisation, transfer).
//!
//! `cargo xtask bench` runs it; it prints measured percentiles, it asserts nothing.

use std::{net::SocketAddr, time::Instant};

use roster_sandbox::{Sandbox, SandboxConfig, ratelimit::RateLimitMode};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let users = std::env::var("ROSTER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seeded = Instant::now();
    let sandbox = Sandbox::new(SandboxConfig {
        users,
        rate_limits: RateLimitMode::Off,
        ..SandboxConfig::default()
    });
    println!(
        "seeded {users} users in {:.0} ms",
        seeded.elapsed().as_secs_f64() * 1e3
    );
    let running = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let token = running.sandbox.tokens().org_admin.clone();
    let url = format!("{}admin.users.list", running.api_url());
    let http = reqwest::Client::new();

    for limit in [100usize, 1_000] {
        let mut times = Vec::new();
        let mut rounds = 0;
        while rounds < 3 {
            let mut cursor = String::new();
            loop {
                let mut form = vec![("limit", limit.to_string())];
                if !cursor.is_empty() {
                    form.push(("cursor", cursor.clone()));
                }
                let started = Instant::now();
                let body: serde_json::Value = http
                    .post(&url)
                    .bearer_auth(&token)
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                times.push(started.elapsed().as_secs_f64() * 1e3);
                cursor = body["response_metadata"]["next_cursor"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if cursor.is_empty() {
                    break;
                }
            }
            rounds += 1;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "admin.users.list limit={limit:<5} pages={:<5} p50={:.2} ms  p95={:.2} ms  max={:.2} ms",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times[times.len() - 1]
        );
    }
}
