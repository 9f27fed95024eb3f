//! Routed screens.

pub mod users;

use leptos::prelude::*;

/// Any URL the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/users">"Go to the users list."</a></p>
        </section>
    }
}
