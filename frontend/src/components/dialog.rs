//! A modal dialog on the browser's own `<dialog>`: focus stays inside, Escape closes it.

use leptos::{html, prelude::*};

/// A modal that is open while `open` is true; closing it (Escape, the close button) sets
/// `open` to false.
#[component]
pub fn Dialog(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        if open.get() {
            if !el.open() {
                let _ = el.show_modal();
            }
        } else if el.open() {
            el.close();
        }
    });
    let title_id = "dialog-title";
    view! {
        <dialog node_ref=dialog class="dialog" aria-labelledby=title_id on:close=move |_| open.set(false)>
            <div class="dialog-head">
                <h2 id=title_id>{move || title.get()}</h2>
                <button type="button" class="icon-button" aria-label="Close" on:click=move |_| open.set(false)>"×"</button>
            </div>
            <Show when=move || open.get()>{children()}</Show>
        </dialog>
    }
}
