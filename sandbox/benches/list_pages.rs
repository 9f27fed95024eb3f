//! How fast the sandbox answers `admin.users.list` pages over a 100,000-user org, over
//! real HTTP on loopback (parse, handler, JSON serialisation, transfer).
//!
//! `cargo xtask bench` runs it; it prints measured percentiles, it asserts nothing.

use std::{net::SocketAddr, time::Instant};

use roster_sandbox::{Sandbox, SandboxConfig, ratelimit::RateLimitMode};

/// Reads only `response_metadata.next_cursor`, so the client's own parsing stays small.
fn next_cursor(reply: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Reply {
        response_metadata: Metadata,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        next_cursor: String,
    }
    serde_json::from_slice::<Reply>(reply)
        .expect("a listing")
        .response_metadata
        .next_cursor
}

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
    // In process: argument parsing, the handler and serialisation, without HTTP.
    {
        use roster_sandbox::{
            SlackReply,
            request::{Args, Call},
        };
        let token = sandbox.tokens().org_admin.clone();
        let mut times = Vec::new();
        let mut bytes = 0;
        let mut cursor = String::new();
        loop {
            let mut pairs = vec![("limit", "1000")];
            if !cursor.is_empty() {
                pairs.push(("cursor", cursor.as_str()));
            }
            let call = Call {
                token: Some(token.clone()),
                args: Args::from_pairs(pairs),
                json_body: false,
            };
            let started = Instant::now();
            let SlackReply::Ok(text) = sandbox.handle("admin.users.list", &call) else {
                panic!("list failed")
            };
            times.push(started.elapsed().as_secs_f64() * 1e3);
            bytes += text.len();
            cursor = next_cursor(text.as_bytes());
            if cursor.is_empty() {
                break;
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "in process       limit=1000  pages={:<5} p50={:.2} ms  p95={:.2} ms  ({} KB per page)",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            bytes / times.len() / 1024
        );
    }
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
                // Timed: request sent until the whole reply body has arrived; parsing
                // it on the client side is not the sandbox's time.
                let started = Instant::now();
                let bytes = http
                    .post(&url)
                    .bearer_auth(&token)
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                times.push(started.elapsed().as_secs_f64() * 1e3);
                cursor = next_cursor(&bytes);
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
