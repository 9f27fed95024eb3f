//! Steering a job: pause, resume, cancel (after a confirmation) and retry, for the person
//! who started it.

use leptos::prelude::*;
use roster_api::{JobState, JobSummary};

use super::{Job, is_live};
use crate::{
    api,
    components::{Dialog, ErrorNotice, ToastKind, Toasts},
    format,
    session::Session,
    task::Task,
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
    send: Task,
    /// The control to send, handed to `send` as it starts.
    chosen: StoredValue<Control>,
}

impl Controls {
    /// Controls for job `id`. An answer replaces `summary` (the proxy's word on the job's
    /// state) and bumps `reload`, so the operations load again.
    pub fn new(id: i64, summary: RwSignal<Option<JobSummary>>, reload: RwSignal<u64>) -> Self {
        let toasts = expect_context::<Toasts>();
        let chosen = StoredValue::new(Control::Pause);
        let send = Task::new(move || {
            let control = chosen.get_value();
            async move {
                let job = match control {
                    Control::Pause => api::pause_job(id).await,
                    Control::Resume => api::resume_job(id).await,
                    Control::Cancel => api::cancel_job(id).await,
                    Control::Retry => api::retry_job(id).await,
                }?;
                toasts.push(ToastKind::Success, control.done(), None);
                summary.try_set(Some(job));
                reload.try_update(|n| *n += 1);
                Ok(())
            }
        });
        Self { send, chosen }
    }

    fn run(self, control: Control) {
        self.chosen.set_value(control);
        self.send.start();
    }
}

/// The control buttons the job's state allows, the last control's failure, and the errors'
/// CSV once there are any.
#[component]
pub fn ControlButtons(
    id: i64,
    controls: Controls,
    job: Job,
    /// Opens the cancel confirmation.
    confirm_cancel: RwSignal<bool>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let steers = move || job.steered_by(&session);
    let state = move || job.state();
    let idle = move || !controls.send.running();
    let failure = move || controls.send.error();
    let has_errors = move || {
        let c = job.counts();
        c.failed + c.skipped + c.unknown > 0
    };
    view! {
        {move || failure().map(|e| view! { <ErrorNotice error=e/> })}
        <div class="detail-actions">
            <Show when=move || state() == Some(JobState::Running) && steers()>
                <button type="button" class="button-quiet" prop:disabled=move || !idle()
                    on:click=move |_| controls.run(Control::Pause)>"Pause"</button>
            </Show>
            <Show when=move || state() == Some(JobState::Paused) && steers()>
                <button type="button" class="button" prop:disabled=move || !idle()
                    on:click=move |_| controls.run(Control::Resume)>"Resume"</button>
            </Show>
            <Show when=move || state().is_some_and(is_live) && steers()>
                <button type="button" class="button-quiet" prop:disabled=move || !idle()
                    on:click=move |_| confirm_cancel.set(true)>"Cancel job…"</button>
            </Show>
            <Show when=move || {
                let c = job.counts();
                c.failed + c.unknown > 0 && state() != Some(JobState::Cancelled) && steers()
            }>
                <button type="button" class="button-quiet" prop:disabled=move || !idle()
                    on:click=move |_| controls.run(Control::Retry)>
                    {move || {
                        let c = job.counts();
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
pub fn CancelDialog(controls: Controls, open: RwSignal<bool>, job: Job) -> impl IntoView {
    view! {
        <Dialog open title="Cancel this job?">
            <p>
                {move || format!(
                    "{} will not run and will be marked skipped. What is done stays done.",
                    format::count(job.counts().pending, "waiting operation", "waiting operations")
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
