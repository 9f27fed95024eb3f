//! Bulk jobs: many operations, checked up front, run by the proxy at Slack's pace, kept
//! across restarts.

use serde::{Deserialize, Serialize};

use crate::{
    actions::{InviteRequest, Role},
    lifecycle::Devices,
};

/// Most operations one job may hold.
pub const MAX_JOB_OPERATIONS: usize = 2_000;

/// One change in a job. The JSON names the kind in `op`: `{"op": "invite", "email": …}`,
/// `{"op": "remove", "user": "W…", "workspace": "T…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Invite an email to a workspace.
    Invite(InviteRequest),
    /// Add a user to another workspace.
    Assign {
        user: String,
        workspace: String,
        #[serde(default)]
        channels: Vec<String>,
    },
    /// Take a user off a workspace.
    Remove { user: String, workspace: String },
    /// Make a user an admin, owner or regular member of a workspace (or `org`).
    SetRole {
        user: String,
        workspace: String,
        role: Role,
    },
    /// Set (or, with no `expires`, clear) a guest's expiration.
    SetExpiration {
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workspace: Option<String>,
        #[serde(default)]
        expires: Option<i64>,
        /// Instead of `expires`: this many days after the guest's expiration there (or
        /// after now, when it has none or it has passed). Made a date when checked, so a
        /// job holds and runs the date its dry run showed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extend_days: Option<u32>,
    },
    /// Deactivate an account on the whole org, which ends every session.
    Offboard { user: String },
    /// Bring a deactivated account back, optionally with a new email address.
    Reactivate {
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
    },
    /// End a person's sessions (all of them, or only web or mobile ones).
    SignOut {
        user: String,
        #[serde(default)]
        devices: Devices,
    },
    /// End one session.
    EndSession {
        user: String,
        workspace: String,
        /// The session's ID, from `GET /api/users/{id}/sessions`.
        session: String,
    },
    /// Set (or, with no `duration`, clear) a person's own session duration, in seconds.
    SetSessionDuration {
        user: String,
        #[serde(default)]
        duration: Option<i64>,
    },
    /// Approve a request for an invitation, which sends the invitation.
    ApproveRequest { request: String, workspace: String },
    /// Deny a request for an invitation; the reason is kept in Roster's audit log.
    DenyRequest {
        request: String,
        workspace: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl Operation {
    /// The kind, as `op` spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Operation::Invite(_) => "invite",
            Operation::Assign { .. } => "assign",
            Operation::Remove { .. } => "remove",
            Operation::SetRole { .. } => "set_role",
            Operation::SetExpiration { .. } => "set_expiration",
            Operation::Offboard { .. } => "offboard",
            Operation::Reactivate { .. } => "reactivate",
            Operation::SignOut { .. } => "sign_out",
            Operation::EndSession { .. } => "end_session",
            Operation::SetSessionDuration { .. } => "set_session_duration",
            Operation::ApproveRequest { .. } => "approve_request",
            Operation::DenyRequest { .. } => "deny_request",
        }
    }

    /// Who it is about: the user ID, the invited email, or the invite request's ID.
    pub fn target(&self) -> &str {
        match self {
            Operation::Invite(r) => &r.email,
            Operation::Assign { user, .. }
            | Operation::Remove { user, .. }
            | Operation::SetRole { user, .. }
            | Operation::SetExpiration { user, .. }
            | Operation::Offboard { user }
            | Operation::Reactivate { user, .. }
            | Operation::SignOut { user, .. }
            | Operation::EndSession { user, .. }
            | Operation::SetSessionDuration { user, .. } => user,
            Operation::ApproveRequest { request, .. } | Operation::DenyRequest { request, .. } => {
                request
            }
        }
    }

    /// The workspace it acts on, when it names one.
    pub fn workspace(&self) -> Option<&str> {
        match self {
            Operation::Invite(r) => Some(&r.workspace),
            Operation::Assign { workspace, .. }
            | Operation::Remove { workspace, .. }
            | Operation::SetRole { workspace, .. }
            | Operation::EndSession { workspace, .. }
            | Operation::ApproveRequest { workspace, .. }
            | Operation::DenyRequest { workspace, .. } => Some(workspace),
            Operation::SetExpiration { workspace, .. } => workspace.as_deref(),
            Operation::Offboard { .. }
            | Operation::Reactivate { .. }
            | Operation::SignOut { .. }
            | Operation::SetSessionDuration { .. } => None,
        }
    }

    /// How a person reads the kind.
    pub fn label(&self) -> &'static str {
        match self {
            Operation::Invite(_) => "Invite",
            Operation::Assign { .. } => "Add to workspace",
            Operation::Remove { .. } => "Remove from workspace",
            Operation::SetRole { .. } => "Change role",
            Operation::SetExpiration { .. } => "Set expiration",
            Operation::Offboard { .. } => "Offboard",
            Operation::Reactivate { .. } => "Reactivate",
            Operation::SignOut { .. } => "Sign out",
            Operation::EndSession { .. } => "End session",
            Operation::SetSessionDuration { .. } => "Set session duration",
            Operation::ApproveRequest { .. } => "Approve invite request",
            Operation::DenyRequest { .. } => "Deny invite request",
        }
    }
}

/// `POST /api/jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobRequest {
    /// A name for the job ("Contractors for Monday").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub operations: Vec<Operation>,
}

/// `?dry_run=true`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct JobCreateQuery {
    /// Only check every operation and say what would happen; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What checking one operation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationCheck {
    /// Position in the request, from 0.
    pub index: usize,
    /// Whether it would run.
    pub ok: bool,
    /// What would happen, or why it would fail.
    pub message: String,
    /// The field at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Roster's error code (`invalid_field`, `forbidden`, `duplicate`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The name of the user it is about, when the reader may see them in the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

/// The answer to a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRun {
    pub checks: Vec<OperationCheck>,
    pub ok: usize,
    pub failing: usize,
    /// About how long the runnable operations take at Slack's documented rate limits.
    pub estimated_seconds: u64,
}

/// Where one operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OpState {
    Pending,
    Running,
    Done,
    /// Slack or Roster refused it; see the message.
    Failed,
    /// Not run: it failed its checks when the job was created, or the job was cancelled.
    Skipped,
    /// Slack did not confirm whether it happened; Roster checks before retrying.
    Unknown,
}

impl OpState {
    pub const ALL: [OpState; 6] = [
        OpState::Pending,
        OpState::Running,
        OpState::Done,
        OpState::Failed,
        OpState::Skipped,
        OpState::Unknown,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OpState::Pending => "pending",
            OpState::Running => "running",
            OpState::Done => "done",
            OpState::Failed => "failed",
            OpState::Skipped => "skipped",
            OpState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            OpState::Pending => "Waiting",
            OpState::Running => "Running",
            OpState::Done => "Done",
            OpState::Failed => "Failed",
            OpState::Skipped => "Skipped",
            OpState::Unknown => "Unknown outcome",
        }
    }

    /// Whether nothing more will happen to it without a retry.
    pub fn is_final(self) -> bool {
        matches!(self, OpState::Done | OpState::Failed | OpState::Skipped)
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Paused,
    Cancelled,
    /// Every operation has ended (done, failed or skipped).
    Finished,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Cancelled => "cancelled",
            JobState::Finished => "finished",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            JobState::Running,
            JobState::Paused,
            JobState::Cancelled,
            JobState::Finished,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobState::Running => "Running",
            JobState::Paused => "Paused",
            JobState::Cancelled => "Cancelled",
            JobState::Finished => "Finished",
        }
    }
}

/// Operations by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobCounts {
    pub pending: usize,
    pub running: usize,
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub unknown: usize,
}

impl JobCounts {
    pub fn add(&mut self, state: OpState) {
        self.add_many(state, 1);
    }

    pub fn add_many(&mut self, state: OpState, n: usize) {
        *self.slot(state) += n;
    }

    pub fn remove(&mut self, state: OpState) {
        let slot = self.slot(state);
        *slot = slot.saturating_sub(1);
    }

    fn slot(&mut self, state: OpState) -> &mut usize {
        match state {
            OpState::Pending => &mut self.pending,
            OpState::Running => &mut self.running,
            OpState::Done => &mut self.done,
            OpState::Failed => &mut self.failed,
            OpState::Skipped => &mut self.skipped,
            OpState::Unknown => &mut self.unknown,
        }
    }

    /// Operations that have ended.
    pub fn finished(&self) -> usize {
        self.done + self.failed + self.skipped
    }
}

/// A job at a glance: `GET /api/jobs`, and every progress event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobSummary {
    pub id: i64,
    pub title: String,
    /// Email of the person who created it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    pub state: JobState,
    pub total: usize,
    pub counts: JobCounts,
    /// Operations finished per minute over the last minutes of running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_minute: Option<f64>,
    /// Seconds until the last operation is expected to end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<u64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// One operation of a job and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobOperation {
    pub index: usize,
    pub operation: Operation,
    pub state: OpState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Slack's own error code, when Slack refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_error: Option<String>,
    /// The audit entry of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<i64>,
    /// Calls made to Slack for it.
    pub attempts: u32,
    /// The name of the user it is about, when the reader may see them in the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Fields of `operation` the reader's role does not show, taken out of it: an invited
    /// address reads as `""`, an expiration as none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<crate::Field>,
}

/// `GET /api/jobs/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobDetail {
    pub job: JobSummary,
    pub operations: Vec<JobOperation>,
}

/// `GET /api/jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobList {
    pub jobs: Vec<JobSummary>,
}

/// What the Server-Sent Events of `GET /api/jobs/{id}/events` carry: `progress` events hold a
/// [`JobSummary`], `operation` events a [`JobOperation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobEvent {
    Progress(JobSummary),
    Operation(JobOperation),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_name_their_kind_in_op() {
        let json = r#"[
            {"op": "invite", "email": "a@x.example", "workspace": "T1", "channels": ["C1"], "guest": "multi_channel"},
            {"op": "remove", "user": "W1", "workspace": "T1"},
            {"op": "set_role", "user": "W1", "workspace": "T1", "role": "admin"},
            {"op": "set_expiration", "user": "W1", "expires": 4000000000},
            {"op": "assign", "user": "W1", "workspace": "T2"}
        ]"#;
        let ops: Vec<Operation> = serde_json::from_str(json).unwrap();
        assert_eq!(
            ops.iter().map(Operation::kind).collect::<Vec<_>>(),
            ["invite", "remove", "set_role", "set_expiration", "assign"]
        );
        assert_eq!(ops[0].target(), "a@x.example");
        assert_eq!(ops[3].workspace(), None);
        let back: Vec<Operation> =
            serde_json::from_str(&serde_json::to_string(&ops).unwrap()).unwrap();
        assert_eq!(back, ops);
        assert!(serde_json::from_str::<Operation>(r#"{"op": "delete_everyone"}"#).is_err());
    }
}
