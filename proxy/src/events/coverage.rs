//! Which workspaces send Slack's events. An org-wide app is added to no workspace when it
//! is installed; an admin adds it to each one, and only those send events. Roster asks
//! Slack (`auth.teams.list`) at start and every hour, and follows `team_access_granted`
//! and `team_access_revoked` in between. Changes on the other workspaces show after the
//! next full sync, which runs at the regular pace while any workspace is silent.

use std::{collections::BTreeSet, sync::Mutex, time::Duration};

use roster_api::Workspace;

use crate::slack::{
    SlackClient, SlackError,
    methods::{AuthTeamsList, AuthTeamsPage},
};

/// How often Slack is asked again (besides the events that say so).
pub const CHECK_EVERY: Duration = Duration::from_secs(3600);

/// The workspaces Roster's app is added to, as far as Roster knows.
#[derive(Debug, Default)]
pub struct Coverage {
    /// `None` until Slack has answered.
    added: Mutex<Option<BTreeSet<String>>>,
}

impl Coverage {
    /// Asks Slack which workspaces the app is added to.
    pub async fn check(&self, slack: &SlackClient) -> Result<(), SlackError> {
        let mut added = BTreeSet::new();
        let listing = AuthTeamsList {
            limit: 1000,
            cursor: None,
        };
        slack
            .each_page(listing, |page: AuthTeamsPage| {
                added.extend(page.teams.into_iter().filter_map(|t| t.id));
            })
            .await?;
        *self.added.lock().unwrap() = Some(added);
        Ok(())
    }

    /// `team_access_granted` (`granted`) or `team_access_revoked` for `teams`.
    pub fn follow(&self, teams: &[String], granted: bool) {
        let mut added = self.added.lock().unwrap();
        let Some(added) = added.as_mut() else {
            // Not known yet: the check in progress (or the next) tells the whole list.
            return;
        };
        for team in teams {
            if granted {
                added.insert(team.clone());
            } else {
                added.remove(team);
            }
        }
    }

    /// Of `workspaces`, those that send no events (empty while that is not known).
    pub fn silent<'w>(&self, workspaces: &'w [Workspace]) -> Vec<&'w Workspace> {
        let added = self.added.lock().unwrap();
        let Some(added) = added.as_ref() else {
            return Vec::new();
        };
        workspaces
            .iter()
            .filter(|w| !added.contains(&w.id))
            .collect()
    }

    /// Whether every one of `workspaces` is known to send events.
    pub fn covers_all(&self, workspaces: &[Workspace]) -> bool {
        self.known() && self.silent(workspaces).is_empty()
    }

    /// Whether Slack has answered which workspaces send events.
    pub fn known(&self) -> bool {
        self.added.lock().unwrap().is_some()
    }
}

/// The sentence `roster serve` logs and the console shows to org admins.
pub fn describe(silent: &[&Workspace], of: usize) -> String {
    if silent.is_empty() {
        return format!("Slack sends events from all {of} workspaces.");
    }
    let names: Vec<String> = silent
        .iter()
        .map(|w| format!("{} ({})", w.name, w.id))
        .collect();
    format!(
        "Slack sends events from {} of {of} workspaces; none from {}. Changes there show after \
         the next full sync until Roster's app is added to them (Slack's admin pages: \
         Integrations, Installed apps, Roster, Add to workspaces).",
        of - silent.len(),
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(id: &str, name: &str) -> Workspace {
        Workspace {
            id: id.into(),
            name: name.into(),
        }
    }

    #[test]
    fn silent_workspaces_follow_grants_once_known() {
        let all = vec![ws("T1", "Sales"), ws("T2", "Support"), ws("T3", "Labs")];
        let coverage = Coverage::default();
        // Unknown: nothing is claimed either way.
        assert!(coverage.silent(&all).is_empty());
        assert!(!coverage.covers_all(&all));
        coverage.follow(&["T1".into()], true);
        assert!(
            !coverage.known(),
            "an event alone does not tell the whole list"
        );

        *coverage.added.lock().unwrap() = Some(["T1".to_string()].into());
        let silent: Vec<&str> = coverage
            .silent(&all)
            .iter()
            .map(|w| w.id.as_str())
            .collect();
        assert_eq!(silent, ["T2", "T3"]);
        coverage.follow(&["T2".into(), "T3".into()], true);
        assert!(coverage.covers_all(&all));
        coverage.follow(&["T1".into()], false);
        let silent = coverage.silent(&all);
        assert_eq!(
            describe(&silent, all.len()),
            "Slack sends events from 2 of 3 workspaces; none from Sales (T1). Changes there \
             show after the next full sync until Roster's app is added to them (Slack's admin \
             pages: Integrations, Installed apps, Roster, Add to workspaces)."
        );
        assert_eq!(
            describe(&[], 3),
            "Slack sends events from all 3 workspaces."
        );
    }
}
