//! The audit log: `GET /api/audit` and its CSV export.

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use roster_api::{AuditPage, AuditQuery, ErrorBody};

use crate::{
    AppState,
    audit::{AuditReader, Whose},
    error::AppError,
    policy::{Caller, Denied, Permission, WorkspaceScope},
    routes::csv_file::CsvFile,
};

/// `audit.read_all` sees everyone's actions (for a role limited to some workspaces: the
/// changes made on them, see [`Whose::Workspaces`]); `audit.read` only one's own. Every
/// reader's hidden fields are taken out of what they read.
pub(crate) fn reader(caller: &Caller) -> Result<AuditReader<'_>, AppError> {
    let whose = if caller.can(Permission::AuditReadAll) {
        match &caller.role.workspaces {
            WorkspaceScope::All(_) => Whose::Everything,
            WorkspaceScope::Only(teams) => Whose::Workspaces(teams.iter().cloned().collect()),
        }
    } else if caller.can(Permission::AuditRead) {
        Whose::Own
    } else {
        return Err(Denied::Permission(Permission::AuditRead).into());
    };
    Ok(AuditReader {
        actor: caller.email.as_str(),
        whose,
        hidden: caller.hidden_fields(),
        reads_others_jobs: super::jobs::reads_all_jobs(caller),
    })
}

/// A page of the audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditPage>, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let only = reader(&caller)?;
    if query
        .cursor
        .as_deref()
        .is_some_and(|c| c.parse::<i64>().is_err())
    {
        return Err(AppError::invalid(
            "cursor",
            "The cursor is not one Roster gave out.",
        ));
    }
    let mut page = state.audit.list(&query, &only).await?;
    // People by name, as the reader sees them today: someone now outside the reader's
    // workspaces stays an ID.
    for entry in &mut page.entries {
        entry.target_name = entry
            .target_user
            .as_deref()
            .filter(|t| !t.contains('@'))
            .and_then(|t| caller.user(&state.directory, t).ok())
            .map(|u| u.summary.name);
    }
    Ok(Json(page))
}

/// Every entry matching the filters, as CSV.
#[utoipa::path(get, path = "/audit/export.csv", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<CsvFile, AppError> {
    let Query(mut query) = query.map_err(super::bad_query)?;
    let only = reader(&caller)?;
    let mut file = CsvFile::new(
        "roster-audit.csv",
        &[
            "id",
            "time_utc",
            "actor",
            "role",
            "action",
            "target_user",
            "workspace",
            "outcome",
            "slack_error",
            "message",
            "request_id",
            "params",
        ],
    )?;
    query.limit = Some(500);
    query.cursor = None;
    loop {
        let page = state.audit.list(&query, &only).await?;
        for e in page.entries {
            file.row([
                e.id.to_string(),
                utc_time(e.at),
                e.actor_email,
                e.role,
                e.action,
                e.target_user.unwrap_or_default(),
                e.workspace.unwrap_or_default(),
                e.outcome.as_str().to_string(),
                e.slack_error.unwrap_or_default(),
                e.message.unwrap_or_default(),
                e.request_id,
                e.params,
            ])?;
        }
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    Ok(file)
}

/// `2026-11-23T09:15:02Z` from Unix milliseconds.
fn utc_time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(utc_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_time(1_795_420_800_000), "2026-11-23T08:00:00Z");
        assert_eq!(utc_time(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
