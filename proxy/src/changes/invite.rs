//! Invite an email to a workspace, as a member or a guest (`admin.users.invite`).

use roster_api::{
    Field, GuestType, InviteRequest, MAX_CUSTOM_MESSAGE, Membership, Operation, Permission,
    UserStatus, UserSummary,
};
use serde::Serialize;

use super::{
    Boxed, Change, Ctx, Names, Person, Place, Tense, Touched, check_channels, guest_flags,
    guest_role, valid_email,
};
use crate::{
    core::Core,
    directory::{DirUser, summary_from_user_object, unix_now},
    error::AppError,
    policy::Denied,
    sentence,
    slack::{
        SlackError, SlackMethod,
        methods::{AdminUsersInvite, UsersLookupByEmail},
    },
};

/// Longest real name.
pub const MAX_REAL_NAME: usize = 80;

/// An invitation.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Invite(pub InviteRequest);

impl Invite {
    /// The address, as Slack will know it.
    fn email(&self) -> String {
        self.0.email.trim().to_lowercase()
    }

    fn kind(&self) -> &'static str {
        match self.0.guest {
            Some(GuestType::MultiChannel) => "as a multi-channel guest",
            Some(GuestType::SingleChannel) => "as a single-channel guest",
            None => "as a member",
        }
    }

    fn validate(&self, ctx: &Ctx<'_>) -> Result<(), AppError> {
        let request = &self.0;
        let email = self.email();
        if !valid_email(&email) {
            return Err(AppError::invalid(
                "email",
                "Enter a valid email address, like name@example.com.",
            ));
        }
        ctx.check_workspace(&request.workspace)?;
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
        // workspace it covers: the scope was checked before).
        if !ctx.caller.hides(Field::Email)
            && let Some(existing) = ctx.state.directory.find_email(&email)
            && existing.summary.is_on(&request.workspace)
        {
            return Err(AppError::invalid(
                "email",
                "This person is already a member of that workspace.",
            ));
        }
        Ok(())
    }
}

impl Change for Invite {
    const ACTION: &'static str = "invite";
    const PERMISSION: Permission = Permission::UsersInvite;
    type Call = AdminUsersInvite;

    fn names(&self) -> Names<'_> {
        Names {
            place: Place::Workspace(&self.0.workspace),
            person: Person::Email(&self.0.email),
        }
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminUsersInvite
    }

    fn touched(&self) -> Touched<'_> {
        // A new person has nothing kept yet; someone already in the org keeps theirs.
        Touched::Nothing
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        _: Option<&DirUser>,
    ) -> Result<(Self, AdminUsersInvite), AppError> {
        self.validate(ctx)?;
        let request = &self.0;
        if ctx.caller.role.invite_guests_only && request.guest.is_none() {
            return Err(Denied::GuestsOnly.into());
        }
        let (is_restricted, is_ultra_restricted) = guest_flags(request.guest);
        let call = AdminUsersInvite {
            team_id: request.workspace.clone(),
            email: self.email(),
            channel_ids: request.channels.join(","),
            is_restricted,
            is_ultra_restricted,
            real_name: request
                .real_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            custom_message: request
                .custom_message
                .clone()
                .filter(|m| !m.trim().is_empty()),
            guest_expiration_ts: request.expires,
            resend: request.resend,
        };
        // The address as Slack will know it, in the audit log and the job row too.
        let mut resolved = self.clone();
        resolved.0.email = self.email();
        Ok((resolved, call))
    }

    fn describe(&self, ctx: &Ctx<'_>, _: Option<&DirUser>, tense: Tense) -> String {
        let verb = tense.pick("Will invite", "Invited");
        format!(
            "{verb} {} to {} {}.",
            sentence::given(
                Field::Email,
                &sentence::plain(&self.email()),
                "an address your role does not show"
            ),
            ctx.workspace_name(&self.0.workspace),
            self.kind()
        )
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move { Some(read_back_invite(state, &self.0, &self.email()).await) })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            let lookup = UsersLookupByEmail {
                email: self.email(),
            };
            match state.slack.send(&lookup).await {
                Ok(reply) => Ok(reply.user.is_some_and(|u| {
                    u.enterprise_user
                        .is_some_and(|e| e.teams.contains(&self.0.workspace))
                })),
                Err(SlackError::Api { code, .. }) if code == "users_not_found" => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    fn into_operation(self) -> Operation {
        Operation::Invite(self.0)
    }
}

/// After an invitation: reads the person back from Slack (Slack answers only `ok`) and puts
/// them in the directory at once; without an answer, a pending placeholder.
pub async fn read_back_invite(state: &Core, request: &InviteRequest, email: &str) -> DirUser {
    let membership = Membership {
        workspace: request.workspace.as_str().into(),
        role: guest_role(request.guest),
        expires: request.expires,
    };
    let lookup = UsersLookupByEmail {
        email: email.to_string(),
    };
    let summary = match state.slack.send(&lookup).await {
        Ok(reply) => reply
            .user
            .and_then(|u| summary_from_user_object(&u, Some(&request.workspace))),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the invited user back; the next sync will");
            None
        }
    };
    match summary {
        // Someone the directory knows (on another workspace): they gain a membership; what
        // the directory knows of them that Slack's user object does not say stays.
        Some(summary) if state.directory.get(&summary.id).is_some() => {
            let dir = &state.directory;
            let assigned = dir.apply(
                &summary.id,
                crate::directory::Change::Assigned {
                    workspace: request.workspace.clone(),
                    role: membership.role,
                },
            );
            let updated = match request.expires {
                Some(_) => dir.apply(
                    &summary.id,
                    crate::directory::Change::Expiration {
                        workspace: request.workspace.clone(),
                        expires: request.expires,
                    },
                ),
                None => assigned,
            };
            updated.unwrap_or_else(|| DirUser::new(summary, vec![membership]))
        }
        Some(summary) => {
            let mut user = DirUser::new(summary, vec![membership]);
            user.summary.workspaces = vec![request.workspace.as_str().into()];
            user.summary.expires = request.expires;
            user.summary.created = unix_now();
            state.directory.upsert(user)
        }
        None => DirUser::new(
            UserSummary {
                id: String::new(),
                name: request.real_name.clone().unwrap_or_default(),
                username: email.split('@').next().unwrap_or_default().to_string(),
                email: Some(email.to_string()),
                user_type: membership.role.into(),
                is_primary_owner: false,
                status: UserStatus::Pending,
                workspaces: vec![request.workspace.as_str().into()],
                has_2fa: None,
                has_sso: None,
                created: unix_now(),
                expires: request.expires,
                deactivated: None,
                last_active: None,
            },
            vec![membership],
        ),
    }
}
