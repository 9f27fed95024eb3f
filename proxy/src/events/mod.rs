//! Slack's events: what changes in Slack, told to Roster as it happens.
//!
//! Over HTTP, Slack signs each request with the app's signing secret (`signature`).

pub mod signature;
