//! `GET /api/users` and `GET /api/users/{id}`.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use axum::{
    Json,
    extract::{
        Path, Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
};
use roster_api::{
    Channel, EmailLookup, EmailMatch, EmailMatches, ErrorBody, LiveKind, LivePart, Membership,
    Mode, Presence, SortKey, UserDetail, UserQuery, UserSummary, UsersPage,
};

use crate::{
    AppState,
    directory::Visibility,
    error::AppError,
    live::{EVERY_WORKSPACE, Fetched, Problem, Scope, Seen},
    policy::{Caller, Denied, Field, Permission},
    routes::csv_file::CsvFile,
    slack::{
        ResponseMetadata, SlackClient, SlackError,
        methods::{
            AdminUsersGetExpiration, ExpirationReply, Method, UsersConversations, UsersGetPresence,
            UsersInfo,
        },
    },
};
use futures_util::{FutureExt, future::BoxFuture};

impl Visibility for Caller {
    fn workspace_scope(&self) -> Option<Vec<String>> {
        match &self.role.workspaces {
            crate::policy::WorkspaceScope::All(_) => None,
            crate::policy::WorkspaceScope::Only(teams) => Some(teams.iter().cloned().collect()),
        }
    }

    fn sees_emails(&self) -> bool {
        !self.hides(Field::Email)
    }

    fn finds_by_email(&self) -> bool {
        self.can(Permission::UsersLookupByEmail)
    }
}

/// Whether the caller may find people by their complete address.
fn looks_up_emails(caller: &Caller) -> bool {
    !caller.hides(Field::Email) || caller.can(Permission::UsersLookupByEmail)
}

/// Filters and sorts on a field the role may not see would reveal it.
fn check_hidden(caller: &Caller, query: &UserQuery) -> Result<(), Denied> {
    let mut used = Vec::new();
    if query.has_2fa.is_some() {
        used.push(Field::Has2fa);
    }
    if query.has_sso.is_some() {
        used.push(Field::HasSso);
    }
    if query.expires_within_days.is_some() {
        used.push(Field::Expires);
    }
    if query.inactive_days.is_some() {
        used.push(Field::Activity);
    }
    match query.sort {
        Some(SortKey::Email) => used.push(Field::Email),
        Some(SortKey::Has2fa) => used.push(Field::Has2fa),
        Some(SortKey::HasSso) => used.push(Field::HasSso),
        Some(SortKey::Created) => used.push(Field::Created),
        Some(SortKey::Expires) => used.push(Field::Expires),
        _ => {}
    }
    if let Some(f) = used.into_iter().find(|f| caller.hides(*f)) {
        return Err(Denied::Field(f.as_str()));
    }
    // An address typed into the search of a role that may not search by one would
    // silently match nothing.
    if query.q.as_deref().is_some_and(|q| q.contains('@')) && !looks_up_emails(caller) {
        return Err(Denied::EmailSearch);
    }
    Ok(())
}

/// The checks every directory query passes, in this order: the permission, the workspace
/// it names against the role's scope (before looking at whether it exists, so a workspace
/// outside the scope is refused the same way whether it exists or not), then what the
/// query filters and sorts on against the fields the role may see.
fn admit(state: &AppState, caller: &Caller, query: &UserQuery) -> Result<(), AppError> {
    if !caller.can(Permission::UsersRead) {
        return Err(Denied::Permission(Permission::UsersRead).into());
    }
    if let Some(w) = &query.workspace {
        if !caller.covers(w) {
            return Err(Denied::Workspace(w.clone()).into());
        }
        if !state.directory.has_workspace(w) {
            return Err(AppError::invalid(
                "workspace",
                "There is no such workspace in the org.",
            ));
        }
    }
    check_hidden(caller, query)?;
    Ok(())
}

/// A page of the directory: filters, sort and window; never calls Slack.
#[utoipa::path(get, path = "/users", tag = "users", params(UserQuery),
    responses((status = 200, body = UsersPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<UserQuery>, QueryRejection>,
) -> Result<Json<UsersPage>, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    admit(&state, &caller, &query)?;
    if query
        .limit
        .is_some_and(|l| !(1..=UserQuery::MAX_LIMIT).contains(&l))
    {
        return Err(AppError::invalid(
            "limit",
            "limit must be between 1 and 1000.",
        ));
    }
    let page = super::seats::query(&state, &caller, &query)?;
    // Say why a person matches when the address that matched is not shown: read from the
    // page itself, whose addresses are removed only below.
    let matched_by_email = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| caller.hides(Field::Email) && crate::changes::valid_email(q))
        .and_then(|q| {
            let key = q.to_lowercase();
            page.users
                .iter()
                .find(|u| u.email.as_deref().is_some_and(|e| e.to_lowercase() == key))
        })
        .map(|u| u.id.clone());
    Ok(Json(UsersPage {
        users: page
            .users
            .into_iter()
            .map(|u| caller.hide_fields(u))
            .collect(),
        total: page.total,
        offset: query.offset.unwrap_or(0),
        limit: query.limit.unwrap_or(UserQuery::DEFAULT_LIMIT),
        synced_at: state.directory.synced_at(),
        sync: caller.sync_status(&state.directory),
        matched_by_email,
    }))
}

/// People found by their complete email addresses, as the role sees them: a list of
/// leavers to offboard, say. Only a role that sees email addresses, or has
/// `users.lookup_by_email`, may ask (the second is not shown them); an address
/// nobody has and an address of someone outside the role's workspaces answer the same (no
/// user), and only a complete address matches. Reads the directory; never calls Slack.
#[utoipa::path(post, path = "/users/by-email", tag = "users", request_body = EmailLookup,
    responses((status = 200, body = EmailMatches), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn by_email(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<EmailLookup>, JsonRejection>,
) -> Result<Json<EmailMatches>, AppError> {
    if !caller.can(Permission::UsersRead) {
        return Err(Denied::Permission(Permission::UsersRead).into());
    }
    if !looks_up_emails(&caller) {
        return Err(Denied::EmailSearch.into());
    }
    let Json(lookup) = body.map_err(super::bad_json)?;
    if lookup.emails.len() > EmailLookup::MAX_EMAILS {
        return Err(AppError::invalid(
            "emails",
            format!(
                "At most {} addresses at once; this list has {}.",
                EmailLookup::MAX_EMAILS,
                lookup.emails.len()
            ),
        ));
    }
    // Each address is looked up once, however often it is listed, and charged to the
    // person: a list cannot repeat one address to time it.
    let mut found: HashMap<String, Option<UserSummary>> = HashMap::new();
    for email in &lookup.emails {
        let key = email.trim().to_lowercase();
        found.entry(key).or_insert(None);
    }
    state
        .writes
        .allow_addresses(&caller.email, found.len())
        .await?;
    for (key, user) in &mut found {
        // Only someone the role sees is taken further: someone elsewhere costs what an
        // address nobody has costs.
        *user = Some(key.as_str())
            .filter(|e| e.contains('@'))
            .and_then(|e| {
                state
                    .directory
                    .find_email_as(e, |u| caller.view(u).map(|u| caller.hide_fields(u.summary)))
            });
    }
    let matches = lookup
        .emails
        .into_iter()
        .map(|email| {
            let email = email.trim().to_string();
            let user = found.get(&email.to_lowercase()).cloned().flatten();
            EmailMatch { email, user }
        })
        .collect();
    Ok(Json(EmailMatches { matches }))
}

/// A column of the users export.
#[derive(Debug, Clone, Copy)]
enum ExportColumn {
    Id,
    Name,
    Username,
    Email,
    Type,
    Status,
    Workspaces,
    Has2fa,
    HasSso,
    Created,
    Expires,
    Deactivated,
}

impl ExportColumn {
    const ALL: [ExportColumn; 12] = [
        ExportColumn::Id,
        ExportColumn::Name,
        ExportColumn::Username,
        ExportColumn::Email,
        ExportColumn::Type,
        ExportColumn::Status,
        ExportColumn::Workspaces,
        ExportColumn::Has2fa,
        ExportColumn::HasSso,
        ExportColumn::Created,
        ExportColumn::Expires,
        ExportColumn::Deactivated,
    ];

    fn header(self) -> &'static str {
        match self {
            ExportColumn::Id => "id",
            ExportColumn::Name => "name",
            ExportColumn::Username => "username",
            ExportColumn::Email => "email",
            ExportColumn::Type => "type",
            ExportColumn::Status => "status",
            ExportColumn::Workspaces => "workspaces",
            ExportColumn::Has2fa => "has_2fa",
            ExportColumn::HasSso => "has_sso",
            ExportColumn::Created => "created_utc",
            ExportColumn::Expires => "expires_utc",
            ExportColumn::Deactivated => "deactivated_utc",
        }
    }

    /// The field a role must see for the column to be exported.
    fn field(self) -> Option<Field> {
        match self {
            ExportColumn::Email => Some(Field::Email),
            ExportColumn::Has2fa => Some(Field::Has2fa),
            ExportColumn::HasSso => Some(Field::HasSso),
            ExportColumn::Created => Some(Field::Created),
            ExportColumn::Expires => Some(Field::Expires),
            _ => None,
        }
    }

    fn cell(self, u: &UserSummary, names: &HashMap<String, String>) -> String {
        let date = |ts: Option<i64>| {
            ts.filter(|t| *t > 0)
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default()
        };
        let yes_no = |v: Option<bool>| match v {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        match self {
            ExportColumn::Id => u.id.clone(),
            ExportColumn::Name => u.name.clone(),
            ExportColumn::Username => u.username.clone(),
            ExportColumn::Email => u.email.clone().unwrap_or_default(),
            ExportColumn::Type => u.user_type.as_str().to_string(),
            ExportColumn::Status => u.status.as_str().to_string(),
            ExportColumn::Workspaces => u
                .workspaces
                .iter()
                .map(|w| names.get(&**w).cloned().unwrap_or_else(|| w.to_string()))
                .collect::<Vec<_>>()
                .join("; "),
            ExportColumn::Has2fa => yes_no(u.has_2fa).to_string(),
            ExportColumn::HasSso => yes_no(u.has_sso).to_string(),
            ExportColumn::Created => date(Some(u.created)),
            ExportColumn::Expires => date(u.expires),
            ExportColumn::Deactivated => date(u.deactivated),
        }
    }
}

/// The users matching the query, as CSV, with only the columns the role may see.
#[utoipa::path(get, path = "/users/export.csv", tag = "users", params(UserQuery),
    responses((status = 200, description = "CSV of every matching user", content_type = "text/csv"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<UserQuery>, QueryRejection>,
) -> Result<CsvFile, AppError> {
    let Query(mut query) = query.map_err(super::bad_query)?;
    admit(&state, &caller, &query)?;
    query.offset = None;
    query.limit = Some(usize::MAX);
    let names: HashMap<String, String> = state
        .directory
        .workspaces()
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let columns: Vec<ExportColumn> = ExportColumn::ALL
        .into_iter()
        .filter(|c| c.field().is_none_or(|f| !caller.hides(f)))
        .collect();
    let headers: Vec<&str> = columns.iter().map(|c| c.header()).collect();
    let mut file = CsvFile::new("roster-users.csv", &headers)?;
    for user in super::seats::query(&state, &caller, &query)?.users {
        let u = caller.hide_fields(user);
        file.row(columns.iter().map(|c| c.cell(&u, &names)))?;
    }
    Ok(file)
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// How long a person's detail waits for Slack before answering with what Roster has.
const DETAIL_DEADLINE: Duration = Duration::from_millis(250);
/// A live part is not asked for when Slack's limit would make the call wait longer: the
/// page keeps the part's older value and says when to try again.
const LONGEST_WAIT: Duration = Duration::from_secs(3);
/// When the console should ask again for parts still loading.
const REFRESH_AFTER: Duration = Duration::from_millis(750);

/// Asks Slack for `request` within its budget, reading the reply with `read`.
fn ask<M, V>(
    slack: &SlackClient,
    request: M,
    read: impl FnOnce(M::Reply) -> V + Send + 'static,
) -> BoxFuture<'static, Fetched<V>>
where
    M: Method + 'static,
    V: Send + 'static,
{
    let slack = slack.clone();
    async move {
        let wait = slack.expected_wait(&request);
        if wait > LONGEST_WAIT {
            return Err(Problem::Limited(wait));
        }
        match slack.send(&request).await {
            Ok(reply) => Ok(read(reply)),
            Err(SlackError::RateLimited { retry_after, .. }) => {
                Err(Problem::Limited(Duration::from_secs(retry_after)))
            }
            Err(SlackError::Paced { retry_after, .. }) => Err(Problem::Limited(retry_after)),
            Err(e) => Err(Problem::Failed(super::why_not_loaded(&e))),
        }
    }
    .boxed()
}

/// What the detail says about one live part: its state, and a warning when it could not
/// be refreshed.
fn report<V>(
    kind: LiveKind,
    seen: &[Seen<V>],
    live: &mut Vec<LivePart>,
    warnings: &mut Vec<String>,
) {
    if seen.is_empty() {
        return;
    }
    let shown = seen.iter().all(|s| s.value.is_some());
    live.push(LivePart {
        part: kind,
        age_seconds: shown
            .then(|| seen.iter().filter_map(|s| s.age).max())
            .flatten()
            .map(|age| age.as_secs()),
        loading: seen.iter().any(|s| s.loading),
    });
    if let Some(problem) = seen.iter().find_map(|s| s.problem.as_ref()) {
        let label = kind.label();
        // An older value is shown: it was not refreshed; none is: it was not loaded.
        let done = if shown { "refreshed" } else { "loaded" };
        warnings.push(match problem {
            Problem::Failed(reason) => format!("{label} could not be {done}: {reason}"),
            Problem::Limited(wait) => format!(
                "{label} not {done}: Slack's limit, retry in {} s.",
                wait.as_secs().max(1)
            ),
        });
    }
}

/// One user in full: the directory entry with profile, presence, channels and guest
/// expirations from Slack.
///
/// The live parts come from what Roster read recently when it is fresh; otherwise Slack is
/// asked, once for everyone asking about the same person, and only within its rate limits.
/// The answer comes within a quarter of a second: parts Slack has not given yet are marked
/// `loading` (with their older value and its age, if any) and `refresh_after_ms` says when
/// to ask again. Parts Slack cannot give are listed in `warnings`; the rest is still
/// returned.
#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = String, Path, description = "Slack user ID")),
    responses((status = 200, body = UserDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserDetail>, AppError> {
    if !caller.can(Permission::UsersRead) {
        return Err(Denied::Permission(Permission::UsersRead).into());
    }
    // The user as the role sees them: memberships on its workspaces only.
    let user = caller.user(&state.directory, &id)?;
    let deadline = Instant::now() + DETAIL_DEADLINE;
    let slack = &state.slack;
    let live = &state.live;
    let scope: Scope = if caller.covers_all() {
        EVERY_WORKSPACE.into()
    } else {
        caller.role.name.as_str().into()
    };
    // A role limited to some workspaces asks for the channels of each of them, so neither
    // the list nor whether it was cut short depends on channels elsewhere.
    let channel_teams: Vec<Option<String>> = if caller.covers_all() {
        vec![None]
    } else {
        user.summary
            .workspaces
            .iter()
            .map(|w| Some(w.to_string()))
            .collect()
    };
    let channel_calls = futures_util::future::join_all(channel_teams.into_iter().map(|team| {
        let key = (scope.clone(), id.clone(), team.clone().unwrap_or_default());
        let request = UsersConversations {
            user: id.clone(),
            types: "public_channel,private_channel".into(),
            exclude_archived: true,
            limit: 100,
            team_id: team,
        };
        live.channels.get(key, deadline, || {
            ask(slack, request, |reply| {
                let more =
                    ResponseMetadata::next_cursor(reply.response_metadata.as_ref()).is_some();
                let channels = reply
                    .channels
                    .into_iter()
                    .filter_map(|c| {
                        Some(Channel {
                            id: c.id?,
                            name: c.name.unwrap_or_default(),
                            workspace: nonempty(c.context_team_id),
                            is_private: c.is_private.unwrap_or(false),
                            is_archived: c.is_archived.unwrap_or(false),
                            member_count: None,
                        })
                    })
                    .collect();
                (channels, more)
            })
        })
    }));
    // Parts the role may not see are not asked for.
    let expiration_teams: Vec<String> = if user.summary.user_type.is_guest()
        && state.connection.mode == Mode::Admin
        && !caller.hides(Field::Expires)
    {
        user.memberships
            .iter()
            .map(|m| m.workspace.to_string())
            .collect()
    } else {
        Vec::new()
    };
    let expirations = futures_util::future::join_all(expiration_teams.into_iter().map(|team| {
        let request = AdminUsersGetExpiration {
            user_id: id.clone(),
            target_team: team.clone(),
        };
        let key = (scope.clone(), id.clone(), team.clone());
        async move {
            let seen = live
                .expirations
                .get(key, deadline, || {
                    ask(slack, request, |reply: ExpirationReply| reply.expires())
                })
                .await;
            (team, seen)
        }
    }));
    let profile = live
        .profiles
        .get((scope.clone(), id.clone()), deadline, || {
            ask(slack, UsersInfo { user: id.clone() }, |reply| {
                reply.user.unwrap_or_default()
            })
        });
    let presence = async {
        if caller.hides(Field::Presence) {
            return None;
        }
        let seen = live
            .presence
            .get((scope.clone(), id.clone()), deadline, || {
                ask(
                    slack,
                    UsersGetPresence { user: id.clone() },
                    |reply| match reply.presence.as_deref() {
                        Some("active") => Some(Presence::Active),
                        Some(_) => Some(Presence::Away),
                        None => None,
                    },
                )
            })
            .await;
        Some(seen)
    };
    let (profile, presence, channel_parts, expirations) =
        tokio::join!(profile, presence, channel_calls, expirations);

    let mut warnings = Vec::new();
    let mut parts = Vec::new();
    report(
        LiveKind::Profile,
        std::slice::from_ref(&profile),
        &mut parts,
        &mut warnings,
    );
    let presence: Vec<Seen<Option<Presence>>> = presence.into_iter().collect();
    report(LiveKind::Presence, &presence, &mut parts, &mut warnings);
    report(
        LiveKind::Channels,
        &channel_parts,
        &mut parts,
        &mut warnings,
    );
    let expiration_parts: Vec<Seen<Option<i64>>> =
        expirations.iter().map(|(_, seen)| seen.clone()).collect();
    report(
        LiveKind::Expirations,
        &expiration_parts,
        &mut parts,
        &mut warnings,
    );

    // Channels are shown only when every workspace's list is there.
    let (channels, channels_truncated) = if channel_parts.iter().all(|s| s.value.is_some()) {
        channel_parts.into_iter().filter_map(|s| s.value).fold(
            (Vec::new(), false),
            |(mut all, more), (channels, cut)| {
                all.extend(channels);
                (all, more || cut)
            },
        )
    } else {
        (Vec::new(), false)
    };
    let mut memberships: Vec<Membership> = user.memberships.clone();
    for (team, seen) in expirations {
        if let Some(expires) = seen.value
            && let Some(m) = memberships.iter_mut().find(|m| *m.workspace == *team)
        {
            m.expires = expires;
        }
    }
    let refresh_after_ms = parts
        .iter()
        .any(|p| p.loading)
        .then(|| REFRESH_AFTER.as_millis() as u64);
    let p = profile.value.unwrap_or_default();
    let presence = presence.into_iter().find_map(|s| s.value).flatten();
    let mut summary = user.summary.clone();
    super::seats::fill_last_active(
        &state,
        &caller,
        &UserQuery::default(),
        std::slice::from_mut(&mut summary),
    );
    let detail = UserDetail {
        summary,
        display_name: nonempty(p.profile.display_name),
        title: nonempty(p.profile.title),
        phone: nonempty(p.profile.phone),
        timezone: nonempty(p.tz),
        timezone_label: nonempty(p.tz_label),
        timezone_offset: p.tz_offset,
        avatar_url: nonempty(p.profile.image_192),
        presence,
        memberships,
        channels,
        channels_truncated,
        warnings,
        live: parts,
        refresh_after_ms,
    };
    Ok(Json(caller.redact_detail(detail)))
}
