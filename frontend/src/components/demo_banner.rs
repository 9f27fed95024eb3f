//! The demo's banner and role switcher (only when Roster runs against its sandbox).

use leptos::prelude::*;

use crate::{api, session::Session, task::Task};

/// "Demo" banner with a role picker; absent outside the demo.
#[component]
pub fn DemoBanner() -> impl IntoView {
    let session = expect_context::<Session>();
    // The role picked, handed to `switch` as it starts.
    let picked = StoredValue::new(String::new());
    let switch = Task::new(move || {
        let role = picked.get_value();
        async move {
            api::switch_demo_role(&role).await?;
            // Everything the page shows depends on the role: start over.
            let _ = window().location().reload();
            Ok(())
        }
    });
    move || {
        let me = session.me()?;
        let roles = me.demo_roles.clone()?;
        let current = me.role.clone();
        Some(view! {
            <div class="demo-banner" role="region" aria-label="Demo">
                <strong>"Demo"</strong>
                <span>"A sandbox org: nothing here touches a real Slack workspace."</span>
                <label for="demo-role">"Act as"</label>
                <select id="demo-role" on:change:target=move |ev| {
                    picked.set_value(ev.target().value());
                    switch.start();
                }>
                    {roles.into_iter().map(|r| {
                        let selected = r == current;
                        view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
        })
    }
}
