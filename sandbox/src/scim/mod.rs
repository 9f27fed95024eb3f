//! Slack's SCIM API for users, v1 (SCIM 1.1, what slack_sdk's `SCIMClient` speaks) and v2
//! (SCIM 2.0), served at `/scim/v1/` and `/scim/v2/` beside `/api/`: list with filter and
//! paging, read, PATCH (`active`, `userName`, `emails`, names and title) and DELETE (which
//! deactivates). The documented way to deactivate or reactivate a user or change their email.

pub mod filter;

use serde_json::{Map, Value, json};

use crate::{
    methods::valid_email,
    org::{GuestKind, Org, OrgRole, User},
    ratelimit::Budget,
};

/// The SCIM version of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

impl Version {
    /// `v1` or `v2`, as in the path.
    pub fn parse(segment: &str) -> Option<Version> {
        match segment {
            "v1" => Some(Version::V1),
            "v2" => Some(Version::V2),
            _ => None,
        }
    }

    fn core_schema(self) -> &'static str {
        match self {
            Version::V1 => "urn:scim:schemas:core:1.0",
            Version::V2 => "urn:ietf:params:scim:schemas:core:2.0:User",
        }
    }

    fn guest_schema(self) -> &'static str {
        match self {
            Version::V1 => "urn:scim:schemas:extension:slack:guest:1.0",
            Version::V2 => "urn:ietf:params:scim:schemas:extension:slack:guest:2.0:User",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
        }
    }
}

/// A SCIM failure: the HTTP status and Slack's error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub code: &'static str,
}

impl ScimError {
    pub fn new(status: u16, code: &'static str) -> Self {
        Self { status, code }
    }

    /// The body in the version's shape: v1 (and what Slack's v2 often sends)
    /// `{"Errors": {"description", "code"}}`; v2 as Slack documents it, RFC 7644's
    /// `{"schemas": [...Error], "detail", "status"}` with a numeric status.
    pub fn body(&self, version: Version) -> Value {
        match version {
            Version::V1 => {
                // What Slack answers a v1 filter with no comparison in it, word for word.
                let description = if self.code == "no_filters" {
                    "no_filters (is_aggregate_call=1)".to_string()
                } else {
                    self.code.to_string()
                };
                json!({"Errors": {"description": description, "code": self.status}})
            }
            Version::V2 => json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "detail": self.code,
                "status": self.status,
            }),
        }
    }
}

fn bad(code: &'static str) -> ScimError {
    ScimError::new(400, code)
}

/// One SCIM operation on users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    List,
    Get(String),
    Patch(String),
    Delete(String),
}

impl Operation {
    /// The name faults, call counters and `latency_ms` use for it.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::List => "scim.users.list",
            Operation::Get(_) => "scim.users.get",
            Operation::Patch(_) => "scim.users.patch",
            Operation::Delete(_) => "scim.users.delete",
        }
    }

    /// Whether it changes the org.
    pub fn is_write(&self) -> bool {
        matches!(self, Operation::Patch(_) | Operation::Delete(_))
    }

    /// The user a write locks, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            Operation::List => None,
            Operation::Get(id) | Operation::Patch(id) | Operation::Delete(id) => Some(id),
        }
    }

    /// The documented limits it spends from (docs.slack.dev/reference/scim-api/rate-limits):
    /// shared by every SCIM client of the org.
    pub fn budgets(&self) -> &'static [Budget] {
        const READS: Budget = Budget {
            name: "scim: all reads",
            per_minute: 1000.0,
            burst: 1000.0,
        };
        const WRITES: Budget = Budget {
            name: "scim: all writes",
            per_minute: 600.0,
            burst: 180.0,
        };
        const GET_USER: Budget = Budget {
            name: "scim: GET /Users/{id}",
            per_minute: 300.0,
            burst: 300.0,
        };
        const PATCH_USER: Budget = Budget {
            name: "scim: PUT or PATCH /Users/{id}",
            per_minute: 180.0,
            burst: 20.0,
        };
        const DELETE_USER: Budget = Budget {
            name: "scim: DELETE /Users/{id}",
            per_minute: 180.0,
            burst: 20.0,
        };
        match self {
            Operation::List => &[READS],
            Operation::Get(_) => &[READS, GET_USER],
            Operation::Patch(_) => &[WRITES, PATCH_USER],
            Operation::Delete(_) => &[WRITES, DELETE_USER],
        }
    }
}

/// Unix seconds as ISO 8601 in UTC (`2022-08-16T19:49:47+00:00`), as `meta.created` is.
pub fn iso8601(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The user resource, in the version's schemas.
pub fn resource(org: &Org, user: &User, version: Version, avatar_base: &str) -> Value {
    let mut emails = Vec::new();
    if !user.email.is_empty() {
        emails.push(json!({"value": user.email, "type": "work", "primary": true}));
    }
    if !user.secondary_email.is_empty() {
        emails.push(json!({"value": user.secondary_email, "primary": false}));
    }
    let mut schemas = vec![version.core_schema()];
    let mut v = json!({
        "id": user.id,
        "externalId": "",
        "meta": {
            "created": iso8601(user.date_created),
            "location": format!("https://api.slack.com/scim/{}/Users/{}", version.path(), user.id),
        },
        "userName": user.username,
        "nickName": user.username,
        "name": {"givenName": user.first_name, "familyName": user.last_name},
        "displayName": user.display_name,
        "profileUrl": format!("https://{}.enterprise.slack.com/team/{}", org.domain, user.username),
        "title": user.title,
        "timezone": user.tz,
        "active": !user.is_deactivated(),
        "emails": emails,
        "photos": [{"value": format!("{avatar_base}/{}_192.svg", user.avatar_hash), "type": "photo"}],
        "groups": [],
    });
    if !user.phone.is_empty() {
        v["phoneNumbers"] = json!([{"value": user.phone, "type": "mobile", "primary": true}]);
    }
    if version == Version::V2 {
        v["locale"] = json!(user.locale);
    }
    if let Some(kind) = user.guest {
        schemas.push(version.guest_schema());
        let mut guest = json!({"type": match kind {
            GuestKind::MultiChannel => "multi",
            GuestKind::SingleChannel => "single",
        }});
        let expiration = user.expiration_on(None);
        if expiration > 0 {
            guest["expiration"] = json!(iso8601(expiration));
        }
        v[version.guest_schema()] = guest;
    }
    v["schemas"] = json!(schemas);
    v
}

/// Largest and default `count` of a listing.
pub const MAX_COUNT: i64 = 1000;
pub const DEFAULT_COUNT: i64 = 10;

/// `GET /Users`: every account of the org (deactivated ones too, `active: false`), in ID
/// order, filtered, from the 1-based `startIndex`, `count` at a time (default 10; larger
/// than 1,000 is read as 1,000, as Slack does since 2019).
pub fn list(
    org: &Org,
    version: Version,
    query: Option<&str>,
    avatar_base: &str,
) -> Result<Value, ScimError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).map_err(|_| bad("invalid_query"))?;
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let int = |name: &str, default: i64| -> Result<i64, ScimError> {
        match param(name) {
            None | Some("") => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| bad("invalid_query")),
        }
    };
    let count = int("count", DEFAULT_COUNT)?.clamp(0, MAX_COUNT) as usize;
    let start = int("startIndex", 1)?.max(1) as usize;
    let filter = match param("filter") {
        None | Some("") => None,
        Some(f) => Some(filter::parse(f)?),
    };
    let matching: Vec<&User> = org
        .users
        .values()
        .filter(|u| filter.as_ref().is_none_or(|f| f.matches(u)))
        .collect();
    let resources: Vec<Value> = matching
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|u| resource(org, u, version, avatar_base))
        .collect();
    let schema = match version {
        Version::V1 => "urn:scim:schemas:core:1.0",
        Version::V2 => "urn:ietf:params:scim:api:messages:2.0:ListResponse",
    };
    Ok(json!({
        "schemas": [schema],
        "totalResults": matching.len(),
        "itemsPerPage": resources.len(),
        "startIndex": start,
        "Resources": resources,
    }))
}

fn user<'o>(org: &'o Org, id: &str) -> Result<&'o User, ScimError> {
    org.users
        .get(id)
        .ok_or_else(|| ScimError::new(404, "no_such_user"))
}

/// `GET /Users/{id}`: a deactivated user too, with `active: false`.
pub fn get(org: &Org, version: Version, id: &str, avatar_base: &str) -> Result<Value, ScimError> {
    Ok(resource(org, user(org, id)?, version, avatar_base))
}

/// A token acts only on accounts with the same or fewer permissions: an admin's token
/// cannot change owners.
fn may_modify(target: &User, caller_role: OrgRole) -> Result<(), ScimError> {
    if target.org_role >= OrgRole::Owner && caller_role < OrgRole::Owner {
        return Err(ScimError::new(403, "cannot_modify_owner"));
    }
    Ok(())
}

/// Why `target` cannot be deactivated, if it cannot.
fn deactivation_refused(target: &User) -> Result<(), ScimError> {
    if target.org_role == OrgRole::PrimaryOwner {
        return Err(ScimError::new(403, "cannot_disable_primary_owner"));
    }
    if target.is_bot {
        return Err(ScimError::new(403, "cannot_disable_bot_user_with_scim"));
    }
    Ok(())
}

/// `DELETE /Users/{id}`: deactivates the user (Slack never deletes one). Deleting a
/// deactivated user succeeds again and changes nothing.
pub fn delete(org: &mut Org, id: &str, caller_role: OrgRole, now: i64) -> Result<(), ScimError> {
    let target = user(org, id)?;
    may_modify(target, caller_role)?;
    deactivation_refused(target)?;
    org.deactivate(id, now);
    Ok(())
}

/// The fields a PATCH may change, worked on as a draft and applied only when every
/// operation succeeded.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    active: bool,
    username: String,
    display_name: String,
    title: String,
    first_name: String,
    last_name: String,
    email: String,
    secondary_email: String,
}

/// One `emails` entry.
#[derive(Debug, Clone)]
struct EmailEntry {
    value: String,
    primary: Option<bool>,
    work: bool,
    /// v1's `"operation": "delete"`.
    delete: bool,
}

fn invalid_format() -> ScimError {
    bad("invalid_attribute_format")
}

fn string(value: &Value) -> Result<String, ScimError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(invalid_format)
}

/// `true`/`false`, or the strings some identity providers send (`"False"`).
fn boolean(value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid_format()),
    }
}

fn email_entries(value: &Value) -> Result<Vec<EmailEntry>, ScimError> {
    let items = match value {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![value.clone()],
        _ => return Err(invalid_format()),
    };
    items
        .iter()
        .map(|item| {
            let get = |k: &str| {
                item.as_object().and_then(|o| {
                    o.iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v)
                })
            };
            Ok(EmailEntry {
                value: get("value")
                    .and_then(Value::as_str)
                    .ok_or_else(invalid_format)?
                    .to_string(),
                primary: match get("primary") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(boolean(v)?),
                },
                work: get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("work")),
                delete: get("operation")
                    .and_then(Value::as_str)
                    .is_some_and(|o| o.eq_ignore_ascii_case("delete")),
            })
        })
        .collect()
}

impl Draft {
    fn of(user: &User) -> Self {
        Draft {
            active: !user.is_deactivated(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            title: user.title.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            secondary_email: user.secondary_email.clone(),
        }
    }

    /// Slack keeps two addresses. The new primary is the entry marked `primary`, else the
    /// `work` one; when the whole list is replaced, else the first not marked
    /// `primary: false`. Another entry becomes the secondary. `replace` also drops a
    /// secondary no entry names; adding (v1's PATCH, v2's `add`) keeps it.
    fn set_emails(&mut self, entries: Vec<EmailEntry>, replace: bool) -> Result<(), ScimError> {
        let (deletes, entries): (Vec<_>, Vec<_>) = entries.into_iter().partition(|e| e.delete);
        for e in deletes {
            self.remove_email(&e.value)?;
        }
        let primary = entries
            .iter()
            .position(|e| e.primary == Some(true))
            .or_else(|| entries.iter().position(|e| e.work && e.primary.is_none()))
            .or_else(|| {
                replace
                    .then(|| entries.iter().position(|e| e.primary.is_none()))
                    .flatten()
            });
        if let Some(i) = primary {
            self.email = entries[i].value.clone();
        }
        let secondary = entries
            .iter()
            .enumerate()
            .find(|(i, _)| Some(*i) != primary)
            .map(|(_, e)| e.value.clone());
        match secondary {
            Some(s) => self.secondary_email = s,
            None if replace => self.secondary_email.clear(),
            None => {}
        }
        Ok(())
    }

    fn remove_email(&mut self, address: &str) -> Result<(), ScimError> {
        if self.email.eq_ignore_ascii_case(address) {
            return Err(bad("missing_primary_email"));
        }
        if self.secondary_email.eq_ignore_ascii_case(address) {
            self.secondary_email.clear();
        }
        Ok(())
    }

    /// Sets one attribute by its (case-insensitive) name, as v1's body keys and v2's
    /// paths without a filter name them. `Ok(false)`: not an attribute the sandbox keeps.
    fn set(&mut self, name: &str, value: &Value, replace: bool) -> Result<bool, ScimError> {
        match name.to_ascii_lowercase().as_str() {
            "active" => self.active = boolean(value)?,
            "username" | "nickname" => self.username = string(value)?,
            "displayname" => self.display_name = string(value)?,
            "title" => self.title = string(value)?,
            "name.givenname" => self.first_name = string(value)?,
            "name.familyname" => self.last_name = string(value)?,
            "name" => {
                let Value::Object(parts) = value else {
                    return Err(invalid_format());
                };
                for (k, v) in parts {
                    match k.to_ascii_lowercase().as_str() {
                        "givenname" => self.first_name = string(v)?,
                        "familyname" => self.last_name = string(v)?,
                        // Not kept by the sandbox; Slack shows them in the profile only.
                        "honorificprefix" | "formatted" | "middlename" | "honorificsuffix" => {}
                        _ => return Err(bad("invalid_request_payload")),
                    }
                }
            }
            "emails" => self.set_emails(email_entries(value)?, replace)?,
            "password" => return Err(ScimError::new(403, "password_change_not_allowed")),
            // Read-only: ignored, as SCIM says.
            "schemas" | "id" | "externalid" | "profileurl" | "meta" => {}
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// v1: the body holds the attributes to change; `meta.attributes` lists ones to clear.
    fn apply_v1(&mut self, body: &Map<String, Value>) -> Result<(), ScimError> {
        for (key, value) in body {
            if key.eq_ignore_ascii_case("meta") {
                let cleared = value
                    .get("attributes")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for attr in cleared {
                    self.clear(attr.as_str().ok_or_else(invalid_format)?)?;
                }
                continue;
            }
            if !self.set(key, value, false)? {
                return Err(bad("invalid_request_payload"));
            }
        }
        Ok(())
    }

    fn clear(&mut self, name: &str) -> Result<(), ScimError> {
        match name.to_ascii_lowercase().as_str() {
            // Only the secondary goes: the primary cannot be removed without a new one.
            "emails" => self.secondary_email.clear(),
            "displayname" => self.display_name.clear(),
            "title" => self.title.clear(),
            "name.givenname" => self.first_name.clear(),
            "name.familyname" => self.last_name.clear(),
            "username" | "nickname" => return Err(bad("username_empty")),
            "active" => return Err(invalid_format()),
            _ => return Err(bad("invalid_request_payload")),
        }
        Ok(())
    }

    /// v2: `Operations` of `add`, `replace` and `remove` (RFC 7644 §3.5.2).
    fn apply_v2(&mut self, body: &Map<String, Value>) -> Result<(), ScimError> {
        let operations = body
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
            .and_then(|(_, v)| v.as_array())
            .ok_or_else(|| bad("invalid_request_payload"))?;
        for op in operations {
            let field = |k: &str| {
                op.as_object().and_then(|o| {
                    o.iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v)
                })
            };
            let kind = field("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .ok_or_else(|| bad("invalid_request_payload"))?;
            let path = field("path")
                .and_then(Value::as_str)
                .map(strip_core_urn)
                .filter(|p| !p.is_empty());
            let value = field("value").cloned().unwrap_or(Value::Null);
            match (kind.as_str(), path) {
                ("add" | "replace", None) => {
                    let Value::Object(attrs) = &value else {
                        return Err(bad("invalid_request_payload"));
                    };
                    for (k, v) in attrs {
                        if !self.set(strip_core_urn(k), v, kind == "replace")? {
                            return Err(bad("invalid_request_payload"));
                        }
                    }
                }
                ("add" | "replace", Some(path)) => {
                    if let Some(target) = EmailTarget::parse(path) {
                        self.set_email_target(target, &value)?;
                    } else if !self.set(path, &value, kind == "replace")? {
                        return Err(bad("invalid_request_payload"));
                    }
                }
                ("remove", Some(path)) => match EmailTarget::parse(path) {
                    Some(EmailTarget::Primary) => return Err(bad("missing_primary_email")),
                    Some(EmailTarget::Secondary) => self.secondary_email.clear(),
                    Some(EmailTarget::Address(a)) => self.remove_email(&a)?,
                    None => self.clear(path)?,
                },
                _ => return Err(bad("invalid_request_payload")),
            }
        }
        Ok(())
    }

    fn set_email_target(&mut self, target: EmailTarget, value: &Value) -> Result<(), ScimError> {
        let address = match value {
            Value::String(s) => s.clone(),
            other => {
                email_entries(other)?
                    .into_iter()
                    .next()
                    .ok_or_else(invalid_format)?
                    .value
            }
        };
        match target {
            EmailTarget::Primary => self.email = address,
            EmailTarget::Secondary => self.secondary_email = address,
            EmailTarget::Address(a) if self.email.eq_ignore_ascii_case(&a) => self.email = address,
            EmailTarget::Address(a) if self.secondary_email.eq_ignore_ascii_case(&a) => {
                self.secondary_email = address;
            }
            EmailTarget::Address(_) => return Err(bad("invalid_request_payload")),
        }
        Ok(())
    }
}

fn strip_core_urn(path: &str) -> &str {
    let lower = path.to_ascii_lowercase();
    for prefix in ["urn:ietf:params:scim:schemas:core:2.0:user:"] {
        if lower.starts_with(prefix) {
            return &path[prefix.len()..];
        }
    }
    path
}

/// An address a v2 path picks out: `emails[primary eq true]`, `emails[type eq "work"]`,
/// `emails[primary eq false]` or `emails[value eq "a@b.example"]`, each optionally with
/// `.value`.
#[derive(Debug, Clone, PartialEq)]
enum EmailTarget {
    Primary,
    Secondary,
    Address(String),
}

impl EmailTarget {
    fn parse(path: &str) -> Option<EmailTarget> {
        let lower = path.to_ascii_lowercase();
        let inner = lower.strip_prefix("emails[")?;
        let end = inner.find(']')?;
        let rest = &inner[end + 1..];
        if !rest.is_empty() && rest != ".value" {
            return None;
        }
        match inner[..end].replace(' ', "").as_str() {
            "primaryeqtrue" | "typeeq\"work\"" => return Some(EmailTarget::Primary),
            "primaryeqfalse" => return Some(EmailTarget::Secondary),
            _ => {}
        }
        // `value eq "…"`, read from the original spelling of the address.
        let original = &path["emails[".len().."emails[".len() + end];
        match filter::parse(&format!("emails.{original}")).ok()? {
            filter::Filter::Text(filter::Attr::Email, filter::Op::Eq, a) => {
                Some(EmailTarget::Address(a))
            }
            _ => None,
        }
    }
}

/// `PATCH /Users/{id}`: changes `active` (false deactivates, true reactivates),
/// `userName`/`nickName`, `emails`, `displayName`, `title` and `name`, all or nothing, and
/// returns the updated user. Attributes the sandbox does not keep (phone numbers,
/// addresses, photos, roles, extensions) are refused with `invalid_request_payload` rather
/// than ignored, so a test never believes they changed.
pub fn patch(
    org: &mut Org,
    version: Version,
    id: &str,
    body: &[u8],
    caller_role: OrgRole,
    now: i64,
) -> Result<(), ScimError> {
    let target = user(org, id)?;
    may_modify(target, caller_role)?;
    let body: Value = serde_json::from_slice(body).map_err(|_| bad("invalid_request_payload"))?;
    let Value::Object(body) = body else {
        return Err(bad("invalid_request_payload"));
    };
    let before = Draft::of(target);
    let mut draft = before.clone();
    match version {
        Version::V1 => draft.apply_v1(&body)?,
        Version::V2 => draft.apply_v2(&body)?,
    }
    validate(org, target, &before, &mut draft)?;
    if before.active && !draft.active {
        deactivation_refused(target)?;
    }

    let primary_changed = draft.email != before.email;
    org.touch(id);
    let u = org.users.get_mut(id).expect("looked up above");
    u.username = draft.username;
    u.display_name = draft.display_name;
    u.title = draft.title;
    u.first_name = draft.first_name;
    u.last_name = draft.last_name;
    u.secondary_email = draft.secondary_email;
    if u.first_name != before.first_name || u.last_name != before.last_name {
        u.full_name = format!("{} {}", u.first_name, u.last_name)
            .trim()
            .to_string();
    }
    u.updated = now;
    if primary_changed {
        org.set_email(id, &draft.email);
    }
    match (before.active, draft.active) {
        (true, false) => {
            org.deactivate(id, now);
        }
        (false, true) => {
            org.reactivate(id, now);
        }
        _ => {}
    }
    Ok(())
}

/// Longest `userName` and `displayName` Slack takes.
pub const MAX_USERNAME: usize = 21;
pub const MAX_DISPLAY_NAME: usize = 80;

fn validate(org: &Org, target: &User, before: &Draft, draft: &mut Draft) -> Result<(), ScimError> {
    if draft.username != before.username {
        let name = draft.username.to_lowercase();
        if name.is_empty() {
            return Err(bad("username_empty"));
        }
        if name.chars().count() > MAX_USERNAME {
            return Err(bad("username_too_long"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(bad("username_invalid"));
        }
        // Usernames share a namespace with channel names.
        let taken = org
            .users
            .values()
            .any(|u| u.id != target.id && u.username.eq_ignore_ascii_case(&name))
            || org.channels.values().any(|c| c.name == name);
        if taken {
            return Err(ScimError::new(409, "username_taken"));
        }
        draft.username = name;
    }
    if draft.display_name.chars().count() > MAX_DISPLAY_NAME {
        return Err(bad("invalid_display_name"));
    }
    if draft.email.is_empty() && !before.email.is_empty() {
        return Err(bad("missing_primary_email"));
    }
    if draft.secondary_email.eq_ignore_ascii_case(&draft.email) {
        draft.secondary_email.clear();
    }
    for (new, old) in [
        (&mut draft.email, &before.email),
        (&mut draft.secondary_email, &before.secondary_email),
    ] {
        if new.is_empty() || new.eq_ignore_ascii_case(old) {
            continue;
        }
        if !valid_email(new) {
            return Err(bad("email_invalid"));
        }
        // Taken even by a deactivated account, as Slack's SCIM docs say.
        let taken = org.users.values().any(|u| {
            u.id != target.id
                && (u.email.eq_ignore_ascii_case(new)
                    || u.secondary_email.eq_ignore_ascii_case(new))
        });
        if taken {
            return Err(ScimError::new(409, "email_taken"));
        }
        *new = new.to_lowercase();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(1_660_679_387), "2022-08-16T19:49:47+00:00");
        assert_eq!(iso8601(4_000_000_000), "2096-10-02T07:06:40+00:00");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00+00:00");
    }

    #[test]
    fn email_targets() {
        assert_eq!(
            EmailTarget::parse("emails[primary eq false]"),
            Some(EmailTarget::Secondary)
        );
        assert_eq!(
            EmailTarget::parse(r#"emails[type eq "work"].value"#),
            Some(EmailTarget::Primary)
        );
        assert_eq!(
            EmailTarget::parse(r#"emails[value eq "B@x.example"]"#),
            Some(EmailTarget::Address("B@x.example".into()))
        );
        assert_eq!(EmailTarget::parse("emails"), None);
        assert_eq!(EmailTarget::parse("title"), None);
    }
}
