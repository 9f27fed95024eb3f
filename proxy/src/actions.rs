//! Every change Roster makes in Slack, in one shape: check the mode and the person's pace,
//! the permission, then the scope (the workspace named and the person acted on, before
//! anything that depends on data outside the role's workspaces), validate against the
//! role's view of the person, ask the policy, write the audit intent, call Slack, update
//! the directory at once, write the outcome.

use roster_api::{
    ActionResult, AssignRequest, AuditOutcome, ExpirationRequest, GuestType, InviteRequest,
    Membership, Mode, ORG_WIDE, RemoveRequest, Role, RoleRequest, UserSummary, UserType,
    WorkspaceRole,
};
use serde_json::{Value, json};

use crate::{
    AppState,
    audit::Intent,
    directory::{Change, DirUser, unix_now},
    error::AppError,
    policy::{Caller, Denied, Field, Permission},
    slack::{SlackError, SlackMethod, messages},
};

pub use roster_api::MAX_CUSTOM_MESSAGE;
/// Longest real name.
pub const MAX_REAL_NAME: usize = 80;

/// Who is acting, in which request.
#[derive(Debug)]
pub struct Actor<'a> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub request_id: String,
    pub mode: ActorMode,
}

/// How an action is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorMode {
    /// A person's request: paced per person.
    Request,
    /// An operation of a bulk job: paced by the job queue at Slack's rate.
    Job,
    /// Every check, then stop before Slack: nothing is called or written.
    DryRun,
}

/// What an action came to.
#[derive(Debug)]
pub enum Outcome {
    Done(ActionResult),
    /// A dry run: what would be done.
    WouldDo(String),
}

impl Outcome {
    /// The result of an action that was carried out.
    pub fn done(self) -> Result<ActionResult, AppError> {
        match self {
            Outcome::Done(r) => Ok(r),
            Outcome::WouldDo(_) => Err(AppError::Internal(
                "A dry run was answered as if it had been carried out.".into(),
            )),
        }
    }
}

/// The parts of an action the audit log and the policy need.
struct Plan<'a> {
    action: &'static str,
    target: Option<&'a str>,
    workspace: Option<&'a str>,
    params: Value,
}

impl Actor<'_> {
    fn intent<'p>(&'p self, plan: &'p Plan<'p>) -> Intent<'p> {
        Intent {
            request_id: &self.request_id,
            caller: self.caller,
            action: plan.action,
            target_user: plan.target,
            workspace: plan.workspace,
            params: plan.params.clone(),
        }
    }

    /// Common checks before anything else: admin mode and the person's pace.
    fn preflight(&self) -> Result<(), AppError> {
        if self.state.connection.mode != Mode::Admin {
            return Err(AppError::ReadOnly(
                self.state.connection.reason.clone().unwrap_or_else(|| {
                    "Roster is connected with a token that cannot make changes.".into()
                }),
            ));
        }
        if self.mode == ActorMode::Request && !self.state.writes.allow(&self.caller.email) {
            return Err(AppError::TooManyWrites);
        }
        Ok(())
    }

    /// In a dry run, the point where the real action would call Slack.
    fn would(&self, message: impl FnOnce() -> String) -> Option<Outcome> {
        (self.mode == ActorMode::DryRun).then(|| Outcome::WouldDo(message()))
    }

    /// Refuses at once, before looking at the request, when the role lacks `permission`.
    async fn require(&self, plan: &Plan<'_>, permission: Permission) -> Result<(), AppError> {
        if self.caller.can(permission) {
            Ok(())
        } else {
            Err(self
                .refuse(plan, Denied::Permission(permission).into())
                .await)
        }
    }

    /// Records a refusal (validation or policy) and returns it. A dry run records nothing.
    async fn refuse(&self, plan: &Plan<'_>, error: AppError) -> AppError {
        if self.mode == ActorMode::DryRun {
            return error;
        }
        let outcome = match error {
            AppError::Forbidden(_) => AuditOutcome::Denied,
            _ => AuditOutcome::Invalid,
        };
        if let Err(e) = self
            .state
            .audit
            .refused(&self.intent(plan), outcome, &error.to_string())
            .await
        {
            return e.into();
        }
        error
    }

    /// Writes the intent, makes the call, writes the outcome.
    async fn call(
        &self,
        plan: &Plan<'_>,
        method: SlackMethod,
        params: &[(&str, String)],
    ) -> Result<i64, AppError> {
        let audit = &self.state.audit;
        let id = audit.intent(&self.intent(plan)).await?;
        match self.state.slack.call(method, params).await {
            Ok(_) => Ok(id),
            Err(error) => {
                let (outcome, message) = match &error {
                    SlackError::Api { code, .. } => (
                        AuditOutcome::SlackError,
                        messages::describe(code).to_string(),
                    ),
                    SlackError::RateLimited { .. } => (
                        AuditOutcome::SlackError,
                        messages::describe("ratelimited").to_string(),
                    ),
                    SlackError::UnknownOutcome { .. } => (
                        AuditOutcome::Unknown,
                        "Slack did not confirm whether this happened.".to_string(),
                    ),
                    SlackError::Unavailable { .. } => (
                        AuditOutcome::SlackError,
                        "Slack could not be reached; nothing was changed.".to_string(),
                    ),
                };
                audit.outcome(id, outcome, error.code(), &message).await?;
                Err(error.into())
            }
        }
    }

    /// Records success. `before` is the person as the role saw them; `after` as the change
    /// left them (the role may no longer see them, say after removing them from its last
    /// workspace: it is then shown what it saw, without that workspace).
    async fn done(
        &self,
        audit_id: i64,
        message: String,
        before: &DirUser,
        after: Option<DirUser>,
    ) -> Result<Outcome, AppError> {
        self.state
            .audit
            .outcome(audit_id, AuditOutcome::Ok, None, &message)
            .await?;
        let user = after
            .and_then(|u| self.caller.summary(&u))
            .unwrap_or_else(|| {
                let mut gone = self.caller.hide_fields(before.summary.clone());
                gone.workspaces.clear();
                gone
            });
        Ok(Outcome::Done(ActionResult {
            message,
            user,
            audit_id: Some(audit_id),
        }))
    }

    /// Scope first: a workspace the change names must be one the role covers, checked
    /// before anything that depends on data (whether it exists, who is on it), so that
    /// outside the scope every workspace ID gets the same refusal.
    async fn require_scope(&self, plan: &Plan<'_>, team: &str) -> Result<(), AppError> {
        if team.is_empty() || self.caller.covers(team) {
            return Ok(());
        }
        Err(self
            .refuse(plan, Denied::Workspace(team.to_string()).into())
            .await)
    }

    /// The person acted on, as the role sees them; someone outside its workspaces is
    /// refused exactly like someone who does not exist.
    async fn target(&self, plan: &Plan<'_>, id: &str) -> Result<DirUser, AppError> {
        match self.caller.user(&self.state.directory, id) {
            Ok(user) => Ok(user),
            Err(e) => Err(self.refuse(plan, e).await),
        }
    }

    fn workspace_name(&self, id: &str) -> String {
        self.state
            .directory
            .workspaces()
            .into_iter()
            .find(|w| w.id == id)
            .map_or_else(|| id.to_string(), |w| w.name)
    }

    fn check_workspace(&self, team: &str) -> Result<(), AppError> {
        if team.is_empty() {
            return Err(AppError::invalid("workspace", "Choose a workspace."));
        }
        if !self.state.directory.has_workspace(team) {
            return Err(AppError::invalid(
                "workspace",
                "There is no such workspace in the org.",
            ));
        }
        Ok(())
    }
}

/// Whether an address looks deliverable: one `@`, a dotted domain, no spaces.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| c.is_ascii_graphic())
}

fn valid_channel_id(id: &str) -> bool {
    id.len() >= 3
        && id.starts_with(['C', 'G'])
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn check_channels(
    channels: &[String],
    guest: Option<GuestType>,
    required: bool,
) -> Result<(), AppError> {
    if required && channels.is_empty() {
        return Err(AppError::invalid(
            "channels",
            "Choose at least one channel.",
        ));
    }
    if let Some(bad) = channels.iter().find(|c| !valid_channel_id(c)) {
        return Err(AppError::invalid(
            "channels",
            format!("{bad:?} is not a channel ID."),
        ));
    }
    if guest == Some(GuestType::SingleChannel) && channels.len() != 1 {
        return Err(AppError::invalid(
            "channels",
            "A single-channel guest gets exactly one channel.",
        ));
    }
    Ok(())
}

pub(crate) fn guest_of(t: UserType) -> Option<GuestType> {
    match t {
        UserType::MultiChannelGuest => Some(GuestType::MultiChannel),
        UserType::SingleChannelGuest => Some(GuestType::SingleChannel),
        _ => None,
    }
}

pub(crate) fn guest_role(guest: Option<GuestType>) -> WorkspaceRole {
    match guest {
        Some(GuestType::MultiChannel) => WorkspaceRole::MultiChannelGuest,
        Some(GuestType::SingleChannel) => WorkspaceRole::SingleChannelGuest,
        None => WorkspaceRole::Member,
    }
}

fn guest_flags(guest: Option<GuestType>) -> Vec<(&'static str, String)> {
    match guest {
        Some(GuestType::MultiChannel) => vec![("is_restricted", "true".into())],
        Some(GuestType::SingleChannel) => vec![("is_ultra_restricted", "true".into())],
        None => vec![],
    }
}

/// `POST /api/users/invite`.
pub async fn invite(actor: &Actor<'_>, request: InviteRequest) -> Result<Outcome, AppError> {
    actor.preflight()?;
    let email = request.email.trim().to_lowercase();
    let plan = Plan {
        action: "invite",
        target: Some(&email),
        workspace: Some(&request.workspace),
        params: json!(request),
    };
    actor.require(&plan, Permission::UsersInvite).await?;
    actor.require_scope(&plan, &request.workspace).await?;
    let validation = (|| {
        if !valid_email(&email) {
            return Err(AppError::invalid(
                "email",
                "Enter a valid email address, like name@example.com.",
            ));
        }
        actor.check_workspace(&request.workspace)?;
        check_channels(&request.channels, request.guest, true)?;
        if let Some(name) = &request.real_name
            && name.chars().count() > MAX_REAL_NAME
        {
            return Err(AppError::invalid(
                "real_name",
                format!("At most {MAX_REAL_NAME} characters."),
            ));
        }
        if let Some(m) = &request.custom_message
            && m.chars().count() > MAX_CUSTOM_MESSAGE
        {
            return Err(AppError::invalid(
                "custom_message",
                format!("At most {MAX_CUSTOM_MESSAGE} characters."),
            ));
        }
        match (request.expires, request.guest) {
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "expires",
                    "Only guests can have an expiration date.",
                ));
            }
            (Some(ts), Some(_)) if ts <= unix_now() + 60 => {
                return Err(AppError::invalid(
                    "expires",
                    "The expiration must be in the future.",
                ));
            }
            _ => {}
        }
        // Only a role that sees addresses is told that one belongs to someone (on a
        // workspace it covers: the scope was checked above).
        if !actor.caller.hides(Field::Email)
            && let Some(existing) = actor.state.directory.find_email(&email)
            && existing.summary.workspaces.contains(&request.workspace)
        {
            return Err(AppError::invalid(
                "email",
                "This person is already a member of that workspace.",
            ));
        }
        Ok(())
    })();
    if let Err(e) = validation {
        return Err(actor.refuse(&plan, e).await);
    }
    let allowed = if !actor.caller.can(Permission::UsersInvite) {
        Err(Denied::Permission(Permission::UsersInvite))
    } else if !actor.caller.covers(&request.workspace) {
        Err(Denied::Workspace(request.workspace.clone()))
    } else if actor.caller.role.invite_guests_only && request.guest.is_none() {
        Err(Denied::GuestsOnly)
    } else {
        Ok(())
    };
    if let Err(denied) = allowed {
        return Err(actor.refuse(&plan, denied.into()).await);
    }

    let mut params = vec![
        ("team_id", request.workspace.clone()),
        ("email", email.clone()),
        ("channel_ids", request.channels.join(",")),
    ];
    params.extend(guest_flags(request.guest));
    if let Some(name) = request
        .real_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        params.push(("real_name", name.to_string()));
    }
    if let Some(m) = request
        .custom_message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
    {
        params.push(("custom_message", m.to_string()));
    }
    if let Some(ts) = request.expires {
        params.push(("guest_expiration_ts", ts.to_string()));
    }
    if request.resend {
        params.push(("resend", "true".into()));
    }
    let kind = match request.guest {
        Some(GuestType::MultiChannel) => "as a multi-channel guest",
        Some(GuestType::SingleChannel) => "as a single-channel guest",
        None => "as a member",
    };
    if let Some(would) = actor.would(|| {
        format!(
            "Will invite {email} to {} {kind}.",
            actor.workspace_name(&request.workspace)
        )
    }) {
        return Ok(would);
    }
    let audit_id = actor
        .call(&plan, SlackMethod::AdminUsersInvite, &params)
        .await?;

    let user = read_back_invite(actor.state, &request, &email).await;
    let message = format!(
        "Invited {email} to {} {kind}.",
        actor.workspace_name(&request.workspace)
    );
    let before = actor.caller.view(&user).unwrap_or_else(|| user.clone());
    actor.done(audit_id, message, &before, Some(user)).await
}

/// After an invitation: reads the person back from Slack (Slack answers only `ok`) and puts
/// them in the directory at once; without an answer, a pending placeholder.
pub async fn read_back_invite(state: &AppState, request: &InviteRequest, email: &str) -> DirUser {
    // Slack answers only `ok`: read the person back to show them at once.
    let role = guest_role(request.guest);
    let membership = Membership {
        workspace: request.workspace.clone(),
        role,
        expires: request.expires,
    };
    let summary = match state
        .slack
        .call(
            SlackMethod::UsersLookupByEmail,
            &[("email", email.to_string())],
        )
        .await
    {
        Ok(reply) => reply
            .get("user")
            .and_then(|u| crate::directory::summary_from_user_object(u, Some(&request.workspace))),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the invited user back; the next sync will");
            None
        }
    };
    match summary {
        Some(summary) => {
            let mut memberships = state
                .directory
                .get(&summary.id)
                .map(|u| u.memberships)
                .unwrap_or_default();
            memberships.retain(|m| m.workspace != request.workspace);
            memberships.push(membership);
            let mut user = DirUser::new(summary, memberships);
            user.summary.workspaces = user
                .memberships
                .iter()
                .map(|m| m.workspace.clone())
                .collect();
            user.summary.expires = user.memberships.iter().filter_map(|m| m.expires).min();
            user.summary.created = user.summary.created.max(unix_now());
            state.directory.upsert(user)
        }
        None => DirUser::new(
            UserSummary {
                id: String::new(),
                name: request.real_name.clone().unwrap_or_default(),
                username: email.split('@').next().unwrap_or_default().to_string(),
                email: Some(email.to_string()),
                user_type: crate::directory::user_type_of(role),
                is_primary_owner: false,
                status: roster_api::UserStatus::Pending,
                workspaces: vec![request.workspace.clone()],
                has_2fa: None,
                has_sso: None,
                created: unix_now(),
                expires: request.expires,
                deactivated: None,
            },
            vec![membership],
        ),
    }
}

/// `POST /api/users/{id}/assign`.
pub async fn assign(
    actor: &Actor<'_>,
    id: &str,
    request: AssignRequest,
) -> Result<Outcome, AppError> {
    actor.preflight()?;
    let plan = Plan {
        action: "assign",
        target: Some(id),
        workspace: Some(&request.workspace),
        params: json!(request),
    };
    actor.require(&plan, Permission::UsersAssign).await?;
    actor.require_scope(&plan, &request.workspace).await?;
    let user = actor.target(&plan, id).await?;
    let guest = guest_of(user.summary.user_type);
    let validation = (|| {
        actor.check_workspace(&request.workspace)?;
        if user.summary.user_type == UserType::Bot {
            return Err(AppError::invalid(
                "workspace",
                "Bots cannot be added to workspaces here.",
            ));
        }
        if user.summary.workspaces.contains(&request.workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This person is already on that workspace.",
            ));
        }
        check_channels(
            &request.channels,
            guest,
            guest == Some(GuestType::SingleChannel),
        )
    })();
    if let Err(e) = validation {
        return Err(actor.refuse(&plan, e).await);
    }
    if let Err(denied) =
        actor
            .caller
            .may_act(Permission::UsersAssign, &user, Some(&request.workspace))
    {
        return Err(actor.refuse(&plan, denied.into()).await);
    }
    let mut params = vec![
        ("team_id", request.workspace.clone()),
        ("user_id", id.to_string()),
    ];
    if !request.channels.is_empty() {
        params.push(("channel_ids", request.channels.join(",")));
    }
    params.extend(guest_flags(guest));
    if let Some(would) = actor.would(|| {
        format!(
            "Will add {} to {}.",
            user.summary.name,
            actor.workspace_name(&request.workspace)
        )
    }) {
        return Ok(would);
    }
    let audit_id = actor
        .call(&plan, SlackMethod::AdminUsersAssign, &params)
        .await?;
    let updated = actor.state.directory.apply(
        id,
        Change::Assigned {
            workspace: request.workspace.clone(),
            role: guest_role(guest),
        },
    );
    let message = format!(
        "Added {} to {}.",
        user.summary.name,
        actor.workspace_name(&request.workspace)
    );
    actor.done(audit_id, message, &user, updated).await
}

/// `POST /api/users/{id}/remove`.
pub async fn remove(
    actor: &Actor<'_>,
    id: &str,
    request: RemoveRequest,
) -> Result<Outcome, AppError> {
    actor.preflight()?;
    let plan = Plan {
        action: "remove",
        target: Some(id),
        workspace: Some(&request.workspace),
        params: json!(request),
    };
    actor.require(&plan, Permission::UsersRemove).await?;
    actor.require_scope(&plan, &request.workspace).await?;
    let user = actor.target(&plan, id).await?;
    let validation = (|| {
        actor.check_workspace(&request.workspace)?;
        if user.summary.is_primary_owner {
            return Err(AppError::invalid(
                "workspace",
                messages::describe("cannot_modify_primary_owner"),
            ));
        }
        if !user.summary.workspaces.contains(&request.workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This person is not on that workspace.",
            ));
        }
        Ok(())
    })();
    if let Err(e) = validation {
        return Err(actor.refuse(&plan, e).await);
    }
    if let Err(denied) =
        actor
            .caller
            .may_act(Permission::UsersRemove, &user, Some(&request.workspace))
    {
        return Err(actor.refuse(&plan, denied.into()).await);
    }
    let params = [
        ("team_id", request.workspace.clone()),
        ("user_id", id.to_string()),
    ];
    if let Some(would) = actor.would(|| {
        format!(
            "Will remove {} from {}.",
            user.summary.name,
            actor.workspace_name(&request.workspace)
        )
    }) {
        return Ok(would);
    }
    let audit_id = actor
        .call(&plan, SlackMethod::AdminUsersRemove, &params)
        .await?;
    let updated = actor.state.directory.apply(
        id,
        Change::Removed {
            workspace: request.workspace.clone(),
        },
    );
    let message = format!(
        "Removed {} from {}.",
        user.summary.name,
        actor.workspace_name(&request.workspace)
    );
    actor.done(audit_id, message, &user, updated).await
}

/// `POST /api/users/{id}/role`.
pub async fn set_role(
    actor: &Actor<'_>,
    id: &str,
    request: RoleRequest,
) -> Result<Outcome, AppError> {
    actor.preflight()?;
    let org_wide = request.workspace == ORG_WIDE;
    let plan = Plan {
        action: "set_role",
        target: Some(id),
        workspace: Some(&request.workspace),
        params: json!(request),
    };
    actor.require(&plan, Permission::UsersSetRole).await?;
    if org_wide && !actor.caller.covers_all() {
        return Err(actor
            .refuse(&plan, Denied::Workspace("the whole org".into()).into())
            .await);
    }
    if !org_wide {
        actor.require_scope(&plan, &request.workspace).await?;
    }
    let user = actor.target(&plan, id).await?;
    let validation = (|| {
        if !org_wide {
            actor.check_workspace(&request.workspace)?;
            if !user.summary.workspaces.contains(&request.workspace) {
                return Err(AppError::invalid(
                    "workspace",
                    "This person is not on that workspace.",
                ));
            }
        }
        if user.summary.user_type == UserType::Bot {
            return Err(AppError::invalid("role", "A bot's role cannot be changed."));
        }
        if user.summary.is_primary_owner {
            return Err(AppError::invalid(
                "role",
                messages::describe("cannot_modify_primary_owner"),
            ));
        }
        if guest_of(user.summary.user_type).is_some() && request.role != Role::Regular {
            return Err(AppError::invalid(
                "role",
                "A guest must be made a regular member before becoming an admin or owner.",
            ));
        }
        Ok(())
    })();
    if let Err(e) = validation {
        return Err(actor.refuse(&plan, e).await);
    }
    if let Err(denied) = actor.caller.may_act(
        Permission::UsersSetRole,
        &user,
        (!org_wide).then_some(request.workspace.as_str()),
    ) {
        return Err(actor.refuse(&plan, denied.into()).await);
    }
    let method = match request.role {
        Role::Admin => SlackMethod::AdminUsersSetAdmin,
        Role::Owner => SlackMethod::AdminUsersSetOwner,
        Role::Regular => SlackMethod::AdminUsersSetRegular,
    };
    let place = if org_wide {
        "across the org".to_string()
    } else {
        format!("on {}", actor.workspace_name(&request.workspace))
    };
    if let Some(would) = actor.would(|| {
        format!(
            "Will make {} {} {place}.",
            user.summary.name,
            article(request.role.label())
        )
    }) {
        return Ok(would);
    }
    let team = if org_wide {
        actor.state.connection.org_id.clone()
    } else {
        request.workspace.clone()
    };
    let audit_id = actor
        .call(
            &plan,
            method,
            &[("team_id", team), ("user_id", id.to_string())],
        )
        .await?;
    let role = match request.role {
        Role::Admin => WorkspaceRole::Admin,
        Role::Owner => WorkspaceRole::Owner,
        Role::Regular => WorkspaceRole::Member,
    };
    let updated = actor.state.directory.apply(
        id,
        Change::Role {
            workspace: (!org_wide).then(|| request.workspace.clone()),
            role,
        },
    );
    let message = format!(
        "{} is now {} {place}.",
        user.summary.name,
        article(request.role.label())
    );
    actor.done(audit_id, message, &user, updated).await
}

fn article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// `POST /api/users/{id}/expiration`.
pub async fn set_expiration(
    actor: &Actor<'_>,
    id: &str,
    request: ExpirationRequest,
) -> Result<Outcome, AppError> {
    actor.preflight()?;
    let plan = Plan {
        action: "set_expiration",
        target: Some(id),
        workspace: request.workspace.as_deref(),
        params: json!(request),
    };
    actor.require(&plan, Permission::UsersSetExpiration).await?;
    if let Some(w) = &request.workspace {
        actor.require_scope(&plan, w).await?;
    }
    let user = actor.target(&plan, id).await?;
    let workspace = match &request.workspace {
        Some(w) => w.clone(),
        None if user.summary.workspaces.len() == 1 => user.summary.workspaces[0].clone(),
        None => String::new(),
    };
    let validation = (|| {
        if guest_of(user.summary.user_type).is_none() {
            return Err(AppError::invalid(
                "expires",
                messages::describe("user_is_not_a_guest"),
            ));
        }
        if workspace.is_empty() {
            return Err(AppError::invalid(
                "workspace",
                "This guest is on several workspaces; choose one.",
            ));
        }
        actor.check_workspace(&workspace)?;
        if !user.summary.workspaces.contains(&workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This guest is not on that workspace.",
            ));
        }
        if let Some(ts) = request.expires
            && ts <= unix_now() + 60
        {
            return Err(AppError::invalid(
                "expires",
                "The expiration must be in the future.",
            ));
        }
        Ok(())
    })();
    if let Err(e) = validation {
        return Err(actor.refuse(&plan, e).await);
    }
    if let Err(denied) =
        actor
            .caller
            .may_act(Permission::UsersSetExpiration, &user, Some(&workspace))
    {
        return Err(actor.refuse(&plan, denied.into()).await);
    }
    let params = [
        ("user_id", id.to_string()),
        ("team_id", workspace.clone()),
        ("expiration_ts", request.expires.unwrap_or(0).to_string()),
    ];
    if let Some(would) = actor.would(|| match request.expires {
        Some(_) => format!(
            "Will set {}'s expiration on {}.",
            user.summary.name,
            actor.workspace_name(&workspace)
        ),
        None => format!(
            "Will remove {}'s expiration on {}.",
            user.summary.name,
            actor.workspace_name(&workspace)
        ),
    }) {
        return Ok(would);
    }
    let audit_id = actor
        .call(&plan, SlackMethod::AdminUsersSetExpiration, &params)
        .await?;
    let updated = actor.state.directory.apply(
        id,
        Change::Expiration {
            workspace: workspace.clone(),
            expires: request.expires,
        },
    );
    let message = match request.expires {
        Some(_) => format!(
            "Set {}'s expiration on {}.",
            user.summary.name,
            actor.workspace_name(&workspace)
        ),
        None => format!(
            "Removed {}'s expiration on {}.",
            user.summary.name,
            actor.workspace_name(&workspace)
        ),
    };
    actor.done(audit_id, message, &user, updated).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_channels() {
        assert!(valid_email("pat@agency.example"));
        for bad in [
            "",
            "pat",
            "pat@",
            "@x.example",
            "pat@x",
            "pat@x..example",
            "p at@x.example",
            "a@b@c.example",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert!(valid_channel_id("C0ABC123"));
        assert!(!valid_channel_id("general"));
        assert!(check_channels(&[], None, true).is_err());
        assert!(
            check_channels(
                &["C1A".into(), "C2B".into()],
                Some(GuestType::SingleChannel),
                true
            )
            .is_err()
        );
        assert!(check_channels(&["C1A".into()], Some(GuestType::SingleChannel), true).is_ok());
        assert_eq!(article("admin"), "an admin");
        assert_eq!(article("regular member"), "a regular member");
    }
}
