//! An error explained in words, with Slack's original code when there is one.

use leptos::prelude::*;

use crate::api::ApiError;

/// A visible, announced error box.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let slack = error.slack_error().map(str::to_string);
    view! {
        <div class="notice notice-error" role="alert">
            <p>{error.to_string()}</p>
            {slack.map(|code| view! { <p class="notice-code">"Slack error code: " <code>{code}</code></p> })}
        </div>
    }
}
