//! What changes in the sandbox's org become: the events Slack would send for them (see
//! [`crate::events`] for how they are delivered).

use serde_json::{Value, json};

use crate::{
    events::{Bus, event_ts},
    org::{InviteRequest, Org, UserView},
};

impl Bus {
    /// Adds the app to `teams` of the org, or takes it off, and sends
    /// `team_access_granted` or `team_access_revoked`.
    pub fn grant(&self, org: &mut Org, teams: &[String], granted: bool) {
        let mut now = org
            .app_teams
            .clone()
            .unwrap_or_else(|| org.teams.iter().map(|t| t.id.clone()).collect());
        for team in teams {
            if granted {
                now.insert(team.clone());
            } else {
                now.remove(team);
            }
        }
        org.app_teams = Some(now);
        let kind = if granted {
            "team_access_granted"
        } else {
            "team_access_revoked"
        };
        let event = json!({"type": kind, "team_ids": teams, "event_ts": event_ts()});
        let body = self.envelope(org, None, event);
        self.enqueue(body);
    }

    /// Someone asked for an invitation: `invite_requested`, when the app subscribes to it
    /// and is added to the request's workspace.
    pub fn invite_requested(&self, org: &Org, request: &InviteRequest) {
        if !self.config().invite_requested || !org.app_on(&request.team_id) {
            return;
        }
        let Some(team) = org.team(&request.team_id) else {
            return;
        };
        let mut object = request.object();
        object["team"] = json!({"id": team.id, "name": team.name, "domain": team.domain});
        let event = json!({
            "type": "invite_requested",
            "invite_request": object,
            "event_ts": event_ts(),
        });
        let body = self.envelope(org, Some(&request.team_id), event);
        self.enqueue(body);
    }

    /// Makes and queues the events for the users `org` marked as touched.
    pub fn publish_touched(&self, org: &mut Org, avatar_base: &str) {
        if org.touched.is_empty() {
            return;
        }
        let touched = std::mem::take(&mut org.touched);
        let org = &*org;
        let on_granted =
            |teams: &[String]| org.app_teams.is_none() || teams.iter().any(|t| org.app_on(t));
        for (id, before) in touched {
            let Some(user) = org.users.get(&id) else {
                continue;
            };
            let now: Vec<String> = user.active_teams().map(str::to_string).collect();
            let before_teams = before.clone().unwrap_or_default();
            if !on_granted(&now) && !on_granted(&before_teams) {
                continue;
            }
            let object = user.object(
                org,
                UserView {
                    team: None,
                    admin_viewer: true,
                    include_locale: true,
                    avatar_base,
                },
            );
            let joined: Vec<&String> = now
                .iter()
                .filter(|t| !before_teams.contains(t) && on_granted(std::slice::from_ref(t)))
                .collect();
            let events: Vec<(Option<&str>, Value)> = if joined.is_empty() {
                let team = now.first().or(before_teams.first()).map(String::as_str);
                vec![(
                    team,
                    json!({
                        "type": "user_change",
                        "user": object,
                        "cache_ts": crate::unix_now(),
                        "event_ts": event_ts(),
                    }),
                )]
            } else {
                joined
                    .into_iter()
                    .map(|team| {
                        let mut object = object.clone();
                        object["team_id"] = json!(team);
                        (
                            Some(team.as_str()),
                            json!({"type": "team_join", "user": object, "event_ts": event_ts()}),
                        )
                    })
                    .collect()
            };
            for (team, event) in events {
                let body = self.envelope(org, team, event);
                self.enqueue(body);
            }
        }
    }
}
