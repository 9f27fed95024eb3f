//! What one `team_join` or `user_change` does to a person in the directory.
//!
//! Events arrive late, twice and out of order; each carries Slack's user object with its
//! `updated` time, and the directory keeps the `updated` of the state it holds: an older
//! state is dropped, a newer one applied. Two states with the same second cannot be
//! ordered, so the person is read again from Slack. The user object says the org-wide role
//! (the highest of the person's workspaces) and the earliest guest expiration; where that
//! does not tell each workspace's role and expiration, the person is read again too.

use roster_api::{Membership, UserStatus, WorkspaceRole};

use crate::{
    directory::{DirUser, role_of_user, summary_from_user_object},
    slack::methods::SlackUser,
};

/// What to do with an event's user object.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Store this; `reread` when the object leaves a workspace's role or expiration open.
    Apply { user: Box<DirUser>, reread: bool },
    /// The directory holds a newer state already.
    Older,
    /// The directory holds another state of the same second: read the person again.
    Tie,
    /// Nothing changed (a repeat, or only fields Roster does not keep).
    Same,
}

/// The verdict on `incoming` (with `now`, Unix seconds, as the deactivation time when the
/// object does not say) against what the directory holds.
pub fn merge(existing: Option<&DirUser>, incoming: &SlackUser, now: i64) -> Verdict {
    let Some(summary) = summary_from_user_object(incoming, None) else {
        return Verdict::Same;
    };
    let teams: Vec<String> = summary.workspaces.iter().map(|t| t.to_string()).collect();
    let role = role_of_user(incoming);
    // One role everywhere unless the person is an admin or owner somewhere: guests are
    // guests on every workspace, and the flags say so.
    let uniform_role = !matches!(role, WorkspaceRole::Admin | WorkspaceRole::Owner);
    let guest = role.is_guest();
    let expires = incoming.profile.guest_expiration_ts.filter(|t| *t > 0);

    if existing.is_some_and(|old| incoming.updated < old.updated) {
        return Verdict::Older;
    }
    let mut reread = false;
    let mut memberships: Vec<Membership> = Vec::new();
    let kept_teams: Vec<String> = if teams.is_empty() {
        // A deactivated account may list no workspace: it keeps those it had.
        existing
            .map(|o| {
                o.memberships
                    .iter()
                    .map(|m| m.workspace.to_string())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        teams.clone()
    };
    for team in &kept_teams {
        let before = existing.and_then(|o| o.memberships.iter().find(|m| *m.workspace == **team));
        let role_here = if uniform_role || kept_teams.len() == 1 {
            role
        } else {
            // An admin or owner of some workspace: which ones, the object does not say.
            match before {
                Some(m) if m.role == role => m.role,
                _ => {
                    reread = true;
                    before.map_or(role, |m| m.role)
                }
            }
        };
        let expires_here = if !guest {
            None
        } else if kept_teams.len() == 1 {
            expires
        } else {
            // The earliest of several: each workspace's own is read again if it moved.
            let kept = before.and_then(|m| m.expires);
            let earliest_before = existing.and_then(|o| o.summary.expires);
            if earliest_before != expires {
                reread = true;
            }
            kept
        };
        memberships.push(Membership {
            workspace: team.as_str().into(),
            role: role_here,
            expires: expires_here,
        });
    }
    let mut summary = summary;
    // Slack's user object has no creation date: someone new is taken as created when the
    // object last changed (their joining, for a `team_join`).
    summary.created = incoming.updated;
    if let Some(old) = existing {
        summary.created = old.summary.created;
        summary.has_sso = old.summary.has_sso;
        summary.has_2fa = summary.has_2fa.or(old.summary.has_2fa);
        if summary.email.is_none() {
            summary.email = old.summary.email.clone();
        }
    }
    if summary.status == UserStatus::Deactivated {
        summary.deactivated = existing
            .and_then(|o| o.summary.deactivated)
            .or(Some(incoming.updated.max(1)).filter(|t| *t > 0))
            .or(Some(now));
    }
    // The workspaces, the type (the highest role; the flags' when there is no workspace)
    // and the earliest expiration follow the memberships.
    let mut user = DirUser::new(summary, memberships);
    user.rederive();
    user.updated = incoming.updated;

    if let Some(old) = existing {
        let same = same_state(old, &user);
        if incoming.updated == old.updated && old.updated > 0 {
            return if same { Verdict::Same } else { Verdict::Tie };
        }
        if same && !reread {
            // Only the version moves on.
            let mut old = old.clone();
            old.updated = incoming.updated;
            return Verdict::Apply {
                user: Box::new(old),
                reread: false,
            };
        }
    }
    Verdict::Apply {
        user: Box::new(user),
        reread,
    }
}

/// Whether two copies of a person show the same thing.
fn same_state(a: &DirUser, b: &DirUser) -> bool {
    let (x, y) = (&a.summary, &b.summary);
    x.name == y.name
        && x.username == y.username
        && x.email == y.email
        && x.user_type == y.user_type
        && x.status == y.status
        && x.is_primary_owner == y.is_primary_owner
        && x.expires == y.expires
        && a.memberships.len() == b.memberships.len()
        && a.memberships.iter().all(|m| {
            b.memberships
                .iter()
                .any(|n| *n.workspace == *m.workspace && n.role == m.role && n.expires == m.expires)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::methods::{EnterpriseUser, Profile};

    fn object(id: &str, teams: &[&str], updated: i64) -> SlackUser {
        SlackUser {
            id: id.into(),
            name: "pat".into(),
            real_name: Some("Pat Doe".into()),
            profile: Profile {
                email: Some("pat@example.com".into()),
                ..Profile::default()
            },
            enterprise_user: Some(EnterpriseUser {
                teams: teams.iter().map(|t| t.to_string()).collect(),
                ..EnterpriseUser::default()
            }),
            updated,
            ..SlackUser::default()
        }
    }

    fn applied(v: Verdict) -> (DirUser, bool) {
        match v {
            Verdict::Apply { user, reread } => (*user, reread),
            other => panic!("not applied: {other:?}"),
        }
    }

    #[test]
    fn a_new_member_is_added_with_a_role_on_each_workspace() {
        let (user, reread) = applied(merge(None, &object("W1", &["T1", "T2"], 10), 10));
        assert!(!reread);
        assert_eq!(user.memberships.len(), 2);
        assert!(
            user.memberships
                .iter()
                .all(|m| m.role == WorkspaceRole::Member)
        );
        assert_eq!(user.updated, 10);
    }

    #[test]
    fn an_older_state_never_overwrites_a_newer_one() {
        let (current, _) = applied(merge(None, &object("W1", &["T1"], 20), 20));
        let mut old = object("W1", &["T1"], 19);
        old.real_name = Some("Old Name".into());
        assert!(matches!(merge(Some(&current), &old, 21), Verdict::Older));
        assert!(matches!(
            merge(Some(&current), &object("W1", &["T1"], 20), 21),
            Verdict::Same
        ));
        assert!(matches!(
            merge(Some(&current), &old_at(20), 21),
            Verdict::Tie
        ));
    }

    fn old_at(updated: i64) -> SlackUser {
        let mut o = object("W1", &["T1"], updated);
        o.real_name = Some("Another Name".into());
        o
    }

    #[test]
    fn deleted_is_a_deactivation() {
        let (current, _) = applied(merge(None, &object("W1", &["T1"], 20), 20));
        let mut gone = object("W1", &["T1"], 30);
        gone.deleted = true;
        let (user, _) = applied(merge(Some(&current), &gone, 31));
        assert_eq!(user.summary.status, UserStatus::Deactivated);
        assert_eq!(user.summary.deactivated, Some(30));
        assert_eq!(user.memberships.len(), 1);
    }

    #[test]
    fn an_admin_of_several_workspaces_is_read_again() {
        let (current, _) = applied(merge(None, &object("W1", &["T1", "T2"], 20), 20));
        let mut promoted = object("W1", &["T1", "T2"], 30);
        promoted.is_admin = true;
        let (_, reread) = applied(merge(Some(&current), &promoted, 31));
        assert!(
            reread,
            "which workspace made them an admin is not in the object"
        );
        let (single, _) = applied(merge(None, &object("W2", &["T1"], 20), 20));
        let mut promoted = object("W2", &["T1"], 30);
        promoted.is_admin = true;
        let (user, reread) = applied(merge(Some(&single), &promoted, 31));
        assert!(!reread);
        assert_eq!(user.memberships[0].role, WorkspaceRole::Admin);
    }

    #[test]
    fn a_guests_expiration_on_one_workspace_is_taken_as_it_is() {
        let mut guest = object("W3", &["T1"], 20);
        guest.is_restricted = true;
        let (current, _) = applied(merge(None, &guest, 20));
        let mut moved = guest.clone();
        moved.updated = 30;
        moved.profile.guest_expiration_ts = Some(5_000);
        let (user, reread) = applied(merge(Some(&current), &moved, 31));
        assert!(!reread);
        assert_eq!(user.summary.expires, Some(5_000));
        assert_eq!(user.memberships[0].expires, Some(5_000));
    }
}
