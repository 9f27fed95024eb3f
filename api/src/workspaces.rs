//! Workspaces (Slack "teams") of the org.

use serde::{Deserialize, Serialize};

/// Most channels `GET /api/workspaces/{id}/channels` answers with; a full answer may leave
/// more matches out.
pub const CHANNEL_SEARCH_LIMIT: usize = 20;

/// A workspace of the Enterprise org, as pickers and filters show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    /// Slack team ID (`T…`).
    pub id: String,
    pub name: String,
}
