//! Fetching the whole org from Slack: with an org admin token through `admin.users.list`
//! (org-wide, then per workspace for each workspace's roles and expirations); with a
//! workspace token through `users.list` (read-only mode).

use std::collections::HashMap;

use roster_api::{Membership, TeamId, UserSummary, Workspace, WorkspaceRole};

use super::{DirUser, Teams, fold, status_of};
use crate::slack::{
    SlackClient, SlackError,
    methods::{
        AdminTeamsList, AdminUser, AdminUsersList, AdminUsersPage, MembersPage, SlackUser,
        TeamsPage, UsersList,
    },
};

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

/// The role an `admin.users.list` row describes.
fn role_of(user: &AdminUser) -> WorkspaceRole {
    role_from_flags(
        user.is_bot,
        user.is_owner || user.is_primary_owner,
        user.is_admin,
        user.is_ultra_restricted,
        user.is_restricted,
    )
}

/// The summary an `admin.users.list` row describes.
fn summary_of(user: AdminUser, teams: &mut Teams) -> UserSummary {
    UserSummary {
        user_type: role_of(&user).into(),
        name: if user.full_name.is_empty() {
            user.username.clone()
        } else {
            user.full_name
        },
        username: user.username,
        email: (!user.email.is_empty()).then_some(user.email),
        is_primary_owner: user.is_primary_owner,
        status: status_of(user.is_active, user.is_invited_user),
        workspaces: user.workspaces.iter().map(|t| teams.get(t)).collect(),
        has_2fa: user.has_2fa,
        has_sso: user.has_sso,
        created: user.date_created,
        expires: (user.expiration_ts > 0).then_some(user.expiration_ts),
        deactivated: (user.deactivated_ts > 0).then_some(user.deactivated_ts),
        last_active: None,
        id: user.id,
    }
}

/// The role Slack's user object describes (on the workspace or org it was read from).
pub fn role_of_user(user: &SlackUser) -> WorkspaceRole {
    role_from_flags(
        user.is_bot || user.is_app_user,
        user.is_owner || user.is_primary_owner,
        user.is_admin,
        user.is_ultra_restricted,
        user.is_restricted,
    )
}

/// A user from `users.info`, `users.list` or `users.lookupByEmail` (Slack's user object);
/// `team` is the workspace it was read on, when it does not list its workspaces.
pub fn summary_from_user_object(user: &SlackUser, team: Option<&str>) -> Option<UserSummary> {
    if user.id.is_empty() {
        return None;
    }
    let name = user.real_name.clone().unwrap_or_default();
    let workspaces = match &user.enterprise_user {
        Some(e) => e.teams.iter().map(|t| t.as_str().into()).collect(),
        None => team.map(|t| vec![t.into()]).unwrap_or_default(),
    };
    Some(UserSummary {
        name: if name.is_empty() {
            user.name.clone()
        } else {
            name
        },
        username: user.name.clone(),
        email: user.profile.email.clone().filter(|e| !e.is_empty()),
        user_type: role_of_user(user).into(),
        is_primary_owner: user.is_primary_owner,
        status: status_of(!user.deleted, user.is_invited_user),
        workspaces,
        has_2fa: user.has_2fa,
        has_sso: None,
        created: 0,
        expires: None,
        deactivated: None,
        last_active: None,
        id: user.id.clone(),
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

async fn fetch_admin(
    slack: &SlackClient,
    progress: Progress<'_>,
) -> Result<(Vec<DirUser>, Vec<Workspace>), SlackError> {
    let mut workspaces = Vec::new();
    let teams = AdminTeamsList {
        limit: 1000,
        cursor: None,
    };
    slack
        .each_page(teams, |page: TeamsPage| {
            workspaces.extend(page.teams.into_iter().filter_map(|t| {
                Some(Workspace {
                    id: t.id?,
                    name: t.name?,
                })
            }));
        })
        .await?;
    workspaces.sort_by_key(|w| fold(&w.name));

    // Org-wide: everyone, with 2FA and SSO flags (only given without team_id). Active and
    // deactivated accounts are two listings. Each workspace ID is one shared allocation.
    let mut teams = Teams::default();
    let mut summaries: Vec<UserSummary> = Vec::new();
    for is_active in [true, false] {
        let listing = AdminUsersList {
            limit: ADMIN_PAGE,
            cursor: None,
            team_id: None,
            is_active: Some(is_active),
        };
        slack
            .each_page(listing, |page: AdminUsersPage| {
                summaries.extend(page.users.into_iter().map(|u| summary_of(u, &mut teams)));
                progress(summaries.len() as u64);
            })
            .await?;
    }

    // Per workspace: the role and guest expiration on each one. A deactivated account is
    // listed with `is_active=false` on the workspaces it belonged to, and so is an active
    // one that was removed from a workspace: only the first kind is a membership, so that
    // every workspace a user is listed on has its own role (a view limited to some
    // workspaces never has to borrow the org-wide one). Someone a workspace lists but the
    // org-wide listing did not is not in the directory, nor are their memberships.
    let position: HashMap<&str, u32> = summaries
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i as u32))
        .collect();
    let deactivated: HashMap<&str, &[TeamId]> = summaries
        .iter()
        .filter(|s| s.status == roster_api::UserStatus::Deactivated)
        .map(|s| (s.id.as_str(), s.workspaces.as_slice()))
        .collect();
    // (user, membership), gathered flat and handed out once, so each user's list is
    // allocated at its exact length.
    let mut seats: Vec<(u32, Membership)> = Vec::new();
    for workspace in &workspaces {
        let team = teams.get(&workspace.id);
        for is_active in [true, false] {
            if !is_active && deactivated.is_empty() {
                continue;
            }
            let listing = AdminUsersList {
                limit: ADMIN_PAGE,
                cursor: None,
                team_id: Some(workspace.id.clone()),
                is_active: Some(is_active),
            };
            slack
                .each_page(listing, |page: AdminUsersPage| {
                    for user in page.users {
                        let Some(&at) = position.get(user.id.as_str()) else {
                            continue;
                        };
                        if !is_active
                            && !deactivated
                                .get(user.id.as_str())
                                .is_some_and(|listed| listed.contains(&team))
                        {
                            continue;
                        }
                        seats.push((
                            at,
                            Membership {
                                workspace: team.clone(),
                                role: role_of(&user),
                                expires: (user.expiration_ts > 0).then_some(user.expiration_ts),
                            },
                        ));
                    }
                })
                .await?;
        }
    }
    drop((position, deactivated));
    // Stable: each user's memberships stay in the order their workspaces were listed.
    seats.sort_by_key(|(at, _)| *at);
    let mut runs = seats.chunk_by(|a, b| a.0 == b.0).peekable();
    let users = summaries
        .into_iter()
        .enumerate()
        .map(|(i, summary)| {
            let mine = runs
                .next_if(|run| run[0].0 as usize == i)
                .map(|run| run.iter().map(|(_, m)| m.clone()).collect())
                .unwrap_or_default();
            DirUser::new(summary, mine)
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
    let team = TeamId::from(team_id);
    let listing = UsersList {
        limit: USERS_LIST_PAGE,
        cursor: None,
    };
    slack
        .each_page(listing, |page: MembersPage| {
            for member in &page.members {
                if let Some(summary) = summary_from_user_object(member, Some(team_id)) {
                    let role = WorkspaceRole::from(summary.user_type);
                    let summary = UserSummary {
                        workspaces: vec![team.clone()],
                        ..summary
                    };
                    users.push(DirUser::new(
                        summary,
                        vec![Membership {
                            workspace: team.clone(),
                            role,
                            expires: None,
                        }],
                    ));
                }
            }
            progress(users.len() as u64);
        })
        .await?;
    let workspaces = vec![Workspace {
        id: team_id.to_string(),
        name: team_name.to_string(),
    }];
    Ok((users, workspaces))
}
