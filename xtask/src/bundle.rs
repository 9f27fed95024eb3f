//! Building the browser bundle with Trunk, and reporting its size.

use std::{fs, io::Write, path::Path};

use crate::{
    root,
    shell::{Cmd, note, step},
    tools::Toolchain,
};

/// `trunk build --release --offline` into `dist/`, then pre-compressed copies and the size
/// report; nothing of it when `dist/` already holds the bundle of the same inputs.
pub fn build(_toolchain: &Toolchain) -> Result<(), String> {
    step("Compiling the browser app (cargo, as Trunk runs it; quick when nothing changed)");
    compile_app().run()?;
    bundle()
}

/// Trunk's own cargo command for the app, so that Trunk finds it built when it runs.
pub fn compile_app() -> Cmd {
    Cmd::new("cargo")
        .args([
            "build",
            "--target=wasm32-unknown-unknown",
            "--manifest-path",
        ])
        .arg(root().join("frontend/Cargo.toml"))
        .args([
            "--profile",
            "wasm-release",
            "--offline",
            "--bin",
            "roster-frontend",
            "--features",
            "split",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            crate::split::RUSTFLAGS,
        )
}

/// Trunk, the split and the compressed copies, once the app is compiled.
pub fn bundle() -> Result<(), String> {
    let dist = root().join("dist");
    let stamp = dist.join(".roster-build");
    let key = inputs_key()?;
    if fs::read_to_string(&stamp).is_ok_and(|k| k == key) && dist.join("index.html").exists() {
        note("dist/ already holds the bundle of these inputs: nothing to rebuild");
        return Ok(());
    }
    step("Building the browser bundle (trunk build --release --offline)");
    Cmd::new("trunk")
        .args([
            "build",
            "--release",
            "--offline",
            "--no-color",
            "--features",
            "split",
        ])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            crate::split::RUSTFLAGS,
        )
        .run()?;
    crate::split::split(&dist)?;
    precompress(&dist)?;
    fs::write(&stamp, key).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// What the bundle is made of: the compiled app, the page, the styles, the tools' versions
/// and the build steps themselves. The same key means the same `dist/`.
fn inputs_key() -> Result<String, String> {
    use sha2::{Digest, Sha256};
    let root = root();
    let mut files = vec![
        root.join("target/wasm32-unknown-unknown/wasm-release/roster-frontend.wasm"),
        root.join("index.html"),
        root.join("Trunk.toml"),
    ];
    let mut styles: Vec<_> = fs::read_dir(root.join("style"))
        .map_err(|e| format!("cannot read style/: {e}"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    styles.sort();
    files.extend(styles);
    let mut hash = Sha256::new();
    for file in &files {
        let bytes = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        hash.update(file.to_string_lossy().as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    for part in [
        include_str!("bundle.rs"),
        include_str!("split.rs"),
        crate::tools::BINARYEN_VERSION,
        crate::tools::TERSER_VERSION,
        crate::tools::TRUNK_VERSION,
    ] {
        hash.update(part.as_bytes());
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `FILE.br` and `FILE.gz` beside each wasm, JS and CSS file of `dist` (at the
/// highest levels; the proxy serves them to browsers that accept them), and prints the
/// sizes.
pub fn precompress(dist: &Path) -> Result<(), String> {
    step("Bundle size (pre-compressed copies written beside each file)");
    let mut files: Vec<_> = fs::read_dir(dist)
        .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js" | "css" | "bin")
            )
        })
        .collect();
    files.sort();
    let (mut raw_total, mut gz_total, mut br_total) = (0, 0, 0);
    for file in &files {
        let bytes = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let br = brotli(&bytes);
        let gz = gzip(&bytes);
        for (ext, data) in [("br", &br), ("gz", &gz)] {
            let mut name = file.clone().into_os_string();
            name.push(".");
            name.push(ext);
            fs::write(&name, data).map_err(|e| format!("cannot write {name:?}: {e}"))?;
        }
        let is_code = file.extension().is_some_and(|e| e != "css");
        if is_code {
            raw_total += bytes.len();
            gz_total += gz.len();
            br_total += br.len();
        }
        note(&format!(
            "{:<48} {:>10} raw {:>10} gzip {:>10} brotli",
            file.file_name().unwrap_or_default().to_string_lossy(),
            kb(bytes.len()),
            kb(gz.len()),
            kb(br.len())
        ));
    }
    note(&format!(
        "{:<48} {:>10} raw {:>10} gzip {:>10} brotli",
        "wasm + js",
        kb(raw_total),
        kb(gz_total),
        kb(br_total)
    ));
    Ok(())
}

/// Brotli at its highest quality.
fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer
            .write_all(bytes)
            .expect("writing to memory cannot fail");
    }
    out
}

/// Gzip at its highest level.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

/// Kilobytes of 1,000 bytes, as the benchmarks count them.
fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}
