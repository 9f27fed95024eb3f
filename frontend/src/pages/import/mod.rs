//! `/import`: invite many people from a CSV file. Read the file, match its columns, have the
//! proxy check every row (a dry run, which changes nothing), then start a job with the rows
//! that pass and follow it on `/jobs/{id}`.
//!
//! [`ImportPage`] wires the steps together: the file ([`file`]), its columns ([`columns`]),
//! each row read from its cells ([`rows`], [`cells`], and [`channels`] for the names to
//! look up), the check and the job ([`check`]), and the table of rows ([`preview`]).

mod cells;
mod channels;
mod check;
mod columns;
mod file;
mod preview;
mod rows;

use leptos::prelude::*;
use roster_api::MAX_CUSTOM_MESSAGE;

use self::{
    channels::{Lookups, look_up_channels},
    check::{CheckAndRun, Checks},
    columns::{ColumnMapping, Mapping, guess_mapping},
    preview::RowsPreview,
    rows::{ImportRow, RowContext, RowView, read_row},
};
pub use self::{columns::is_email_header, file::FileStep};
use crate::{csv, format, session::Session};

/// What the file should look like, before anyone uploads one: the columns, what each takes,
/// and a template to fill in.
#[component]
fn FormatHelp() -> impl IntoView {
    let session = expect_context::<Session>();
    let template = move || {
        let workspace = session
            .workspace_list()
            .first()
            .map(|w| w.name.clone())
            .unwrap_or_else(|| "Headquarters".to_string());
        let in_90_days = format::utc(format::now() + 90 * 86_400);
        let day = in_90_days.get(..10).unwrap_or_default().to_string();
        let text: String = [
            vec!["email", "name", "workspace", "channels", "type", "expires"],
            vec![
                "ada@example.com",
                "Ada Lee",
                &workspace,
                "#general",
                "member",
                "",
            ],
            vec![
                "sam@agency.example",
                "Sam Ortiz",
                &workspace,
                "#general",
                "multi-channel guest",
                &day,
            ],
        ]
        .iter()
        .map(|row| csv::write_record(row))
        .collect();
        format!(
            "data:text/csv;charset=utf-8,{}",
            String::from(js_sys::encode_uri_component(&text))
        )
    };
    view! {
        <div class="import-help" data-testid="import-help">
            <p>
                "One row per person, with a header row naming the columns. Only "<strong>"email"</strong>
                " is required; the other columns may be left out or empty."
            </p>
            <p><a class="button button-quiet" download="roster-import-template.csv" href=template>"Download a template CSV"</a></p>
            <details>
                <summary>"What each column takes"</summary>
                <dl class="facts">
                    {columns::Field::ALL.into_iter().map(|f| view! { <dt>{f.label()}</dt><dd>{f.hint()}</dd> }).collect_view()}
                </dl>
            </details>
        </div>
    }
}

/// The import page.
#[component]
pub fn ImportPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let text = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let parsed = Memo::new(move |_| csv::parse(&text.get()));
    let headers = Memo::new(move |_| {
        parsed.with(|p| {
            p.as_ref()
                .ok()
                .and_then(|r| r.first())
                .map(|(_, h)| h.clone())
                .unwrap_or_default()
        })
    });
    let mapping = RwSignal::new([None; 6] as Mapping);
    // A new header row: guess the columns again (only then, so choices survive edits).
    Effect::new(move |previous: Option<Vec<String>>| {
        let h = headers.get();
        if previous.as_ref() != Some(&h) {
            let guess = guess_mapping(&h);
            if mapping.get_untracked() != guess {
                mapping.set(guess);
            }
        }
        h
    });
    let default_workspace = RwSignal::new(String::new());
    Effect::new(move |_| {
        if default_workspace.get_untracked().is_empty()
            && let Some(first) = session.workspace_list().first()
        {
            default_workspace.set(first.id.clone());
        }
    });
    // One message for every invitation of the file.
    let message = RwSignal::new(String::new());
    let message_too_long =
        Signal::derive(move || message.with(|m| m.chars().count() > MAX_CUSTOM_MESSAGE));
    // Channel names found in the file, looked up once per workspace and name.
    let lookups = RwSignal::new(Lookups::new());
    let read = Memo::new(move |_| {
        let workspaces = session.workspace_list();
        let mapping = mapping.get();
        let default_workspace = default_workspace.get();
        let message = message.get();
        let mut wanted = Vec::new();
        let rows = lookups.with(|lookups| {
            let context = RowContext {
                mapping: &mapping,
                default_workspace: &default_workspace,
                workspaces: &workspaces,
                message: Some(message.trim()).filter(|m| !m.is_empty()),
                lookups,
            };
            parsed.with(|p| {
                p.as_ref()
                    .map(|records| {
                        records
                            .iter()
                            .skip(1)
                            .map(|(row, cells)| ImportRow {
                                row: *row,
                                cells: cells.clone(),
                                invite: read_row(cells, &context, &mut wanted),
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        });
        (rows, wanted)
    });
    let rows = Memo::new(move |_| read.with(|(rows, _)| rows.clone()));
    look_up_channels(move || read.with(|(_, wanted)| wanted.clone()), lookups);
    let ready = Memo::new(move |_| {
        rows.with(|rows| {
            rows.iter()
                .filter_map(|r| r.invite.clone().ok().map(|i| (r.row, i)))
                .collect::<Vec<_>>()
        })
    });
    let checks = Checks::new(ready, title);
    let busy = Signal::derive(move || checks.busy());
    let views = move || {
        let mapping = mapping.get();
        let default_workspace = default_workspace.get();
        rows.with(|rows| {
            rows.iter()
                .map(|r| RowView::new(r, &mapping, &default_workspace, &session, checks.verdict(r)))
                .collect::<Vec<_>>()
        })
    };

    view! {
        <section class="page page-import">
            <div class="page-head">
                <h1>"Import CSV"</h1>
                <p class="muted">"Invite many people at once. Nothing is sent until you run the job."</p>
            </div>
            <form class="form form-wide" on:submit=move |ev| ev.prevent_default()>
                <h2>"1. The file"</h2>
                <FormatHelp/>
                <FileStep text title busy placeholder="email,name,workspace,channels,type,expires" parse_error=move || parsed.get().err().map(|e| e.to_string())/>
                <Show when=move || !headers.with(Vec::is_empty)>
                    <h2>"2. The columns"</h2>
                    <div class="mapping">
                        <ColumnMapping headers mapping busy/>
                        <div class="field">
                            <label for="import-default-workspace">"Workspace for rows without one"</label>
                            <select id="import-default-workspace" prop:disabled=busy
                                on:change:target=move |ev| default_workspace.set(ev.target().value())>
                                {move || session.workspace_list().into_iter().map(|w| {
                                    let id = w.id.clone();
                                    view! { <option value=w.id.clone() selected=move || default_workspace.get() == id>{w.name}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field field-wide">
                            <label for="import-message">"Message in every invitation (optional)"</label>
                            <textarea id="import-message" rows="3" aria-describedby="import-message-count"
                                prop:value=move || message.get() prop:disabled=busy
                                on:input:target=move |ev| message.set(ev.target().value())></textarea>
                            <p class="muted" id="import-message-count">
                                {move || format!(
                                    "{} / {} characters",
                                    format::thousands(message.with(|m| m.chars().count())),
                                    format::thousands(MAX_CUSTOM_MESSAGE)
                                )}
                            </p>
                            <Show when=move || message_too_long.get()>
                                <p class="field-error" role="alert">{format!("The message is too long: at most {} characters.", format::thousands(MAX_CUSTOM_MESSAGE))}</p>
                            </Show>
                        </div>
                        <div class="field">
                            <label for="import-title">"Job name"</label>
                            <input id="import-title" type="text" autocomplete="off" placeholder="CSV import"
                                prop:value=move || title.get() prop:disabled=busy
                                on:input:target=move |ev| title.set(ev.target().value())/>
                        </div>
                    </div>
                    <h2>"3. Check and run"</h2>
                    <CheckAndRun rows headers checks message_too_long/>
                </Show>
            </form>
            <Show when=move || !rows.with(Vec::is_empty)>
                <RowsPreview rows=views/>
            </Show>
        </section>
    }
}
