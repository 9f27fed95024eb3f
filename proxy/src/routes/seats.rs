//! Activity from Slack's member analytics in the users table: `last_active` on each
//! person and the `inactive_days` filter, counted on the workspaces the reader's role
//! covers (and the one the query names) only, so activity elsewhere never shows.

use std::sync::Arc;

use roster_api::{Field, UserQuery, UserSummary};

use crate::{
    AppState,
    directory::{Page, unix_now},
    error::AppError,
    policy::Caller,
    seats::Seats,
};

const DAY: i64 = 86_400;

/// Whether `team` counts for this reader and query.
fn counts<'a>(caller: &'a Caller, query: &'a UserQuery) -> impl Fn(&str) -> bool + 'a {
    move |team: &str| caller.covers(team) && query.workspace.as_deref().is_none_or(|w| w == team)
}

fn seats(state: &AppState) -> Option<&Arc<Seats>> {
    state.seats.get().filter(|s| s.has_data())
}

/// The directory's answer to `query` for this reader, with `inactive_days` applied and
/// `last_active` set where the role may see it.
pub(super) fn query(
    state: &AppState,
    caller: &Caller,
    query: &UserQuery,
) -> Result<Page, AppError> {
    let keep = inactive_filter(state, caller, query)?;
    let mut page = state
        .directory
        .query_keeping(query, caller, keep.as_deref());
    fill_last_active(state, caller, query, &mut page.users);
    Ok(page)
}

/// `inactive_days=N`: people whom Slack's files list on a workspace that counts since N
/// days ago or before, and who were not active on one since. People the files do not list
/// (bots, accounts newer than the files) are not known to be inactive. With no day read
/// yet, nobody is. Refused before anything is read when the role may not see activity
/// (see `check_hidden`).
#[allow(clippy::type_complexity)]
fn inactive_filter(
    state: &AppState,
    caller: &Caller,
    query: &UserQuery,
) -> Result<Option<Box<dyn Fn(&UserSummary) -> bool + Send + Sync>>, AppError> {
    let Some(days) = query.inactive_days else {
        return Ok(None);
    };
    let Some(seats) = seats(state) else {
        return Ok(Some(Box::new(|_| false)));
    };
    let since = unix_now() / DAY - i64::from(days);
    let inactive = seats.inactive_since(since, counts(caller, query));
    Ok(Some(Box::new(move |u: &UserSummary| {
        inactive.contains(&u.id)
    })))
}

/// Sets `last_active` on each summary the reader may see it on.
pub(super) fn fill_last_active(
    state: &AppState,
    caller: &Caller,
    query: &UserQuery,
    users: &mut [UserSummary],
) {
    if caller.hides(Field::Activity) {
        return;
    }
    let Some(seats) = seats(state) else {
        return;
    };
    let counts = counts(caller, query);
    for u in users {
        u.last_active = Some(
            seats
                .last_active(&u.id, &counts)
                .map(crate::seats::format_day),
        );
    }
}
