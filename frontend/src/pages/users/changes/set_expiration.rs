//! Setting or clearing the date a guest's account is disabled.

use leptos::prelude::*;
use roster_api::{
    ExpirationRequest, Field, MAX_EXTEND_DAYS, Operation, Permission, UserDetail, UserType,
};

use super::{
    BulkChange, BulkContext, BulkFields, ChangeKind, active, every_workspace, first_value,
    form::{Flow, FlowFooter},
    label_of, option_list, workspace_options,
};
use crate::{api, format, session::Session};

/// Guest expiration.
pub static SET_EXPIRATION: ChangeKind = ChangeKind {
    action: "set_expiration",
    title: "Guest expiration",
    button: "Change guest expiration",
    audit_label: "Guest expiration",
    permission: Permission::UsersSetExpiration,
    danger: false,
    applies_to: |u| {
        active(u)
            && matches!(
                u.user_type,
                UserType::MultiChannelGuest | UserType::SingleChannelGuest
            )
    },
    form: |user, open| view! { <ExpirationForm user open/> }.into_any(),
    bulk_places,
    bulk_fields,
};

/// How far ahead a new expiration starts.
const DEFAULT_AHEAD: i64 = 30 * 86_400;

/// Why `expires` cannot be a guest's expiration, if it cannot.
fn too_soon(expires: i64) -> Option<String> {
    (expires <= format::now() + 60).then(|| "The expiration must be in the future.".to_string())
}

/// Set or clear a guest's expiration, in the admin's time zone, shown in UTC too.
#[component]
fn ExpirationForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let options = workspace_options(&session, &user.summary.workspaces);
    let workspace = RwSignal::new(first_value(&options));
    let initial = user
        .memberships
        .iter()
        .find(|m| *m.workspace == workspace.get_untracked())
        .and_then(|m| m.expires)
        .unwrap_or_else(|| format::now() + DEFAULT_AHEAD);
    let when = RwSignal::new(format::to_local_input(initial));
    let clear = RwSignal::new(false);
    // Quick choices count from the expiration on the chosen workspace (or from now).
    let memberships = user.memberships.clone();
    let later = move |to: &dyn Fn(i64) -> i64| {
        let now = format::now();
        let from = memberships
            .iter()
            .find(|m| *m.workspace == workspace.get_untracked())
            .and_then(|m| m.expires)
            .filter(|e| *e > now)
            .unwrap_or(now);
        when.set(format::to_local_input(to(from)));
        clear.set(false);
    };
    let later = StoredValue::new(later);
    let parsed = Signal::derive(move || format::from_local_input(&when.get()));
    let id = user.summary.id.clone();
    let flow = Flow::new(open, move || {
        let id = id.clone();
        let request = ExpirationRequest {
            workspace: Some(workspace.get_untracked()),
            expires: if clear.get_untracked() {
                None
            } else {
                parsed.get_untracked()
            },
            extend_days: None,
        };
        async move { api::set_expiration(&id, &request).await }
    });
    let name = user.summary.name.clone();
    let names = options.clone();
    let review = Signal::derive(move || {
        let place = label_of(&names, workspace.get());
        if clear.get() {
            return Ok(format!(
                "{name}'s account on {place} will no longer expire."
            ));
        }
        match parsed.get() {
            None => Err("Choose a date and time.".to_string()),
            Some(ts) => match too_soon(ts) {
                Some(problem) => Err(problem),
                None => Ok(format!(
                    "{name}'s account on {place} will be disabled on {} ({}).",
                    format::day_time(ts),
                    format::utc(ts)
                )),
            },
        }
    });
    let zone = format::time_zone();
    let multiple = options.len() > 1;
    view! {
        <form class="form" on:submit=move |ev| flow.review(ev)>
            <Show when=move || multiple>
                <div class="field">
                    <label for="exp-workspace">"Workspace"</label>
                    <select id="exp-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                        prop:disabled=move || !flow.editing()>
                        {option_list(options.clone(), workspace)}
                    </select>
                </div>
            </Show>
            <div class="field">
                <label for="exp-when">{format!("Guest expiration date ({zone})")}</label>
                <input id="exp-when" type="datetime-local" prop:value=move || when.get()
                    aria-describedby="exp-utc"
                    on:input:target=move |ev| when.set(ev.target().value())
                    prop:disabled=move || clear.get() || !flow.editing()/>
                <p class="muted" id="exp-utc">{move || parsed.get().map(|ts| format!("That is {}.", format::utc(ts)))}</p>
                {move || flow.field_error("expires").map(|e| view! { <p class="field-error">{e}</p> })}
                <div class="quick-choices" role="group" aria-label="Move it later">
                    {[("+30 days", 30), ("+90 days", 90)].into_iter().map(|(label, days)| view! {
                        <button type="button" class="button-quiet" prop:disabled=move || !flow.editing()
                            on:click=move |_| later.with_value(|l| l(&|t| t + days * 86_400))>{label}</button>
                    }).collect_view()}
                    <button type="button" class="button-quiet" prop:disabled=move || !flow.editing()
                        on:click=move |_| later.with_value(|l| l(&format::end_of_next_month))>"End of next month"</button>
                </div>
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || clear.get() on:change:target=move |ev| clear.set(ev.target().checked())
                    prop:disabled=move || !flow.editing()/>
                "Remove the guest expiration"
            </label>
            <FlowFooter flow review/>
        </form>
    }
}

/// Every workspace, and each guest's only one (the proxy picks it).
fn bulk_places(session: &Session) -> Vec<(String, String)> {
    let mut places = every_workspace(session);
    places.push((String::new(), "Each guest's only workspace".to_string()));
    places
}

/// What a bulk expiration does to each guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bulk {
    /// Moves each one's own expiration later (from now when it has none).
    Later(u32),
    /// The same date for everyone, or none.
    Date(Option<i64>),
}

/// The operation for one guest; no `workspace` means each guest's only one.
fn operation(user: String, workspace: &str, what: Bulk) -> Operation {
    let (expires, extend_days) = match what {
        Bulk::Later(days) => (None, Some(days)),
        Bulk::Date(expires) => (expires, None),
    };
    Operation::SetExpiration {
        user,
        workspace: (!workspace.is_empty()).then(|| workspace.to_string()),
        expires,
        extend_days,
    }
}

/// The ways a bulk expiration can go, as the form names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Later,
    Date,
    Remove,
}

/// Each guest's expiration moved later, one date for all, or none.
fn bulk_fields(context: BulkContext) -> BulkFields {
    let session = expect_context::<Session>();
    // Counting days from a date the role does not see would show that date: such a role
    // gives the date itself (the server refuses the other way too).
    let sees_dates = !session.hides(Field::Expires);
    let mode = RwSignal::new(if sees_dates { Mode::Later } else { Mode::Date });
    let days = RwSignal::new("90".to_string());
    let when = RwSignal::new(format::to_local_input(format::now() + DEFAULT_AHEAD));
    let expires = Signal::derive(move || format::from_local_input(&when.get()));
    let busy = context.busy;
    BulkFields {
        view: Box::new(move || {
            view! {
                <fieldset class="field" prop:disabled=busy>
                    <legend>"Expiration"</legend>
                    {[(Mode::Later, "Move each guest's expiration later"), (Mode::Date, "The same date for everyone"), (Mode::Remove, "Remove the expiration")]
                        .into_iter()
                        .filter(|(m, _)| sees_dates || *m != Mode::Later)
                        .map(|(m, label)| view! {
                            <label class="check">
                                <input type="radio" name="bulk-expiration" prop:checked=move || mode.get() == m
                                    on:change=move |_| mode.set(m)/>
                                {label}
                            </label>
                        })
                        .collect_view()}
                </fieldset>
                <Show when=move || mode.get() == Mode::Later>
                    <div class="field">
                        <label for="bulk-days">"Days later"</label>
                        <input id="bulk-days" type="number" min="1" max=MAX_EXTEND_DAYS inputmode="numeric" aria-describedby="bulk-days-hint"
                            prop:value=move || days.get() prop:disabled=busy
                            on:input:target=move |ev| days.set(ev.target().value())/>
                        <p class="muted" id="bulk-days-hint">"From each guest's own expiration on that workspace, or from now when it has none. The check shows each old and new date."</p>
                    </div>
                </Show>
                <Show when=move || mode.get() == Mode::Date>
                    <div class="field">
                        <label for="bulk-when">{format!("Guest expiration date ({})", format::time_zone())}</label>
                        <input id="bulk-when" type="datetime-local" aria-describedby="bulk-when-utc"
                            prop:value=move || when.get() prop:disabled=busy
                            on:input:target=move |ev| when.set(ev.target().value())/>
                        <p class="muted" id="bulk-when-utc">{move || expires.get().map(|ts| format!("That is {}.", format::utc(ts)))}</p>
                    </div>
                </Show>
            }
            .into_any()
        }),
        read: Box::new(move || {
            let workspace = context.workspace.get_untracked();
            let what = match mode.get_untracked() {
                Mode::Later => match days.get_untracked().trim().parse::<u32>() {
                    Ok(d) if (1..=MAX_EXTEND_DAYS).contains(&d) => Bulk::Later(d),
                    _ => {
                        return Err(format!(
                            "Enter a number of days from 1 to {}.",
                            format::thousands(MAX_EXTEND_DAYS as usize)
                        ));
                    }
                },
                Mode::Date => {
                    let expires = expires.get_untracked().ok_or("Choose a date and time.")?;
                    if let Some(problem) = too_soon(expires) {
                        return Err(problem);
                    }
                    Bulk::Date(Some(expires))
                }
                Mode::Remove => Bulk::Date(None),
            };
            let place = if workspace.is_empty() {
                "on each guest's only workspace".to_string()
            } else {
                format!("on {}", session.workspace_name(&workspace))
            };
            Ok(BulkChange {
                title: match what {
                    Bulk::Later(d) => format!("Move guest expirations {d} days later {place}"),
                    Bulk::Date(Some(ts)) => format!("Expire guests at {} {place}", format::utc(ts)),
                    Bulk::Date(None) => format!("Remove guest expiration {place}"),
                },
                operation: Box::new(move |user| operation(user, &workspace, what)),
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_workspace_means_each_guests_only_one() {
        assert_eq!(
            operation("W1".into(), "", Bulk::Date(Some(4_000_000_000))),
            Operation::SetExpiration {
                user: "W1".into(),
                workspace: None,
                expires: Some(4_000_000_000),
                extend_days: None,
            }
        );
        assert_eq!(
            operation("W2".into(), "T1", Bulk::Date(None)).workspace(),
            Some("T1")
        );
        assert_eq!(
            operation("W3".into(), "T1", Bulk::Later(90)),
            Operation::SetExpiration {
                user: "W3".into(),
                workspace: Some("T1".into()),
                expires: None,
                extend_days: Some(90),
            }
        );
    }
}
