//! Reusable pieces of the UI, one per file.

mod error_notice;
mod user_table;

pub use error_notice::ErrorNotice;
pub use user_table::UserTable;
