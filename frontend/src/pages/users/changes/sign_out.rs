//! Signing someone out: every session ends (or only those in web browsers or on phones),
//! wherever they are signed in.

use leptos::prelude::*;
use roster_api::{Devices, ORG_WIDE, Operation, Permission, UserDetail, UserStatus, UserType};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind,
    form::{Flow, FlowFooter},
};
use crate::{api, session::Session};

/// Sign out.
pub static SIGN_OUT: ChangeKind = ChangeKind {
    action: "sign_out",
    title: "Sign out of devices",
    button: "Sign out",
    audit_label: "Sign out",
    permission: Permission::UsersSessions,
    danger: true,
    applies_to: |u| u.status == UserStatus::Active && u.user_type != UserType::Bot,
    form: |user, open| view! { <SignOutForm user open/> }.into_any(),
    bulk_places: account,
    bulk_fields,
};

/// Changes to the account act wherever the person is, so only a role that covers every
/// workspace makes them (a narrower one ends sessions one by one on its workspaces).
pub(super) fn account(session: &Session) -> Vec<(String, String)> {
    if session.covers_every_workspace() {
        vec![(
            ORG_WIDE.to_string(),
            "Wherever they are signed in".to_string(),
        )]
    } else {
        Vec::new()
    }
}

/// "Every device (a lost laptop)", …: the choices, as the form words them.
fn choice(devices: Devices) -> &'static str {
    match devices {
        Devices::All => "Every device: a lost laptop or phone, a suspected breach",
        Devices::Web => "Web browsers only",
        Devices::Mobile => "Phones and tablets only",
    }
}

/// The devices' radio buttons.
fn device_choices(name: &'static str, devices: RwSignal<Devices>) -> impl IntoView {
    Devices::ALL
        .into_iter()
        .map(|d| {
            view! {
                <label class="check">
                    <input type="radio" name=name value=d.as_str() prop:checked=move || devices.get() == d
                        on:change=move |_| devices.set(d)/>
                    {choice(d)}
                </label>
            }
        })
        .collect_view()
}

/// The sentence for a sign-out.
fn sentence(name: &str, devices: Devices) -> String {
    match devices {
        Devices::All => format!(
            "{name} will be signed out of every device and every workspace now, and must \
             sign in again."
        ),
        other => format!(
            "{name} will be signed out of {} on every workspace now; other sessions stay.",
            other.label()
        ),
    }
}

/// Sign out of all devices, or only web or mobile ones.
#[component]
fn SignOutForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let devices = RwSignal::new(Devices::All);
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let operation = Operation::SignOut {
            user: id.clone(),
            devices: devices.get_untracked(),
        };
        async move { api::change(&operation).await }
    });
    let review = Signal::derive(move || Ok(sentence(&name, devices.get())));
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <fieldset class="field" prop:disabled=move || !flow.editing()>
                <legend>"Which sessions end"</legend>
                {device_choices("sign-out-devices", devices)}
            </fieldset>
            <FlowFooter flow review danger=SIGN_OUT.danger/>
        </form>
    }
}

/// The devices.
fn bulk_fields(_: BulkContext) -> BulkFields {
    let devices = RwSignal::new(Devices::All);
    BulkFields {
        view: Box::new(move || {
            view! {
                <fieldset class="field">
                    <legend>"Which sessions end"</legend>
                    {device_choices("bulk-sign-out-devices", devices)}
                </fieldset>
            }
            .into_any()
        }),
        read: Box::new(move || {
            let chosen = devices.get_untracked();
            Ok(BulkChange {
                title: format!("Sign out of {}", chosen.label()),
                operation: Box::new(move |user| Operation::SignOut {
                    user,
                    devices: chosen,
                }),
            })
        }),
    }
}
