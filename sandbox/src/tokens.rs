//! The sandbox's known tokens, each with the powers of a real kind of Slack token.

use std::collections::HashMap;

use crate::org::{Org, OrgRole};

/// User token (`xoxp-`) or bot token (`xoxb-`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    User,
    Bot,
}

/// Where the app that owns the token is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Install {
    /// Installed on the whole Enterprise org (what admin.* methods need).
    Org,
    /// Installed on one workspace.
    Workspace(String),
}

/// What a token may do.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub kind: TokenKind,
    pub install: Install,
    /// The user the token acts as (the bot user for bot tokens).
    pub user_id: String,
    pub scopes: Vec<&'static str>,
    /// A short name for logs and the start-up banner.
    pub label: &'static str,
}

impl TokenInfo {
    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }
}

const USER_READ_SCOPES: &[&str] = &[
    "users:read",
    "users:read.email",
    "users.profile:write",
    "identity.basic",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "conversations:read",
];

const ADMIN_SCOPES: &[&str] = &[
    "admin.analytics:read",
    "admin.users:read",
    "admin.users:write",
    "admin.teams:read",
    "admin.conversations:read",
    "admin.invites:read",
    "admin.invites:write",
    // The SCIM API's scope.
    "admin",
];

/// The sandbox's five known tokens and their powers.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Org-level user token of the primary owner with every admin scope Roster needs.
    pub org_admin: String,
    /// The same scopes and install, for an org admin who is not an owner: what an admin
    /// may not do to owners (`not_an_owner`, `cannot_reset_primary_owner`, SCIM's
    /// `cannot_modify_owner`, …) can be tried with it.
    pub admin: String,
    /// User token installed on a single workspace (no admin scopes).
    pub workspace: String,
    /// Bot token: refused by every admin.* method.
    pub bot: String,
    /// Org-level user token without admin scopes.
    pub no_admin: String,
    by_token: HashMap<String, TokenInfo>,
}

impl Tokens {
    /// The default tokens for `org`; `org_admin` replaces the org-admin token's value.
    pub fn for_org(org: &Org, org_admin: Option<String>) -> Self {
        let owner = org
            .primary_owner()
            .or_else(|| org.users.values().next())
            .map(|u| u.id.clone())
            .unwrap_or_default();
        let member = org
            .users
            .values()
            .find(|u| u.org_role == OrgRole::Regular && u.guest.is_none() && !u.is_bot)
            .map_or_else(|| owner.clone(), |u| u.id.clone());
        let bot = org
            .users
            .values()
            .find(|u| u.is_bot)
            .map_or_else(|| owner.clone(), |u| u.id.clone());
        let first_team = org.teams.first().map(|t| t.id.clone()).unwrap_or_default();
        // The first active org admin; a tiny org may have none, then the primary owner.
        let admin = org
            .users
            .values()
            .find(|u| u.org_role == OrgRole::Admin && !u.is_deactivated() && !u.invited)
            .map_or_else(|| owner.clone(), |u| u.id.clone());

        let tokens = Tokens {
            org_admin: org_admin.unwrap_or_else(|| "xoxp-sandbox-org-admin-0000000000".to_string()),
            admin: "xoxp-sandbox-admin-0000000000".to_string(),
            workspace: "xoxp-sandbox-workspace-0000000000".to_string(),
            bot: "xoxb-sandbox-bot-0000000000".to_string(),
            no_admin: "xoxp-sandbox-no-admin-0000000000".to_string(),
            by_token: HashMap::new(),
        };
        let all_scopes = || {
            let mut s = USER_READ_SCOPES.to_vec();
            s.extend_from_slice(ADMIN_SCOPES);
            s
        };
        let entries = [
            (
                tokens.org_admin.clone(),
                TokenInfo {
                    kind: TokenKind::User,
                    install: Install::Org,
                    user_id: owner.clone(),
                    scopes: all_scopes(),
                    label: "org admin (user token, org-wide install, admin scopes)",
                },
            ),
            (
                tokens.admin.clone(),
                TokenInfo {
                    kind: TokenKind::User,
                    install: Install::Org,
                    user_id: admin,
                    scopes: all_scopes(),
                    label: "org admin, not an owner (user token, org-wide install, admin scopes)",
                },
            ),
            (
                tokens.workspace.clone(),
                TokenInfo {
                    kind: TokenKind::User,
                    install: Install::Workspace(first_team.clone()),
                    user_id: owner,
                    scopes: USER_READ_SCOPES.to_vec(),
                    label: "workspace (user token, one workspace, no admin scopes)",
                },
            ),
            (
                tokens.bot.clone(),
                TokenInfo {
                    kind: TokenKind::Bot,
                    install: Install::Org,
                    user_id: bot,
                    scopes: vec!["users:read", "users:read.email", "channels:read"],
                    label: "bot (bot token)",
                },
            ),
            (
                tokens.no_admin.clone(),
                TokenInfo {
                    kind: TokenKind::User,
                    install: Install::Org,
                    user_id: member,
                    scopes: USER_READ_SCOPES.to_vec(),
                    label: "no admin scopes (user token, org-wide install)",
                },
            ),
        ];
        Tokens {
            by_token: entries.into_iter().collect(),
            ..tokens
        }
    }

    /// The powers of `token`, if it is one of ours.
    pub fn lookup(&self, token: &str) -> Option<&TokenInfo> {
        self.by_token.get(token)
    }

    /// Every token with its label, for the start-up banner.
    pub fn describe(&self) -> Vec<(&'static str, &str)> {
        [
            &self.org_admin,
            &self.admin,
            &self.workspace,
            &self.bot,
            &self.no_admin,
        ]
        .into_iter()
        .map(|t| (self.by_token[t].label, t.as_str()))
        .collect()
    }
}
