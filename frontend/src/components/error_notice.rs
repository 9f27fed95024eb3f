//! An error explained in words, with Slack's original code when there is one.

use leptos::prelude::*;

use crate::api::ApiError;

/// A visible, announced error box.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let slack = match &error {
        ApiError::Server {
            slack_error: Some(code),
            ..
        } => Some(code.clone()),
        _ => None,
    };
    view! {
        <div class="notice notice-error" role="alert">
            <p>{error.to_string()}</p>
            {slack.map(|code| view! { <p class="notice-code">"Slack error: " <code>{code}</code></p> })}
        </div>
    }
}
