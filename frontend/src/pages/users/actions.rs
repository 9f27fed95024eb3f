//! The forms that change a user: role, workspace, removal, guest expiration. Each checks
//! its fields, then states exactly what will happen before anything is sent.

use leptos::{prelude::*, task::spawn_local};
use roster_api::{
    ActionResult, AssignRequest, Channel, ExpirationRequest, ORG_WIDE, Permission, RemoveRequest,
    Role, RoleRequest, UserDetail, UserType,
};

use crate::{
    api::{self, ApiError},
    components::{ChannelPicker, Dialog, ErrorNotice, ToastKind, Toasts},
    format,
    session::Session,
};

/// Which form is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Role,
    Assign,
    Remove,
    Expiration,
}

impl ActionKind {
    /// Every form, in the order menus list them.
    pub const ALL: [ActionKind; 4] = [
        ActionKind::Role,
        ActionKind::Assign,
        ActionKind::Remove,
        ActionKind::Expiration,
    ];

    /// The permission the form needs.
    pub fn permission(self) -> Permission {
        match self {
            ActionKind::Role => Permission::UsersSetRole,
            ActionKind::Assign => Permission::UsersAssign,
            ActionKind::Remove => Permission::UsersRemove,
            ActionKind::Expiration => Permission::UsersSetExpiration,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ActionKind::Role => "Change role",
            ActionKind::Assign => "Add to a workspace",
            ActionKind::Remove => "Remove from a workspace",
            ActionKind::Expiration => "Guest expiration",
        }
    }
}

/// Where a form is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Edit,
    Review,
    Sending,
}

/// The dialog holding the form of `action` for `user`.
#[component]
pub fn ActionDialog(user: UserDetail, action: RwSignal<Option<ActionKind>>) -> impl IntoView {
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
    let title = Signal::derive(move || {
        action
            .get()
            .map(|a| a.title().to_string())
            .unwrap_or_default()
    });
    let user = StoredValue::new(user);
    view! {
        <Dialog open title>
            {move || action.get().map(|kind| {
                let u = user.get_value();
                match kind {
                    ActionKind::Role => view! { <RoleForm user=u open/> }.into_any(),
                    ActionKind::Assign => view! { <AssignForm user=u open/> }.into_any(),
                    ActionKind::Remove => view! { <RemoveForm user=u open/> }.into_any(),
                    ActionKind::Expiration => view! { <ExpirationForm user=u open/> }.into_any(),
                }
            })}
        </Dialog>
    }
}

/// Shared state of a form: its step, the failure to show, and sending.
#[derive(Clone, Copy)]
struct Flow {
    step: RwSignal<Step>,
    error: RwSignal<Option<ApiError>>,
    open: RwSignal<bool>,
}

impl Flow {
    fn new(open: RwSignal<bool>) -> Self {
        Self {
            step: RwSignal::new(Step::Edit),
            error: RwSignal::new(None),
            open,
        }
    }

    /// Sends the change; on success a notice with a link to the audit entry, and every view
    /// showing the user reloads.
    fn send(
        self,
        call: impl std::future::Future<Output = Result<ActionResult, ApiError>> + 'static,
    ) {
        let session = expect_context::<Session>();
        let toasts = expect_context::<Toasts>();
        self.step.set(Step::Sending);
        self.error.set(None);
        spawn_local(async move {
            match call.await {
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
                    self.open.try_set(false);
                    session.changed();
                }
                Err(e) => {
                    // Field errors send the person back to the form; others stay on review.
                    // The form may be gone by now (the person closed it): then nothing to show.
                    self.step.try_set(if e.field().is_some() {
                        Step::Edit
                    } else {
                        Step::Review
                    });
                    self.error.try_set(Some(e));
                }
            }
        });
    }

    /// A field's error from the proxy, if the last failure was about it.
    fn field_error(self, field: &'static str) -> Signal<Option<String>> {
        let error = self.error;
        Signal::derive(move || {
            error.with(|e| {
                e.as_ref()
                    .filter(|e| e.field() == Some(field))
                    .map(ToString::to_string)
            })
        })
    }
}

/// The buttons and the review text at the bottom of every form.
#[component]
fn FlowFooter(
    flow: Flow,
    /// What will happen, once the form is complete; `Err` says what is missing.
    #[prop(into)]
    review: Signal<Result<String, String>>,
    /// Sends the change.
    on_confirm: Callback<()>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    // The form's submit (Enter or "Review") moves to the review step; an incomplete form
    // goes straight back, saying what is missing.
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
    view! {
        {move || flow.error.get().filter(|e| e.field().is_none()).map(|e| view! { <ErrorNotice error=e/> })}
        {move || problem.get().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
        <Show when=move || flow.step.get() != Step::Edit>
            <div class="review" role="status">
                <p><strong>"Please confirm: "</strong>{move || review.get().unwrap_or_default()}</p>
            </div>
        </Show>
        <div class="dialog-buttons">
            {move || match flow.step.get() {
                Step::Edit => view! {
                    <button type="button" class="button-quiet" on:click=move |_| flow.open.set(false)>"Cancel"</button>
                    <button type="submit" class="button">"Review"</button>
                }.into_any(),
                Step::Review => view! {
                    <button type="button" class="button-quiet" on:click=move |_| flow.step.set(Step::Edit)>"Back"</button>
                    <button type="button" class=if danger { "button button-danger" } else { "button" }
                        on:click=move |_| on_confirm.run(())>"Confirm"</button>
                }.into_any(),
                Step::Sending => view! {
                    <button type="button" class="button" disabled=true>"Sending to Slack…"</button>
                }.into_any(),
            }}
        </div>
    }
}

fn workspace_options(session: &Session, ids: &[String]) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = ids
        .iter()
        .map(|id| (id.clone(), session.workspace_name(id)))
        .collect();
    options.sort_by(|a, b| a.1.cmp(&b.1));
    options
}

/// Change role on one workspace or org-wide.
#[component]
fn RoleForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let flow = Flow::new(open);
    let me = session.me();
    let all_workspaces = me.as_ref().is_some_and(|m| m.workspaces.is_none());
    let mut options = workspace_options(&session, &user.summary.workspaces);
    options.retain(|(id, _)| {
        session
            .me()
            .is_some_and(|m| m.workspaces.as_ref().is_none_or(|w| w.contains(id)))
    });
    if all_workspaces {
        options.insert(0, (ORG_WIDE.to_string(), "The whole org".to_string()));
    }
    let workspace = RwSignal::new(options.first().map(|o| o.0.clone()).unwrap_or_default());
    let guest = matches!(
        user.summary.user_type,
        UserType::MultiChannelGuest | UserType::SingleChannelGuest
    );
    let role = RwSignal::new(if guest { Role::Regular } else { Role::Admin });
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let options_for_review = options.clone();
    let review = Signal::derive(move || {
        if workspace.get().is_empty() {
            return Err("Choose where the role applies.".to_string());
        }
        let place = options_for_review
            .iter()
            .find(|o| o.0 == workspace.get())
            .map(|o| o.1.clone())
            .unwrap_or_default();
        let what = match role.get() {
            Role::Admin => "an admin",
            Role::Owner => "an owner",
            Role::Regular => "a regular member",
        };
        let place = if workspace.get() == ORG_WIDE {
            "across the whole org".to_string()
        } else {
            format!("on {place}")
        };
        Ok(format!("{name} will become {what} {place}."))
    });
    let confirm = Callback::new(move |()| {
        let id = id.clone();
        let request = RoleRequest {
            workspace: workspace.get_untracked(),
            role: role.get_untracked(),
        };
        flow.send(async move { api::set_role(&id, &request).await });
    });
    let roles: Vec<(Role, &str, bool)> = vec![
        (Role::Admin, "Admin", !guest),
        (Role::Owner, "Owner", !guest),
        (Role::Regular, "Regular member", true),
    ];
    view! {
        <form class="form" on:submit=move |ev| { ev.prevent_default(); flow.step.set(Step::Review); }>
            {guest.then(|| view! { <p class="muted">"Guests must become regular members before they can be admins or owners."</p> })}
            <div class="field">
                <label for="role-workspace">"Where"</label>
                <select id="role-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                    aria-describedby="role-workspace-error" prop:disabled=move || flow.step.get() != Step::Edit>
                    {options.into_iter().map(|(id, label)| view! { <option value=id.clone() selected=workspace.get_untracked() == id>{label}</option> }).collect_view()}
                </select>
                {move || flow.field_error("workspace").get().map(|e| view! { <p class="field-error" id="role-workspace-error">{e}</p> })}
            </div>
            <fieldset class="field" prop:disabled=move || flow.step.get() != Step::Edit>
                <legend>"New role"</legend>
                {roles.into_iter().filter(|r| r.2).map(|(r, label, _)| view! {
                    <label class="check">
                        <input type="radio" name="role" value=r.as_str() prop:checked=move || role.get() == r
                            on:change=move |_| role.set(r)/>
                        {label}
                    </label>
                }).collect_view()}
                {move || flow.field_error("role").get().map(|e| view! { <p class="field-error">{e}</p> })}
            </fieldset>
            <FlowFooter flow review on_confirm=confirm/>
        </form>
    }
}

/// Add to another workspace, with channels.
#[component]
fn AssignForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let flow = Flow::new(open);
    let options: Vec<(String, String)> = session
        .workspace_list()
        .into_iter()
        .filter(|w| !user.summary.workspaces.contains(&w.id))
        .map(|w| (w.id, w.name))
        .collect();
    let workspace = RwSignal::new(options.first().map(|o| o.0.clone()).unwrap_or_default());
    let channels = RwSignal::new(Vec::<Channel>::new());
    let single = user.summary.user_type == UserType::SingleChannelGuest;
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let names = options.clone();
    let review = Signal::derive(move || {
        let w = workspace.get();
        if w.is_empty() {
            return Err("Choose a workspace.".to_string());
        }
        let picked = channels.get();
        if single && picked.len() != 1 {
            return Err("A single-channel guest needs exactly one channel.".to_string());
        }
        let place = names
            .iter()
            .find(|o| o.0 == w)
            .map(|o| o.1.clone())
            .unwrap_or(w);
        let chans = if picked.is_empty() {
            String::new()
        } else {
            format!(
                " and join {}",
                picked
                    .iter()
                    .map(|c| format!("#{}", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Ok(format!("{name} will be added to {place}{chans}."))
    });
    let confirm = Callback::new(move |()| {
        let id = id.clone();
        let request = AssignRequest {
            workspace: workspace.get_untracked(),
            channels: channels.get_untracked().into_iter().map(|c| c.id).collect(),
        };
        flow.send(async move { api::assign(&id, &request).await });
    });
    let empty = options.is_empty();
    view! {
        <form class="form" on:submit=move |ev| { ev.prevent_default(); flow.step.set(Step::Review); }>
            {empty.then(|| view! { <p class="muted">"This person is already on every workspace you look after."</p> })}
            <div class="field">
                <label for="assign-workspace">"Workspace"</label>
                <select id="assign-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                    prop:disabled=move || flow.step.get() != Step::Edit>
                    {options.into_iter().map(|(id, label)| view! { <option value=id.clone() selected=workspace.get_untracked() == id>{label}</option> }).collect_view()}
                </select>
                {move || flow.field_error("workspace").get().map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            <div class="field">
                <label for="assign-channels">{if single { "Channel (exactly one)" } else { "Channels (optional)" }}</label>
                <ChannelPicker workspace=workspace selected=channels single=single input_id="assign-channels"
                    error=flow.field_error("channels")/>
            </div>
            <FlowFooter flow review on_confirm=confirm/>
        </form>
    }
}

/// Remove from a workspace; admins and owners need their name typed.
#[component]
fn RemoveForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let flow = Flow::new(open);
    let options = workspace_options(&session, &user.summary.workspaces);
    let workspace = RwSignal::new(options.first().map(|o| o.0.clone()).unwrap_or_default());
    let privileged = matches!(user.summary.user_type, UserType::Admin | UserType::Owner);
    let typed = RwSignal::new(String::new());
    let name = user.summary.name.clone();
    let id = user.summary.id.clone();
    let names = options.clone();
    let expected = name.clone();
    let review = Signal::derive(move || {
        let w = workspace.get();
        if w.is_empty() {
            return Err("Choose a workspace.".to_string());
        }
        if privileged && typed.get().trim() != expected {
            return Err(format!(
                "Type {expected} exactly to confirm removing an admin or owner."
            ));
        }
        let place = names
            .iter()
            .find(|o| o.0 == w)
            .map(|o| o.1.clone())
            .unwrap_or(w);
        Ok(format!(
            "{expected} will be removed from {place} and lose access to its channels."
        ))
    });
    let confirm = Callback::new(move |()| {
        let id = id.clone();
        let request = RemoveRequest {
            workspace: workspace.get_untracked(),
        };
        flow.send(async move { api::remove(&id, &request).await });
    });
    view! {
        <form class="form" on:submit=move |ev| { ev.prevent_default(); flow.step.set(Step::Review); }>
            <div class="field">
                <label for="remove-workspace">"Workspace"</label>
                <select id="remove-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                    prop:disabled=move || flow.step.get() != Step::Edit>
                    {options.into_iter().map(|(id, label)| view! { <option value=id.clone() selected=workspace.get_untracked() == id>{label}</option> }).collect_view()}
                </select>
                {move || flow.field_error("workspace").get().map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            {privileged.then(|| view! {
                <div class="field">
                    <label for="remove-confirm">{format!("{name} is an admin or owner. Type their name to confirm:")}</label>
                    <input id="remove-confirm" type="text" autocomplete="off" prop:value=move || typed.get()
                        on:input:target=move |ev| typed.set(ev.target().value())
                        prop:disabled=move || flow.step.get() != Step::Edit/>
                </div>
            })}
            <FlowFooter flow review on_confirm=confirm danger=true/>
        </form>
    }
}

/// Set or clear a guest's expiration, in the admin's time zone, shown in UTC too.
#[component]
fn ExpirationForm(user: UserDetail, open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let flow = Flow::new(open);
    let options = workspace_options(&session, &user.summary.workspaces);
    let workspace = RwSignal::new(options.first().map(|o| o.0.clone()).unwrap_or_default());
    let initial = user_expiry(&user, &workspace.get_untracked())
        .unwrap_or_else(|| format::now() + 30 * 86_400);
    let when = RwSignal::new(format::to_local_input(initial));
    let clear = RwSignal::new(false);
    let name = StoredValue::new(user_name(&user));
    let id = user_id(&user);
    let names = options.clone();
    let zone = format::time_zone();
    let parsed = Signal::derive(move || format::from_local_input(&when.get()));
    let review = Signal::derive(move || {
        let w = workspace.get();
        let place = names
            .iter()
            .find(|o| o.0 == w)
            .map(|o| o.1.clone())
            .unwrap_or(w);
        if clear.get() {
            return Ok(format!(
                "{}'s account on {place} will no longer expire.",
                name.get_value()
            ));
        }
        match parsed.get() {
            None => Err("Choose a date and time.".to_string()),
            Some(ts) if ts <= format::now() + 60 => {
                Err("The expiration must be in the future.".to_string())
            }
            Some(ts) => Ok(format!(
                "{}'s account on {place} will be disabled on {} ({}).",
                name.get_value(),
                format::day_time(ts),
                format::utc(ts)
            )),
        }
    });
    let confirm = Callback::new(move |()| {
        let id = id.clone();
        let request = ExpirationRequest {
            workspace: Some(workspace.get_untracked()),
            expires: if clear.get_untracked() {
                None
            } else {
                parsed.get_untracked()
            },
        };
        flow.send(async move { api::set_expiration(&id, &request).await });
    });
    let multiple = options.len() > 1;
    view! {
        <form class="form" on:submit=move |ev| { ev.prevent_default(); flow.step.set(Step::Review); }>
            <Show when=move || multiple>
                <div class="field">
                    <label for="exp-workspace">"Workspace"</label>
                    <select id="exp-workspace" on:change:target=move |ev| workspace.set(ev.target().value())
                        prop:disabled=move || flow.step.get() != Step::Edit>
                        {options.clone().into_iter().map(|(id, label)| view! { <option value=id.clone() selected=workspace.get_untracked() == id>{label}</option> }).collect_view()}
                    </select>
                </div>
            </Show>
            <div class="field">
                <label for="exp-when">{format!("Disable the account on ({zone})")}</label>
                <input id="exp-when" type="datetime-local" prop:value=move || when.get()
                    aria-describedby="exp-utc"
                    on:input:target=move |ev| when.set(ev.target().value())
                    prop:disabled=move || clear.get() || flow.step.get() != Step::Edit/>
                <p class="muted" id="exp-utc">{move || parsed.get().map(|ts| format!("That is {}.", format::utc(ts)))}</p>
                {move || flow.field_error("expires").get().map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || clear.get() on:change:target=move |ev| clear.set(ev.target().checked())
                    prop:disabled=move || flow.step.get() != Step::Edit/>
                "Remove the expiration"
            </label>
            <FlowFooter flow review on_confirm=confirm/>
        </form>
    }
}

fn user_expiry(user: &UserDetail, workspace: &str) -> Option<i64> {
    user.memberships
        .iter()
        .find(|m| m.workspace == workspace)
        .and_then(|m| m.expires)
}

fn user_name(user: &UserDetail) -> String {
    user.summary.name.clone()
}

fn user_id(user: &UserDetail) -> String {
    user.summary.id.clone()
}
