//! Every kind of change the console makes to people, one file each (as the proxy's
//! `changes/` has them), each described once by a [`ChangeKind`]: its names, the
//! permission it needs, who it applies to, its form for one person, and its part of the
//! bulk form. The person's detail, the action dialog, the users table's bulk action and
//! the audit log's filter read [`KINDS`] and know no kind by name.
//!
//! Adding a kind: a file here with its description and its forms, listed in [`KINDS`]
//! (and, in `api.rs`, the function for its endpoint).

mod assign;
mod form;
mod offboard;
mod reactivate;
mod remove;
mod role;
mod session_duration;
mod set_expiration;
mod sign_out;

use leptos::prelude::*;
use roster_api::{Operation, Permission, TeamId, UserDetail, UserSummary};

use crate::session::Session;

/// Every kind, in the order the detail's buttons and the bulk dialog list them.
pub const KINDS: [&ChangeKind; 8] = [
    &role::SET_ROLE,
    &assign::ASSIGN,
    &remove::REMOVE,
    &set_expiration::SET_EXPIRATION,
    &sign_out::SIGN_OUT,
    &session_duration::SESSION_DURATION,
    &offboard::OFFBOARD,
    &reactivate::REACTIVATE,
];

/// What the users list needs of each kind to know whether to offer a bulk action: its
/// permission and where it applies. Only these fields, so that the list (in the first
/// load) does not pull in the forms, which load with the dialogs.
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    pub permission: Permission,
    pub bulk_places: fn(&Session) -> Vec<(String, String)>,
}

/// [`Reach`] of every kind in [`KINDS`], taken from it when compiling.
pub const REACH: [Reach; KINDS.len()] = {
    const fn reach(kind: &ChangeKind) -> Reach {
        Reach {
            permission: kind.permission,
            bulk_places: kind.bulk_places,
        }
    }
    let mut out = [reach(KINDS[0]); KINDS.len()];
    let mut i = 1;
    while i < KINDS.len() {
        out[i] = reach(KINDS[i]);
        i += 1;
    }
    out
};

/// The audit log's name of every kind in [`KINDS`], as (action, label), taken from it when
/// compiling: the audit page does not need the forms either.
pub const AUDIT_LABELS: [(&str, &str); KINDS.len()] = {
    let mut out = [("", ""); KINDS.len()];
    let mut i = 0;
    while i < KINDS.len() {
        out[i] = (KINDS[i].action, KINDS[i].audit_label);
        i += 1;
    }
    out
};

/// Why the role cannot make a kind of change at all, if it cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// The role lacks its permission.
    NotInRole,
    /// It reaches beyond the role's workspaces.
    NeedsEveryWorkspace,
}

impl Unavailable {
    /// The reason, as the detail lists it before the kinds.
    pub fn label(self) -> &'static str {
        match self {
            Unavailable::NotInRole => "Not part of your role",
            Unavailable::NeedsEveryWorkspace => "Needs a role that covers every workspace",
        }
    }
}

impl ChangeKind {
    /// Whether the role can make this kind of change anywhere.
    pub fn availability(&self, session: &Session) -> Result<(), Unavailable> {
        if !session.can(self.permission) {
            Err(Unavailable::NotInRole)
        } else if (self.bulk_places)(session).is_empty() {
            Err(Unavailable::NeedsEveryWorkspace)
        } else {
            Ok(())
        }
    }
}

/// Whether the account is not deactivated (only reactivation applies to one that is).
fn active(u: &UserSummary) -> bool {
    u.status != roster_api::UserStatus::Deactivated
}

/// One kind of change, described once: everything the console needs to offer it, for one
/// person and for a selection.
#[derive(Debug)]
pub struct ChangeKind {
    /// The proxy's name for it, in job operations and the audit log (`set_role`).
    pub action: &'static str,
    /// The dialog's title, and the choice in the bulk dialog.
    pub title: &'static str,
    /// The button on a person's detail.
    pub button: &'static str,
    /// How the audit log's filter names it.
    pub audit_label: &'static str,
    /// The permission it needs.
    pub permission: Permission,
    /// Whether confirming it is drawn as dangerous (it takes access away).
    pub danger: bool,
    /// Whether it can apply to this person at all (their type, their workspaces).
    pub applies_to: fn(&UserSummary) -> bool,
    /// Its form for one person; setting `open` to false closes the dialog.
    pub form: fn(user: UserDetail, open: RwSignal<bool>) -> AnyView,
    /// Where it applies for this role, as (value, label): the choices of the bulk dialog;
    /// none, and the role cannot make it at all.
    pub bulk_places: fn(&Session) -> Vec<(String, String)>,
    /// Its own fields in the bulk dialog, after the workspace.
    pub bulk_fields: fn(BulkContext) -> BulkFields,
}

impl PartialEq for ChangeKind {
    fn eq(&self, other: &Self) -> bool {
        self.action == other.action
    }
}

impl Eq for ChangeKind {}

/// What the bulk dialog gives a kind's fields.
#[derive(Clone, Copy)]
pub struct BulkContext {
    /// The workspace chosen in the dialog (one of the kind's `bulk_places`).
    pub workspace: RwSignal<String>,
    /// Whether the dialog is checking or starting the job.
    pub busy: Signal<bool>,
}

/// A kind's own fields in the bulk dialog. They are made once per dialog, so a choice
/// survives picking another kind and coming back.
pub struct BulkFields {
    /// Draws them; called each time the kind is chosen.
    pub view: Box<dyn Fn() -> AnyView>,
    /// Reads them into the change for every selected user, or says what is missing.
    pub read: Box<dyn Fn() -> Result<BulkChange, String>>,
}

/// The same change for every selected user.
pub struct BulkChange {
    /// The job's name, before the count of users ("Make admin on Engineering").
    pub title: String,
    /// The operation for one user.
    pub operation: Box<dyn Fn(String) -> Operation>,
}

/// The role's workspaces among `ids`, as (team ID, name) sorted by name.
fn workspace_options(session: &Session, ids: &[TeamId]) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = ids
        .iter()
        .map(|id| (id.to_string(), session.workspace_name(id)))
        .collect();
    options.sort_by(|a, b| a.1.cmp(&b.1));
    options
}

/// Every workspace the role covers, as (team ID, name).
fn every_workspace(session: &Session) -> Vec<(String, String)> {
    session
        .workspace_list()
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect()
}

/// The label of `value` among `options`, or the value itself.
fn label_of(options: &[(String, String)], value: String) -> String {
    options
        .iter()
        .find(|o| o.0 == value)
        .map_or(value, |o| o.1.clone())
}

/// The first of `options`' values, or nothing.
fn first_value(options: &[(String, String)]) -> String {
    options.first().map(|o| o.0.clone()).unwrap_or_default()
}

/// The `<option>`s of a workspace select whose value never changes under it.
fn option_list(options: Vec<(String, String)>, chosen: RwSignal<String>) -> impl IntoView {
    options
        .into_iter()
        .map(|(id, label)| view! { <option value=id.clone() selected=chosen.get_untracked() == id>{label}</option> })
        .collect_view()
}
