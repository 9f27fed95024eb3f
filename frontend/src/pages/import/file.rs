//! Step 1: the file, chosen from disk or pasted (also the list of addresses the users
//! page selects people by).

use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, HtmlInputElement};

use crate::task::Task;

/// Largest file the page reads; far more than `MAX_JOB_OPERATIONS` rows need.
const MAX_FILE_BYTES: f64 = 5_000_000.0;

/// The file input and the text it fills (or that is pasted). A chosen file names the job
/// unless a name was typed.
#[component]
pub fn FileStep(
    /// The CSV text.
    text: RwSignal<String>,
    /// The job's name.
    title: RwSignal<String>,
    /// Why the text cannot be read as CSV.
    #[prop(into)]
    parse_error: Signal<Option<String>>,
    /// Whether the page is checking or starting the job.
    busy: Signal<bool>,
    /// What the text area shows while empty: the columns expected.
    placeholder: &'static str,
) -> impl IntoView {
    let file_name = RwSignal::new(None::<String>);
    let file_error = RwSignal::new(None::<String>);
    // The file to read next, handed to `read` as it starts.
    let chosen = StoredValue::new_local(None::<File>);
    let read = Task::new(move || {
        let file = chosen.try_update_value(Option::take).flatten();
        async move {
            let Some(file) = file else { return Ok(()) };
            let name = file.name();
            match JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string())
            {
                Some(contents) => {
                    if title.try_get_untracked().is_some_and(|t| t.is_empty()) {
                        title.try_set(format!("Import {name}"));
                    }
                    file_name.try_set(Some(name));
                    text.try_set(contents);
                }
                None => {
                    file_error.try_set(Some(format!("{name} could not be read as text.")));
                }
            }
            Ok(())
        }
    });
    let on_file = move |input: HtmlInputElement| {
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // Choosing the same file again (after fixing it) must read it again.
        input.set_value("");
        file_error.set(None);
        if file.size() > MAX_FILE_BYTES {
            file_error.set(Some(format!(
                "{} is too large to import (at most 5 MB).",
                file.name()
            )));
            return;
        }
        chosen.set_value(Some(file));
        read.start();
    };

    view! {
        <div class="field">
            <label for="import-file">"CSV file"</label>
            <input id="import-file" type="file" accept=".csv,text/csv,text/plain" aria-describedby="import-file-hint"
                prop:disabled=busy on:change:target=move |ev| on_file(ev.target())/>
            <p class="muted" id="import-file-hint">
                "The first row names the columns. Rows are numbered as in a spreadsheet: the header is row 1."
            </p>
            {move || file_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
        <div class="field">
            <label for="import-text">{move || match file_name.get() { Some(n) => format!("Contents of {n}"), None => "Or paste the CSV".to_string() }}</label>
            <textarea id="import-text" rows="6" class="mono" spellcheck="false" prop:disabled=busy
                placeholder=placeholder
                prop:value=move || text.get() on:input:target=move |ev| text.set(ev.target().value())></textarea>
            {move || parse_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}
