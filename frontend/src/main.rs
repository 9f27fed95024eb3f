//! Roster's browser app: mounts [`app::App`] on the page.

mod api;
mod app;
mod components;
mod csv;
mod format;
mod lazy;
mod loaded;
mod pages;
mod perf;
mod router;
mod session;
mod task;

fn main() {
    perf::mark(perf::APP_START);
    console_error_panic_hook::set_once();
    // The first users page is on its way already (index.html asked for it): the network is
    // free for the code the other pages share while the app draws.
    if api::users_started_early() {
        lazy::warm_up();
    }
    leptos::mount::mount_to_body(app::App);
}
