//! The app's addresses: where it is ([`Location`]: the path and the query string, as
//! signals), links ([`A`]) and navigation through the History API. The pages are chosen
//! by `app.rs` from the path's segments.
//!
//! A small router on purpose: the console's addresses are a handful of fixed paths, some
//! with one ID, so a general route matcher would only add to the first load.

use leptos::{ev, prelude::*};
use wasm_bindgen::{JsCast, JsValue};

/// Where the app is.
#[derive(Clone, Copy)]
pub struct Location {
    /// The path (`/users/U123`).
    pub pathname: Memo<String>,
    /// The query string with its `?`, or empty.
    pub search: Memo<String>,
    url: RwSignal<(String, String)>,
}

/// How a navigation goes.
#[derive(Debug, Clone, Copy)]
pub struct NavigateOptions {
    /// In place of the current history entry rather than a new one.
    pub replace: bool,
    /// To the top of the page.
    pub scroll: bool,
}

impl Default for NavigateOptions {
    fn default() -> Self {
        Self {
            replace: false,
            scroll: true,
        }
    }
}

/// The browser's path and query string now.
fn current() -> (String, String) {
    let location = window().location();
    (
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default(),
    )
}

impl Location {
    /// Makes the location the app's context, and follows the browser's: back and forward,
    /// and clicks on links to the app's own pages.
    pub fn provide() -> Self {
        let url = RwSignal::new(current());
        let location = Location {
            pathname: Memo::new(move |_| url.with(|u| u.0.clone())),
            search: Memo::new(move |_| url.with(|u| u.1.clone())),
            url,
        };
        provide_context(location);
        let back = window_event_listener(ev::popstate, move |_| url.set(current()));
        let clicks = window_event_listener(ev::click, move |ev| location.follow(&ev));
        on_cleanup(move || {
            back.remove();
            clicks.remove();
        });
        location
    }

    /// Segment `i` of the path, decoded (`/users/U123`: 0 is `users`, 1 is `U123`).
    pub fn segment(&self, i: usize) -> Option<String> {
        self.pathname.with(|path| {
            let segment = path.split('/').filter(|s| !s.is_empty()).nth(i)?;
            js_sys::decode_uri_component(segment).ok().map(String::from)
        })
    }

    /// The value of `key` in the query string, decoded.
    pub fn query(&self, key: &str) -> Option<String> {
        self.search.with(|search| {
            form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        })
    }

    /// Goes to `to`, a path on this origin with an optional query string.
    pub fn go(&self, to: &str, options: NavigateOptions) {
        let Ok(history) = window().history() else {
            return;
        };
        let moved = if options.replace {
            history.replace_state_with_url(&JsValue::NULL, "", Some(to))
        } else {
            history.push_state_with_url(&JsValue::NULL, "", Some(to))
        };
        if moved.is_err() {
            return;
        }
        self.url.set(current());
        if options.scroll {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    }

    /// A plain click on a link to one of the app's pages moves within the app instead of
    /// loading the page anew. Left to the browser: clicks with a modifier key or another
    /// button, links with a target or `download`, other origins, and anchors within the
    /// page shown.
    fn follow(&self, ev: &web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.alt_key()
            || ev.ctrl_key()
            || ev.shift_key()
        {
            return;
        }
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
        else {
            return;
        };
        if link.has_attribute("download")
            || link.get_attribute("target").is_some_and(|t| !t.is_empty())
            || link
                .get_attribute("rel")
                .is_some_and(|r| r.split_whitespace().any(|r| r == "external"))
        {
            return;
        }
        let page = window().location();
        let (Some(href), Ok(base)) = (link.get_attribute("href"), page.href()) else {
            return;
        };
        let Ok(url) = web_sys::Url::new_with_base(&href, &base) else {
            return;
        };
        if Ok(url.origin()) != page.origin() {
            return;
        }
        let (path, search) = current();
        if !url.hash().is_empty() && url.pathname() == path && url.search() == search {
            return;
        }
        ev.prevent_default();
        let to = format!("{}{}{}", url.pathname(), url.search(), url.hash());
        self.go(&to, NavigateOptions::default());
    }
}

/// The app's location.
pub fn use_location() -> Location {
    expect_context()
}

/// Navigation, for code that runs outside the component that asks for it.
pub fn use_navigate() -> impl Fn(&str, NavigateOptions) + Clone + 'static {
    let location = use_location();
    move |to: &str, options| location.go(to, options)
}

/// A link within the app, marked `aria-current="page"` while the app is at its path or
/// under it.
#[component]
pub fn A(#[prop(into)] href: Signal<String>, children: Children) -> impl IntoView {
    let location = use_location();
    let current = move || {
        href.with(|href| {
            let path = href.split(['?', '#']).next().unwrap_or_default();
            let path = path.trim_end_matches('/');
            location.pathname.with(|at| {
                let at = at.trim_end_matches('/');
                at == path
                    || at
                        .strip_prefix(path)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        })
    };
    view! {
        <a href=move || href.get() aria-current=move || current().then_some("page")>
            {children()}
        </a>
    }
}
