//! Slack's SCIM API for users, as Roster uses it: read an account, deactivate it, reactivate
//! it, change its email. The documented way to do these (the Web API's
//! `admin.users.deactivate` is too new to depend on). Version 1.1 or 2.0 follows the base
//! URL; errors come in either version's shape and are read as Slack error codes.

use reqwest::header;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::{Attempt, SlackClient, SlackError, SlackMethod};

/// Slack's SCIM API, version 2.0.
pub const SLACK_SCIM_URL: &str = "https://api.slack.com/scim/v2/";

/// Which SCIM Roster speaks, from the base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimVersion {
    V1,
    V2,
}

/// The SCIM base URL and its version.
#[derive(Debug, Clone)]
pub struct ScimBase {
    url: String,
    version: ScimVersion,
}

impl ScimBase {
    pub fn new(url: &str) -> Self {
        let mut url = url.to_string();
        if !url.ends_with('/') {
            url.push('/');
        }
        let version = if url.trim_end_matches('/').ends_with("/v1") {
            ScimVersion::V1
        } else {
            ScimVersion::V2
        };
        ScimBase { url, version }
    }
}

/// A SCIM call: verb, path under the base URL, body, and what Roster reads of the answer.
pub trait ScimRequest: Send + Sync {
    const METHOD: SlackMethod;
    type Reply: DeserializeOwned + Send;
    fn verb(&self) -> reqwest::Method;
    fn path(&self) -> String;
    fn body(&self, version: ScimVersion) -> Option<Value>;
}

/// A user as SCIM describes them (what Roster reads).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScimUser {
    pub id: String,
    #[serde(rename = "userName")]
    pub user_name: String,
    pub active: bool,
    pub emails: Vec<ScimEmail>,
}

/// One of a SCIM user's addresses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScimEmail {
    pub value: String,
    pub primary: Option<bool>,
}

impl ScimUser {
    /// The primary address (the first, when none is marked primary).
    pub fn primary_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary == Some(true))
            .or_else(|| self.emails.first())
            .map(|e| e.value.as_str())
    }
}

/// `GET /Users/{id}`.
#[derive(Debug, Clone)]
pub struct ScimGetUser {
    pub id: String,
}

impl ScimRequest for ScimGetUser {
    const METHOD: SlackMethod = SlackMethod::ScimGetUser;
    type Reply = ScimUser;

    fn verb(&self) -> reqwest::Method {
        reqwest::Method::GET
    }

    fn path(&self) -> String {
        format!("Users/{}", self.id)
    }

    fn body(&self, _: ScimVersion) -> Option<Value> {
        None
    }
}

/// `DELETE /Users/{id}`: deactivates the account (Slack never deletes one).
#[derive(Debug, Clone)]
pub struct ScimDeactivate {
    pub id: String,
}

impl ScimRequest for ScimDeactivate {
    const METHOD: SlackMethod = SlackMethod::ScimDeleteUser;
    type Reply = ();

    fn verb(&self) -> reqwest::Method {
        reqwest::Method::DELETE
    }

    fn path(&self) -> String {
        format!("Users/{}", self.id)
    }

    fn body(&self, _: ScimVersion) -> Option<Value> {
        None
    }
}

/// `PATCH /Users/{id}`: reactivates the account, and gives it a new primary address.
#[derive(Debug, Clone)]
pub struct ScimReactivate {
    pub id: String,
    pub email: Option<String>,
}

impl ScimRequest for ScimReactivate {
    const METHOD: SlackMethod = SlackMethod::ScimPatchUser;
    type Reply = ScimUser;

    fn verb(&self) -> reqwest::Method {
        reqwest::Method::PATCH
    }

    fn path(&self) -> String {
        format!("Users/{}", self.id)
    }

    fn body(&self, version: ScimVersion) -> Option<Value> {
        let email = self
            .email
            .as_ref()
            .map(|e| json!([{"value": e, "type": "work", "primary": true}]));
        Some(match version {
            ScimVersion::V1 => {
                let mut body = json!({"schemas": ["urn:scim:schemas:core:1.0"], "active": true});
                if let Some(emails) = email {
                    body["emails"] = emails;
                }
                body
            }
            ScimVersion::V2 => {
                let mut operations =
                    vec![json!({"op": "replace", "path": "active", "value": true})];
                if let Some(emails) = email {
                    operations.push(json!({"op": "replace", "path": "emails", "value": emails}));
                }
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": operations,
                })
            }
        })
    }
}

/// A SCIM error in either version's shape: v1 `{"Errors": {"description"}}`, v2
/// `{"detail"}`.
#[derive(Deserialize)]
struct ScimError {
    #[serde(rename = "Errors")]
    errors: Option<ScimErrors>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct ScimErrors {
    description: Option<String>,
}

impl SlackClient {
    /// Sends a SCIM request, paced and retried like a Web API call.
    pub async fn scim<R: ScimRequest>(&self, request: &R) -> Result<R::Reply, SlackError> {
        self.scim_inner(request, false).await
    }

    /// Waits for a SCIM request's rate-limit slot and takes it (see
    /// [`wait_turn`](Self::wait_turn)).
    pub async fn scim_wait_turn<R: ScimRequest>(&self, _: &R) -> Result<(), SlackError> {
        self.turn(R::METHOD, "", &super::payer::current()).await
    }

    /// [`scim`](Self::scim) in the slot [`scim_wait_turn`](Self::scim_wait_turn) took.
    pub async fn scim_in_turn<R: ScimRequest>(&self, request: &R) -> Result<R::Reply, SlackError> {
        self.scim_inner(request, true).await
    }

    async fn scim_inner<R: ScimRequest>(
        &self,
        request: &R,
        slot_taken: bool,
    ) -> Result<R::Reply, SlackError> {
        self.with_retries(R::METHOD, "", slot_taken, move || self.scim_once(request))
            .await
    }

    async fn scim_once<R: ScimRequest>(&self, request: &R) -> Result<R::Reply, Attempt> {
        let url = format!("{}{}", self.scim.url, request.path());
        let mut call = self
            .http
            .request(request.verb(), url)
            .header(header::AUTHORIZATION, self.authorization())
            .header(header::ACCEPT, "application/json");
        if let Some(body) = request.body(self.scim.version) {
            call = call.json(&body);
        }
        let response = super::sent(call).await?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| Attempt::Unreachable(format!("unreadable reply: {}", e.without_url())))?;
        if status.is_server_error() {
            let code = scim_code(&body).unwrap_or_else(|| format!("HTTP {status}"));
            return Err(Attempt::Transient(code));
        }
        if !status.is_success() {
            let code = scim_code(&body).unwrap_or_else(|| format!("http_{}", status.as_u16()));
            return Err(Attempt::Refused(code));
        }
        let body: &[u8] = if body.is_empty() { b"null" } else { &body };
        serde_json::from_slice(body)
            .map_err(|e| Attempt::Unreachable(format!("unreadable reply: {e}")))
    }
}

/// The error code of a SCIM error body (`no_such_user`; Slack may add detail after a space).
fn scim_code(body: &[u8]) -> Option<String> {
    let error: ScimError = serde_json::from_slice(body).ok()?;
    let text = error.errors.and_then(|e| e.description).or(error.detail)?;
    text.split_whitespace().next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_url_and_errors_read_in_both_shapes() {
        assert_eq!(ScimBase::new("http://x/scim/v1").version, ScimVersion::V1);
        assert_eq!(
            ScimBase::new("https://api.slack.com/scim/v2/").version,
            ScimVersion::V2
        );
        assert_eq!(
            scim_code(
                br#"{"Errors":{"description":"no_filters (is_aggregate_call=1)","code":400}}"#
            )
            .as_deref(),
            Some("no_filters")
        );
        assert_eq!(
            scim_code(br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"no_such_user","status":404}"#)
                .as_deref(),
            Some("no_such_user")
        );
        let patch = ScimReactivate {
            id: "W1".into(),
            email: Some("a@b.example".into()),
        };
        assert_eq!(
            patch.body(ScimVersion::V1).unwrap(),
            json!({"schemas": ["urn:scim:schemas:core:1.0"], "active": true,
                   "emails": [{"value": "a@b.example", "type": "work", "primary": true}]})
        );
        assert_eq!(
            patch.body(ScimVersion::V2).unwrap()["Operations"][0],
            json!({"op": "replace", "path": "active", "value": true})
        );
    }
}
