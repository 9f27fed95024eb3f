//! Roster's browser app: mounts [`app::App`] on the page.

mod api;
mod app;
mod components;
mod csv;
mod format;
mod lazy;
mod pages;
mod perf;
mod session;
mod task;

fn main() {
    perf::mark(perf::APP_START);
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
