//! What every form for one person goes through: the person edits it, reviews the sentence
//! that says exactly what will happen, confirms, and the change is sent; a success closes
//! the dialog with a notice, a failure shows next to its field or under the review.

use std::{future::Future, pin::Pin};

use leptos::prelude::*;
use roster_api::{ActionResult, Permission};

use crate::{
    api::ApiError,
    components::{ErrorNotice, ToastKind, Toasts, focus},
    session::Session,
    task::Task,
};

/// What a confirmed form sends.
type SendChange = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<ActionResult, ApiError>>>>>;

/// Where a form is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Edit,
    Review,
}

/// A form's step, its sending, and its dialog.
#[derive(Clone, Copy)]
pub struct Flow {
    pub step: RwSignal<Step>,
    open: RwSignal<bool>,
    send: Task,
}

impl Flow {
    /// A form in the dialog `open` whose confirmation sends the request `send` makes of its
    /// fields.
    pub fn new<F>(open: RwSignal<bool>, send: impl Fn() -> F + 'static) -> Self
    where
        F: Future<Output = Result<ActionResult, ApiError>> + 'static,
    {
        Self::sending_with(open, Box::new(move || Box::pin(send())))
    }

    /// [`Flow::new`], compiled once for every form.
    fn sending_with(open: RwSignal<bool>, send: SendChange) -> Self {
        let session = expect_context::<Session>();
        let toasts = expect_context::<Toasts>();
        let step = RwSignal::new(Step::Edit);
        let send = Task::new(move || {
            let answer = send();
            async move {
                match answer.await {
                    Ok(result) => {
                        let link = result
                            .audit_id
                            .filter(|_| session.can(Permission::AuditRead))
                            .map(|_| {
                                (
                                    format!("/audit?target={}", result.user.id),
                                    "View in the audit log".to_string(),
                                )
                            });
                        toasts.push(ToastKind::Success, result.message, link);
                        // Close first: the reload that follows replaces this form.
                        open.try_set(false);
                        session.changed();
                        Ok(())
                    }
                    // Field errors send the person back to the form; others stay on
                    // review. The form may be gone by now (the person closed it).
                    Err(e) => {
                        step.try_set(if about_a_field(&e) {
                            Step::Edit
                        } else {
                            Step::Review
                        });
                        Err(e)
                    }
                }
            }
        });
        Self { step, open, send }
    }

    /// Whether the change is on its way to Slack.
    pub fn sending(self) -> bool {
        self.send.running()
    }

    /// Whether the fields can be changed (not under review, not sending).
    pub fn editing(self) -> bool {
        self.step.get() == Step::Edit && !self.sending()
    }

    /// Moves to the review step; the form's submit (Enter or "Review") does this.
    pub fn review(self, ev: web_sys::SubmitEvent) {
        ev.prevent_default();
        self.step.set(Step::Review);
    }

    /// Why the last sending failed, unless it is being sent again.
    fn error(self) -> Option<ApiError> {
        self.send.error()
    }

    /// The proxy's error about `field`, if the last failure was about it.
    pub fn field_error(self, field: &str) -> Option<String> {
        self.error()
            .filter(|e| e.field() == Some(field))
            .map(|e| e.to_string())
    }
}

/// Whether `e` is about one of the form's fields, shown next to it. An error about the
/// person (`user`: already deactivated, say) is about no field of the form: it is shown
/// under the review.
fn about_a_field(e: &ApiError) -> bool {
    e.field().is_some_and(|f| f != "user")
}

/// The buttons and the review text at the bottom of every form.
#[component]
pub fn FlowFooter(
    flow: Flow,
    /// What will happen, once the form is complete; `Err` says what is missing.
    #[prop(into)]
    review: Signal<Result<String, String>>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    // The form's submit moves to the review step; an incomplete form goes straight back,
    // saying what is missing.
    Effect::new(move |_| {
        if flow.step.get() == Step::Review {
            match review.get_untracked() {
                Ok(_) => problem.set(None),
                Err(p) => {
                    problem.set(Some(p));
                    flow.step.set(Step::Edit);
                }
            }
        }
    });
    // A field's error (the proxy's, or a missing field) puts the focus on that field.
    Effect::new(move |_| {
        let field_error = flow.error().is_some_and(|e| about_a_field(&e));
        if (field_error || problem.with(Option::is_some)) && flow.step.get() == Step::Edit {
            focus::first_error("dialog[open]");
        }
    });
    view! {
        {move || flow.error().filter(|e| !about_a_field(e)).map(|e| view! { <ErrorNotice error=e/> })}
        {move || problem.get().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
        <Show when=move || !flow.editing()>
            <div class="review" role="status">
                <p><strong>"Please confirm: "</strong>{move || review.get().unwrap_or_default()}</p>
            </div>
        </Show>
        <div class="dialog-buttons">
            {move || match (flow.sending(), flow.step.get()) {
                (true, _) => view! {
                    <button type="button" class="button" disabled=true>"Sending to Slack…"</button>
                }.into_any(),
                (false, Step::Edit) => view! {
                    <button type="button" class="button-quiet" on:click=move |_| flow.open.set(false)>"Cancel"</button>
                    <button type="submit" class="button">"Review"</button>
                }.into_any(),
                // After a refusal the same change would be refused again: Confirm waits
                // until the form is changed.
                (false, Step::Review) => view! {
                    <button type="button" class="button-quiet" on:click=move |_| {
                        flow.send.forget();
                        flow.step.set(Step::Edit);
                    }>"Back"</button>
                    <button type="button" class=if danger { "button button-danger" } else { "button" }
                        prop:disabled=move || flow.error().is_some_and(|e| e.is_refusal())
                        on:click=move |_| flow.send.start()>"Confirm"</button>
                }.into_any(),
            }}
        </div>
    }
}
