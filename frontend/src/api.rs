//! The only place the app talks HTTP: one typed function per proxy endpoint.

use gloo_net::http::{Request, RequestBuilder, Response};
use roster_api::{ErrorBody, UserQuery, UsersPage, Workspace};
use serde::de::DeserializeOwned;

/// Why a call to the proxy failed, ready to show to a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The proxy answered with its error shape.
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        slack_error: Option<String>,
        field: Option<String>,
    },
    /// The request did not reach the proxy, or the answer was cut off.
    #[error("Roster could not be reached ({0}). Check your connection and try again.")]
    Network(String),
    /// The proxy answered something this version of the app does not understand.
    #[error("Roster sent an answer this page cannot read ({0}). Reload the page.")]
    Decode(String),
}

/// Every request carries the header the proxy requires of the app's own requests.
fn get(url: &str) -> RequestBuilder {
    Request::get(url)
        .header("Accept", "application/json")
        .header("X-Roster-Request", "1")
}

async fn read<T: DeserializeOwned>(
    response: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = response.map_err(|e| ApiError::Network(e.to_string()))?;
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|e| ApiError::Decode(e.to_string()));
    }
    let status = response.status();
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ApiError::Server {
            status,
            code: body.error.code,
            message: body.error.message,
            slack_error: body.error.slack_error,
            field: body.error.field,
        }),
        Err(_) => Err(ApiError::Server {
            status,
            code: "http_error".into(),
            message: format!("Roster answered with HTTP {status}."),
            slack_error: None,
            field: None,
        }),
    }
}

/// `GET /api/users`.
pub async fn list_users(query: &UserQuery) -> Result<UsersPage, ApiError> {
    let qs = serde_urlencoded::to_string(query).map_err(|e| ApiError::Decode(e.to_string()))?;
    let url = if qs.is_empty() {
        "/api/users".to_string()
    } else {
        format!("/api/users?{qs}")
    };
    read(get(&url).send().await).await
}

/// `GET /api/workspaces`.
pub async fn list_workspaces() -> Result<Vec<Workspace>, ApiError> {
    read(get("/api/workspaces").send().await).await
}
