//! Building the browser bundle with Trunk, and reporting its size.

use std::{fs, io::Write, path::Path};

use crate::{
    root,
    shell::{Cmd, note, step},
    tools::Toolchain,
};

/// `trunk build --release --offline` into `dist/`, then the size report.
pub fn build(_toolchain: &Toolchain) -> Result<(), String> {
    step("Building the browser bundle (trunk build --release --offline)");
    Cmd::new("trunk")
        .args(["build", "--release", "--offline", "--no-color"])
        .run()?;
    report_sizes(&root().join("dist"))
}

/// Prints each wasm and JS file of the bundle, raw and brotli-compressed.
pub fn report_sizes(dist: &Path) -> Result<(), String> {
    step("Bundle size");
    let mut files: Vec<_> = fs::read_dir(dist)
        .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("wasm" | "js")))
        .collect();
    files.sort();
    let (mut raw_total, mut br_total) = (0, 0);
    for file in &files {
        let bytes = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let br = brotli_len(&bytes);
        raw_total += bytes.len();
        br_total += br;
        note(&format!(
            "{:<48} {:>8} raw  {:>8} brotli",
            file.file_name().unwrap_or_default().to_string_lossy(),
            kb(bytes.len()),
            kb(br)
        ));
    }
    note(&format!(
        "{:<48} {:>8} raw  {:>8} brotli",
        "wasm + js",
        kb(raw_total),
        kb(br_total)
    ));
    Ok(())
}

/// Compressed size at brotli's highest quality, as a web server would pre-compress it.
pub fn brotli_len(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer
            .write_all(bytes)
            .expect("writing to memory cannot fail");
    }
    out.len()
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}
