//! Channel cells: IDs as they are, names looked up on the row's workspace, once per
//! workspace and name, after the text has stopped changing.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use roster_api::CHANNEL_SEARCH_LIMIT;

use super::cells::{Problem, looks_like_id};
use crate::{api, format, task::Task};

/// How long the text must stay unchanged before channel names are looked up.
const LOOKUP_DELAY: std::time::Duration = std::time::Duration::from_millis(400);

/// A channel name on a workspace: (workspace ID, lower-case name without `#`).
pub type ChannelName = (String, String);

/// What looking up a channel name on a workspace found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(String),
    Missing,
    /// The lookup itself failed (Slack unreachable, no permission): why.
    Failed(String),
}

/// Channel names looked up so far.
pub type Lookups = HashMap<ChannelName, Lookup>;

/// A channels cell: channel IDs (`C0123ABCD`) or names (`#general` or `general`),
/// separated by spaces, semicolons or commas. Names are read from `lookups` for the row's
/// `workspace`; the ones not looked up yet are added to `wanted` and make the row wait.
pub fn channel_ids(
    cell: &str,
    workspace: Option<&str>,
    lookups: &Lookups,
    wanted: &mut Vec<ChannelName>,
) -> Result<Vec<String>, Problem> {
    let mut ids: Vec<String> = Vec::new();
    let (mut missing, mut failed, mut pending, mut bad) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for part in cell
        .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let id = if looks_like_id(part, &['C', 'G']) {
            part.to_string()
        } else {
            let name = format::lowercase(part.strip_prefix('#').unwrap_or(part));
            if name.is_empty() || name.chars().count() > 80 {
                bad.push(part.to_string());
                continue;
            }
            // Without a workspace there is nothing to look the name up in; the
            // workspace's own error says why.
            let Some(workspace) = workspace else {
                continue;
            };
            let key = (workspace.to_string(), name);
            match lookups.get(&key) {
                Some(Lookup::Found(id)) => id.clone(),
                Some(Lookup::Missing) => {
                    missing.push(format!("#{}", key.1));
                    continue;
                }
                Some(Lookup::Failed(why)) => {
                    failed.push(format!("#{}: {why}", key.1));
                    continue;
                }
                None => {
                    pending.push(format!("#{}", key.1));
                    if !wanted.contains(&key) {
                        wanted.push(key);
                    }
                    continue;
                }
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut problems = Vec::new();
    if !bad.is_empty() {
        problems.push(format!("Not channels: {}.", bad.join(", ")));
    }
    if !missing.is_empty() {
        problems.push(format!(
            "No channel called {} on this workspace.",
            missing.join(", ")
        ));
    }
    if !failed.is_empty() {
        problems.push(format!("Could not look up {}.", failed.join("; ")));
    }
    if !problems.is_empty() {
        Err(Problem::Invalid(problems.join(" ")))
    } else if !pending.is_empty() {
        Err(Problem::Pending(format!(
            "Looking up {}…",
            pending.join(", ")
        )))
    } else {
        Ok(ids)
    }
}

/// Asks the proxy for the channels of `workspace` named like `name`, and picks the one
/// named exactly that.
async fn look_up((workspace, name): &ChannelName) -> Lookup {
    match api::channels(workspace, name).await {
        Ok(list) => {
            let full = list.len() >= CHANNEL_SEARCH_LIMIT;
            match list
                .into_iter()
                .find(|c| format::lowercase(&c.name) == *name)
            {
                Some(c) => Lookup::Found(c.id),
                // The answer may have left the exact name out.
                None if full => {
                    Lookup::Failed("many channels have similar names; use its ID (C…)".into())
                }
                None => Lookup::Missing,
            }
        }
        Err(e) => Lookup::Failed(e.to_string()),
    }
}

/// Looks up the channel names `wanted` lists into `lookups`, each once, when `wanted` has
/// stopped changing for [`LOOKUP_DELAY`] (typing a name must not look up every prefix of
/// it).
pub fn look_up_channels(
    wanted: impl Fn() -> Vec<ChannelName> + 'static,
    lookups: RwSignal<Lookups>,
) {
    // The name to look up next, handed to `lookup` as it starts: each name is its own
    // request, so the rows fill in as the answers come.
    let next = StoredValue::new(None::<ChannelName>);
    let lookup = Task::new(move || {
        let key = next.try_update_value(Option::take).flatten();
        async move {
            if let Some(key) = key {
                let found = look_up(&key).await;
                lookups.try_update(|l| {
                    l.insert(key, found);
                });
            }
            Ok(())
        }
    });
    let asked = StoredValue::new(HashSet::<ChannelName>::new());
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let wanted = wanted();
        let waiting = !wanted.is_empty();
        if let Some(previous) = timer.get_value() {
            previous.clear();
        }
        let ask = move || {
            for key in wanted {
                if asked.try_update_value(|a| a.insert(key.clone())) == Some(true) {
                    next.set_value(Some(key));
                    lookup.start();
                }
            }
        };
        let next = waiting
            .then(|| set_timeout_with_handle(ask, LOOKUP_DELAY).ok())
            .flatten();
        timer.set_value(next);
    });
    on_cleanup(move || {
        if let Some(timer) = timer.try_get_value().flatten() {
            timer.clear();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_channel_ids() {
        let none = Lookups::new();
        let mut wanted = Vec::new();
        assert_eq!(
            channel_ids("C01; C02 C01,G03", Some("T1ENG"), &none, &mut wanted),
            Ok(strings(&["C01", "C02", "G03"]))
        );
        assert!(wanted.is_empty());
        assert!(matches!(
            channel_ids("#general", Some("T1ENG"), &none, &mut wanted),
            Err(Problem::Pending(_))
        ));
        assert_eq!(wanted, [("T1ENG".to_string(), "general".to_string())]);
        assert_eq!(
            channel_ids("#general", None, &none, &mut Vec::new()),
            Ok(vec![]),
            "no workspace: its own error speaks"
        );
    }

    #[test]
    fn looks_channel_names_up_on_the_rows_workspace() {
        let key = |w: &str, n: &str| (w.to_string(), n.to_string());
        let lookups: Lookups = [
            (key("T1ENG", "general"), Lookup::Found("C9GEN".into())),
            (key("T1ENG", "gone"), Lookup::Missing),
            (key("T2OPS", "general"), Lookup::Found("C8OPS".into())),
            (
                key("T2OPS", "secret"),
                Lookup::Failed("Not allowed.".into()),
            ),
        ]
        .into();
        let mut wanted = Vec::new();
        let mut ids = |cell: &str, w: &str| channel_ids(cell, Some(w), &lookups, &mut wanted);
        assert_eq!(ids("#General C01", "T1ENG"), Ok(strings(&["C9GEN", "C01"])));
        assert_eq!(ids("general", "T2OPS"), Ok(strings(&["C8OPS"])));
        let Err(Problem::Invalid(e)) = ids("#gone; #general", "T1ENG") else {
            panic!("a missing channel is an error");
        };
        assert!(e.contains("No channel called #gone"), "{e}");
        let Err(Problem::Invalid(e)) = ids("#secret", "T2OPS") else {
            panic!("a failed lookup is an error");
        };
        assert!(e.contains("#secret: Not allowed."), "{e}");
        assert!(wanted.is_empty());
    }
}
