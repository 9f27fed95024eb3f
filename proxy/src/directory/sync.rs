//! Fetching the whole org from Slack: with an org admin token through `admin.users.list`
//! (org-wide, then per workspace for each workspace's roles and expirations); with a
//! workspace token through `users.list` (read-only mode).

use std::collections::HashMap;

use roster_api::{Membership, UserSummary, Workspace, WorkspaceRole};
use serde::Deserialize;
use serde_json::Value;

use super::{DirUser, fold, status_of};
use crate::slack::{ResponseMetadata, SlackClient, SlackError, SlackMethod};

/// Largest `admin.users.list` page.
const ADMIN_PAGE: usize = 1000;
/// `users.list` page size (Slack recommends no more than 200).
const USERS_LIST_PAGE: usize = 200;

/// Where the directory comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// An org-level admin token: `admin.teams.list` and `admin.users.list`.
    Admin(SlackClient),
    /// A workspace token: `users.list` of that one workspace.
    Workspace {
        slack: SlackClient,
        team_id: String,
        team_name: String,
    },
}

/// A user as `admin.users.list` returns it (the fields Roster reads).
#[derive(Debug, Deserialize)]
struct AdminUser {
    id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    is_admin: bool,
    #[serde(default)]
    is_owner: bool,
    #[serde(default)]
    is_primary_owner: bool,
    #[serde(default)]
    is_restricted: bool,
    #[serde(default)]
    is_ultra_restricted: bool,
    #[serde(default)]
    is_bot: bool,
    #[serde(default = "yes")]
    is_active: bool,
    #[serde(default)]
    is_invited_user: bool,
    #[serde(default)]
    date_created: i64,
    #[serde(default)]
    deactivated_ts: i64,
    #[serde(default)]
    expiration_ts: i64,
    #[serde(default)]
    workspaces: Vec<String>,
    has_2fa: Option<bool>,
    has_sso: Option<bool>,
}

fn yes() -> bool {
    true
}

/// The role Slack's flags describe.
pub fn role_from_flags(
    bot: bool,
    owner: bool,
    admin: bool,
    single: bool,
    multi: bool,
) -> WorkspaceRole {
    if bot {
        WorkspaceRole::Bot
    } else if owner {
        WorkspaceRole::Owner
    } else if admin {
        WorkspaceRole::Admin
    } else if single {
        WorkspaceRole::SingleChannelGuest
    } else if multi {
        WorkspaceRole::MultiChannelGuest
    } else {
        WorkspaceRole::Member
    }
}

impl AdminUser {
    fn role(&self) -> WorkspaceRole {
        role_from_flags(
            self.is_bot,
            self.is_owner || self.is_primary_owner,
            self.is_admin,
            self.is_ultra_restricted,
            self.is_restricted,
        )
    }

    fn into_summary(self) -> UserSummary {
        let user_type = super::user_type_of(self.role());
        UserSummary {
            name: if self.full_name.is_empty() {
                self.username.clone()
            } else {
                self.full_name
            },
            username: self.username,
            email: (!self.email.is_empty()).then_some(self.email),
            user_type,
            is_primary_owner: self.is_primary_owner,
            status: status_of(self.is_active, self.is_invited_user),
            workspaces: self.workspaces,
            has_2fa: self.has_2fa,
            has_sso: self.has_sso,
            created: self.date_created,
            expires: (self.expiration_ts > 0).then_some(self.expiration_ts),
            deactivated: (self.deactivated_ts > 0).then_some(self.deactivated_ts),
            id: self.id,
        }
    }
}

/// A user from `users.info`, `users.list` or `users.lookupByEmail` (Slack's user object).
pub fn summary_from_user_object(user: &Value, team: Option<&str>) -> Option<UserSummary> {
    let flag = |k: &str| user.get(k).and_then(Value::as_bool).unwrap_or(false);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let id = user.get("id")?.as_str()?.to_string();
    let profile = user.get("profile");
    let name = text(user.get("real_name"));
    let username = text(user.get("name"));
    let email = text(profile.and_then(|p| p.get("email")));
    let role = role_from_flags(
        flag("is_bot") || flag("is_app_user"),
        flag("is_owner") || flag("is_primary_owner"),
        flag("is_admin"),
        flag("is_ultra_restricted"),
        flag("is_restricted"),
    );
    let workspaces = user
        .get("enterprise_user")
        .and_then(|e| e.get("teams"))
        .and_then(Value::as_array)
        .map(|teams| {
            teams
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .or_else(|| team.map(|t| vec![t.to_string()]))
        .unwrap_or_default();
    Some(UserSummary {
        name: if name.is_empty() {
            username.clone()
        } else {
            name
        },
        username,
        email: (!email.is_empty()).then_some(email),
        user_type: super::user_type_of(role),
        is_primary_owner: flag("is_primary_owner"),
        status: status_of(!flag("deleted"), flag("is_invited_user")),
        workspaces,
        has_2fa: user.get("has_2fa").and_then(Value::as_bool),
        has_sso: None,
        created: 0,
        expires: None,
        deactivated: None,
        id,
    })
}

type Progress<'a> = &'a (dyn Fn(u64) + Sync);

impl Source {
    /// The Slack client.
    pub fn slack(&self) -> &SlackClient {
        match self {
            Source::Admin(slack) | Source::Workspace { slack, .. } => slack,
        }
    }

    /// Every user and workspace; `progress` hears the count of users fetched so far.
    pub async fn fetch(
        &self,
        progress: Progress<'_>,
    ) -> Result<(Vec<DirUser>, Vec<Workspace>), SlackError> {
        match self {
            Source::Admin(slack) => fetch_admin(slack, progress).await,
            Source::Workspace {
                slack,
                team_id,
                team_name,
            } => fetch_workspace(slack, team_id, team_name, progress).await,
        }
    }
}

/// One page of a cursor-paginated listing, read straight into the fields Roster keeps.
trait Page: serde::de::DeserializeOwned {
    fn next_cursor(&self) -> Option<&str>;
}

/// `admin.teams.list`.
#[derive(Deserialize)]
struct TeamsPage {
    #[serde(default)]
    teams: Vec<TeamRow>,
    response_metadata: Option<ResponseMetadata>,
}

#[derive(Deserialize)]
struct TeamRow {
    id: Option<String>,
    name: Option<String>,
}

/// `admin.users.list`.
#[derive(Deserialize)]
struct AdminUsersPage {
    #[serde(default)]
    users: Vec<AdminUser>,
    response_metadata: Option<ResponseMetadata>,
}

/// `users.list`.
#[derive(Deserialize)]
struct MembersPage {
    #[serde(default)]
    members: Vec<Value>,
    response_metadata: Option<ResponseMetadata>,
}

impl Page for TeamsPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

impl Page for AdminUsersPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

impl Page for MembersPage {
    fn next_cursor(&self) -> Option<&str> {
        ResponseMetadata::next_cursor(self.response_metadata.as_ref())
    }
}

/// Every page of `method`, in order, each handed to `each`.
async fn pages<P: Page>(
    slack: &SlackClient,
    method: SlackMethod,
    base: &[(&str, String)],
    mut each: impl FnMut(P),
) -> Result<(), SlackError> {
    let mut cursor: Option<String> = None;
    loop {
        let mut params = base.to_vec();
        if let Some(c) = &cursor {
            params.push(("cursor", c.clone()));
        }
        let page: P = slack.call_as(method, &params).await?;
        cursor = page.next_cursor().map(str::to_string);
        each(page);
        if cursor.is_none() {
            return Ok(());
        }
    }
}

async fn fetch_admin(
    slack: &SlackClient,
    progress: Progress<'_>,
) -> Result<(Vec<DirUser>, Vec<Workspace>), SlackError> {
    let mut workspaces = Vec::new();
    pages(
        slack,
        SlackMethod::AdminTeamsList,
        &[("limit", "1000".into())],
        |page: TeamsPage| {
            workspaces.extend(page.teams.into_iter().filter_map(|t| {
                Some(Workspace {
                    id: t.id?,
                    name: t.name?,
                })
            }));
        },
    )
    .await?;
    workspaces.sort_by_key(|w| fold(&w.name));

    // Org-wide: everyone, with 2FA and SSO flags (only given without team_id). Active and
    // deactivated accounts are two listings.
    let mut summaries: Vec<UserSummary> = Vec::new();
    for is_active in ["true", "false"] {
        let params = [
            ("limit", ADMIN_PAGE.to_string()),
            ("is_active", is_active.to_string()),
        ];
        pages(
            slack,
            SlackMethod::AdminUsersList,
            &params,
            |page: AdminUsersPage| {
                summaries.extend(page.users.into_iter().map(AdminUser::into_summary));
                progress(summaries.len() as u64);
            },
        )
        .await?;
    }

    // Per workspace: the role and guest expiration on each one. A deactivated account is
    // listed with `is_active=false` on the workspaces it belonged to, and so is an active
    // one that was removed from a workspace: only the first kind is a membership, so that
    // every workspace a user is listed on has its own role (a view limited to some
    // workspaces never has to borrow the org-wide one).
    let deactivated: HashMap<&str, &[String]> = summaries
        .iter()
        .filter(|s| s.status == roster_api::UserStatus::Deactivated)
        .map(|s| (s.id.as_str(), s.workspaces.as_slice()))
        .collect();
    let mut memberships: HashMap<String, Vec<Membership>> = HashMap::new();
    for workspace in &workspaces {
        for is_active in ["true", "false"] {
            if is_active == "false" && deactivated.is_empty() {
                continue;
            }
            let params = [
                ("limit", ADMIN_PAGE.to_string()),
                ("team_id", workspace.id.clone()),
                ("is_active", is_active.to_string()),
            ];
            pages(
                slack,
                SlackMethod::AdminUsersList,
                &params,
                |page: AdminUsersPage| {
                    for user in page.users {
                        if is_active == "false"
                            && !deactivated
                                .get(user.id.as_str())
                                .is_some_and(|teams| teams.contains(&workspace.id))
                        {
                            continue;
                        }
                        memberships
                            .entry(user.id.clone())
                            .or_default()
                            .push(Membership {
                                workspace: workspace.id.clone(),
                                role: user.role(),
                                expires: (user.expiration_ts > 0).then_some(user.expiration_ts),
                            });
                    }
                },
            )
            .await?;
        }
    }

    let users = summaries
        .into_iter()
        .map(|s| {
            let m = memberships.remove(&s.id).unwrap_or_default();
            DirUser::new(s, m)
        })
        .collect();
    Ok((users, workspaces))
}

async fn fetch_workspace(
    slack: &SlackClient,
    team_id: &str,
    team_name: &str,
    progress: Progress<'_>,
) -> Result<(Vec<DirUser>, Vec<Workspace>), SlackError> {
    let mut users = Vec::new();
    let params = [("limit", USERS_LIST_PAGE.to_string())];
    pages(
        slack,
        SlackMethod::UsersList,
        &params,
        |page: MembersPage| {
            for member in &page.members {
                if let Some(summary) = summary_from_user_object(member, Some(team_id)) {
                    let role = WorkspaceRole::from(summary.user_type);
                    let summary = UserSummary {
                        workspaces: vec![team_id.to_string()],
                        ..summary
                    };
                    users.push(DirUser::new(
                        summary,
                        vec![Membership {
                            workspace: team_id.to_string(),
                            role,
                            expires: None,
                        }],
                    ));
                }
            }
            progress(users.len() as u64);
        },
    )
    .await?;
    let workspaces = vec![Workspace {
        id: team_id.to_string(),
        name: team_name.to_string(),
    }];
    Ok((users, workspaces))
}
