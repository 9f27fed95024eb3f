//! The users area: the table, a user's detail, and the forms that change users (one file
//! per kind of change in `changes/`).

mod actions;
mod bulk;
mod by_email;
pub mod changes;
mod detail;
mod list;
mod sessions;

pub use detail::UserPage;
pub use list::UsersPage;
