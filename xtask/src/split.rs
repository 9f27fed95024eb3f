//! Cutting the browser app into a first load and pages loaded when first opened.
//!
//! Trunk 0.21 builds one wasm file. The console's pages other than the users list are
//! lazy functions (frontend feature `split`, `wasm_split_helpers`), and the wasm is linked
//! with its relocations (`--emit-relocs`), so after Trunk has built everything this step
//! takes the linked wasm, splits it at those functions with `wasm_split_cli_support` (what
//! cargo-leptos uses), runs wasm-bindgen and wasm-opt again on the main part, and puts the
//! results in place of Trunk's wasm and JS. Every file it writes is named
//! after the build's hash, so the proxy may cache it forever like Trunk's files; the code
//! pages share travels in one file (`roster-shared-<hash>.bin`).

use std::{
    fs,
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256, Sha384};

use crate::{
    root,
    shell::{Cmd, note, step},
};

/// The Rust flags the split needs on top of the workspace's (`.cargo/config.toml` sets
/// `erase_components` for this target; an environment value replaces it, so it is repeated).
pub const RUSTFLAGS: &str = "--cfg erase_components -Clink-args=--emit-relocs";

/// The linked wasm as cargo wrote it, before wasm-bindgen.
fn linked_wasm() -> PathBuf {
    root().join("target/wasm32-unknown-unknown/wasm-release/roster-frontend.wasm")
}

/// Splits the app Trunk has just built into `dist`.
pub fn split(dist: &Path) -> Result<(), String> {
    step("Splitting the wasm at the lazy pages (wasm_split_cli_support)");
    let index_path = dist.join("index.html");
    let index = read_text(&index_path)?;
    // Trunk's output name, `roster-frontend-<hash>`, taken from its loader.
    let stem = index
        .split("import init, * as bindings from '/")
        .nth(1)
        .and_then(|rest| rest.split(".js'").next())
        .ok_or("dist/index.html has no Trunk loader for the app")?
        .to_string();

    let work = root().join("target/split");
    let _ = fs::remove_dir_all(&work);
    let parts = work.join("parts");
    let bindgen = work.join("bindgen");
    for dir in [&parts, &bindgen] {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let input = fs::read(linked_wasm())
        .map_err(|e| format!("cannot read {}: {e}", linked_wasm().display()))?;
    // The pages' files are named after what makes them: the linked wasm, this step and the
    // wasm-opt it runs; 16 hex digits, as the proxy expects of a file it may cache forever.
    let hash: String = Sha256::new()
        .chain_update(&input)
        .chain_update(include_str!("split.rs"))
        .chain_update(crate::tools::BINARYEN_VERSION)
        .finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // The main part is named anew too: its content depends on this step, not only on what
    // Trunk hashed.
    let trunk_stem = stem;
    let stem = format!("roster-frontend-{hash}");
    let main_wasm = work.join("main.wasm");
    let main_module = format!("./{stem}.js");
    let link_name = format!("./roster-pages-{hash}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = &parts;
        opts.main_out_path = &main_wasm;
        opts.main_module = &main_module;
        opts.link_name = &link_name;
        opts
    })
    .map_err(|e| format!("splitting the wasm failed: {e:#}"))?;
    if split.split_modules.is_empty() {
        return Err(
            "the wasm has no lazy pages to split off (was it built with feature `split`?)".into(),
        );
    }

    Cmd::new("wasm-bindgen")
        .args([
            "--target=web",
            "--keep-lld-exports",
            "--no-demangle",
            "--no-typescript",
        ])
        .arg(format!("--out-dir={}", bindgen.display()))
        .arg(format!("--out-name={stem}"))
        .arg(&main_wasm)
        .run()?;

    // The main part replaces Trunk's files.
    for old in [format!("{trunk_stem}.js"), format!("{trunk_stem}_bg.wasm")] {
        fs::remove_file(dist.join(&old)).map_err(|e| format!("cannot remove {old}: {e}"))?;
    }
    let bg = format!("{stem}_bg.wasm");
    wasm_opt(&bindgen.join(&bg), &dist.join(&bg))?;
    minify(
        &bindgen.join(format!("{stem}.js")),
        &dist.join(format!("{stem}.js")),
    )?;
    // wasm-bindgen copies any JS snippets the app declares; none today, but keep them.
    let snippets = bindgen.join("snippets");
    if snippets.exists() {
        return Err("the app declares JS snippets, which the split step does not place".into());
    }

    // The pages, renamed with the build's hash; the loader module names them.
    let link_file = link_name.trim_start_matches("./");
    let mut loader = read_text(&parts.join(link_file))?;
    let mut optimize = Vec::new();
    let mut chunks = Vec::new();
    let optimized = work.join("optimized");
    fs::create_dir_all(&optimized)
        .map_err(|e| format!("cannot create {}: {e}", optimized.display()))?;
    for part in &split.split_modules {
        let name = part
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("odd file name {}", part.display()))?;
        let quoted = format!("\"./{name}.wasm\"");
        if !loader.contains(&quoted) {
            return Err(format!("the page loader does not name {name}.wasm"));
        }
        if name.starts_with("chunk_") {
            let out = optimized.join(format!("{name}.wasm"));
            // Loaded by `const __chunk_10 = makeLoad(…)` for chunk_10.
            chunks.push((quoted, format!("__{name}"), out.clone()));
            optimize.push((part.clone(), out));
        } else {
            let hashed = format!("{}-{hash}.wasm", readable(name));
            loader = loader.replace(&quoted, &format!("\"./{hashed}\""));
            optimize.push((part.clone(), dist.join(&hashed)));
        }
    }
    wasm_opt_all(&optimize)?;

    // The code pages share is cut into many small modules (one per set of pages that
    // share it, about a hundred); fetched one by one they would cost a round trip per six
    // on HTTP/1.1. They go into one file instead, fetched once, the first time any page
    // needs one, and each is instantiated from its slice of it.
    let pack_name = format!("roster-shared-{hash}.bin");
    let mut pack = Vec::new();
    let mut modules = Vec::new();
    for (quoted, constant, path) in &chunks {
        if !loader.contains(&format!("const {constant} = makeLoad(")) {
            return Err(format!("the page loader does not define {constant}"));
        }
        modules.push(constant.as_str());
        let bytes = fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let fetch = format!("fetch(new URL({quoted}, import.meta.url))");
        if !loader.contains(&fetch) {
            return Err(format!(
                "the page loader does not fetch {quoted} as expected"
            ));
        }
        loader = loader.replace(&fetch, &format!("shared({}, {})", pack.len(), bytes.len()));
        pack.extend_from_slice(&bytes);
    }
    if !chunks.is_empty() {
        fs::write(dist.join(&pack_name), &pack)
            .map_err(|e| format!("cannot write {pack_name}: {e}"))?;
        let (first_line, rest) = loader
            .split_once('\n')
            .ok_or("the page loader is one line")?;
        loader = format!("{first_line}\n{}{rest}", shared_js(&pack_name));
        loader.push_str(&format!(
            "\nfunction sharedModules() {{ return [{}]; }}\n",
            modules.join(", ")
        ));
    }
    let loader_path = work.join(link_file);
    fs::write(&loader_path, loader).map_err(|e| format!("cannot write {link_file}: {e}"))?;
    minify(&loader_path, &dist.join(link_file))?;

    // Trunk's index.html loads and preloads the main JS and wasm, pinning them by their
    // SHA-384: new names, new digests. The page loader, which the main JS imports, is
    // preloaded beside it rather than asked for once the main JS has arrived.
    let mut index = index.replace(&trunk_stem, &stem);
    for file in [format!("{stem}.js"), bg] {
        index = replace_integrity(&index, &file, &integrity(&dist.join(&file))?)?;
    }
    let main_preload = format!("<link rel=\"modulepreload\" href=\"/{stem}.js\"");
    if !index.contains(&main_preload) {
        return Err("dist/index.html does not preload the main JS".into());
    }
    index = index.replacen(
        &main_preload,
        &format!(
            "<link rel=\"modulepreload\" href=\"/{link_file}\" crossorigin=\"anonymous\" integrity=\"{}\">{main_preload}",
            integrity(&dist.join(link_file))?
        ),
        1,
    );
    fs::write(&index_path, index).map_err(|e| format!("cannot write index.html: {e}"))?;
    let pages: Vec<String> = split
        .split_modules
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()))
        .filter(|s| s.starts_with("split_"))
        .map(readable)
        .collect();
    note(&format!(
        "split off: {} ({} files with the code they share)",
        pages.join(", "),
        split.split_modules.len()
    ));
    Ok(())
}

/// `split_audit` for the splitter's `split_audit` (a page) or `split_audit_1088292347361674915`
/// (a page named by Leptos' `#[lazy]`, which adds a number); shared chunks keep their names
/// (`chunk_12`).
fn readable(name: &str) -> String {
    let Some(rest) = name.strip_prefix("split_") else {
        return name.to_string();
    };
    let rest = rest.trim_start_matches('_');
    let rest = match rest.rsplit_once('_') {
        Some((head, digits)) if digits.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => rest,
    };
    format!("split_{rest}")
}

/// The page loader's access to the shared modules' file: fetched once (again after a
/// failure), each module served from its slice as a wasm response. The app fetches it as
/// soon as the network is free and instantiates its modules once the users list has
/// painted, so that the first page opened waits only for its own file.
fn shared_js(pack_name: &str) -> String {
    format!(
        r#"let sharedFile = undefined;
function sharedBytes() {{
    if (sharedFile === undefined) {{
        const loading = fetch(new URL("./{pack_name}", import.meta.url)).then(r => {{
            if (!r.ok) throw new Error(`{pack_name}: HTTP ${{r.status}}`);
            return r.arrayBuffer();
        }});
        loading.catch(() => {{ if (sharedFile === loading) sharedFile = undefined; }});
        sharedFile = loading;
    }}
    return sharedFile;
}}
function shared(offset, length) {{
    return sharedBytes().then(bytes => new Response(new Uint8Array(bytes, offset, length), {{
        headers: {{ "Content-Type": "application/wasm" }},
    }}));
}}
// Called by the app when the network is free (frontend/src/lazy.rs, `warm_up`): fetches
// the shared file.
globalThis.rosterWarmUp = () => {{ sharedBytes().catch(() => {{}}); }};
// Called once the users list has painted (`prepare`): instantiates every shared module as
// soon as the file is here, so a page opened later waits only for its own file.
globalThis.rosterPrepare = () => {{
    sharedBytes().then(() => {{
        for (const load of sharedModules()) load().catch(() => {{}});
    }}, () => {{}});
}};
"#
    )
}

/// [`wasm_opt`] on each (input, output), on every core (each run starts Node).
fn wasm_opt_all(files: &[(PathBuf, PathBuf)]) -> Result<(), String> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((input, output)) = files.get(i) else {
                            return Ok(());
                        };
                        wasm_opt(input, output)?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("wasm-opt worker panicked".into()))
            })
            .collect::<Result<Vec<()>, String>>()
            .map(drop)
    })
}

/// `sha384-…` of a file, for an `integrity` attribute.
fn integrity(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(format!(
        "sha384-{}",
        STANDARD.encode(Sha384::digest(&bytes))
    ))
}

/// npm terser: the JavaScript of the bundle without its spaces and comments, and with
/// short local names (exports and the wasm's import names are kept).
fn minify(input: &Path, output: &Path) -> Result<(), String> {
    Cmd::new("terser")
        .args(["--module", "--compress", "--mangle", "--output"])
        .arg(output)
        .arg(input)
        .run()
}

/// npm binaryen's wasm-opt at its smallest size level (`-Oz`). Its output depends only on
/// the input and binaryen's version, so it is kept under `target/wasm-opt-cache/` by the
/// input's hash: a build whose parts did not change runs none of it again.
fn wasm_opt(input: &Path, output: &Path) -> Result<(), String> {
    let bytes = fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let key: String = Sha256::new()
        .chain_update(&bytes)
        .chain_update(crate::tools::BINARYEN_VERSION)
        .chain_update("-Oz")
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cache = root().join("target/wasm-opt-cache");
    let cached = cache.join(format!("{key}.wasm"));
    if !cached.exists() {
        fs::create_dir_all(&cache)
            .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
        // Written beside, then renamed: a run stopped half-way leaves no broken entry.
        let partial = cache.join(format!("{key}.partial-{}", std::process::id()));
        Cmd::new("wasm-opt")
            .arg("-Oz")
            .arg(format!("--output={}", partial.display()))
            .arg(input)
            .run()?;
        fs::rename(&partial, &cached)
            .map_err(|e| format!("cannot write {}: {e}", cached.display()))?;
    }
    fs::copy(&cached, output)
        .map(drop)
        .map_err(|e| format!("cannot write {}: {e}", output.display()))
}

/// Sets the `integrity` of the `<link>` whose `href` is `/file`.
fn replace_integrity(index: &str, file: &str, integrity: &str) -> Result<String, String> {
    let href = format!("href=\"/{file}\"");
    let at = index
        .find(&href)
        .ok_or_else(|| format!("index.html does not link /{file}"))?;
    let tag_end = at
        + index[at..]
            .find('>')
            .ok_or("index.html ends inside a tag")?;
    let attr = index[at..tag_end]
        .find("integrity=\"")
        .map(|i| at + i + "integrity=\"".len())
        .ok_or_else(|| format!("the link to /{file} has no integrity"))?;
    let value_end = attr + index[attr..].find('"').ok_or("unterminated integrity")?;
    Ok(format!(
        "{}{integrity}{}",
        &index[..attr],
        &index[value_end..]
    ))
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
