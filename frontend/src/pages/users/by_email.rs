//! "Select by email": a list of addresses (a CSV from HR, or pasted) becomes the table's
//! selection, ready for a bulk change such as offboarding every leaver on it.

use std::collections::HashSet;

use leptos::prelude::*;
use roster_api::{EmailLookup, EmailMatch, EmailMatches};

use crate::{
    api,
    components::{Dialog, ErrorNotice, Selection},
    csv, format,
    lazy::{later, lazy_view},
    pages::import::{FileStep, is_email_header},
    task::Task,
};

/// The addresses in `text`, each once (ignoring case), in the order given: a CSV's email
/// column, found by its header; without one, every cell, all of which must be addresses
/// (a first row without any address is taken as a header and skipped).
pub fn addresses(text: &str) -> Result<Vec<String>, String> {
    let records = csv::parse(text).map_err(|e| e.to_string())?;
    let header = records.first().map(|(_, cells)| cells.as_slice());
    let column = header.and_then(|h| h.iter().position(|c| is_email_header(c)));
    let cells: Vec<(usize, &str)> = match column {
        Some(i) => records
            .iter()
            .skip(1)
            .filter_map(|(row, cells)| cells.get(i).map(|c| (*row, c.trim())))
            .collect(),
        None => {
            let skip = usize::from(header.is_some_and(|h| !h.iter().any(|c| c.contains('@'))));
            records
                .iter()
                .skip(skip)
                .flat_map(|(row, cells)| cells.iter().map(move |c| (*row, c.trim())))
                .collect()
        }
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (row, cell) in cells {
        if cell.is_empty() {
            continue;
        }
        if !cell.contains('@') {
            return Err(match column {
                Some(_) => format!("Row {row}: \u{201c}{cell}\u{201d} is not an email address."),
                None => format!(
                    "Row {row}: \u{201c}{cell}\u{201d} is not an email address. A file with several columns needs one named \u{201c}email\u{201d}."
                ),
            });
        }
        if seen.insert(format::lowercase(cell)) {
            out.push(cell.to_string());
        }
    }
    Ok(out)
}

/// The "Select by email" dialog; selecting the people found opens `bulk_open`.
#[component]
pub fn SelectByEmailDialog(
    open: RwSignal<bool>,
    selection: Selection,
    bulk_open: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <Dialog open title="Select people by email">
            {later(move || select_by_email_form(open, selection, bulk_open))}
        </Dialog>
    }
}

lazy_view! {
    /// The form, loaded the first time the dialog opens.
    fn select_by_email_form(open: RwSignal<bool>, selection: Selection, bulk_open: RwSignal<bool>) {
        view! { <SelectByEmailForm open selection bulk_open/> }.into_any()
    }
}

/// The form inside the dialog; made anew each time it opens.
#[component]
fn SelectByEmailForm(
    open: RwSignal<bool>,
    selection: Selection,
    bulk_open: RwSignal<bool>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    // FileStep names a job after the file; nothing here is a job.
    let unused_title = RwSignal::new(String::new());
    let read = Memo::new(move |_| text.with(|t| addresses(t)));
    let asked = RwSignal::new(None::<(Vec<String>, EmailMatches)>);
    let find = Task::new(move || {
        let emails = read.get_untracked().unwrap_or_default();
        async move {
            let lookup = EmailLookup {
                emails: emails.clone(),
            };
            let found = api::users_by_email(&lookup).await?;
            asked.try_set(Some((emails, found)));
            Ok(())
        }
    });
    let busy = Signal::derive(move || find.running());
    // The answer, while it is still for the addresses in the box.
    let fresh = Memo::new(move |_| {
        let now = read.with(|r| r.clone().unwrap_or_default());
        asked.with(|a| {
            a.as_ref()
                .filter(|(emails, _)| *emails == now)
                .map(|(_, m)| m.matches.clone())
        })
    });
    let found = move || {
        fresh.with(|f| {
            f.iter()
                .flatten()
                .filter(|m| m.user.is_some())
                .cloned()
                .collect::<Vec<EmailMatch>>()
        })
    };
    let missing = move || {
        fresh.with(|f| {
            f.iter()
                .flatten()
                .filter(|m| m.user.is_none())
                .map(|m| m.email.clone())
                .collect::<Vec<String>>()
        })
    };
    let count = move || read.with(|r| r.as_ref().map_or(0, Vec::len));
    let too_many = move || count() > EmailLookup::MAX_EMAILS;
    let select = move |_| {
        let ids: HashSet<String> = found()
            .into_iter()
            .filter_map(|m| m.user.map(|u| u.id))
            .collect();
        selection.clear();
        selection.ids.set(ids);
        open.set(false);
        bulk_open.set(true);
    };

    view! {
        <form class="form" on:submit=move |ev| {
            ev.prevent_default();
            if count() > 0 && !too_many() {
                find.start();
            }
        }>
            <p class="muted">
                "A list of complete addresses, such as leavers from HR: a CSV with a column named email, or one address per line. "
                "The people found become the selection, for a bulk action such as Offboard."
            </p>
            <FileStep text title=unused_title busy placeholder="email\nleaver@example.com"
                parse_error=move || read.get().err()/>
            <Show when=too_many>
                <p class="field-error" role="alert">
                    {move || format!("At most {} addresses at once; this list has {}.",
                        format::thousands(EmailLookup::MAX_EMAILS), format::thousands(count()))}
                </p>
            </Show>
            {move || find.error().map(|e| view! { <ErrorNotice error=e/> })}
            {move || fresh.get().map(|_| {
                let found = found();
                let missing = missing();
                view! {
                    <div class="review" role="status">
                        <p data-testid="email-summary">{format!(
                            "{} of {} found on your workspaces.",
                            format::thousands(found.len()),
                            format::count(found.len() + missing.len(), "address", "addresses")
                        )}</p>
                        {(!missing.is_empty()).then(|| view! {
                            <p>{if missing.len() == 1 { "No one on your workspaces has this address:" } else { "No one on your workspaces has these addresses:" }}</p>
                            <ul class="check-list" aria-label="Addresses not found">
                                {missing.into_iter().map(|e| view! { <li><code>{e}</code></li> }).collect_view()}
                            </ul>
                        })}
                        {(!found.is_empty()).then(|| view! {
                            <ul class="found-list" aria-label="People found">
                                {found.into_iter().filter_map(|m| m.user.map(|u| (m.email, u))).map(|(asked, u)| view! {
                                    <li>
                                        <strong>{u.name}</strong>" "<code>{u.email.unwrap_or(asked)}</code>" "
                                        <span class="muted">{u.status.label()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    </div>
                }
            })}
            <div class="dialog-buttons">
                <button type="button" class="button-quiet" on:click=move |_| open.set(false)>"Cancel"</button>
                {move || match fresh.with(Option::is_some) {
                    false => view! {
                        <button type="submit" class="button" prop:disabled=move || busy.get() || count() == 0 || too_many()>
                            {move || if busy.get() { "Finding…".to_string() } else { format!("Find {}", format::count(count(), "address", "addresses")) }}
                        </button>
                    }.into_any(),
                    true => view! {
                        <button type="button" class="button" prop:disabled=move || found().is_empty() on:click=select>
                            {move || format!("Select {} and choose an action", format::count(found().len(), "person", "people"))}
                        </button>
                    }.into_any(),
                }}
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_email_column_of_a_csv() {
        let text = "Name,Email,Manager\nAda,ada@corp.example,mgr@corp.example\nBob,BOB@corp.example,mgr@corp.example\nAda again,Ada@Corp.example,x@corp.example\n";
        assert_eq!(
            addresses(text).unwrap(),
            vec!["ada@corp.example", "BOB@corp.example"]
        );
    }

    #[test]
    fn reads_a_plain_list_with_or_without_a_header() {
        assert_eq!(
            addresses("a@x.example\n\nb@x.example\n").unwrap(),
            vec!["a@x.example", "b@x.example"]
        );
        assert_eq!(
            addresses("leavers\na@x.example\n").unwrap(),
            vec!["a@x.example"]
        );
        assert!(addresses("").unwrap().is_empty());
    }

    #[test]
    fn refuses_cells_that_are_not_addresses() {
        let e = addresses("a@x.example\nBob\n").unwrap_err();
        assert!(e.starts_with("Row 2:"), "{e}");
        let e = addresses("name,manager\nAda,m@x.example\n").unwrap_err();
        assert!(e.contains("named"), "{e}");
    }
}
