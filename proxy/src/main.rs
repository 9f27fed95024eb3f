//! The `roster` command: `demo`, `sandbox` (and, with configuration, `serve`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use roster_proxy::demo::{self, DemoOptions};
use roster_sandbox::{Sandbox, SandboxConfig, ratelimit::RateLimitMode};

/// Roster: administer the users of a Slack Enterprise org.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run Roster against a built-in sandbox org (no Slack account needed).
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        org: OrgArgs,
        /// The built browser app (`trunk build --release` output).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Minutes between directory syncs.
        #[arg(long, default_value_t = 5)]
        refresh_minutes: u64,
    },
    /// Run the Slack Web API emulator on its own.
    Sandbox {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: SocketAddr,
        #[command(flatten)]
        org: OrgArgs,
        /// Value of the org-admin token (default: a fixed, printed test token).
        #[arg(long, env = "ROSTER_SANDBOX_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
    },
}

/// The seeded sandbox org.
#[derive(Debug, clap::Args)]
struct OrgArgs {
    /// Users in the seeded org.
    #[arg(long, default_value_t = 1_000)]
    users: usize,
    /// Seed for the org's people, roles and workspaces.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Workspaces in the org (1 to 8).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=8))]
    workspaces: u8,
    /// Rate limits: real (Slack's tiers), off, or scale=F (a clock F times faster).
    #[arg(long, default_value = "real")]
    rate_limits: RateLimitMode,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    roster_proxy::init_logging();
    match Cli::parse().command {
        Command::Demo {
            addr,
            org,
            dist,
            refresh_minutes,
        } => {
            demo::run(DemoOptions {
                addr,
                users: org.users,
                seed: org.seed,
                workspaces: org.workspaces.into(),
                dist,
                rate_limits: org.rate_limits,
                refresh: Duration::from_secs(refresh_minutes.max(1) * 60),
            })
            .await
        }
        Command::Sandbox {
            addr,
            org,
            admin_token,
        } => {
            let sandbox = Sandbox::new(SandboxConfig {
                users: org.users,
                seed: org.seed,
                workspaces: org.workspaces.into(),
                rate_limits: org.rate_limits,
                admin_token,
                epoch: None,
            });
            let running = sandbox
                .serve(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            println!("Slack sandbox at {}", running.api_url());
            for (label, token) in running.sandbox.tokens().describe() {
                println!("  {token}  {label}");
            }
            demo::shutdown_signal().await;
            Ok(())
        }
    }
}
