//! One change for every selected user: chosen here, checked by the proxy (a dry run that
//! changes nothing), then run as a job that `/jobs/{id}` follows.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use roster_api::{
    Channel, DryRun, JobRequest, MAX_JOB_OPERATIONS, ORG_WIDE, Operation, Role, UserQuery,
};

use super::actions::ActionKind;
use crate::{
    api::{self, ApiError},
    components::{ChannelPicker, Dialog, ErrorNotice, Selection, Toasts},
    format,
    pages::jobs::start_job,
    session::Session,
};

/// The change to make, the same for every user.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Change {
    kind: ActionKind,
    /// Team ID, `org` for an org-wide role, or empty for "every workspace" (expiration).
    workspace: String,
    role: Role,
    channels: Vec<String>,
    expires: Option<i64>,
}

impl Change {
    fn operation(&self, user: String) -> Operation {
        let workspace = self.workspace.clone();
        match self.kind {
            ActionKind::Role => Operation::SetRole {
                user,
                workspace,
                role: self.role,
            },
            ActionKind::Assign => Operation::Assign {
                user,
                workspace,
                channels: self.channels.clone(),
            },
            ActionKind::Remove => Operation::Remove { user, workspace },
            ActionKind::Expiration => Operation::SetExpiration {
                user,
                workspace: (!workspace.is_empty()).then_some(workspace),
                expires: self.expires,
            },
        }
    }
}

/// The IDs of every user matching `query`, a page of `MAX_LIMIT` at a time; it stops once
/// there are more than a job can hold.
async fn matching_ids(query: UserQuery) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::new();
    loop {
        let mut q = query.clone();
        q.offset = Some(ids.len());
        q.limit = Some(UserQuery::MAX_LIMIT);
        let page = api::list_users(&q).await?;
        let fetched = page.users.len();
        ids.extend(page.users.into_iter().map(|u| u.id));
        if fetched == 0 || ids.len() >= page.total || ids.len() > MAX_JOB_OPERATIONS {
            return Ok(ids);
        }
    }
}

/// The "Bulk action" dialog for the users table's selection.
#[component]
pub fn BulkActionDialog(
    open: RwSignal<bool>,
    selection: Selection,
    /// The table's filters, for "all matching".
    query: Memo<UserQuery>,
    /// How many users are selected.
    #[prop(into)]
    count: Signal<usize>,
) -> impl IntoView {
    view! {
        <Dialog open title="Bulk action">
            <BulkForm open selection query count/>
        </Dialog>
    }
}

/// The form inside the dialog; made anew each time it opens.
#[component]
fn BulkForm(
    open: RwSignal<bool>,
    selection: Selection,
    query: Memo<UserQuery>,
    count: Signal<usize>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let toasts = expect_context::<Toasts>();
    let navigate = StoredValue::new_local(use_navigate());
    let kinds: Vec<ActionKind> = ActionKind::ALL
        .into_iter()
        .filter(|k| session.can(k.permission()))
        .collect();
    let kind = RwSignal::new(kinds.first().copied().unwrap_or(ActionKind::Role));
    let org_wide = session.me().is_some_and(|m| m.workspaces.is_none());
    let options = move |k: ActionKind| {
        let mut list: Vec<(String, String)> = session
            .workspace_list()
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect();
        match k {
            ActionKind::Role if org_wide => {
                list.insert(0, (ORG_WIDE.to_string(), "The whole org".to_string()))
            }
            // The proxy picks the guest's workspace when there is just one.
            ActionKind::Expiration => {
                list.push((String::new(), "Each guest's only workspace".to_string()))
            }
            _ => {}
        }
        list
    };
    // The workspace the table is filtered to, else the first choice.
    let first_option = move |k: ActionKind| {
        let list = options(k);
        let filtered = query.with_untracked(|q| q.workspace.clone());
        filtered
            .filter(|w| list.iter().any(|o| &o.0 == w))
            .or_else(|| list.into_iter().next().map(|o| o.0))
            .unwrap_or_default()
    };
    let workspace = RwSignal::new(first_option(kind.get_untracked()));
    let role = RwSignal::new(Role::Admin);
    let channels = RwSignal::new(Vec::<Channel>::new());
    let when = RwSignal::new(format::to_local_input(format::now() + 30 * 86_400));
    let clear = RwSignal::new(false);
    let expires = Signal::derive(move || format::from_local_input(&when.get()));
    let problem = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let checked = RwSignal::new(None::<(JobRequest, DryRun)>);
    let too_many = move || count.get() > MAX_JOB_OPERATIONS;

    let change = move || Change {
        kind: kind.get_untracked(),
        workspace: workspace.get_untracked(),
        role: role.get_untracked(),
        channels: channels.get_untracked().into_iter().map(|c| c.id).collect(),
        expires: if clear.get_untracked() {
            None
        } else {
            expires.get_untracked()
        },
    };
    // "Make admin on Engineering", for the job's title.
    let describe = move |c: &Change| {
        let place = if c.workspace == ORG_WIDE {
            "across the whole org".to_string()
        } else {
            format!("on {}", session.workspace_name(&c.workspace))
        };
        match c.kind {
            ActionKind::Role => format!("Make {} {place}", c.role.label()),
            ActionKind::Assign => format!("Add to {}", session.workspace_name(&c.workspace)),
            ActionKind::Remove => format!("Remove from {}", session.workspace_name(&c.workspace)),
            ActionKind::Expiration => {
                let place = if c.workspace.is_empty() {
                    "on each guest's only workspace".to_string()
                } else {
                    format!("on {}", session.workspace_name(&c.workspace))
                };
                match c.expires {
                    Some(ts) => format!("Expire guests at {} {place}", format::utc(ts)),
                    None => format!("Remove guest expiration {place}"),
                }
            }
        }
    };
    let validate = move |c: &Change| -> Result<(), String> {
        if c.kind != ActionKind::Expiration && c.workspace.is_empty() {
            return Err("Choose a workspace.".into());
        }
        if c.kind == ActionKind::Expiration && !clear.get_untracked() {
            match c.expires {
                None => return Err("Choose a date and time, or remove the expiration.".into()),
                Some(ts) if ts <= format::now() + 60 => {
                    return Err("The expiration must be in the future.".into());
                }
                _ => {}
            }
        }
        if count.get_untracked() == 0 {
            return Err("No users are selected.".into());
        }
        Ok(())
    };
    let check = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let change = change();
        if let Err(p) = validate(&change) {
            problem.set(Some(p));
            return;
        }
        problem.set(None);
        error.set(None);
        busy.set(true);
        let all = selection.all_matching.get_untracked();
        let mut ids: Vec<String> = selection.ids.get_untracked().into_iter().collect();
        ids.sort();
        let q = query.get_untracked();
        let title = describe(&change);
        spawn_local(async move {
            let ids = if all { matching_ids(q).await } else { Ok(ids) };
            let ids = match ids {
                Ok(ids) if ids.len() > MAX_JOB_OPERATIONS => {
                    busy.try_set(false);
                    problem.try_set(Some(cap_message(ids.len())));
                    return;
                }
                Ok(ids) => ids,
                Err(e) => {
                    busy.try_set(false);
                    error.try_set(Some(e));
                    return;
                }
            };
            let request = JobRequest {
                title: Some(title),
                operations: ids.into_iter().map(|id| change.operation(id)).collect(),
            };
            let answer = api::dry_run_job(&request).await;
            busy.try_set(false);
            match answer {
                Ok(dry) => {
                    checked.try_set(Some((request, dry)));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let run = move |_| {
        let Some((request, dry)) = checked.get_untracked() else {
            return;
        };
        let operations: Vec<Operation> = dry
            .checks
            .iter()
            .filter(|c| c.ok)
            .filter_map(|c| request.operations.get(c.index).cloned())
            .collect();
        let request = JobRequest {
            title: request
                .title
                .map(|t| format!("{t} · {}", format::count(operations.len(), "user", "users"))),
            operations,
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match start_job(&request, ("change", "changes"), toasts, navigate).await {
                Ok(()) => {
                    selection.clear();
                    open.try_set(false);
                }
                Err(e) => {
                    busy.try_set(false);
                    error.try_set(Some(e));
                }
            }
        });
    };
    let will_run = move || {
        checked.with(|c| {
            c.as_ref()
                .map_or(0, |(_, d)| d.checks.iter().filter(|c| c.ok).count())
        })
    };
    let failures = move || {
        checked.with(|c| {
            c.as_ref()
                .map(|(request, dry)| {
                    dry.checks
                        .iter()
                        .filter(|c| !c.ok)
                        .map(|c| {
                            let id = request
                                .operations
                                .get(c.index)
                                .map(|o| o.target().to_string())
                                .unwrap_or_default();
                            (c.index, c.user_name.clone(), id, c.message.clone())
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let editing = move || checked.with(Option::is_none);

    view! {
        <form class="form" on:submit=check>
            <p>{move || format!("Applies to {}.", format::count(count.get(), "selected user", "selected users"))}</p>
            <Show when=too_many>
                <p class="field-error" role="alert">{move || cap_message(count.get())}</p>
            </Show>
            <Show when=editing>
                <fieldset class="field" prop:disabled=busy>
                    <legend>"Action"</legend>
                    {kinds.clone().into_iter().map(|k| view! {
                        <label class="check">
                            <input type="radio" name="bulk-kind" prop:checked=move || kind.get() == k
                                on:change=move |_| {
                                    kind.set(k);
                                    workspace.set(first_option(k));
                                    channels.set(Vec::new());
                                }/>
                            {k.title()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="bulk-workspace">"Workspace"</label>
                    <select id="bulk-workspace" prop:disabled=busy on:change:target=move |ev| workspace.set(ev.target().value())>
                        {move || options(kind.get()).into_iter().map(|(id, label)| {
                            let value = id.clone();
                            view! { <option value=id selected=move || workspace.get() == value>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <Show when=move || kind.get() == ActionKind::Role>
                    <fieldset class="field" prop:disabled=busy>
                        <legend>"New role"</legend>
                        {[(Role::Admin, "Admin"), (Role::Owner, "Owner"), (Role::Regular, "Regular member")].into_iter().map(|(r, label)| view! {
                            <label class="check">
                                <input type="radio" name="bulk-role" prop:checked=move || role.get() == r on:change=move |_| role.set(r)/>
                                {label}
                            </label>
                        }).collect_view()}
                        <p class="muted">"Guests must become regular members before they can be admins or owners."</p>
                    </fieldset>
                </Show>
                <Show when=move || kind.get() == ActionKind::Assign>
                    <div class="field">
                        <label for="bulk-channels">"Channels (optional)"</label>
                        <ChannelPicker workspace=workspace selected=channels single=false input_id="bulk-channels"
                            error=Signal::derive(|| None::<String>)/>
                    </div>
                </Show>
                <Show when=move || kind.get() == ActionKind::Expiration>
                    <div class="field">
                        <label for="bulk-when">{format!("Disable the guest accounts on ({})", format::time_zone())}</label>
                        <input id="bulk-when" type="datetime-local" aria-describedby="bulk-when-utc"
                            prop:value=move || when.get() prop:disabled=move || clear.get() || busy.get()
                            on:input:target=move |ev| when.set(ev.target().value())/>
                        <p class="muted" id="bulk-when-utc">{move || expires.get().map(|ts| format!("That is {}.", format::utc(ts)))}</p>
                    </div>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || clear.get() prop:disabled=busy
                            on:change:target=move |ev| clear.set(ev.target().checked())/>
                        "Remove the expiration instead"
                    </label>
                </Show>
            </Show>
            {move || problem.get().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
            {move || error.get().map(|e| view! { <ErrorNotice error=e/> })}
            {move || checked.get().map(|(request, dry)| view! {
                <div class="review" role="status">
                    <p><strong>{request.title.clone().unwrap_or_default()}</strong></p>
                    <p data-testid="bulk-summary">
                        {format!("{} will run, {} will fail.", format::count(will_run(), "change", "changes"), format::thousands(dry.checks.len() - will_run()))}
                        {(will_run() > 0).then(|| format!(" Running them takes {}.", format::duration(dry.estimated_seconds)))}
                    </p>
                </div>
            })}
            <Show when=move || !failures().is_empty()>
                <ul class="check-list" aria-label="Changes that will fail">
                    {move || failures().into_iter().map(|(index, name, id, message)| view! {
                        <li data-op-index=index>
                            {name.map(|n| view! { <strong>{n}</strong>" " })}
                            <code>{id}</code>" "{message}
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
            <div class="dialog-buttons">
                {move || if editing() {
                    view! {
                        <button type="button" class="button-quiet" on:click=move |_| open.set(false)>"Cancel"</button>
                        <button type="submit" class="button" prop:disabled=move || busy.get() || too_many()>
                            {move || if busy.get() { "Checking…" } else { "Check" }}
                        </button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="button-quiet" prop:disabled=busy on:click=move |_| checked.set(None)>"Back"</button>
                        <Show when=move || { will_run() > 0 }>
                            <button type="button" prop:disabled=busy on:click=run
                                class=move || if kind.get() == ActionKind::Remove { "button button-danger" } else { "button" }>
                                {move || if busy.get() { "Starting…".to_string() } else { format!("Run {}", format::count(will_run(), "change", "changes")) }}
                            </button>
                        </Show>
                    }.into_any()
                }}
            </div>
        </form>
    }
}

fn cap_message(n: usize) -> String {
    format!(
        "A job holds at most {} changes and {} users are selected. Narrow the filters or select fewer users.",
        format::thousands(MAX_JOB_OPERATIONS),
        format::thousands(n)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_operation_per_user() {
        let mut change = Change {
            kind: ActionKind::Expiration,
            workspace: String::new(),
            role: Role::Admin,
            channels: vec![],
            expires: Some(4_000_000_000),
        };
        assert_eq!(
            change.operation("W1".into()),
            Operation::SetExpiration {
                user: "W1".into(),
                workspace: None,
                expires: Some(4_000_000_000)
            }
        );
        change.kind = ActionKind::Assign;
        change.workspace = "T1".into();
        change.channels = vec!["C1".into()];
        assert_eq!(change.operation("W2".into()).kind(), "assign");
        assert_eq!(change.operation("W2".into()).workspace(), Some("T1"));
    }
}
