//! The tools Roster's build and tests need, each checked at its pinned version and
//! installed only when missing.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

use crate::{
    root,
    shell::{Cmd, note, step},
};

/// Trunk 0.22 needs a newer rustc than the one Roster builds with.
pub const TRUNK_VERSION: &str = "0.21.14";
/// npm's binaryen; Debian's wasm-opt 108 silently corrupts the release wasm.
pub const BINARYEN_VERSION: &str = "132";
/// The accessibility checker the browser tests inject (package.json pins it too).
pub const AXE_VERSION: &str = "4.14.1";
/// npm's terser, which minifies the bundle's JavaScript.
pub const TERSER_VERSION: &str = "5.51.4";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The official Slack SDK the sandbox's conformance test drives.
pub const SLACK_SDK_VERSION: &str = "3.47.0";

/// Which groups of tools a command needs.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    pub browser: bool,
}

impl Needs {
    /// Just what building the bundle takes.
    pub fn bundle() -> Self {
        Self { browser: false }
    }

    /// Everything, tests included.
    pub fn all() -> Self {
        Self { browser: true }
    }
}

/// Where the checked tools are.
#[derive(Debug, Clone, Default)]
pub struct Toolchain {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// Python of the venv that has slack_sdk.
    pub python: PathBuf,
}

/// `PATH` for the build: cargo's bin directory and the npm tools come first, so Trunk
/// finds exactly the versions installed here.
pub fn tool_path() -> OsString {
    let mut dirs = vec![cargo_bin(), root().join("node_modules/.bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries contain no separator")
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// Checks every tool `needs` asks for, installing what is missing.
pub fn setup(needs: Needs) -> Result<Toolchain, String> {
    let (toolchain, installs) = check(needs)?;
    for install in installs {
        install.run()?;
    }
    Ok(toolchain)
}

/// Checks every tool `needs` asks for and installs the quick ones that are missing; returns
/// the commands that would install the tools compiled from source (Trunk, wasm-bindgen),
/// for the caller to run, beside other builds if it likes.
pub fn check(needs: Needs) -> Result<(Toolchain, Vec<Cmd>), String> {
    step("Checking tools");
    wasm_target()?;
    let installs = [trunk(), wasm_bindgen()?].into_iter().flatten().collect();
    wasm_opt()?;
    let mut toolchain = Toolchain::default();
    if needs.browser {
        (toolchain.chromium, toolchain.chromedriver) = chromium()?;
        toolchain.python = slack_sdk()?;
    }
    Ok((toolchain, installs))
}

pub fn ok(what: &str) {
    note(&format!("ok  {what}"));
}

fn wasm_target() -> Result<(), String> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .read()
        .unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        ok(WASM_TARGET);
        return Ok(());
    }
    note(&format!("installing the {WASM_TARGET} target"));
    Cmd::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .run()
}

/// Trunk's install command when it is missing.
fn trunk() -> Option<Cmd> {
    let want = format!("trunk {TRUNK_VERSION}");
    let have = Cmd::new("trunk").arg("--version").read();
    if have.as_deref() == Some(want.as_str()) {
        ok(&want);
        return None;
    }
    note(&format!(
        "to install: {want} (found: {}; compiled from source once)",
        have.as_deref().unwrap_or("none")
    ));
    // Trunk only hashes, copies and rewrites a few small files and starts the other tools:
    // unoptimised, it does that as quickly as anyone notices, and compiles much sooner.
    Some(
        quick_install(Cmd::new("cargo").args([
            "install",
            "trunk",
            "--locked",
            "--version",
            TRUNK_VERSION,
        ]))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
    )
}

/// `cargo install` with a cheaper release profile, in one build folder for both tools (so
/// the crates they share compile once). The tools run for a few seconds per bundle, and
/// the bundle is the same bytes whatever their optimisation: they are built unoptimised,
/// without link-time optimisation, in many codegen units. On 2 cores that is 3 minutes for
/// both instead of 7½ at opt-level 1 with their default features (18 with LTO); the bundle
/// takes as long with them (115–118 s from a cold cache).
fn quick_install(install: Cmd) -> Cmd {
    install
        .arg("--target-dir")
        .arg(root().join("target/tools"))
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
        {
            return Ok(version.to_string());
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// wasm-bindgen-cli's install command when it is missing.
fn wasm_bindgen() -> Result<Option<Cmd>, String> {
    let version = locked_wasm_bindgen()?;
    let want = format!("wasm-bindgen {version}");
    let have = Cmd::new("wasm-bindgen").arg("--version").read();
    if have.as_deref() == Some(want.as_str()) {
        ok(&want);
        return Ok(None);
    }
    note(&format!(
        "to install: {want} (found: {}; compiled from source once)",
        have.as_deref().unwrap_or("none")
    ));
    // Not --locked: its lock file pins a crate version the registry no longer has. Without
    // its default features: the TLS stack serves only its test runner's downloads.
    Ok(Some(quick_install(Cmd::new("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--no-default-features",
        "--version",
        &version,
    ]))))
}

/// npm packages: binaryen's wasm-opt and terser for the bundle, axe-core for the
/// accessibility checks.
fn wasm_opt() -> Result<(), String> {
    let bin = root().join("node_modules/.bin/wasm-opt");
    let want = format!("wasm-opt version {BINARYEN_VERSION} ");
    let have = Cmd::new(&bin).arg("--version").read();
    let package = |name: &str, version: &str| {
        std::fs::read_to_string(root().join(format!("node_modules/{name}/package.json")))
            .ok()
            .is_some_and(|p| p.contains(&format!("\"version\": \"{version}\"")))
    };
    if have.as_deref().is_some_and(|v| v.starts_with(&want))
        && package("axe-core", AXE_VERSION)
        && package("terser", TERSER_VERSION)
    {
        ok(&format!(
            "wasm-opt {BINARYEN_VERSION} (npm binaryen), terser {TERSER_VERSION}, axe-core {AXE_VERSION}"
        ));
        return Ok(());
    }
    if Cmd::new("npm").arg("--version").read().is_none() {
        return Err(
            "npm is missing: install Node.js 18 or newer (Debian: apt-get install nodejs npm)"
                .into(),
        );
    }
    note(&format!(
        "installing npm binaryen {BINARYEN_VERSION}, terser and axe-core into node_modules/"
    ));
    Cmd::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .run()
}

fn chromium() -> Result<(PathBuf, PathBuf), String> {
    let browser = env_path("ROSTER_CHROMIUM").unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let driver =
        env_path("ROSTER_CHROMEDRIVER").unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    let versions = || {
        Some((
            Cmd::new(&browser).arg("--version").read()?,
            Cmd::new(&driver).arg("--version").read()?,
        ))
    };
    if let Some((b, d)) = versions() {
        ok(&b);
        ok(d.split(" (").next().unwrap_or(&d));
        return Ok((browser, driver));
    }
    note("installing Debian's chromium and chromium-driver");
    apt_install(&["chromium", "chromium-driver"])?;
    let (b, _) =
        versions().ok_or("chromium or chromedriver still missing after apt-get install")?;
    ok(&b);
    Ok((browser, driver))
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| !p.as_os_str().is_empty())
}

pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    let is_root = Cmd::new("id").arg("-u").read().as_deref() == Some("0");
    let sudo = |cmd: &str| {
        if is_root {
            Cmd::new(cmd)
        } else {
            Cmd::new("sudo").args(["-n", cmd])
        }
    };
    if !is_root && !Path::new("/usr/bin/sudo").exists() {
        return Err(format!(
            "installing {} needs root: run `apt-get update && apt-get install -y {}` as root",
            packages.join(" "),
            packages.join(" ")
        ));
    }
    sudo("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    sudo("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
}

/// A venv under `target/` with the pinned slack_sdk; returns its python.
fn slack_sdk() -> Result<PathBuf, String> {
    let venv = root().join("target/python-venv");
    let python = venv.join("bin/python");
    let have = Cmd::new(&python)
        .args(["-c", "import slack_sdk.version as v; print(v.__version__)"])
        .read();
    if have.as_deref() == Some(SLACK_SDK_VERSION) {
        ok(&format!(
            "slack_sdk {SLACK_SDK_VERSION} (Python venv in target/)"
        ));
        return Ok(python);
    }
    note(&format!(
        "installing slack_sdk {SLACK_SDK_VERSION} into a Python venv in target/"
    ));
    if !python.exists() {
        Cmd::new("python3").args(["-m", "venv"]).arg(&venv).run()?;
    }
    Cmd::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(format!("slack_sdk=={SLACK_SDK_VERSION}"))
        .run()?;
    Ok(python)
}
