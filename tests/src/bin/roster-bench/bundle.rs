//! The browser bundle's size: what a first visit downloads.

use std::{io::Write, path::Path};

use crate::report::Row;

fn brotli_len(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(bytes).unwrap();
    }
    out.len()
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}

/// wasm + JS of `dist`, raw, gzip and brotli (at the highest levels, as pre-compressed).
pub fn measure(dist: &Path) -> Vec<Row> {
    let (mut raw, mut gz, mut br) = (0, 0, 0);
    let mut files = 0;
    for entry in std::fs::read_dir(dist).unwrap_or_else(|e| panic!("{}: {e}", dist.display())) {
        let path = entry.unwrap().path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js")
        ) {
            let bytes = std::fs::read(&path).unwrap();
            raw += bytes.len();
            gz += gzip_len(&bytes);
            br += brotli_len(&bytes);
            files += 1;
        }
    }
    assert!(files >= 2, "no wasm and JS in {}", dist.display());
    let kb = |n: usize| n as f64 / 1000.0;
    vec![
        Row::new("wasm + JS, brotli", kb(br), "KB", 200.0).detail(format!(
            "raw {:.1} KB, gzip {:.1} KB",
            kb(raw),
            kb(gz)
        )),
    ]
}
