//! `/jobs` and `/jobs/{id}`: bulk jobs, their progress as it happens (Server-Sent Events,
//! or polling when the stream breaks), and pause, resume, cancel and retry. The import page
//! and the users' bulk action start jobs through [`start_job`].

mod controls;
mod detail;
mod list;
mod operations;

use leptos::prelude::*;
use roster_api::{JobCounts, JobRequest, JobState, JobSummary};

pub use self::{detail::JobPage, list::JobsPage};
use crate::{
    api::{self, ApiError},
    components::{ToastKind, Toasts},
    format,
    router::NavigateOptions,
    session::Session,
};

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

/// The badge class of a job's state.
fn job_badge(state: JobState) -> &'static str {
    match state {
        JobState::Running => "badge badge-pending",
        JobState::Paused => "badge badge-warn",
        JobState::Cancelled => "badge badge-deactivated",
        JobState::Finished => "badge badge-active",
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

/// A job as the page last heard of it from the proxy (nothing until it has loaded).
#[derive(Clone, Copy)]
struct Job(RwSignal<Option<JobSummary>>);

impl Job {
    fn state(self) -> Option<JobState> {
        self.0.with(|s| s.as_ref().map(|s| s.state))
    }

    fn counts(self) -> JobCounts {
        self.0
            .with(|s| s.as_ref().map(|s| s.counts).unwrap_or_default())
    }

    /// Whether `session` may steer it: the proxy lets only the job's creator, and only
    /// while Roster may change things.
    fn steered_by(self, session: &Session) -> bool {
        session.writable()
            && self.0.with(|s| {
                s.as_ref().is_some_and(|s| {
                    session
                        .me()
                        .is_some_and(|m| m.email.eq_ignore_ascii_case(&s.created_by))
                })
            })
    }
}
