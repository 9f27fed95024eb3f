//! Short notices after an action, announced to screen readers. A notice goes away after a
//! while, unless it carries a link (to a job, to the person): that one stays until it is
//! dismissed, so nobody has to catch it in time.

use std::time::Duration;

use crate::router::A;
use leptos::prelude::*;

/// Success or failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
    /// (href, label)
    link: Option<(String, String)>,
}

/// The app's notices.
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: RwSignal<u64>,
}

impl Default for Toasts {
    fn default() -> Self {
        Self {
            list: RwSignal::new(Vec::new()),
            next: RwSignal::new(1),
        }
    }
}

impl Toasts {
    /// Shows a notice, with an optional link (href, label).
    pub fn push(&self, kind: ToastKind, text: impl Into<String>, link: Option<(String, String)>) {
        let id = self.next.get_untracked();
        self.next.set(id + 1);
        let has_link = link.is_some();
        self.list.update(|l| {
            l.push(Toast {
                id,
                kind,
                text: text.into(),
                link,
            })
        });
        if has_link {
            return;
        }
        let list = self.list;
        let linger = if kind == ToastKind::Error { 12 } else { 8 };
        set_timeout(
            move || list.update(|l| l.retain(|t| t.id != id)),
            Duration::from_secs(linger),
        );
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

/// Where notices appear.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.list.get() key=|t| t.id let:toast>
                <div class=if toast.kind == ToastKind::Error { "toast toast-error" } else { "toast toast-ok" }>
                    <p>{toast.text.clone()}</p>
                    {toast.link.clone().map(|(href, label)| view! { <A href=href>{label}</A> })}
                    <button type="button" class="toast-close" aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)>"×"</button>
                </div>
            </For>
        </div>
    }
}
