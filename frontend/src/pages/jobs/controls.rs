//! Steering a job: pause, resume, cancel (after a confirmation) and retry, for the person
//! who started it.

use leptos::prelude::*;
use roster_api::{JobCounts, JobState, JobSummary};

use super::is_live;
use crate::{
    api::{self, ApiError},
    components::{Dialog, ErrorNotice, ToastKind, Toasts},
    format,
    session::Session,
};

/// The buttons that steer a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Pause,
    Resume,
    Cancel,
    Retry,
}

impl Control {
    /// What the toast says once the proxy has done it.
    fn done(self) -> &'static str {
        match self {
            Control::Pause => "Job paused.",
            Control::Resume => "Job resumed.",
            Control::Cancel => "Job cancelled.",
            Control::Retry => "Failed operations will be tried again.",
        }
    }
}

/// Sends a [`Control`] for one job.
#[derive(Clone, Copy)]
pub struct Controls {
    send: Action<Control, Result<JobSummary, ApiError>>,
    sending: Memo<bool>,
    answer: MappedSignal<Option<Result<JobSummary, ApiError>>>,
}

impl Controls {
    /// Controls for job `id`. An answer replaces `summary` (the proxy's word on the job's
    /// state) and bumps `reload`, so the operations load again.
    pub fn new(id: i64, summary: RwSignal<Option<JobSummary>>, reload: RwSignal<u64>) -> Self {
        let toasts = expect_context::<Toasts>();
        let send = Action::new_local(move |control: &Control| {
            let control = *control;
            async move {
                let answer = match control {
                    Control::Pause => api::pause_job(id).await,
                    Control::Resume => api::resume_job(id).await,
                    Control::Cancel => api::cancel_job(id).await,
                    Control::Retry => api::retry_job(id).await,
                };
                if let Ok(job) = &answer {
                    toasts.push(ToastKind::Success, control.done(), None);
                    summary.try_set(Some(job.clone()));
                    reload.try_update(|n| *n += 1);
                }
                answer
            }
        });
        Self {
            send,
            sending: send.pending(),
            answer: send.value(),
        }
    }

    fn run(self, control: Control) {
        self.send.dispatch(control);
    }
}

/// The control buttons the job's state allows, the last control's failure, and the errors'
/// CSV once there are any.
#[component]
pub fn ControlButtons(
    id: i64,
    controls: Controls,
    /// The job's state, once loaded.
    #[prop(into)]
    state: Signal<Option<JobState>>,
    #[prop(into)] counts: Signal<JobCounts>,
    /// Whether the reader may steer the job (the proxy lets only its creator).
    #[prop(into)]
    steers: Signal<bool>,
    /// Opens the cancel confirmation.
    confirm_cancel: RwSignal<bool>,
) -> impl IntoView {
    let idle = move || !controls.sending.get();
    let failure = move || {
        if controls.sending.get() {
            return None;
        }
        controls
            .answer
            .with(|a| a.as_ref().and_then(|a| a.as_ref().err().cloned()))
    };
    let has_errors = move || {
        let c = counts.get();
        c.failed + c.skipped + c.unknown > 0
    };
    view! {
        {move || failure().map(|e| view! { <ErrorNotice error=e/> })}
        <div class="detail-actions">
            <Show when=move || state.get() == Some(JobState::Running) && steers.get()>
                <button type="button" class="button-quiet" prop:disabled=move || !idle()
                    on:click=move |_| controls.run(Control::Pause)>"Pause"</button>
            </Show>
            <Show when=move || state.get() == Some(JobState::Paused) && steers.get()>
                <button type="button" class="button" prop:disabled=move || !idle()
                    on:click=move |_| controls.run(Control::Resume)>"Resume"</button>
            </Show>
            <Show when=move || state.get().is_some_and(is_live) && steers.get()>
                <button type="button" class="button-quiet" prop:disabled=move || !idle()
                    on:click=move |_| confirm_cancel.set(true)>"Cancel job…"</button>
            </Show>
            <Show when=move || {
                let c = counts.get();
                c.failed + c.unknown > 0 && state.get() != Some(JobState::Cancelled) && steers.get()
            }>
                <button type="button" class="button-quiet" prop:disabled=move || !idle()
                    on:click=move |_| controls.run(Control::Retry)>
                    {move || {
                        let c = counts.get();
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
    }
}

/// "Cancel this job?", with what cancelling leaves undone.
#[component]
pub fn CancelDialog(
    controls: Controls,
    open: RwSignal<bool>,
    #[prop(into)] counts: Signal<JobCounts>,
) -> impl IntoView {
    view! {
        <Dialog open title="Cancel this job?">
            <p>
                {move || format!(
                    "{} will not run and will be marked skipped. What is done stays done.",
                    format::count(counts.get().pending, "waiting operation", "waiting operations")
                )}
            </p>
            <div class="dialog-buttons">
                <button type="button" class="button-quiet" on:click=move |_| open.set(false)>"Keep running"</button>
                <button type="button" class="button button-danger" on:click=move |_| {
                    open.set(false);
                    controls.run(Control::Cancel);
                }>"Cancel job"</button>
            </div>
        </Dialog>
    }
}

/// Whether the signed-in person started the job (the proxy lets only them steer it) and
/// Roster may change things.
pub fn steers(session: &Session, job: &JobSummary) -> bool {
    session.writable()
        && session
            .me()
            .is_some_and(|m| m.email.eq_ignore_ascii_case(&job.created_by))
}
