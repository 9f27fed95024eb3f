//! A person's own session duration: how long before they must sign in again.

use leptos::prelude::*;
use roster_api::{Operation, Permission, UserDetail, UserStatus, UserType};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind,
    form::{Flow, FlowFooter},
    sign_out::account,
};
use crate::api;

/// Session duration.
pub static SESSION_DURATION: ChangeKind = ChangeKind {
    action: "set_session_duration",
    title: "Set session duration",
    button: "Session duration",
    audit_label: "Set session duration",
    permission: Permission::UsersSessionSettings,
    danger: false,
    applies_to: |u| u.status == UserStatus::Active && u.user_type != UserType::Bot,
    form: |user, open| view! { <DurationForm user open/> }.into_any(),
    bulk_places: account,
    bulk_fields,
};

/// The durations offered, in seconds (0: back to the org's setting).
const CHOICES: [(i64, &str); 7] = [
    (0, "The org's setting"),
    (8 * 3_600, "8 hours"),
    (12 * 3_600, "12 hours"),
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
    (30 * 86_400, "30 days"),
    (90 * 86_400, "90 days"),
];

fn label(seconds: i64) -> &'static str {
    CHOICES.iter().find(|c| c.0 == seconds).map_or("", |c| c.1)
}

fn operation(user: String, seconds: i64) -> Operation {
    Operation::SetSessionDuration {
        user,
        duration: (seconds > 0).then_some(seconds),
    }
}

fn select(id: &'static str, chosen: RwSignal<i64>) -> impl IntoView {
    view! {
        <select id=id on:change:target=move |ev| chosen.set(ev.target().value().parse().unwrap_or(0))>
            {CHOICES.into_iter().map(|(s, l)| view! {
                <option value=s.to_string() selected=move || chosen.get() == s>{l}</option>
            }).collect_view()}
        </select>
    }
}

/// Choose a duration, or go back to the org's.
#[component]
fn DurationForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let chosen = RwSignal::new(86_400_i64);
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let op = operation(id.clone(), chosen.get_untracked());
        async move { api::change(&op).await }
    });
    let review = Signal::derive(move || {
        Ok(match chosen.get() {
            0 => format!("{name} will follow the org's session duration again."),
            s => format!(
                "{name} will have to sign in again every {}; sessions older than that end now.",
                label(s)
            ),
        })
    });
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <div class="field">
                <label for="duration-choice">"Sign in again after"</label>
                {select("duration-choice", chosen)}
                {move || flow.field_error("duration").map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            <FlowFooter flow review/>
        </form>
    }
}

/// The duration.
fn bulk_fields(_: BulkContext) -> BulkFields {
    let chosen = RwSignal::new(86_400_i64);
    BulkFields {
        view: Box::new(move || {
            view! {
                <div class="field">
                    <label for="bulk-duration">"Sign in again after"</label>
                    {select("bulk-duration", chosen)}
                </div>
            }
            .into_any()
        }),
        read: Box::new(move || {
            let seconds = chosen.get_untracked();
            Ok(BulkChange {
                title: match seconds {
                    0 => "Use the org's session duration".to_string(),
                    s => format!("Session duration {}", label(s)),
                },
                operation: Box::new(move |user| operation(user, seconds)),
            })
        }),
    }
}
