//! `performance.mark` names, so load time can be measured from outside (the browser
//! tests read them with `performance.getEntriesByName`).

/// The wasm module is instantiated and `main` runs.
pub const APP_START: &str = "roster:app-start";
/// The first rows of the users table are in the DOM.
pub const FIRST_ROWS: &str = "roster:first-rows";

/// Records a mark; does nothing where the Performance API is missing.
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

/// Records `name` once per page load; whether it did now.
pub fn mark_once(name: &str) -> bool {
    let seen = web_sys::window()
        .and_then(|w| w.performance())
        .is_some_and(|p| p.get_entries_by_name(name).length() > 0);
    if !seen {
        mark(name);
    }
    !seen
}
