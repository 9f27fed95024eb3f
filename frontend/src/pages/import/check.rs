//! Step 3: the proxy checks every row that reads well (a dry run, which changes nothing),
//! then a job starts with the rows that pass.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
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
};

/// The dry run of the rows that read well, and the job started from it.
#[derive(Clone, Copy)]
pub struct Checks {
    check: Action<Vec<(usize, InviteRequest)>, Result<Checked, ApiError>>,
    run: Action<JobRequest, Result<(), ApiError>>,
    checking: Memo<bool>,
    starting: Memo<bool>,
    check_answer: MappedSignal<Option<Result<Checked, ApiError>>>,
    run_answer: MappedSignal<Option<Result<(), ApiError>>>,
    /// The dry run, while it still matches the file and the mapping.
    pub fresh: Memo<Option<DryRun>>,
    /// For each row number the fresh dry run checked: whether it passes, and why.
    verdicts: Memo<HashMap<usize, (bool, String)>>,
    /// The rows that read well, with their row numbers.
    ready: Memo<Vec<(usize, InviteRequest)>>,
    pub busy: Signal<bool>,
}

impl Checks {
    /// Checks and runs `ready`.
    pub fn new(ready: Memo<Vec<(usize, InviteRequest)>>) -> Self {
        let toasts = expect_context::<Toasts>();
        let navigate = StoredValue::new_local(use_navigate());
        let check = Action::new_local(|rows: &Vec<(usize, InviteRequest)>| {
            let rows = rows.clone();
            let request = JobRequest {
                title: None,
                operations: rows
                    .iter()
                    .map(|(_, i)| Operation::Invite(i.clone()))
                    .collect(),
            };
            async move {
                let dry = api::dry_run_job(&request).await?;
                Ok(Checked { rows, dry })
            }
        });
        let run = Action::new_local(move |request: &JobRequest| {
            let request = request.clone();
            async move { start_job(&request, ("invitation", "invitations"), toasts, navigate).await }
        });
        let check_answer = check.value();
        // The last dry run that answered: a failed check again leaves it standing.
        let last = Memo::new(move |previous: Option<&Option<Checked>>| {
            check_answer.with(|a| match a {
                Some(Ok(checked)) => Some(checked.clone()),
                _ => previous.cloned().flatten(),
            })
        });
        let fresh = Memo::new(move |_| {
            last.with(|c| {
                c.as_ref()
                    .filter(|c| ready.with(|r| *r == c.rows))
                    .map(|c| c.dry.clone())
            })
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
        let (checking, starting) = (check.pending(), run.pending());
        Self {
            check,
            run,
            checking,
            starting,
            check_answer,
            run_answer: run.value(),
            fresh,
            verdicts,
            ready,
            busy: Signal::derive(move || checking.get() || starting.get()),
        }
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
        if self.busy.get() {
            return None;
        }
        let run_failed = self.run_answer.with(|a| a.clone().and_then(Result::err));
        run_failed.or_else(|| {
            self.check_answer
                .with(|a| a.as_ref().and_then(|a| a.as_ref().err().cloned()))
        })
    }

    /// Has the proxy check the rows that read well.
    fn check(&self) {
        self.run.clear();
        self.check.dispatch(self.ready.get_untracked());
    }

    /// Starts a job named `title` with the rows the fresh dry run passed.
    fn run(&self, title: String) {
        let Some(dry) = self.fresh.get_untracked() else {
            return;
        };
        let operations: Vec<Operation> = self.ready.with_untracked(|ready| {
            dry.checks
                .iter()
                .filter(|c| c.ok)
                .filter_map(|c| ready.get(c.index))
                .map(|(_, i)| Operation::Invite(i.clone()))
                .collect()
        });
        let title = title.trim();
        self.run.dispatch(JobRequest {
            title: Some(
                if title.is_empty() {
                    "CSV import"
                } else {
                    title
                }
                .to_string(),
            ),
            operations,
        });
    }
}

/// What checking found, in one sentence, and the buttons that check and run.
#[component]
pub fn CheckAndRun(
    rows: Memo<Vec<ImportRow>>,
    headers: Memo<Vec<String>>,
    checks: Checks,
    /// The job's name.
    title: RwSignal<String>,
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
    let busy = checks.busy;
    let (checking, starting) = (checks.checking, checks.starting);
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
                prop:disabled=move || busy.get() || too_many() || message_too_long.get() || looking_up() != 0 || ready.with(Vec::is_empty)
                on:click=move |_| checks.check()>
                {move || if checking.get() {
                    "Checking…".to_string()
                } else {
                    format!("Check {}", format::count(ready.with(Vec::len), "row", "rows"))
                }}
            </button>
            <Show when=move || checks.will_run().is_some_and(|n| n > 0)>
                <button type="button" class="button" prop:disabled=busy on:click=move |_| checks.run(title.get_untracked())>
                    {move || if starting.get() {
                        "Starting…".to_string()
                    } else {
                        format!("Run {}", format::count(checks.will_run().unwrap_or(0), "invitation", "invitations"))
                    }}
                </button>
            </Show>
        </div>
    }
}
