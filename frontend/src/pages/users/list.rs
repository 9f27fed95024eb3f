//! The Users page: the org's users in a table, with the total.

use std::collections::HashMap;

use leptos::prelude::*;
use roster_api::UserQuery;

use crate::{
    api,
    components::{ErrorNotice, UserTable},
    format, perf,
};

/// `/users`: the directory of the org.
#[component]
pub fn UsersPage() -> impl IntoView {
    let users = LocalResource::new(|| async { api::list_users(&UserQuery::default()).await });
    let workspaces = LocalResource::new(|| async { api::list_workspaces().await });

    let content = move || {
        Suspend::new(async move {
            let page = users.await;
            // Workspace names are a nicety: show IDs if they cannot be loaded.
            let names: HashMap<String, String> = match workspaces.await {
                Ok(list) => list.into_iter().map(|w| (w.id, w.name)).collect(),
                Err(_) => HashMap::new(),
            };
            match page {
                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                Ok(page) if page.users.is_empty() => view! {
                    <p class="empty">"No users yet. The directory is still being loaded from Slack."</p>
                }
                .into_any(),
                Ok(page) => {
                    // The rows are mounted right after this view is returned; the next
                    // animation frame is the first paint that shows them.
                    request_animation_frame(|| perf::mark_once(perf::FIRST_ROWS));
                    let summary = format!(
                        "{} · showing {}–{}",
                        format::count(page.total, "user", "users"),
                        format::thousands(page.offset + 1),
                        format::thousands(page.offset + page.users.len())
                    );
                    view! {
                        <p class="result-count" data-testid="total">{summary}</p>
                        <UserTable users=page.users workspace_names=names/>
                    }
                    .into_any()
                }
            }
        })
    };

    view! {
        <section class="page">
            <h1>"Users"</h1>
            <Suspense fallback=|| view! { <p class="loading" aria-live="polite">"Loading users…"</p> }>
                {content}
            </Suspense>
        </section>
    }
}
