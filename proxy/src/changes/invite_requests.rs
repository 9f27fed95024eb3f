//! Approve or deny a request for an invitation (`admin.inviteRequests.approve`, `deny`).
//! Approving sends the invitation; a denial's reason is kept only in Roster's audit log
//! (Slack's `deny` takes none).

use roster_api::{GuestType, InviteRequest, MAX_DENY_REASON, Operation, Permission, RequestState};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, Person, Place, Tense, Touched, read_back_invite};
use crate::{
    core::Core,
    directory::DirUser,
    error::AppError,
    policy::{Denied, Field},
    sentence,
    slack::{
        SlackError, SlackMethod,
        methods::{AdminInviteRequestsApprove, AdminInviteRequestsDeny},
    },
};

/// Approving a request: Slack invites the address as the request asks.
#[derive(Debug, Clone, Serialize)]
pub struct ApproveRequest {
    pub request: String,
    pub workspace: String,
}

/// Denying a request, with a reason for the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct DenyRequest {
    pub request: String,
    pub workspace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn names<'a>(request: &'a str, workspace: &'a str) -> Names<'a> {
    Names {
        place: Place::Workspace(workspace),
        person: Person::Request(request),
    }
}

/// The guest type Slack's `invite_type` asks for; `None`: a full member.
pub fn guest_type(invite_type: &str) -> Option<GuestType> {
    match invite_type {
        "restricted" => Some(GuestType::MultiChannel),
        "ultra_restricted" => Some(GuestType::SingleChannel),
        _ => None,
    }
}

/// A request ID as Slack writes them (`Ir` and letters and digits).
fn valid_request_id(id: &str) -> bool {
    id.len() > 2
        && id.len() <= 32
        && id.starts_with("Ir")
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Checks common to both: the workspace, the ID, and that Roster has not handled it.
fn check_request(ctx: &Ctx<'_>, request: &str, workspace: &str) -> Result<(), AppError> {
    ctx.check_workspace(workspace)?;
    if !valid_request_id(request) {
        return Err(AppError::invalid(
            "request",
            "That is not an invite request ID; pick a request from the list.",
        ));
    }
    let requests = &ctx.state.invite_requests;
    match requests.done(workspace, request) {
        Some(RequestState::Approved) => Err(AppError::invalid(
            "request",
            "This request has already been approved.",
        )),
        Some(RequestState::Denied) => Err(AppError::invalid(
            "request",
            "This request has already been denied.",
        )),
        // Known only by this workspace's own listing: a request of another workspace, or
        // of none, gets the same answer (and otherwise Slack's, which is the same for both).
        _ if requests.is_pending(workspace, request) == Some(false) => Err(AppError::invalid(
            "request",
            "This request is not waiting for an answer on that workspace: it was answered \
             already, or it is not one of its requests.",
        )),
        _ => Ok(()),
    }
}

/// "the request to invite pat@example.com to HQ". The address is Slack's (someone asked for
/// it): a reader whose role hides addresses reads the name the request gives, if any.
fn what(ctx: &Ctx<'_>, request: &str, workspace: &str) -> String {
    let place = ctx.workspace_name(workspace);
    match ctx.state.invite_requests.find(workspace, request) {
        Some(r) => {
            let name = r
                .real_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| sentence::plain(n).into_owned());
            let instead = match name {
                Some(name) => format!("{name} (address hidden by your role)"),
                None => "an address your role does not show".to_string(),
            };
            let address = sentence::private(Field::Email, &sentence::plain(&r.email), &instead);
            format!("the request to invite {address} to {place}")
        }
        None => format!("request {} on {place}", sentence::plain(request)),
    }
}

/// A request answered through Roster: it leaves the pending lists here and on the other
/// replicas.
fn answered(state: &Core, workspace: &str, request: &str, how: RequestState) {
    state.invite_requests.mark(workspace, request, how);
    state.share(crate::feed::Shared::Request {
        workspace: workspace.to_string(),
        request: request.to_string(),
        how,
    });
}

/// Whether Slack lists `request` as handled this way.
async fn handled_as(
    state: &Core,
    request: &str,
    workspace: &str,
    how: RequestState,
) -> Result<bool, SlackError> {
    // A fresh read: the copy may predate the call whose outcome is unknown.
    state.invite_requests.forget_history(workspace);
    let listed = state
        .invite_requests
        .handled(&state.slack, workspace, how)
        .await?;
    Ok(listed.iter().any(|r| r.invite_request.id == request))
}

impl Change for ApproveRequest {
    const ACTION: &'static str = "approve_request";
    const PERMISSION: Permission = Permission::InvitesReview;
    type Call = AdminInviteRequestsApprove;

    fn names(&self) -> Names<'_> {
        names(&self.request, &self.workspace)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminInviteRequestsApprove
    }

    fn touched(&self) -> Touched<'_> {
        Touched::Nothing
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        _: Option<&DirUser>,
    ) -> Result<(Self, AdminInviteRequestsApprove), AppError> {
        check_request(ctx, &self.request, &self.workspace)?;
        // Approving sends an invitation: it obeys the role's rules for invitations.
        let caller = ctx.caller;
        if !caller.can(Permission::UsersInvite) {
            return Err(Denied::Permission(Permission::UsersInvite).into());
        }
        if caller.role.invite_guests_only {
            match ctx
                .state
                .invite_requests
                .find(&self.workspace, &self.request)
            {
                Some(r) if guest_type(&r.invite_type).is_some() => {}
                Some(_) => return Err(Denied::GuestsOnlyApproval.into()),
                None => {
                    return Err(AppError::invalid(
                        "request",
                        "Roster has not read this request from Slack yet, so it cannot tell \
                         whether it is for a guest: open Invite requests, then approve it there.",
                    ));
                }
            }
        }
        let call = AdminInviteRequestsApprove {
            invite_request_id: self.request.clone(),
            team_id: self.workspace.clone(),
        };
        Ok((self.clone(), call))
    }

    fn describe(&self, ctx: &Ctx<'_>, _: Option<&DirUser>, tense: Tense) -> String {
        format!(
            "{} {}; Slack sends the invitation.",
            tense.pick("Will approve", "Approved"),
            what(ctx, &self.request, &self.workspace)
        )
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            let requests = &state.invite_requests;
            let asked = requests.find(&self.workspace, &self.request);
            answered(
                state,
                &self.workspace,
                &self.request,
                RequestState::Approved,
            );
            // Slack invited them as `admin.users.invite` would: read the person back.
            let asked = asked?;
            let invitation = InviteRequest {
                email: asked.email.trim().to_lowercase(),
                workspace: self.workspace.clone(),
                channels: asked.channel_ids,
                real_name: asked.real_name,
                custom_message: None,
                guest: guest_type(&asked.invite_type),
                expires: asked.date_expire.filter(|&e| e > 0),
                resend: false,
            };
            Some(read_back_invite(state, &invitation, &invitation.email).await)
        })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(handled_as(
            state,
            &self.request,
            &self.workspace,
            RequestState::Approved,
        ))
    }

    fn into_operation(self) -> Operation {
        Operation::ApproveRequest {
            request: self.request,
            workspace: self.workspace,
        }
    }
}

impl Change for DenyRequest {
    const ACTION: &'static str = "deny_request";
    const PERMISSION: Permission = Permission::InvitesReview;
    type Call = AdminInviteRequestsDeny;

    fn names(&self) -> Names<'_> {
        names(&self.request, &self.workspace)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminInviteRequestsDeny
    }

    fn touched(&self) -> Touched<'_> {
        Touched::Nothing
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        _: Option<&DirUser>,
    ) -> Result<(Self, AdminInviteRequestsDeny), AppError> {
        check_request(ctx, &self.request, &self.workspace)?;
        let reason = self
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if let Some(reason) = reason {
            if reason.chars().count() > MAX_DENY_REASON {
                return Err(AppError::invalid(
                    "reason",
                    format!("A reason is at most {MAX_DENY_REASON} characters."),
                ));
            }
            if reason.chars().any(|c| c.is_control() && c != '\n') {
                return Err(AppError::invalid(
                    "reason",
                    "The reason has characters that cannot be kept (control characters).",
                ));
            }
        }
        let resolved = DenyRequest {
            reason: reason.map(str::to_string),
            ..self.clone()
        };
        let call = AdminInviteRequestsDeny {
            invite_request_id: self.request.clone(),
            team_id: self.workspace.clone(),
        };
        Ok((resolved, call))
    }

    fn describe(&self, ctx: &Ctx<'_>, _: Option<&DirUser>, tense: Tense) -> String {
        let reason = self
            .reason
            .as_ref()
            .map(|r| {
                let r = sentence::plain(r);
                let masked = sentence::without_addresses(&r, sentence::HIDDEN_ADDRESS);
                let reason = sentence::given(Field::Email, &r, &masked);
                format!(" Reason, kept in Roster's audit log: {reason}")
            })
            .unwrap_or_default();
        format!(
            "{} {}.{reason}",
            tense.pick("Will deny", "Denied"),
            what(ctx, &self.request, &self.workspace)
        )
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move {
            answered(state, &self.workspace, &self.request, RequestState::Denied);
            None
        })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(handled_as(
            state,
            &self.request,
            &self.workspace,
            RequestState::Denied,
        ))
    }

    fn into_operation(self) -> Operation {
        Operation::DenyRequest {
            request: self.request,
            workspace: self.workspace,
            reason: self.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_request_id;

    #[test]
    fn request_ids() {
        assert!(valid_request_id("Ir558ULC1J"));
        assert!(!valid_request_id("Ir"));
        assert!(!valid_request_id("I558ULC1J"));
        assert!(!valid_request_id("Ir55 8"));
    }
}
