//! One change for every selected user: chosen here, checked by the proxy (a dry run that
//! changes nothing), then run as a job that `/jobs/{id}` follows. What each kind of change
//! asks for comes from its description in `changes/`.

use leptos::prelude::*;
use roster_api::{DryRun, JobRequest, MAX_JOB_OPERATIONS, Operation, UserQuery};

use super::changes::{BulkChange, BulkContext, BulkFields, ChangeKind, KINDS};
use crate::{
    api::{self, ApiError},
    components::{Dialog, ErrorNotice, Selection, Toasts},
    format,
    lazy::{later, lazy_view},
    pages::jobs::start_job,
    router::use_navigate,
    session::Session,
    task::Task,
};

/// The users a bulk change is for.
enum Chosen {
    /// Picked row by row.
    Ids(Vec<String>),
    /// Every user the table's filters match.
    AllMatching(UserQuery),
}

/// Why the dry run did not answer.
#[derive(Debug, Clone)]
enum CheckFailure {
    /// More users than a job can hold.
    TooMany(usize),
    Api(ApiError),
}

/// The IDs of every user matching `query`, a page of `MAX_LIMIT` at a time; it stops once
/// there are more than a job can hold.
async fn matching_ids(query: UserQuery) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::new();
    loop {
        let mut q = query.clone();
        q.offset = Some(ids.len());
        q.limit = Some(UserQuery::MAX_LIMIT);
        let page = api::list_users(&q).await?;
        let fetched = page.users.len();
        ids.extend(page.users.into_iter().map(|u| u.id));
        if fetched == 0 || ids.len() >= page.total || ids.len() > MAX_JOB_OPERATIONS {
            return Ok(ids);
        }
    }
}

/// The dry run of `change` for the `chosen` users.
async fn dry_run(
    chosen: Chosen,
    change: &BulkChange,
) -> Result<(JobRequest, DryRun), CheckFailure> {
    let ids = match chosen {
        Chosen::Ids(ids) => ids,
        Chosen::AllMatching(query) => matching_ids(query).await.map_err(CheckFailure::Api)?,
    };
    if ids.len() > MAX_JOB_OPERATIONS {
        return Err(CheckFailure::TooMany(ids.len()));
    }
    let request = JobRequest {
        title: Some(change.title.clone()),
        operations: ids.into_iter().map(|id| (change.operation)(id)).collect(),
    };
    let dry = api::dry_run_job(&request)
        .await
        .map_err(CheckFailure::Api)?;
    Ok((request, dry))
}

/// The "Bulk action" dialog for the users table's selection.
#[component]
pub fn BulkActionDialog(
    open: RwSignal<bool>,
    selection: Selection,
    /// The table's filters, for "all matching".
    query: Memo<UserQuery>,
    /// How many users are selected.
    #[prop(into)]
    count: Signal<usize>,
) -> impl IntoView {
    view! {
        <Dialog open title="Bulk action">
            {later(move || bulk_form(open, selection, query, count))}
        </Dialog>
    }
}

lazy_view! {
    /// The form, loaded the first time the dialog opens.
    fn bulk_form(open: RwSignal<bool>, selection: Selection, query: Memo<UserQuery>, count: Signal<usize>) {
        view! { <BulkForm open selection query count/> }.into_any()
    }
}

/// The form inside the dialog; made anew each time it opens.
#[component]
fn BulkForm(
    open: RwSignal<bool>,
    selection: Selection,
    query: Memo<UserQuery>,
    count: Signal<usize>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let toasts = expect_context::<Toasts>();
    let navigate = StoredValue::new_local(use_navigate());
    let kinds: Vec<&'static ChangeKind> = KINDS
        .into_iter()
        .filter(|k| session.can(k.permission) && !(k.bulk_places)(&session).is_empty())
        .collect();
    // No action is chosen for the person: a bulk change is picked on purpose.
    let kind = RwSignal::new(None::<&'static ChangeKind>);
    // The workspace the table is filtered to, else the kind's first choice.
    let first_place = move |k: &ChangeKind| {
        let places = (k.bulk_places)(&session);
        let filtered = query.with_untracked(|q| q.workspace.clone());
        filtered
            .filter(|w| places.iter().any(|o| &o.0 == w))
            .or_else(|| places.into_iter().next().map(|o| o.0))
            .unwrap_or_default()
    };
    let workspace = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let checked = RwSignal::new(None::<(JobRequest, DryRun)>);
    // What Check asks about, handed to `check` as it starts.
    let question = StoredValue::new_local(None::<(Chosen, BulkChange)>);
    let check = Task::new(move || {
        let question = question.try_update_value(Option::take).flatten();
        async move {
            let Some((chosen, change)) = question else {
                return Ok(());
            };
            match dry_run(chosen, &change).await {
                Ok(answer) => {
                    checked.try_set(Some(answer));
                    Ok(())
                }
                Err(CheckFailure::TooMany(n)) => {
                    problem.try_set(Some(cap_message(n)));
                    Ok(())
                }
                Err(CheckFailure::Api(e)) => Err(e),
            }
        }
    });
    // The changes the dry run passed, as a job.
    let run = Task::new(move || {
        let request = checked.get_untracked().map(|(request, dry)| {
            let operations: Vec<Operation> = dry
                .checks
                .iter()
                .filter(|c| c.ok)
                .filter_map(|c| request.operations.get(c.index).cloned())
                .collect();
            JobRequest {
                title: request
                    .title
                    .map(|t| format!("{t} · {}", format::count(operations.len(), "user", "users"))),
                operations,
            }
        });
        async move {
            let Some(request) = request else {
                return Ok(());
            };
            start_job(&request, ("change", "changes"), toasts, navigate).await?;
            selection.clear();
            open.try_set(false);
            Ok(())
        }
    });
    let busy = Signal::derive(move || check.running() || run.running());
    let context = BulkContext { workspace, busy };
    let fields = StoredValue::new_local(
        kinds
            .iter()
            .map(|k| (*k, (k.bulk_fields)(context)))
            .collect::<Vec<(&ChangeKind, BulkFields)>>(),
    );
    let too_many = move || count.get() > MAX_JOB_OPERATIONS;
    let editing = move || checked.with(Option::is_none);
    let error = move || run.error().or_else(|| check.error());

    let on_check = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let Some(chosen) = kind.get_untracked() else {
            problem.set(Some("Choose an action first.".into()));
            return;
        };
        let read = fields.with_value(|f| {
            f.iter()
                .find(|(k, _)| *k == chosen)
                .map(|(_, f)| (f.read)())
        });
        let change = match read {
            Some(Ok(change)) if count.get_untracked() > 0 => change,
            Some(Ok(_)) => {
                problem.set(Some("No users are selected.".into()));
                return;
            }
            Some(Err(p)) => {
                problem.set(Some(p));
                return;
            }
            None => return,
        };
        problem.set(None);
        run.forget();
        let chosen = if selection.all_matching.get_untracked() {
            Chosen::AllMatching(query.get_untracked())
        } else {
            let mut ids: Vec<String> = selection.ids.get_untracked().into_iter().collect();
            ids.sort();
            Chosen::Ids(ids)
        };
        question.set_value(Some((chosen, change)));
        check.start();
    };
    let will_run = move || {
        checked.with(|c| {
            c.as_ref()
                .map_or(0, |(_, d)| d.checks.iter().filter(|c| c.ok).count())
        })
    };
    let failures = move || {
        checked.with(|c| {
            c.as_ref()
                .map(|(request, dry)| {
                    dry.checks
                        .iter()
                        .filter(|c| !c.ok)
                        .map(|c| {
                            let id = request
                                .operations
                                .get(c.index)
                                .map(|o| o.target().to_string())
                                .unwrap_or_default();
                            (c.index, c.user_name.clone(), id, c.message.clone())
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };

    view! {
        <form class="form" on:submit=on_check>
            <p>{move || format!("Applies to {}.", format::count(count.get(), "selected user", "selected users"))}</p>
            <Show when=too_many>
                <p class="field-error" role="alert">{move || cap_message(count.get())}</p>
            </Show>
            <Show when=editing>
                <fieldset class="field" prop:disabled=busy>
                    <legend>"Action"</legend>
                    {kinds.clone().into_iter().map(|k| view! {
                        <label class="check">
                            <input type="radio" name="bulk-kind" prop:checked=move || kind.get() == Some(k)
                                on:change=move |_| {
                                    kind.set(Some(k));
                                    workspace.set(first_place(k));
                                    problem.set(None);
                                }/>
                            {k.title}
                        </label>
                    }).collect_view()}
                </fieldset>
                <Show when=move || kind.with(Option::is_some)>
                    <div class="field">
                        <label for="bulk-workspace">"Workspace"</label>
                        <select id="bulk-workspace" prop:disabled=busy on:change:target=move |ev| workspace.set(ev.target().value())>
                            {move || kind.get().map(|k| (k.bulk_places)(&session)).unwrap_or_default().into_iter().map(|(id, label)| {
                                let value = id.clone();
                                view! { <option value=id selected=move || workspace.get() == value>{label}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                </Show>
                {move || {
                    let kind = kind.get()?;
                    fields.with_value(|f| f.iter().find(|(k, _)| *k == kind).map(|(_, f)| (f.view)()))
                }}
            </Show>
            {move || problem.get().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
            {move || error().map(|e| view! { <ErrorNotice error=e/> })}
            {move || checked.get().map(|(request, dry)| view! {
                <div class="review" role="status">
                    <p><strong>{request.title.clone().unwrap_or_default()}</strong></p>
                    <p data-testid="bulk-summary">
                        {format!("{} will run, {} will fail.", format::count(will_run(), "change", "changes"), format::thousands(dry.checks.len() - will_run()))}
                        {(will_run() > 0).then(|| format!(" Running them takes {}.", format::duration(dry.estimated_seconds)))}
                    </p>
                </div>
            })}
            // What each passing row will do, in the proxy's words (old and new values).
            {move || checked.with(|c| c.as_ref().map(|(_, dry)| {
                let passing: Vec<String> = dry.checks.iter().filter(|c| c.ok).map(|c| c.message.clone()).collect();
                (!passing.is_empty()).then(|| view! {
                    <details class="will-run">
                        <summary>{format!("What each of the {} will do", format::count(passing.len(), "change", "changes"))}</summary>
                        <ul class="found-list" aria-label="Changes that will run">
                            {passing.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                        </ul>
                    </details>
                })
            }))}
            <Show when=move || !failures().is_empty()>
                <ul class="check-list" aria-label="Changes that will fail">
                    {move || failures().into_iter().map(|(index, name, id, message)| view! {
                        <li data-op-index=index>
                            {name.map(|n| view! { <strong>{n}</strong>" " })}
                            <code>{id}</code>" "{message}
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
            <div class="dialog-buttons">
                {move || if editing() {
                    view! {
                        <button type="button" class="button-quiet" on:click=move |_| open.set(false)>"Cancel"</button>
                        <button type="submit" class="button" prop:disabled=move || busy.get() || too_many()>
                            {move || if busy.get() { "Checking…" } else { "Check" }}
                        </button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="button-quiet" prop:disabled=busy on:click=move |_| checked.set(None)>"Back"</button>
                        <Show when=move || { will_run() > 0 }>
                            <button type="button" prop:disabled=busy on:click=move |_| run.start()
                                class=move || if kind.get().is_some_and(|k| k.danger) { "button button-danger" } else { "button" }>
                                {move || if busy.get() { "Starting…".to_string() } else { format!("Run {}", format::count(will_run(), "change", "changes")) }}
                            </button>
                        </Show>
                    }.into_any()
                }}
            </div>
        </form>
    }
}

fn cap_message(n: usize) -> String {
    format!(
        "A job holds at most {} changes and {} users are selected. Narrow the filters or select fewer users.",
        format::thousands(MAX_JOB_OPERATIONS),
        format::thousands(n)
    )
}
