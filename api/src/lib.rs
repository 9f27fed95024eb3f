//! Wire types shared by the Roster proxy (`roster`) and the browser app.
//!
//! Everything here is plain serde data: the proxy serialises it, the browser app
//! deserialises it, and both compile the same definitions so the two cannot drift. With the
//! `openapi` feature the types also describe themselves for the proxy's OpenAPI document.

pub mod actions;
pub mod audit;
pub mod detail;
pub mod error;
pub mod jobs;
pub mod lifecycle;
mod nullable;
pub mod roles;
pub mod status;
pub mod users;
pub mod workspaces;

/// A workspace's team ID (`T…`). Shared, not copied: a directory of 100,000 users names the
/// same few workspaces hundreds of thousands of times, and each name is one allocation.
pub type TeamId = std::sync::Arc<str>;

pub use actions::{
    ActionResult, AssignRequest, ExpirationRequest, Expirations, GuestType, InviteRequest,
    MAX_CUSTOM_MESSAGE, MAX_EXTEND_DAYS, ORG_WIDE, RemoveRequest, Role, RoleRequest,
    WorkspaceExpiration,
};
pub use audit::{AuditEntry, AuditOutcome, AuditPage, AuditQuery};
pub use detail::{Channel, LiveKind, LivePart, Membership, Presence, UserDetail, WorkspaceRole};
pub use error::{ErrorBody, ErrorDetail};
pub use jobs::{
    DryRun, JobCounts, JobCreateQuery, JobDetail, JobEvent, JobList, JobOperation, JobRequest,
    JobState, JobSummary, MAX_JOB_OPERATIONS, OpState, Operation, OperationCheck,
};
pub use lifecycle::{
    Device, Devices, InviteRequestInfo, InviteRequestList, InviteRequestQuery, MAX_DENY_REASON,
    MAX_SESSION_DURATION, MIN_SESSION_DURATION, RequestState, Requester, SessionInfo, Sessions,
};
pub use roles::{Field, Permission};
pub use status::{DemoRole, LiveState, LiveStatus, Me, Mode, ServerStatus, StatusQuery};
pub use users::{
    ChangesQuery, EmailLookup, EmailMatch, EmailMatches, SortDir, SortKey, SyncState, SyncStatus,
    UserChange, UserChanges, UserQuery, UserStatus, UserSummary, UserType, UsersPage,
};
pub use workspaces::{CHANNEL_SEARCH_LIMIT, Workspace};
