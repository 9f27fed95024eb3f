//! The `roster` command: `demo`, `sandbox` (and, with configuration, `serve`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use roster_proxy::demo::{self, DemoOptions};
use roster_sandbox::{Sandbox, SandboxConfig, faults::FaultSpec, ratelimit::RateLimitMode};

/// Roster: administer the users of a Slack Enterprise org.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run Roster against a Slack org, as configured in a TOML file.
    Serve {
        /// The configuration file (see roster.example.toml).
        #[arg(long, default_value = "roster.toml")]
        config: PathBuf,
    },
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
        /// Keep the audit log here (default: a temporary directory, gone when the demo stops).
        #[arg(long)]
        data_dir: Option<PathBuf>,
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
        /// App-level token (xapp-…) `apps.connections.open` accepts: events go over
        /// Socket Mode.
        #[arg(long, env = "ROSTER_SANDBOX_APP_TOKEN", hide_env_values = true)]
        app_token: Option<String>,
        /// Where events are POSTed when Socket Mode is off (Slack's request URL).
        #[arg(long)]
        events_url: Option<String>,
        /// The signing secret HTTP deliveries are signed with.
        #[arg(long, env = "ROSTER_SANDBOX_SIGNING_SECRET", hide_env_values = true)]
        signing_secret: Option<String>,
        /// Send `invite_requested` when someone asks for an invitation (the app subscribes
        /// to it; off, as in Slack by default).
        #[arg(long)]
        invite_requested: bool,
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
    /// Inject faults: METHOD:KEY=VALUE, e.g. admin.users.invite:fatal_error=0.1,
    /// '*:latency_ms=50', admin.users.remove:next=drop (repeatable).
    #[arg(long = "fault", value_name = "METHOD:KEY=VALUE")]
    faults: Vec<FaultSpec>,
}

impl OrgArgs {
    fn config(&self) -> SandboxConfig {
        SandboxConfig {
            users: self.users,
            seed: self.seed,
            workspaces: self.workspaces.into(),
            rate_limits: self.rate_limits,
            ..SandboxConfig::default()
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    roster_proxy::init_logging()?;
    match Cli::parse().command {
        Command::Serve { config } => roster_proxy::serve::run(&config).await,
        Command::Demo {
            addr,
            org,
            dist,
            refresh_minutes,
            data_dir,
        } => {
            demo::run(DemoOptions {
                addr,
                dist,
                refresh: Duration::from_secs(refresh_minutes.max(1) * 60),
                sandbox: org.config(),
                faults: org.faults,
                data_dir,
            })
            .await
        }
        Command::Sandbox {
            addr,
            org,
            admin_token,
            app_token,
            events_url,
            signing_secret,
            invite_requested,
        } => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let addr = listener.local_addr()?;
            let sandbox = Sandbox::new(SandboxConfig {
                admin_token,
                avatar_base: format!("http://{addr}/avatars"),
                events: roster_sandbox::events::EventsConfig {
                    app_token,
                    events_url,
                    signing_secret,
                    invite_requested,
                },
                ..org.config()
            });
            for spec in &org.faults {
                sandbox.set_faults(&spec.method, spec.faults.clone());
            }
            let running = sandbox.serve_on(listener)?;
            println!("Slack sandbox at {}", running.api_url());
            for (label, token) in running.sandbox.tokens().describe() {
                println!("  {token}  {label}");
            }
            roster_proxy::serve::shutdown_signal().await;
            Ok(())
        }
    }
}
