//! `/api/users`.

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
};
use roster_api::{UserQuery, UsersPage};

use crate::{AppState, error::AppError};

/// `GET /api/users`: a page of the directory snapshot; never calls Slack.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<UserQuery>, QueryRejection>,
) -> Result<Json<UsersPage>, AppError> {
    let Query(query) = query.map_err(|e| AppError::Invalid {
        code: "invalid_query",
        field: None,
        message: format!("The query string is not valid: {}", e.body_text()),
    })?;
    if query
        .limit
        .is_some_and(|l| !(1..=UserQuery::MAX_LIMIT).contains(&l))
    {
        return Err(AppError::invalid(
            "limit",
            "limit must be between 1 and 1000.",
        ));
    }
    Ok(Json(state.directory.query(&query)))
}
