//! The browser bundle's size: what a first visit downloads.

use std::{collections::BTreeSet, io::Write, path::Path};

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

/// Sizes of a set of files: raw, gzip and brotli (at the highest levels, as pre-compressed).
#[derive(Default)]
struct Sizes {
    files: usize,
    raw: usize,
    gz: usize,
    br: usize,
}

impl Sizes {
    fn add(&mut self, bytes: &[u8]) {
        self.files += 1;
        self.raw += bytes.len();
        self.gz += gzip_len(bytes);
        self.br += brotli_len(bytes);
    }
}

/// The files of `dist` that `index.html` links (`href="/…"`), and the JS modules those
/// import (`from "./…"`): what the browser fetches before it can show the users list.
fn first_load(dist: &Path) -> BTreeSet<String> {
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let mut files: BTreeSet<String> = quoted_after(&index, "href=\"/")
        .chain(quoted_after(&index, "from '/"))
        .filter(|f| f.ends_with(".js") || f.ends_with(".wasm") || f.ends_with(".css"))
        .collect();
    let mut queue: Vec<String> = files
        .iter()
        .filter(|f| f.ends_with(".js"))
        .cloned()
        .collect();
    while let Some(js) = queue.pop() {
        let text = std::fs::read_to_string(dist.join(&js)).unwrap();
        for imported in quoted_after(&text, "from \"./").chain(quoted_after(&text, "from './")) {
            if files.insert(imported.clone()) {
                queue.push(imported);
            }
        }
    }
    files
}

/// Every `X` in `text` written as `{prefix}X"` or `{prefix}X'`.
fn quoted_after<'a>(text: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    text.split(prefix)
        .skip(1)
        .filter_map(|rest| rest.split(['"', '\'']).next())
        .map(str::to_string)
}

/// The first load (wasm, JS and CSS that the users list needs), and the pages loaded when
/// first opened.
pub fn measure(dist: &Path) -> Vec<Row> {
    let first = first_load(dist);
    let (mut now, mut later) = (Sizes::default(), Sizes::default());
    let mut largest_later = (0, String::new());
    for entry in std::fs::read_dir(dist).unwrap_or_else(|e| panic!("{}: {e}", dist.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js" | "css" | "bin")
        ) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if first.contains(&name) {
            now.add(&bytes);
        } else {
            let before = later.br;
            later.add(&bytes);
            if later.br - before > largest_later.0 && name.starts_with("split_") {
                largest_later = (later.br - before, name);
            }
        }
    }
    assert!(
        now.files >= 3,
        "no wasm, JS and CSS linked from {}",
        dist.display()
    );
    let kb = |n: usize| n as f64 / 1000.0;
    vec![
        Row::new("first load: wasm + JS + CSS, brotli", kb(now.br), "KB", 200.0).detail(format!(
            "{} files, raw {:.1} KB, gzip {:.1} KB; loaded when a page is first opened: {} more files, {:.1} KB brotli in all, the largest page {:.1} KB ({})",
            now.files,
            kb(now.raw),
            kb(now.gz),
            later.files,
            kb(later.br),
            kb(largest_later.0),
            largest_later.1.split('-').next().unwrap_or_default().trim_start_matches("split_"),
        )),
    ]
}
