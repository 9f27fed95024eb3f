//! [`Task`]: what the console does at the person's request (send a change, check a file,
//! start or steer a job) through a Leptos `Action`: `pending` while it runs, its outcome
//! in `value`.
//!
//! Every task is the same `Action<(), Result<(), ApiError>>` running a boxed future, so
//! the action's code is compiled into the wasm once rather than once per page: each task
//! reads what it needs from the page when it starts, and puts what it learns (a dry run, a
//! job's new state) where the page shows it.

use std::{future::Future, pin::Pin};

use leptos::prelude::*;

use crate::api::ApiError;

/// The work of a task: a future made anew each time it starts.
type Run = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), ApiError>>>>>;

/// Something the page does for the person, whose progress and failure it shows.
#[derive(Clone, Copy)]
pub struct Task {
    action: Action<(), Result<(), ApiError>>,
    running: Memo<bool>,
    outcome: MappedSignal<Option<Result<(), ApiError>>>,
}

impl Task {
    /// A task that runs what `run` makes of the page's state when it starts.
    pub fn new<F>(run: impl Fn() -> F + 'static) -> Self
    where
        F: Future<Output = Result<(), ApiError>> + 'static,
    {
        Self::boxed(Box::new(move || Box::pin(run())))
    }

    fn boxed(run: Run) -> Self {
        let action = Action::new_local(move |_: &()| run());
        Self {
            action,
            running: action.pending(),
            outcome: action.value(),
        }
    }

    /// Starts it (again).
    pub fn start(self) {
        self.action.dispatch(());
    }

    /// Whether it is under way.
    pub fn running(self) -> bool {
        self.running.get()
    }

    /// Why it last failed, unless it is under way again.
    pub fn error(self) -> Option<ApiError> {
        if self.running() {
            return None;
        }
        self.outcome
            .with(|o| o.as_ref().and_then(|o| o.as_ref().err().cloned()))
    }

    /// Forgets how it last ended (its failure no longer shows).
    pub fn forget(self) {
        self.action.clear();
    }
}
