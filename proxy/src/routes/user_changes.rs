//! `GET /api/users/changes?since=`: the people whose view changed since a moment, for pages
//! already open (a person's page, the users list).

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use roster_api::{
    ChangesQuery, ErrorBody, Field, Membership, UserChange, UserChanges, UserSummary,
};

use crate::{
    AppState,
    directory::{DirUser, recent::Since},
    error::AppError,
    policy::{Caller, Denied, Permission},
};

/// What a reader sees of a person: nothing that differs only outside it is a change.
fn seen(caller: &Caller, user: &DirUser) -> Option<(UserSummary, Vec<Membership>)> {
    let view = caller.view(user)?;
    let hide_expires = caller.hides(Field::Expires);
    let memberships = view
        .memberships
        .iter()
        .map(|m| Membership {
            expires: if hide_expires { None } else { m.expires },
            ..m.clone()
        })
        .collect();
    Some((caller.hide_fields(view.summary), memberships))
}

/// The people whose view changed from `since` (each once, as the reader sees them now), or
/// `None` when the page must reload; and the moment to ask from next.
pub(crate) fn changed_since(
    state: &AppState,
    caller: &Caller,
    since: i64,
) -> (Option<Vec<UserChange>>, i64) {
    let (found, until) = state.directory.recent().since(since);
    let changes = match found {
        Since::Reload => return (None, until),
        Since::Changes(changes) => changes,
    };
    // Each person's first state in the window against their last.
    let mut people: BTreeMap<&str, (Option<&DirUser>, &DirUser)> = BTreeMap::new();
    for change in &changes {
        people
            .entry(change.after.summary.id.as_str())
            .and_modify(|(_, after)| *after = &change.after)
            .or_insert((change.before.as_ref(), &change.after));
    }
    let changed = people
        .into_iter()
        .filter_map(|(id, (before, after))| {
            let now = seen(caller, after);
            let then = before.and_then(|b| seen(caller, b));
            (now != then).then(|| UserChange {
                id: id.to_string(),
                user: now.map(|(summary, _)| summary),
            })
        })
        .collect();
    (Some(changed), until)
}

/// The people whose view changed since `since` (each once, as the reader sees them now);
/// a change the reader cannot see is not there, and nothing in the answer counts or times
/// the others. Without `since`, just the moment to start from.
#[utoipa::path(get, path = "/users/changes", tag = "users", params(ChangesQuery),
    responses((status = 200, body = UserChanges), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<UserChanges>, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    if !caller.can(Permission::UsersRead) {
        return Err(Denied::Permission(Permission::UsersRead).into());
    }
    let (changes, until) = changed_since(&state, &caller, query.since.unwrap_or(i64::MAX));
    Ok(Json(match (query.since, changes) {
        (None, _) => UserChanges {
            until,
            reload: false,
            changes: Vec::new(),
        },
        (Some(_), None) => UserChanges {
            until,
            reload: true,
            changes: Vec::new(),
        },
        (Some(_), Some(changes)) => UserChanges {
            until,
            reload: false,
            changes,
        },
    }))
}
