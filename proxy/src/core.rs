//! What the changes, the jobs and the replicas work with: Slack, the directory and what is
//! kept beside it, the database, the roles and the per-person budgets. No HTTP and no
//! sign-in: those are the HTTP side's (`AppState`), which holds a `Core` and lends its fields to
//! the handlers. The lower layers (`changes`, `jobs`, `replicas`) depend on this, never on
//! `AppState`.

use std::sync::Arc;

use roster_api::Mode;

use crate::{
    audit::AuditLog,
    budgets::WriteLimiter,
    db::Db,
    directory::{Directory, Source},
    feed::{Feed, Shared},
    invite_requests::InviteRequests,
    live::LiveParts,
    metrics::Metrics,
    policy::RoleConfig,
    slack::SlackClient,
};

/// What Roster is connected to, from the start-up preflight.
#[derive(Debug, Clone)]
pub struct Connection {
    pub mode: Mode,
    /// Why admin actions are off.
    pub reason: Option<String>,
    pub org_name: String,
    pub org_id: String,
    pub token_user: String,
    /// Running against the built-in sandbox.
    pub demo: bool,
}

#[derive(Debug)]
pub struct Core {
    pub slack: SlackClient,
    pub source: Arc<Source>,
    pub directory: Arc<Directory>,
    pub connection: Arc<Connection>,
    /// The database the audit log and the jobs are kept in.
    pub db: Db,
    pub audit: AuditLog,
    pub metrics: Arc<Metrics>,
    /// The roles of the configuration, in order (the first that matches a person is theirs).
    pub roles: Arc<Vec<RoleConfig>>,
    /// The demo's role switcher: a role is chosen by name, not by address and groups.
    pub roles_by_name: bool,
    /// What each person may spend per minute of Roster's own work.
    pub writes: Arc<WriteLimiter>,
    /// Requests for invitations, as last read from Slack.
    pub invite_requests: Arc<InviteRequests>,
    /// What Slack said recently about people's profiles, presence, channels and guest
    /// expirations (a person's detail).
    pub live: Arc<LiveParts>,
    /// To the other replicas (nowhere with SQLite).
    pub feed: Feed,
}

impl Core {
    /// Tells the other replicas, if there are any.
    pub fn share(&self, event: Shared) {
        self.feed.share(event);
    }
}
