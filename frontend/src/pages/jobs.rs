//! `/jobs` and `/jobs/{id}`: bulk jobs, their progress as it happens (Server-Sent Events,
//! or polling when the stream breaks), and pause, resume, cancel and retry.

use std::time::Duration;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{NavigateOptions, components::A, hooks::use_params_map};
use roster_api::{
    GuestType, JobEvent, JobOperation, JobRequest, JobState, JobSummary, ORG_WIDE, OpState,
    Operation,
};

use crate::{
    api::{self, ApiError},
    components::{Dialog, ErrorNotice, ToastKind, Toasts},
    format,
    session::Session,
};

/// How often a job is polled when its event stream is unavailable.
const POLL: Duration = Duration::from_secs(2);

/// Creates `request` as a job, says so in a toast ("Job started: 3 invitations.") and opens
/// its page; `noun` is what each row does, singular and plural.
pub async fn start_job<N>(
    request: &JobRequest,
    noun: (&str, &str),
    toasts: Toasts,
    navigate: StoredValue<N, LocalStorage>,
) -> Result<(), ApiError>
where
    N: Fn(&str, NavigateOptions) + 'static,
{
    let detail = api::create_job(request).await?;
    toasts.push(
        ToastKind::Success,
        format!(
            "Job started: {}.",
            format::count(detail.job.total, noun.0, noun.1)
        ),
        None,
    );
    navigate.try_with_value(|n| n(&format!("/jobs/{}", detail.job.id), Default::default()));
    Ok(())
}

fn job_badge(state: JobState) -> &'static str {
    match state {
        JobState::Running => "badge badge-pending",
        JobState::Paused => "badge badge-warn",
        JobState::Cancelled => "badge badge-deactivated",
        JobState::Finished => "badge badge-active",
    }
}

fn op_badge(state: OpState) -> &'static str {
    match state {
        OpState::Done => "badge badge-active",
        OpState::Failed => "badge badge-deactivated",
        OpState::Running | OpState::Unknown => "badge badge-warn",
        OpState::Pending | OpState::Skipped => "badge",
    }
}

/// Whether anything may still happen to the job without a retry.
fn is_live(state: JobState) -> bool {
    matches!(state, JobState::Running | JobState::Paused)
}

/// Whether the page should keep following the job: it is live, or a cancelled (or paused)
/// job still has an operation under way whose outcome is yet to come.
fn is_settling(job: &JobSummary) -> bool {
    is_live(job.state) || job.counts.running > 0
}

/// "12 done · 2 failed", leaving out the states nothing is in.
fn counts_line(job: &JobSummary) -> String {
    let c = job.counts;
    let parts: Vec<String> = [
        (c.done, "done"),
        (c.failed, "failed"),
        (c.unknown, "unknown"),
        (c.skipped, "skipped"),
        (c.running, "running"),
        (c.pending, "waiting"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, label)| format!("{} {label}", format::thousands(n)))
    .collect();
    parts.join(" · ")
}

/// What an operation does, in a few words.
fn describe(op: &Operation) -> String {
    match op {
        Operation::Invite(r) => match r.guest {
            None => "Invite as member".into(),
            Some(GuestType::MultiChannel) => "Invite as multi-channel guest".into(),
            Some(GuestType::SingleChannel) => "Invite as single-channel guest".into(),
        },
        Operation::Assign { channels, .. } if !channels.is_empty() => format!(
            "Add to workspace with {}",
            format::count(channels.len(), "channel", "channels")
        ),
        Operation::SetRole { role, .. } => format!("Make {}", role.label()),
        Operation::SetExpiration {
            expires: Some(t), ..
        } => format!("Expire on {}", format::utc(*t)),
        Operation::SetExpiration { expires: None, .. } => "Remove expiration".into(),
        op => op.label().into(),
    }
}

/// Who an operation is about: the user's name linked to their detail, with the ID, or
/// the invited email.
fn who(op: &JobOperation) -> AnyView {
    let target = op.operation.target().to_string();
    match (&op.operation, op.user_name.clone()) {
        (Operation::Invite(_), _) => target.into_any(),
        (_, Some(name)) => view! {
            <A href=format!("/users/{target}")>{name}</A>
            <span class="muted op-user-id">{target}</span>
        }
        .into_any(),
        (_, None) => view! { <code>{target}</code> }.into_any(),
    }
}

/// The job list.
#[component]
pub fn JobsPage() -> impl IntoView {
    let jobs = RwSignal::new(None::<Vec<JobSummary>>);
    let error = RwSignal::new(None::<ApiError>);
    let loading = StoredValue::new(false);
    let load = move || {
        if loading.get_value() {
            return;
        }
        loading.set_value(true);
        spawn_local(async move {
            let answer = api::jobs().await;
            loading.try_set_value(false);
            match answer {
                Ok(list) => {
                    error.try_set(None);
                    jobs.try_set(Some(list.jobs));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    load();
    // Running jobs move on: look again every few seconds while one runs.
    let timer = set_interval_with_handle(
        move || {
            let running = jobs.try_with_untracked(|j| {
                j.as_ref()
                    .is_some_and(|j| j.iter().any(|j| j.state == JobState::Running))
            });
            if running == Some(true) {
                load();
            }
        },
        Duration::from_secs(3),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = timer {
            t.clear();
        }
    });

    view! {
        <section class="page page-jobs">
            <div class="page-head">
                <h1>"Jobs"</h1>
                <p class="muted">"Bulk changes run at Slack's pace; newest first."</p>
            </div>
            {move || error.get().map(|e| view! { <ErrorNotice error=e/> })}
            {move || match jobs.get() {
                None if error.with(Option::is_none) => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
                None => ().into_any(),
                Some(list) if list.is_empty() => view! {
                    <p class="empty">"No jobs yet. Start one from Import CSV, or select users and choose Bulk action."</p>
                }.into_any(),
                Some(list) => view! {
                    <div class="table-wrap">
                        <table class="plain jobs">
                            <thead>
                                <tr>
                                    <th scope="col">"Job"</th>
                                    <th scope="col">"Started by"</th>
                                    <th scope="col">"Created"</th>
                                    <th scope="col">"State"</th>
                                    <th scope="col">"Progress"</th>
                                    <th scope="col">"Operations"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|job| {
                                    let finished = job.counts.finished();
                                    let bar_label = format!("{}: {finished} of {}", job.title, job.total);
                                    let counts = counts_line(&job);
                                    view! {
                                        <tr data-job-id=job.id data-state=job.state.as_str()>
                                            <td><A href=format!("/jobs/{}", job.id)>{job.title.clone()}</A></td>
                                            <td>{job.created_by.clone()}</td>
                                            <td><time>{format::day_time(job.created_at)}</time></td>
                                            <td><span class=job_badge(job.state)>{job.state.label()}</span></td>
                                            <td class="job-progress-cell">
                                                <progress max=job.total.max(1) value=finished
                                                    aria-label=bar_label></progress>
                                                <span>{format!("{} of {}", format::thousands(finished), format::thousands(job.total))}</span>
                                            </td>
                                            <td>{counts}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// `/jobs/{id}`.
#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    // A new id makes a new view, so nothing of the previous job's stream survives.
    move || match id.get() {
        Some(id) => view! { <JobView id/> }.into_any(),
        None => view! {
            <section class="page">
                <h1>"Job not found"</h1>
                <p><A href="/jobs">"All jobs"</A></p>
            </section>
        }
        .into_any(),
    }
}

/// The buttons that steer a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Pause,
    Resume,
    Cancel,
    Retry,
}

impl Control {
    fn done(self) -> &'static str {
        match self {
            Control::Pause => "Job paused.",
            Control::Resume => "Job resumed.",
            Control::Cancel => "Job cancelled.",
            Control::Retry => "Failed operations will be tried again.",
        }
    }
}

/// How the page keeps up with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// The job has ended (or is not loaded yet): nothing to follow.
    Idle,
    Stream,
    Poll,
}

/// One job, live.
#[component]
fn JobView(id: i64) -> impl IntoView {
    let session = expect_context::<Session>();
    let toasts = expect_context::<Toasts>();
    let summary = RwSignal::new(None::<JobSummary>);
    let operations = RwSignal::new(Vec::<JobOperation>::new());
    let error = RwSignal::new(None::<ApiError>);
    let control_error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let follow = StoredValue::new(Follow::Idle);
    let events = StoredValue::new_local(None::<api::JobEvents>);
    let generation = StoredValue::new(0u64);
    // Bumped to load the whole job again (from event callbacks, which must not do it
    // themselves: they run inside the stream they might replace).
    let reload = RwSignal::new(0u64);
    let bump = move || {
        reload.try_update(|n| *n += 1);
    };

    let start_stream = move || {
        let opened = api::JobEvents::open(
            id,
            move |event| match event {
                JobEvent::Progress(job) => {
                    let live = is_settling(&job);
                    summary.try_set(Some(job));
                    if !live {
                        // The end: one last load, for the exact final rows.
                        follow.try_set_value(Follow::Idle);
                        bump();
                    }
                    live
                }
                JobEvent::Operation(op) => {
                    operations.try_update(|list| {
                        match list.iter_mut().find(|o| o.index == op.index) {
                            Some(slot) => *slot = op,
                            None => {
                                list.push(op);
                                list.sort_by_key(|o| o.index);
                            }
                        }
                    });
                    true
                }
            },
            // (Re)connected: catch up on what happened before.
            bump,
            move || {
                if follow.try_get_value() == Some(Follow::Stream) {
                    follow.try_set_value(Follow::Poll);
                    bump();
                }
            },
        );
        match opened {
            Ok(stream) => {
                follow.set_value(Follow::Stream);
                events.set_value(Some(stream));
            }
            Err(_) => follow.set_value(Follow::Poll),
        }
    };
    // After each load: follow a live job, let go of an ended one.
    let keep_up = move |job: &JobSummary| {
        if !is_settling(job) {
            follow.set_value(Follow::Idle);
            events.set_value(None);
        } else if follow.get_value() == Follow::Idle {
            start_stream();
        }
    };
    let load = move || {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        spawn_local(async move {
            let answer = api::job(id).await;
            // A newer load started meanwhile, or the page is gone.
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match answer {
                Ok(detail) => {
                    error.set(None);
                    keep_up(&detail.job);
                    summary.set(Some(detail.job));
                    operations.set(detail.operations);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    Effect::new(move |_| {
        reload.track();
        load();
    });
    let timer = set_interval_with_handle(
        move || {
            if follow.try_get_value() == Some(Follow::Poll) {
                bump();
            }
        },
        POLL,
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = timer {
            t.clear();
        }
        events.try_update_value(|e| *e = None);
    });

    let control = move |control: Control| {
        busy.set(true);
        control_error.set(None);
        spawn_local(async move {
            let answer = match control {
                Control::Pause => api::pause_job(id).await,
                Control::Resume => api::resume_job(id).await,
                Control::Cancel => api::cancel_job(id).await,
                Control::Retry => api::retry_job(id).await,
            };
            busy.try_set(false);
            match answer {
                Ok(job) => {
                    toasts.push(ToastKind::Success, control.done(), None);
                    summary.try_set(Some(job));
                    bump();
                }
                Err(e) => {
                    control_error.try_set(Some(e));
                }
            }
        });
    };
    let confirm_cancel = RwSignal::new(false);
    let filter = RwSignal::new(None::<OpState>);
    let state = move || summary.with(|s| s.as_ref().map(|s| s.state));
    let counts = move || summary.with(|s| s.as_ref().map(|s| s.counts).unwrap_or_default());
    // The proxy lets only the job's creator steer it.
    let steers = move || {
        session.writable()
            && summary.with(|s| {
                s.as_ref().is_some_and(|s| {
                    session
                        .me()
                        .is_some_and(|m| m.email.eq_ignore_ascii_case(&s.created_by))
                })
            })
    };
    let can_control = move || !busy.get();
    let has_errors = move || {
        let c = counts();
        c.failed + c.skipped + c.unknown > 0
    };
    let count_cell = move |testid: &'static str,
                           label: &'static str,
                           pick: fn(&roster_api::JobCounts) -> usize| {
        view! {
            <div class="job-count">
                <dt>{label}</dt>
                <dd data-testid=testid>{move || format::thousands(pick(&counts()))}</dd>
            </div>
        }
    };

    view! {
        <section class="page page-job">
            <p class="breadcrumb"><A href="/jobs">"← All jobs"</A></p>
            {move || error.get().map(|e| view! { <ErrorNotice error=e/> })}
            {move || summary.get().map(|job| view! {
                <div class="page-head">
                    <h1>{job.title.clone()}</h1>
                    <span class=job_badge(job.state) data-testid="job-state" data-state=job.state.as_str()>{job.state.label()}</span>
                    <p class="muted">{format!("Started by {} on {}", job.created_by, format::day_time(job.created_at))}</p>
                </div>
            })}
            <Show when=move || summary.with(Option::is_some)>
                <div class="job-status">
                    <div class="job-progress">
                        <label for="job-progress-bar">"Progress"</label>
                        <progress id="job-progress-bar"
                            max=move || summary.with(|s| s.as_ref().map_or(1, |s| s.total.max(1)))
                            value=move || counts().finished()></progress>
                        <p data-testid="job-progress" aria-live="polite">
                            <span data-testid="job-finished">{move || format::thousands(counts().finished())}</span>
                            " of "
                            <span data-testid="job-total">{move || summary.with(|s| s.as_ref().map(|s| format::thousands(s.total)))}</span>
                            " finished"
                            {move || summary.get().filter(|s| s.state == JobState::Running).map(|s| {
                                let rate = s.rate_per_minute.map(|r| format!(" · {} per minute", if r < 10.0 { format!("{r:.1}") } else { format!("{r:.0}") }));
                                let eta = s.eta_seconds.map(|e| view! { " · " <span data-testid="job-eta">{format!("{} left", format::duration(e))}</span> });
                                view! { {rate}{eta} }
                            })}
                        </p>
                    </div>
                    <dl class="job-counts">
                        {count_cell("job-done", "Done", |c| c.done)}
                        {count_cell("job-failed", "Failed", |c| c.failed)}
                        {count_cell("job-unknown", "Unknown outcome", |c| c.unknown)}
                        {count_cell("job-skipped", "Skipped", |c| c.skipped)}
                        {count_cell("job-running", "Running", |c| c.running)}
                        {count_cell("job-pending", "Waiting", |c| c.pending)}
                    </dl>
                    {move || control_error.get().map(|e| view! { <ErrorNotice error=e/> })}
                    <div class="detail-actions">
                        <Show when=move || state() == Some(JobState::Running) && steers()>
                            <button type="button" class="button-quiet" prop:disabled=move || !can_control()
                                on:click=move |_| control(Control::Pause)>"Pause"</button>
                        </Show>
                        <Show when=move || state() == Some(JobState::Paused) && steers()>
                            <button type="button" class="button" prop:disabled=move || !can_control()
                                on:click=move |_| control(Control::Resume)>"Resume"</button>
                        </Show>
                        <Show when=move || state().is_some_and(is_live) && steers()>
                            <button type="button" class="button-quiet" prop:disabled=move || !can_control()
                                on:click=move |_| confirm_cancel.set(true)>"Cancel job…"</button>
                        </Show>
                        <Show when=move || {
                            let c = counts();
                            c.failed + c.unknown > 0 && state() != Some(JobState::Cancelled) && steers()
                        }>
                            <button type="button" class="button-quiet" prop:disabled=move || !can_control()
                                on:click=move |_| control(Control::Retry)>
                                {move || {
                                    let c = counts();
                                    format!("Retry {}", format::count(c.failed + c.unknown, "failed row", "failed rows"))
                                }}
                            </button>
                        </Show>
                        <Show when=has_errors>
                            <a class="button button-quiet" href=api::job_errors_csv_url(id) download=format!("roster-job-{id}-errors.csv")>
                                "Download errors as CSV"
                            </a>
                        </Show>
                    </div>
                </div>
                <div class="filters">
                    <div class="field">
                        <label for="job-filter">"Show"</label>
                        <select id="job-filter" on:change:target=move |ev| filter.set(OpState::parse(&ev.target().value()))>
                            <option value="" selected=move || filter.get().is_none()>"Every operation"</option>
                            {OpState::ALL.into_iter().map(|s| view! {
                                <option value=s.as_str() selected=move || filter.get() == Some(s)>{s.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                </div>
                <div class="table-wrap">
                    <table class="plain job-ops">
                        <thead>
                            <tr>
                                <th scope="col">"#"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"User"</th>
                                <th scope="col">"Workspace"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Details"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || {
                                    let only = filter.get();
                                    operations.with(|ops| ops.iter().filter(|o| only.is_none_or(|s| o.state == s)).cloned().collect::<Vec<_>>())
                                }
                                key=|o| (o.index, o.state, o.message.clone(), o.attempts)
                                let:op
                            >
                                <tr data-op-index=op.index data-state=op.state.as_str()>
                                    <td>{op.index + 1}</td>
                                    <td>{describe(&op.operation)}</td>
                                    <td>{who(&op)}</td>
                                    <td>{op.operation.workspace().map(|w| if w == ORG_WIDE { "The whole org".to_string() } else { session.workspace_name(w) })}</td>
                                    <td><span class=op_badge(op.state)>{op.state.label()}</span></td>
                                    <td>
                                        {op.message.clone()}
                                        {op.slack_error.clone().map(|c| view! { " " <code>{c}</code> })}
                                    </td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
            <Show when=move || summary.with(Option::is_none) && error.with(Option::is_none)>
                <p class="loading" aria-live="polite">"Loading…"</p>
            </Show>
            <Dialog open=confirm_cancel title="Cancel this job?">
                <p>
                    {move || format!(
                        "{} will not run and will be marked skipped. What is done stays done.",
                        format::count(counts().pending, "waiting operation", "waiting operations")
                    )}
                </p>
                <div class="dialog-buttons">
                    <button type="button" class="button-quiet" on:click=move |_| confirm_cancel.set(false)>"Keep running"</button>
                    <button type="button" class="button button-danger" on:click=move |_| {
                        confirm_cancel.set(false);
                        control(Control::Cancel);
                    }>"Cancel job"</button>
                </div>
            </Dialog>
        </section>
    }
}
