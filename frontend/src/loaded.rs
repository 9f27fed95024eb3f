//! [`Loaded`]: an answer of the proxy kept in a signal, for what every page reads (who is
//! signed in, the server's status, the workspaces, the count of pending requests).
//!
//! Leptos' `LocalResource` does the same through its async-derived signals, code the
//! first load does without (the pages loaded later use it).

use std::future::Future;

use leptos::{prelude::*, task::spawn_local};

use crate::api::ApiError;

/// The last answer to a request that is made again whenever a signal it reads changes,
/// or on [`Loaded::refetch`]. `None` until the first answer; a newer answer replaces an
/// older one, and an answer that comes after a newer request was made is dropped.
pub struct Loaded<T: Send + Sync + 'static> {
    value: RwSignal<Option<Result<T, ApiError>>>,
    again: Trigger,
}

impl<T: Send + Sync + 'static> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Loaded<T> {}

impl<T: Clone + Send + Sync + 'static> Loaded<T> {
    /// Asks now, and again whenever a signal `ask` reads before its first `.await`
    /// changes.
    pub fn new<F>(ask: impl Fn() -> F + 'static) -> Self
    where
        F: Future<Output = Result<T, ApiError>> + 'static,
    {
        Self::starting_with(None, ask)
    }

    /// Like [`Loaded::new`], starting from `first` when it is known already (an answer
    /// `index.html` has read: [`crate::api::answered_early`]); then `ask` is only asked
    /// again.
    pub fn starting_with<F>(
        first: Option<Result<T, ApiError>>,
        ask: impl Fn() -> F + 'static,
    ) -> Self
    where
        F: Future<Output = Result<T, ApiError>> + 'static,
    {
        let known = first.is_some();
        let value = RwSignal::new(first);
        let again = Trigger::new();
        let asked = StoredValue::new(0u64);
        Effect::new(move |ran: Option<()>| {
            again.track();
            // Called for what it reads; its future does nothing until awaited.
            let answer = ask();
            if ran.is_none() && known {
                return;
            }
            let mine = asked.get_value() + 1;
            asked.set_value(mine);
            spawn_local(async move {
                let answer = answer.await;
                if asked.try_get_value() == Some(mine) {
                    value.try_set(Some(answer));
                }
            });
        });
        Self { value, again }
    }

    /// The last answer (tracked).
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.value.get()
    }

    /// Reads the last answer in place (tracked).
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        self.value
            .with(|answer| f(answer.as_ref().and_then(|a| a.as_ref().ok())))
    }

    /// Asks again; the last answer stays until the new one is in.
    pub fn refetch(&self) {
        self.again.notify();
    }
}
