//! Reusable pieces of the UI, one per file.

mod avatar;
mod channel_picker;
mod demo_banner;
mod dialog;
mod door;
mod error_notice;
mod filter_bar;
pub mod focus;
mod sync_status;
mod toast;
mod user_table;

pub use avatar::Avatar;
pub use channel_picker::ChannelPicker;
pub use demo_banner::DemoBanner;
pub use dialog::Dialog;
pub use door::Door;
pub use error_notice::ErrorNotice;
pub use filter_bar::{FilterBar, History};
pub use sync_status::SyncStatus;
pub use toast::{ToastKind, ToastRegion, Toasts};
pub use user_table::{Selection, UserTable, focus_first_row};
