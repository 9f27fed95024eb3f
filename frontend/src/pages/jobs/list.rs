//! `/jobs`: every job the reader may see, newest first.

use std::time::Duration;

use leptos::prelude::*;
use roster_api::{JobState, JobSummary};

use super::job_badge;
use crate::{api, components::ErrorNotice, format, router::A};

/// How often the list is loaded again while a job runs.
const REFRESH: Duration = Duration::from_secs(3);

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

/// The job list.
#[component]
pub fn JobsPage() -> impl IntoView {
    let jobs = LocalResource::new(api::jobs);
    // Running jobs move on: look again every few seconds while one runs.
    let timer = set_interval_with_handle(
        move || {
            let running = jobs.try_with_untracked(|j| {
                j.as_ref()
                    .and_then(|j| j.as_ref().ok())
                    .is_some_and(|j| j.jobs.iter().any(|j| j.state == JobState::Running))
            });
            if running == Some(true) {
                jobs.refetch();
            }
        },
        REFRESH,
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
            {move || match jobs.get() {
                None => view! { <p class="loading" aria-live="polite">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                Some(Ok(list)) if list.jobs.is_empty() => view! {
                    <p class="empty">"No jobs yet. Start one from Import CSV, or select users and choose Bulk action."</p>
                }.into_any(),
                Some(Ok(list)) => view! { <JobTable jobs=list.jobs/> }.into_any(),
            }}
        </section>
    }
}

/// The table of `jobs`.
#[component]
fn JobTable(jobs: Vec<JobSummary>) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Jobs" tabindex="0">
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
                    {jobs.into_iter().map(|job| {
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
    }
}
