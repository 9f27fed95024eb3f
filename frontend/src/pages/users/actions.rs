//! The dialog holding the form of one change for one person. Each form checks its fields,
//! then states exactly what will happen before anything is sent (see `changes/`).

use leptos::prelude::*;
use roster_api::UserDetail;

use super::changes::ChangeKind;
use crate::components::Dialog;

/// The dialog holding the form of `action` for `user`; open while `action` is set.
#[component]
pub fn ActionDialog(
    user: UserDetail,
    action: RwSignal<Option<&'static ChangeKind>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    // The two follow each other; setting a signal always notifies, so only on a change.
    Effect::new(move |_| {
        let wanted = action.with(Option::is_some);
        if open.get_untracked() != wanted {
            open.set(wanted);
        }
    });
    Effect::new(move |_| {
        if !open.get() && action.with_untracked(Option::is_some) {
            action.set(None);
        }
    });
    // "Change role: Ada Lee": whom the form is for, in its title.
    let name = user.summary.name.clone();
    let title = Signal::derive(move || {
        action
            .get()
            .map(|kind| format!("{}: {name}", kind.title))
            .unwrap_or_default()
    });
    let user = StoredValue::new(user);
    view! {
        <Dialog open title>
            {move || action.get().map(|kind| (kind.form)(user.get_value(), open))}
        </Dialog>
    }
}
