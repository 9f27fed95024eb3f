//! Code loaded when it is first needed.
//!
//! With feature `split` (the release bundle, `cargo xtask build`), a function declared with
//! [`lazy_view!`] is cut out of the first load into a wasm file of its own, fetched the first
//! time it is called; without it, the function is compiled in. Either way it is `async`, and
//! [`later`] shows its view once it is ready, or says that its code could not be fetched
//! (the network, or a Roster updated since the tab was opened) and offers to try again.

use std::{future::Future, pin::Pin};

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

/// `async fn name(args) -> Result<AnyView, NotLoaded>`, split off with feature `split` (by
/// `wasm_split_helpers`, which Leptos' `#[lazy]` uses too, but asked to report a failed
/// fetch instead of aborting the app). Parameters must be concrete types (no generics, no
/// `impl Trait`); names must be unique in the app (each names its wasm file).
macro_rules! lazy_view {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$doc])*
        #[cfg(feature = "split")]
        #[wasm_split_helpers::wasm_split($name, wasm_split_path = ::wasm_split_helpers, fallible)]
        $vis fn $name($($arg: $ty),*) -> ::std::result::Result<leptos::prelude::AnyView, $crate::lazy::NotLoaded> {
            ::std::result::Result::Ok($body)
        }

        $(#[$doc])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> ::std::result::Result<leptos::prelude::AnyView, $crate::lazy::NotLoaded> {
            ::std::result::Result::Ok($body)
        }
    };
}
pub(crate) use lazy_view;

/// A [`lazy_view!`] function's code could not be fetched (the reason is in the console).
#[derive(Debug, Clone, Copy)]
pub struct NotLoaded;

#[cfg(feature = "split")]
impl From<wasm_split_helpers::SplitLoaderError> for NotLoaded {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        NotLoaded
    }
}

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

/// The view `load` makes, shown once it is ready (at once when its code is already here).
/// While its code is on its way, "Loading…" (shown after a moment, so that a quick load
/// does not flash it); if the code cannot be fetched, an alert that says so, with "Try
/// again" (which calls `load` anew) and "Reload Roster".
pub fn later<F, Fut>(load: F) -> AnyView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<AnyView, NotLoaded>> + 'static,
{
    // One copy of the machinery below for every lazy view, not one per caller.
    later_boxed(Box::new(move || Box::pin(load())))
}

type Loading = Pin<Box<dyn Future<Output = Result<AnyView, NotLoaded>>>>;

fn later_boxed(load: Box<dyn Fn() -> Loading>) -> AnyView {
    let attempt = RwSignal::new(0u32);
    let waiting = RwSignal::new(true);
    // The browser has one thread; views and Suspend ask for what could be sent.
    let load = SendWrapper::new(load);
    let shown = move || {
        attempt.track();
        let view = load();
        Suspend::new(SendWrapper::new(async move {
            let answer = view.await;
            waiting.set(false);
            match answer {
                Ok(view) => view,
                Err(NotLoaded) => view! {
                    <NotLoadedNotice retry=move || {
                        waiting.set(true);
                        attempt.update(|n| *n += 1);
                    }/>
                }
                .into_any(),
            }
        }))
    };
    view! {
        {move || waiting.get().then(|| view! {
            <p class="loading loading-code" role="status">"Loading…"</p>
        })}
        {shown}
    }
    .into_any()
}

/// Says that a part of the console could not be fetched, and offers to try again.
#[component]
fn NotLoadedNotice(retry: impl Fn() + 'static) -> impl IntoView {
    view! {
        <div class="notice notice-error not-loaded" role="alert">
            <p><strong>"This part of Roster could not be loaded."</strong>
                " Its code did not arrive: the network may be down, or Roster was updated since this tab was opened."</p>
            <p class="not-loaded-actions">
                <button type="button" class="button" on:click=move |_| retry()>"Try again"</button>
                <button type="button" class="button button-quiet" on:click=|_| {
                    let _ = window().location().reload();
                }>"Reload Roster"</button>
            </p>
        </div>
    }
}
