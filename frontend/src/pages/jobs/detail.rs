//! `/jobs/{id}`: one job, live. Its page loads it whole, then follows its event stream (or
//! polls when the stream breaks) until nothing more can happen to it.

use std::time::Duration;

use leptos::prelude::*;
use roster_api::{JobEvent, JobOperation, JobState, JobSummary};

use super::{
    Job,
    controls::{CancelDialog, ControlButtons, Controls},
    is_settling, job_badge,
    operations::Operations,
};
use crate::{
    api,
    components::ErrorNotice,
    format,
    router::{A, use_location},
};

/// How often a job is polled when its event stream is unavailable.
const POLL: Duration = Duration::from_secs(2);

/// `/jobs/{id}`.
#[component]
pub fn JobPage() -> impl IntoView {
    let location = use_location();
    let id = Memo::new(move |_| location.segment(1).and_then(|s| s.parse::<i64>().ok()));
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
    let summary = RwSignal::new(None::<JobSummary>);
    let operations = RwSignal::new(Vec::<JobOperation>::new());
    let follow = StoredValue::new(Follow::Idle);
    let events = StoredValue::new_local(None::<api::JobEvents>);
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
    let detail = LocalResource::new(move || {
        reload.track();
        api::job(id)
    });
    // Each load replaces what the stream has said so far.
    Effect::new(move |_| {
        if let Some(Ok(detail)) = detail.get() {
            keep_up(&detail.job);
            summary.set(Some(detail.job));
            operations.set(detail.operations);
        }
    });
    let error = move || detail.with(|d| d.as_ref().and_then(|d| d.as_ref().err().cloned()));
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

    let controls = Controls::new(id, summary, reload);
    let confirm_cancel = RwSignal::new(false);
    let job = Job(summary);
    let count_cell = move |testid: &'static str,
                           label: &'static str,
                           pick: fn(&roster_api::JobCounts) -> usize| {
        view! {
            <div class="job-count">
                <dt>{label}</dt>
                <dd data-testid=testid>{move || format::thousands(pick(&job.counts()))}</dd>
            </div>
        }
    };

    view! {
        <section class="page page-job">
            <p class="breadcrumb"><A href="/jobs">"← All jobs"</A></p>
            {move || error().map(|e| view! { <ErrorNotice error=e/> })}
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
                            value=move || job.counts().finished()></progress>
                        <p data-testid="job-progress" aria-live="polite">
                            <span data-testid="job-finished">{move || format::thousands(job.counts().finished())}</span>
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
                    <ControlButtons id controls job confirm_cancel/>
                </div>
                <Operations operations/>
            </Show>
            <Show when=move || summary.with(Option::is_none) && detail.with(|d| !matches!(d, Some(Err(_))))>
                <p class="loading" aria-live="polite">"Loading…"</p>
            </Show>
            <CancelDialog controls open=confirm_cancel job/>
        </section>
    }
}
