//! The router and the page frame.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Redirect, Route, Router, Routes},
    path,
};

use crate::pages::{NotFound, users::UsersPage};

/// The whole app: header, navigation and the routed page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    <img src="/favicon.svg" alt="" width="24" height="24"/>
                    <span>"Roster"</span>
                </A>
                <nav aria-label="Main">
                    <A href="/users">"Users"</A>
                </nav>
            </header>
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path="/users"/> }/>
                    <Route path=path!("/users") view=UsersPage/>
                </Routes>
            </main>
        </Router>
    }
}
