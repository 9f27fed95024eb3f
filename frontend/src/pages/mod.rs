//! Routed screens.

pub mod audit;
pub mod import;
pub mod invite;
pub mod jobs;
pub mod requests;
pub mod users;

use crate::router::A;
use leptos::prelude::*;

/// Any URL the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <A href="/users">"Go to the users list."</A></p>
        </section>
    }
}
