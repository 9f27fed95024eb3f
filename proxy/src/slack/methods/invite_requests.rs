//! `admin.inviteRequests.*`: requests for invitations, and approving or denying them.

use serde::{Deserialize, Serialize};

use super::*;

// ---- admin.inviteRequests.* ----

/// `admin.inviteRequests.list`: a workspace's pending requests.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsList {
    pub team_id: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of `admin.inviteRequests.list`.
#[derive(Debug, Deserialize)]
pub struct InviteRequestsPage {
    #[serde(default)]
    pub invite_requests: Vec<InviteRequestObject>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// Slack's invite_request object.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InviteRequestObject {
    pub id: String,
    pub email: String,
    pub date_created: i64,
    pub requester_ids: Vec<String>,
    pub channel_ids: Vec<String>,
    /// `full_member`, `restricted` or `ultra_restricted`.
    pub invite_type: String,
    pub real_name: Option<String>,
    pub date_expire: Option<i64>,
    pub request_reason: Option<String>,
}

impl Method for AdminInviteRequestsList {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsList;
    type Reply = InviteRequestsPage;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Page for InviteRequestsPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

/// `admin.inviteRequests.approved.list`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsApprovedList {
    pub team_id: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of approved requests.
#[derive(Debug, Deserialize)]
pub struct ApprovedPage {
    #[serde(default)]
    pub approved_requests: Vec<HandledRequest>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// `admin.inviteRequests.denied.list`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsDeniedList {
    pub team_id: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A page of denied requests.
#[derive(Debug, Deserialize)]
pub struct DeniedPage {
    #[serde(default)]
    pub denied_requests: Vec<HandledRequest>,
    pub response_metadata: Option<ResponseMetadata>,
}

/// An approved or denied request, and who handled it.
#[derive(Debug, Clone, Deserialize)]
pub struct HandledRequest {
    pub invite_request: InviteRequestObject,
    #[serde(alias = "approved_by", alias = "denied_by")]
    pub by: Option<Actor>,
}

/// Who approved or denied a request.
#[derive(Debug, Clone, Deserialize)]
pub struct Actor {
    pub actor_id: Option<String>,
}

impl Method for AdminInviteRequestsApprovedList {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsApprovedList;
    type Reply = ApprovedPage;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Method for AdminInviteRequestsDeniedList {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsDeniedList;
    type Reply = DeniedPage;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

impl Page for ApprovedPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

impl Page for DeniedPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

/// `admin.inviteRequests.approve`: approves a request and sends the invitation.
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsApprove {
    pub invite_request_id: String,
    pub team_id: String,
}

impl Method for AdminInviteRequestsApprove {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsApprove;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

/// `admin.inviteRequests.deny` (Slack keeps no reason).
#[derive(Debug, Clone, Serialize)]
pub struct AdminInviteRequestsDeny {
    pub invite_request_id: String,
    pub team_id: String,
}

impl Method for AdminInviteRequestsDeny {
    const METHOD: SlackMethod = SlackMethod::AdminInviteRequestsDeny;
    type Reply = Done;

    fn workspace(&self) -> &str {
        &self.team_id
    }
}

/// Requests that page with `cursor`.
pub trait Paged: Method + Clone {
    fn set_cursor(&mut self, cursor: Option<String>);
}

macro_rules! paged {
    ($($request:ident),*) => {
        $(impl Paged for $request {
            fn set_cursor(&mut self, cursor: Option<String>) {
                self.cursor = cursor;
            }
        })*
    };
}

paged!(
    AdminTeamsList,
    AuthTeamsList,
    AdminUsersList,
    UsersList,
    AdminUsersSessionList,
    AdminInviteRequestsList,
    AdminInviteRequestsApprovedList,
    AdminInviteRequestsDeniedList
);
