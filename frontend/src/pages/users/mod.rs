//! The users area.

mod list;

pub use list::UsersPage;
