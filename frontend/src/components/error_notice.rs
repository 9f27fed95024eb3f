//! An error explained in words, with Slack's original code when there is one.

use leptos::prelude::*;

use crate::api::ApiError;

/// A visible, announced error box.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let slack = error.slack_error().map(str::to_string);
    let details = error
        .details()
        .map(|(code, permission)| (code.to_string(), permission));
    view! {
        <div class="notice notice-error" role="alert">
            <p>{error.to_string()}</p>
            {slack.map(|code| view! { <p class="notice-code">"Slack error code: " <code>{code}</code></p> })}
            {details.map(|(code, permission)| view! {
                <details class="notice-code">
                    <summary>"Details"</summary>
                    "Roster's code: "<code>{code}</code>
                    {permission.map(|p| view! { "; the role needs "<code>{p.as_str()}</code> })}
                </details>
            })}
        </div>
    }
}
