//! A user's initials in a coloured circle (no image: the CSP and the directory do not need one).

use leptos::prelude::*;

use crate::format;

/// Initials avatar; `large` on the detail page.
#[component]
pub fn Avatar(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(optional)] large: bool,
) -> impl IntoView {
    let class = format!(
        "avatar {}{}",
        format::avatar_class(&id),
        if large { " avatar-large" } else { "" }
    );
    view! { <span class=class aria-hidden="true">{format::initials(&name)}</span> }
}
