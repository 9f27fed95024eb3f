//! Step 3: the proxy checks every row that reads well (a dry run, which changes nothing),
//! then a job starts with the rows that pass.

use std::collections::HashMap;

use leptos::prelude::*;
use roster_api::{DryRun, InviteRequest, JobRequest, MAX_JOB_OPERATIONS, Operation};

use super::{
    cells::Problem,
    rows::{Checked, ImportRow, Verdict, errors_csv},
};
use crate::{
    api::{self, ApiError},
    components::{ErrorNotice, Toasts},
    format,
    pages::jobs::start_job,
    router::use_navigate,
    task::Task,
};

/// The dry run of the rows that read well, and the job started from it.
#[derive(Clone, Copy)]
pub struct Checks {
    check: Task,
    run: Task,
    /// The dry run, while it still matches the file and the mapping.
    pub fresh: Memo<Option<DryRun>>,
    /// For each row number the fresh dry run checked: whether it passes, and why.
    verdicts: Memo<HashMap<usize, (bool, String)>>,
    /// The rows that read well, with their row numbers.
    ready: Memo<Vec<(usize, InviteRequest)>>,
}

impl Checks {
    /// Checks `ready`, and runs the rows that pass as a job named `title`.
    pub fn new(ready: Memo<Vec<(usize, InviteRequest)>>, title: RwSignal<String>) -> Self {
        let toasts = expect_context::<Toasts>();
        let navigate = StoredValue::new_local(use_navigate());
        // The last dry run that answered (a failed check again leaves it standing), with
        // the rows it checked.
        let checked = RwSignal::new(None::<Checked>);
        let check = Task::new(move || {
            let rows = ready.get_untracked();
            let request = JobRequest {
                title: None,
                operations: rows
                    .iter()
                    .map(|(_, i)| Operation::Invite(i.clone()))
                    .collect(),
            };
            async move {
                let dry = api::dry_run_job(&request).await?;
                checked.try_set(Some(Checked { rows, dry }));
                Ok(())
            }
        });
        let fresh = Memo::new(move |_| {
            checked.with(|c| {
                c.as_ref()
                    .filter(|c| ready.with(|r| *r == c.rows))
                    .map(|c| c.dry.clone())
            })
        });
        let run = Task::new(move || {
            let request = fresh.get_untracked().map(|dry| {
                let operations: Vec<Operation> = ready.with_untracked(|ready| {
                    dry.checks
                        .iter()
                        .filter(|c| c.ok)
                        .filter_map(|c| ready.get(c.index))
                        .map(|(_, i)| Operation::Invite(i.clone()))
                        .collect()
                });
                let title = title.get_untracked();
                let title = title.trim();
                JobRequest {
                    title: Some(
                        if title.is_empty() {
                            "CSV import"
                        } else {
                            title
                        }
                        .to_string(),
                    ),
                    operations,
                }
            });
            async move {
                match request {
                    Some(request) => {
                        start_job(&request, ("invitation", "invitations"), toasts, navigate).await
                    }
                    None => Ok(()),
                }
            }
        });
        let verdicts = Memo::new(move |_| {
            let mut by_row = HashMap::new();
            if let Some(dry) = fresh.get() {
                ready.with(|ready| {
                    for check in &dry.checks {
                        if let Some((row, _)) = ready.get(check.index) {
                            let message = match (&check.field, check.ok) {
                                (Some(field), false) => format!("{} ({field})", check.message),
                                _ => check.message.clone(),
                            };
                            by_row.insert(*row, (check.ok, message));
                        }
                    }
                });
            }
            by_row
        });
        Self {
            check,
            run,
            fresh,
            verdicts,
            ready,
        }
    }

    /// Whether the dry run or the job's start is under way.
    pub fn busy(&self) -> bool {
        self.check.running() || self.run.running()
    }

    /// What the page says of row `r`.
    pub fn verdict(&self, r: &ImportRow) -> Verdict {
        match &r.invite {
            Err(Problem::Invalid(e)) => Verdict::Fails(e.clone()),
            Err(Problem::Pending(m)) => Verdict::Pending(m.clone()),
            Ok(_) => match self.verdicts.with(|v| v.get(&r.row).cloned()) {
                Some((true, m)) => Verdict::Ok(m),
                Some((false, m)) => Verdict::Fails(m),
                None => Verdict::Unchecked,
            },
        }
    }

    /// How many invitations the fresh dry run says will run.
    fn will_run(&self) -> Option<usize> {
        self.fresh
            .with(|d| d.as_ref().map(|d| d.checks.iter().filter(|c| c.ok).count()))
    }

    /// Why the last check or start failed, unless one is under way.
    fn error(&self) -> Option<ApiError> {
        if self.busy() {
            return None;
        }
        self.run.error().or_else(|| self.check.error())
    }

    /// Has the proxy check the rows that read well.
    fn check(&self) {
        self.run.forget();
        self.check.start();
    }
}

/// What checking found, in one sentence, and the buttons that check and run.
#[component]
pub fn CheckAndRun(
    rows: Memo<Vec<ImportRow>>,
    headers: Memo<Vec<String>>,
    checks: Checks,
    /// Whether the message for every invitation is too long to send.
    message_too_long: Signal<bool>,
) -> impl IntoView {
    let count = move |problem: fn(&Problem) -> bool| {
        rows.with(|r| {
            r.iter()
                .filter(|r| r.invite.as_ref().is_err_and(problem))
                .count()
        })
    };
    let local_errors = move || count(|p| matches!(p, Problem::Invalid(_)));
    let looking_up = move || count(|p| matches!(p, Problem::Pending(_)));
    let ready = checks.ready;
    let too_many = move || ready.with(Vec::len) > MAX_JOB_OPERATIONS;
    let failing = move || {
        rows.with(|rows| {
            rows.iter()
                .filter_map(|r| match checks.verdict(r) {
                    Verdict::Fails(m) => Some((r.row, r.cells.clone(), m)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    let has_failures =
        move || local_errors() > 0 || checks.verdicts.with(|v| v.values().any(|(ok, _)| !ok));
    let busy = move || checks.busy();
    let summary = move || {
        let total = rows.with(Vec::len);
        match checks.will_run() {
            Some(ok) => format!(
                "{} will run, {} will fail.",
                format::count(ok, "invitation", "invitations"),
                format::thousands(total - ok)
            ),
            None => match looking_up() {
                0 => format!(
                    "{} read, {} with problems in the file.",
                    format::count(total, "row", "rows"),
                    format::thousands(local_errors())
                ),
                n => format!(
                    "{} read; looking up the channels of {}…",
                    format::count(total, "row", "rows"),
                    format::count(n, "row", "rows")
                ),
            },
        }
    };

    view! {
        <p data-testid="import-summary" aria-live="polite">
            {summary}
            {move || checks.fresh.get().filter(|d| d.ok > 0).map(|d| format!(" Running them takes {}.", format::duration(d.estimated_seconds)))}
        </p>
        <Show when=too_many>
            <p class="field-error" role="alert">
                {move || format!(
                    "A job holds at most {} invitations; this file has {}. Split it into smaller files.",
                    format::thousands(MAX_JOB_OPERATIONS),
                    format::thousands(ready.with(Vec::len))
                )}
            </p>
        </Show>
        {move || checks.error().map(|e| view! { <ErrorNotice error=e/> })}
        <div class="dialog-buttons">
            <Show when=has_failures>
                <a class="button button-quiet" download="roster-import-errors.csv"
                    href=move || format!(
                        "data:text/csv;charset=utf-8,{}",
                        String::from(js_sys::encode_uri_component(&headers.with(|h| errors_csv(h, &failing()))))
                    )>
                    "Download errors as CSV"
                </a>
            </Show>
            <button type="button" class=move || if checks.fresh.with(Option::is_some) { "button-quiet" } else { "button" }
                prop:disabled=move || busy() || too_many() || message_too_long.get() || looking_up() != 0 || ready.with(Vec::is_empty)
                on:click=move |_| checks.check()>
                {move || if checks.check.running() {
                    "Checking…".to_string()
                } else {
                    format!("Check {}", format::count(ready.with(Vec::len), "row", "rows"))
                }}
            </button>
            <Show when=move || checks.will_run().is_some_and(|n| n > 0)>
                <button type="button" class="button" prop:disabled=busy on:click=move |_| checks.run.start()>
                    {move || if checks.run.running() {
                        "Starting…".to_string()
                    } else {
                        format!("Run {}", format::count(checks.will_run().unwrap_or(0), "invitation", "invitations"))
                    }}
                </button>
            </Show>
        </div>
    }
}
