//! The table of the file's rows, each with what checking it found.

use leptos::prelude::*;

use super::rows::{RowView, Verdict};

/// Every row of the file and its verdict.
#[component]
pub fn RowsPreview(rows: impl Fn() -> Vec<RowView> + Send + Sync + 'static) -> impl IntoView {
    view! {
        <div class="table-wrap import-preview" role="region" aria-label="Rows of the file" tabindex="0">
            <table class="plain">
                <caption class="visually-hidden">"Rows of the file and what checking them found"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Row"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Workspace"</th>
                        <th scope="col">"Account type"</th>
                        <th scope="col">"Channels"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Result"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=rows key=|v| v.clone() let:v>
                        <tr data-row=v.row data-verdict=v.verdict.as_str()>
                            <td>{v.row}</td>
                            <td>{v.email.clone()}</td>
                            <td>{v.name.clone()}</td>
                            <td>{v.workspace.clone()}</td>
                            <td>{v.kind}</td>
                            <td><code>{v.channels.clone()}</code></td>
                            <td>{v.expires.clone()}</td>
                            <td>{match v.verdict.clone() {
                                Verdict::Pending(m) => view! { <span class="muted">{m}</span> }.into_any(),
                                Verdict::Unchecked => view! { <span class="muted">"Not checked yet"</span> }.into_any(),
                                Verdict::Ok(m) => view! { <span class="badge badge-active">"OK"</span>" "<span class="muted">{m}</span> }.into_any(),
                                Verdict::Fails(m) => view! { <span class="badge badge-deactivated">"Error"</span>" "{m} }.into_any(),
                            }}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}
