//! Code loaded when it is first needed.
//!
//! With feature `split` (the release bundle, `cargo xtask build`), a function declared with
//! [`lazy_view!`] is cut out of the first load into a wasm file of its own, fetched the first
//! time it is called; without it, the function is compiled in. Either way it is `async`, and
//! [`later`] shows its view once it is ready.

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

/// `async fn name(args) -> AnyView`, split off with feature `split`. Parameters must be
/// concrete types (no generics, no `impl Trait`).
macro_rules! lazy_view {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$doc])*
        #[cfg(feature = "split")]
        #[leptos::lazy]
        $vis fn $name($($arg: $ty),*) -> leptos::prelude::AnyView $body

        $(#[$doc])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> leptos::prelude::AnyView $body
    };
}
pub(crate) use lazy_view;

/// Starts fetching the code the lazy pages share (`rosterWarmUp`, defined by the release
/// bundle's page loader; a build without the split has nothing to fetch).
pub fn warm_up() {
    call_loader("rosterWarmUp");
}

/// Fetches the code the lazy pages share, if not yet, and gets it ready to run
/// (`rosterPrepare`): called once the first rows are painted, since it takes the main
/// thread for a moment.
pub fn prepare() {
    call_loader("rosterPrepare");
}

fn call_loader(name: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(f) = js_sys::Reflect::get(&window, &name.into())
        && let Some(f) = f.dyn_ref::<js_sys::Function>()
    {
        let _ = f.call0(&window);
    }
}

/// The view `view` makes, shown once it is ready (at once when its code is already here).
pub fn later(view: impl Future<Output = AnyView> + 'static) -> impl IntoView {
    // The browser has one thread; Suspend asks for a future that could be sent.
    Suspend::new(SendWrapper::new(view))
}
