//! Moving focus where a keyboard user needs it after something changed on the page.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// After the page shows its errors, focuses the control of the first field with an error
/// inside `scope` (a CSS selector): the field's input, select or text area, or the error
/// itself when the field has none.
pub fn first_error(scope: &'static str) {
    request_animation_frame(move || {
        let Some(error) = document()
            .query_selector(&format!("{scope} .field-error"))
            .ok()
            .flatten()
        else {
            return;
        };
        let control = error.closest(".field").ok().flatten().and_then(|field| {
            field
                .query_selector(
                    "input:not([disabled]), select:not([disabled]), textarea:not([disabled])",
                )
                .ok()
                .flatten()
        });
        let target = control.unwrap_or(error);
        if !target.has_attribute("tabindex") && target.closest(".field").ok().flatten().is_none() {
            let _ = target.set_attribute("tabindex", "-1");
        }
        element(&target);
    });
}

/// Focuses `element`; whether it could take the focus.
pub fn element(element: &web_sys::Element) -> bool {
    element
        .dyn_ref::<web_sys::HtmlElement>()
        .is_some_and(|e| e.focus().is_ok())
}

/// Focuses the element with `id`, if there is one.
pub fn by_id(id: &str) {
    if let Some(el) = document().get_element_by_id(id) {
        element(&el);
    }
}

/// The elements of a `query_selector_all` answer (none if the selector failed).
pub fn all(found: Result<web_sys::NodeList, wasm_bindgen::JsValue>) -> Vec<web_sys::Element> {
    let Ok(list) = found else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .collect()
}

/// A list of a form's problems at its top, each a link to its field (`(field id,
/// message)`; no id: no link). Shown as the form's errors change; the caller moves the
/// focus.
#[component]
pub fn ErrorSummary(
    #[prop(into)] problems: Signal<Vec<(Option<&'static str>, String)>>,
) -> impl IntoView {
    move || {
        let list = problems.get();
        (!list.is_empty()).then(|| {
            let heading = if list.len() == 1 {
                "Fix this before going on:".to_string()
            } else {
                format!("Fix these {} problems before going on:", list.len())
            };
            view! {
                <div class="error-summary" data-testid="error-summary">
                    <p><strong>{heading}</strong></p>
                    <ul>
                        {list.into_iter().map(|(id, message)| view! {
                            <li>{match id {
                                Some(id) => view! {
                                    <a href=format!("#{id}") on:click=move |ev| { ev.prevent_default(); by_id(id); }>{message}</a>
                                }.into_any(),
                                None => view! { <span>{message}</span> }.into_any(),
                            }}</li>
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}
