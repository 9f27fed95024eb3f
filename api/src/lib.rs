//! Wire types shared by the Roster proxy (`roster`) and the browser app.
//!
//! Everything here is plain serde data: the proxy serialises it, the browser app
//! deserialises it, and both compile the same definitions so the two cannot drift.

pub mod error;
pub mod users;
pub mod workspaces;

pub use error::{ErrorBody, ErrorDetail};
pub use users::{SyncState, SyncStatus, UserQuery, UserStatus, UserSummary, UserType, UsersPage};
pub use workspaces::Workspace;
