//! `cargo xtask`: set-up, build, demo and tests for Roster, from a fresh clone.
//!
//! Every tool is checked at its pinned version and installed only when missing, so the
//! second run of any command skips straight to the work.

mod bundle;
mod postgres;
mod shell;
mod split;
mod tools;

use std::{path::PathBuf, process::ExitCode};

use shell::{Cmd, Job, Jobs, step};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  setup            install what is missing (wasm target, trunk, wasm-bindgen, wasm-opt, Chromium,
                   slack_sdk for the sandbox conformance test)
  build            setup, then build the browser bundle (dist/) and print its size
  demo [args...]   build, then run `roster demo` on http://127.0.0.1:8080 (args go to roster demo,
                   e.g. --addr 127.0.0.1:9000 --users 100000 --seed 7)
  test [args...]   build, then run every test: unit, integration, and the browser end-to-end suite,
                   with a throwaway PostgreSQL cluster (args go to cargo test, e.g. `-- scope`)
  postgres         start a throwaway PostgreSQL cluster and print the ROSTER_TEST_POSTGRES to
                   export for `cargo test`; stops it on Enter
  bench [--quick] [--only SECTION]
                   build in release, measure Roster against its performance targets and print
                   the table (also target/bench/results.json); --quick is a one-minute smoke run,
                   --only runs one section: bundle, server, processes, load, replicas or browser
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let rest = &args[1..];
    let result = match command.as_str() {
        "setup" => tools::setup(tools::Needs::all()).map(|_| ()),
        "build" => build().map(|_| ()),
        "demo" => demo(rest),
        "test" => test(rest),
        "bench" => bench(rest),
        "postgres" => postgres_shell(),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (xtask lives one level below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// A cluster for running tests by hand, until Enter is pressed.
fn postgres_shell() -> Result<(), String> {
    let cluster = postgres::Cluster::start()?;
    println!(
        "\nexport ROSTER_TEST_POSTGRES={}\nexport ROSTER_TEST_POSTGRES_CA={}\n\nPress Enter to stop \
         the cluster.",
        cluster.admin_url(),
        cluster.ca_file().display()
    );
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(cluster);
    Ok(())
}

fn build() -> Result<tools::Toolchain, String> {
    let toolchain = tools::setup(tools::Needs::bundle())?;
    bundle::build(&toolchain)?;
    Ok(toolchain)
}

/// The proxy's release build, the one "Running it for your org" uses too.
fn release_proxy() -> Cmd {
    Cmd::new("cargo").args([
        "build",
        "--release",
        "--package",
        "roster-proxy",
        "--bin",
        "roster",
    ])
}

/// On a fresh clone the tools, the app and the proxy compile side by side, so that each
/// fills the cores the others leave idle in their single-threaded steps (a crate's type
/// checking, the app's link-time optimisation, a link). The bundle, which waits on the
/// tools and the app, runs its wasm-opt passes on every core while the proxy finishes.
fn demo(args: &[String]) -> Result<(), String> {
    let (_toolchain, installs) = tools::check(tools::Needs::bundle())?;
    step("Compiling the tools, the browser app and the proxy side by side");
    let mut jobs = Jobs::start(vec![
        Job {
            name: "tools",
            commands: installs,
        },
        Job {
            name: "app",
            commands: vec![bundle::compile_app()],
        },
        Job {
            name: "proxy",
            commands: vec![release_proxy()],
        },
    ])?;
    let bundle = jobs
        .wait("tools")
        .and_then(|()| jobs.wait("app"))
        .and_then(|()| bundle::bundle());
    let proxy = jobs.wait("proxy");
    bundle.and(proxy)?;
    drop(jobs);
    let roster = root().join("target/release/roster");
    step("Starting roster demo");
    Cmd::new(roster)
        .arg("demo")
        .arg("--dist")
        .arg(root().join("dist"))
        .args(args.iter().map(String::as_str))
        .run()
}

fn test(args: &[String]) -> Result<(), String> {
    let toolchain = tools::setup(tools::Needs::all())?;

    step("Checking format and lints");
    Cmd::new("cargo").args(["fmt", "--all", "--check"]).run()?;
    Cmd::new("cargo")
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .run()?;

    bundle::build(&toolchain)?;

    step("Building the roster binary the browser tests start");
    Cmd::new("cargo")
        .args(["build", "--package", "roster-proxy", "--bin", "roster"])
        .run()?;

    let root = root();
    step("Sandbox conformance: the official Python slack_sdk against `roster sandbox`");
    Cmd::new(&toolchain.python)
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            "sandbox/conformance",
            "-v",
        ])
        .env("ROSTER_BIN", root.join("target/debug/roster"))
        .run()?;

    // The storage tests and the replicas' tests run on PostgreSQL too; the cluster stops
    // when this function returns.
    let cluster = postgres::Cluster::start()?;
    step("Running every test (unit, integration, browser end-to-end)");
    Cmd::new("cargo")
        .args(["test", "--workspace"])
        .args(args.iter().map(String::as_str))
        .env("ROSTER_TEST_POSTGRES", cluster.admin_url())
        .env("ROSTER_TEST_POSTGRES_CA", cluster.ca_file())
        .env("ROSTER_REQUIRE_POSTGRES", "1")
        .env("ROSTER_BIN", root.join("target/debug/roster"))
        .env("ROSTER_DIST", root.join("dist"))
        .env("ROSTER_CHROMIUM", &toolchain.chromium)
        .env("ROSTER_CHROMEDRIVER", &toolchain.chromedriver)
        .env("ROSTER_AXE", root.join("node_modules/axe-core/axe.min.js"))
        .run()?;

    // The benchmarks must keep working; on the test build their figures are only a smoke
    // check (`cargo xtask bench` measures on release builds).
    step("Benchmarks, quick smoke run on the test build (figures not comparable)");
    run_bench(
        &toolchain,
        "debug",
        &["--quick"],
        "target/bench/smoke.json",
        Some(&cluster),
    )
}

/// Runs `roster-bench` with the environment of the browser tests.
fn run_bench<S: AsRef<std::ffi::OsStr>>(
    toolchain: &tools::Toolchain,
    profile: &str,
    args: &[S],
    out: &str,
    cluster: Option<&postgres::Cluster>,
) -> Result<(), String> {
    let root = root();
    let target = root.join("target").join(profile);
    let mut bench = Cmd::new(target.join("roster-bench"));
    if let Some(cluster) = cluster {
        bench = bench.env("ROSTER_TEST_POSTGRES", cluster.admin_url());
    }
    bench
        .args(args)
        .arg("--out")
        .arg(root.join(out))
        .env("ROSTER_BIN", target.join("roster"))
        .env("ROSTER_DIST", root.join("dist"))
        .env("ROSTER_CHROMIUM", &toolchain.chromium)
        .env("ROSTER_CHROMEDRIVER", &toolchain.chromedriver)
        .run()
}

fn bench(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    // A run of one section keeps its results apart from the full table's.
    let mut out = "target/bench/results.json".to_string();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => {}
            "--only" => match rest.next().map(String::as_str) {
                Some(
                    section @ ("bundle" | "server" | "processes" | "load" | "replicas" | "browser"),
                ) => {
                    out = format!("target/bench/{section}.json");
                }
                other => {
                    return Err(format!(
                        "--only takes bundle, server, processes, load, replicas or browser, not {other:?}\n\n{USAGE}"
                    ));
                }
            },
            other => return Err(format!("unknown bench argument {other:?}\n\n{USAGE}")),
        }
    }
    let toolchain = tools::setup(tools::Needs::all())?;
    bundle::build(&toolchain)?;
    step("Building roster and roster-bench (profile dist: release with link-time optimisation)");
    Cmd::new("cargo")
        .args([
            "build",
            "--profile",
            "dist",
            "--package",
            "roster-proxy",
            "--bin",
            "roster",
            "--package",
            "roster-e2e",
            "--bin",
            "roster-bench",
        ])
        .run()?;
    // The replicas' rows run on PostgreSQL; the cluster stops when the benchmarks end.
    let cluster = postgres::Cluster::start()?;
    step(if quick {
        "Benchmarks (quick)"
    } else {
        "Benchmarks (a few minutes)"
    });
    run_bench(&toolchain, "dist", args, &out, Some(&cluster))
}
