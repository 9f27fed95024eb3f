//! The users area: the table, a user's detail, and the forms that change users.

mod actions;
mod bulk;
mod detail;
mod list;

pub use detail::UserPage;
pub use list::UsersPage;
