//! Seats: who holds one and does not use Slack, from Slack's member analytics
//! (`admin.analytics.getFile`, one file a day, 13 months kept).
//!
//! [`Seats::run`] reads the days Slack keeps, newest first, then each new day once Slack
//! publishes it. Each day is recorded with what it said in one transaction, so a restart
//! goes on from the days not recorded yet and never reads a recorded day again; with
//! several replicas only the one that syncs the directory reads files, and the others
//! load what it recorded. What Roster keeps per person is small ([`Activity`]): the last
//! day active per workspace and on which clients, and whether they hold a billable seat.

pub mod file;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use crate::{
    directory::unix_now,
    slack::{SlackClient, SlackError},
    store::{ActivityRow, ActivityStore, CountRow},
};

/// Days Slack keeps: a rolling 13 months.
pub const KEPT_DAYS: i64 = 395;
const DAY: i64 = 86_400;
/// How often Roster looks for a newly published day (and loads another replica's days).
const CHECK_EVERY: Duration = Duration::from_secs(3600);
/// How often a replica that does not read the files loads what the one that does recorded.
const FOLLOW_EVERY: Duration = Duration::from_secs(300);
/// After a failure that may pass (Slack unreachable, the storage away).
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// One person on one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// The first day read that lists them (Unix day).
    pub first_seen: i64,
    /// Unix day; `None`: not active on any day read.
    pub last_active: Option<i64>,
    /// On that day: [`file::DESKTOP`] | [`file::IOS`] | [`file::ANDROID`].
    pub clients: u8,
    /// The newest day read that lists them, and what it said of their seat.
    pub seat_day: i64,
    pub billable: bool,
    pub guest: bool,
}

impl Activity {
    /// Before any day has listed them.
    pub const UNSEEN: Activity = Activity {
        first_seen: i64::MAX,
        last_active: None,
        clients: 0,
        seat_day: i64::MIN,
        billable: false,
        guest: false,
    };

    /// Folds in `day`'s word on them (days arrive in any order).
    fn merge(&mut self, day: i64, said: &file::PersonDay) {
        self.first_seen = self.first_seen.min(day);
        if said.active && self.last_active.is_none_or(|d| day > d) {
            self.last_active = Some(day);
            self.clients = said.clients;
        }
        if day > self.seat_day {
            self.seat_day = day;
            self.billable = said.billable;
            self.guest = said.guest;
        }
    }
}

/// Where reading Slack's files stands, for the status page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Days recorded, of the days Slack keeps.
    pub days_read: usize,
    pub days_kept: usize,
    /// The newest day recorded (Unix day).
    pub newest: Option<i64>,
    /// A file is being read now.
    pub reading: bool,
    /// Why files cannot be read, in words (Slack's code kept at the end).
    pub error: Option<String>,
    /// Slack has nothing before this day (the org got analytics later).
    pub floor: Option<i64>,
}

/// Slack's member analytics as Roster holds them.
#[derive(Debug)]
pub struct Seats {
    store: Arc<dyn ActivityStore>,
    /// By user, then workspace.
    people: RwLock<HashMap<String, BTreeMap<String, Activity>>>,
    /// By day, then workspace (`""`: the org).
    counts: RwLock<BTreeMap<i64, BTreeMap<String, file::DayCounts>>>,
    days: Mutex<BTreeSet<i64>>,
    progress: Mutex<Progress>,
}

impl Seats {
    /// What `store` holds, loaded.
    pub async fn load(store: Arc<dyn ActivityStore>) -> Result<Arc<Self>, sqlx::Error> {
        let seats = Arc::new(Seats {
            store,
            people: RwLock::default(),
            counts: RwLock::default(),
            days: Mutex::default(),
            progress: Mutex::new(Progress {
                days_kept: KEPT_DAYS as usize,
                ..Progress::default()
            }),
        });
        seats.reload().await?;
        Ok(seats)
    }

    /// Loads what the store holds (another replica may have recorded days).
    async fn reload(&self) -> Result<(), sqlx::Error> {
        let days = self.store.days_read().await?;
        if days.len() == self.days.lock().unwrap().len() {
            return Ok(());
        }
        let rows = self.store.people().await?;
        let counts = self.store.counts().await?;
        let mut people: HashMap<String, BTreeMap<String, Activity>> = HashMap::new();
        for ActivityRow {
            user_id,
            team_id,
            first_seen,
            last_active,
            clients,
            seat_day,
            billable,
            guest,
        } in rows
        {
            people.entry(user_id).or_default().insert(
                team_id,
                Activity {
                    first_seen,
                    last_active,
                    clients: clients as u8,
                    seat_day,
                    billable,
                    guest,
                },
            );
        }
        let mut by_day: BTreeMap<i64, BTreeMap<String, file::DayCounts>> = BTreeMap::new();
        for CountRow {
            day,
            team_id,
            active,
            billable,
        } in counts
        {
            by_day.entry(day).or_default().insert(
                team_id,
                file::DayCounts {
                    active: active as u32,
                    billable: billable as u32,
                },
            );
        }
        *self.people.write().unwrap() = people;
        *self.counts.write().unwrap() = by_day;
        let days: BTreeSet<i64> = days.into_iter().collect();
        let mut progress = self.progress.lock().unwrap();
        progress.days_read = days.len();
        progress.newest = days.last().copied();
        *self.days.lock().unwrap() = days;
        Ok(())
    }

    /// Folds a day just recorded into what is held.
    fn absorb(&self, day: i64, digest: &file::DayDigest) {
        {
            let mut people = self.people.write().unwrap();
            for ((user, team), said) in &digest.people {
                people
                    .entry(user.clone())
                    .or_default()
                    .entry(team.clone())
                    .or_insert(Activity::UNSEEN)
                    .merge(day, said);
            }
        }
        let mut counts: BTreeMap<String, file::DayCounts> = digest.workspaces.clone();
        counts.insert(String::new(), digest.org);
        self.counts.write().unwrap().insert(day, counts);
        let mut days = self.days.lock().unwrap();
        days.insert(day);
        let mut progress = self.progress.lock().unwrap();
        progress.days_read = days.len();
        progress.newest = days.last().copied();
    }

    /// Where reading stands.
    pub fn progress(&self) -> Progress {
        self.progress.lock().unwrap().clone()
    }

    /// `user`'s activity per workspace.
    pub fn of(&self, user: &str) -> Option<BTreeMap<String, Activity>> {
        self.people.read().unwrap().get(user).cloned()
    }

    /// Whether any day has been read.
    pub fn has_data(&self) -> bool {
        !self.days.lock().unwrap().is_empty()
    }

    /// `user`'s last active day on the workspaces `counts` accepts; `None`: not active on
    /// them in any day read.
    pub fn last_active(&self, user: &str, counts: impl Fn(&str) -> bool) -> Option<i64> {
        self.people
            .read()
            .unwrap()
            .get(user)?
            .iter()
            .filter(|(team, _)| counts(team))
            .filter_map(|(_, a)| a.last_active)
            .max()
    }

    /// The people Slack's files have listed since `since` or before on a workspace `counts`
    /// accepts, and who were not active on it since: inactive since `since`.
    pub fn inactive_since(
        &self,
        since: i64,
        counts: impl Fn(&str) -> bool,
    ) -> std::collections::HashSet<String> {
        self.people
            .read()
            .unwrap()
            .iter()
            .filter(|(_, teams)| {
                let counted = || {
                    teams
                        .iter()
                        .filter(|(team, _)| counts(team))
                        .map(|(_, a)| a)
                };
                counted().any(|a| a.first_seen <= since)
                    && counted().all(|a| a.last_active.is_none_or(|d| d < since))
            })
            .map(|(user, _)| user.clone())
            .collect()
    }

    /// Reads what Slack keeps and then each new day, while `leads()` (this replica reads
    /// for all); otherwise loads what the one that leads recorded.
    pub async fn run(self: Arc<Self>, slack: SlackClient, leads: impl Fn() -> bool) {
        loop {
            let wait = if leads() {
                self.read_days(&slack).await
            } else {
                if let Err(e) = self.reload().await {
                    tracing::debug!(error = %e, "cannot load the recorded analytics days");
                }
                FOLLOW_EVERY
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Reads every day Slack keeps that is not recorded yet, newest first; how long to
    /// wait before looking again.
    async fn read_days(&self, slack: &SlackClient) -> Duration {
        let today = unix_now() / DAY;
        let floor = self.progress.lock().unwrap().floor;
        let oldest = (today - KEPT_DAYS).max(floor.unwrap_or(i64::MIN));
        let wanted: Vec<i64> = {
            let days = self.days.lock().unwrap();
            (oldest..today)
                .rev()
                .filter(|d| !days.contains(d))
                .collect()
        };
        for day in wanted {
            let date = format_day(day);
            self.progress.lock().unwrap().reading = true;
            let read = slack.member_file(&date).await;
            self.progress.lock().unwrap().reading = false;
            match read {
                Ok(digest) => match self.store.record_day(day, unix_now(), &digest).await {
                    Ok(_) => {
                        self.absorb(day, &digest);
                        self.progress.lock().unwrap().error = None;
                        tracing::debug!(date = %date, people = digest.people.len(), "analytics day read");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, date = %date, "cannot record an analytics day");
                        return RETRY_AFTER;
                    }
                },
                // The newest days are published later: looked for again next time.
                Err(SlackError::Api { code, .. }) if code == "file_not_yet_available" => {}
                Err(SlackError::Api { code, .. }) if code == "data_not_available" => {
                    // Nothing older either (the org got analytics after this day).
                    self.progress.lock().unwrap().floor = Some(day + 1);
                    break;
                }
                Err(e) => {
                    let words = in_words(&e);
                    tracing::warn!(error = %e, "cannot read Slack's member analytics");
                    self.progress.lock().unwrap().error = Some(words);
                    return match e {
                        SlackError::Api { .. } => CHECK_EVERY,
                        _ => RETRY_AFTER,
                    };
                }
            }
        }
        CHECK_EVERY
    }
}

/// Why the files cannot be read, in words for the status page (Slack's code kept).
pub fn in_words(e: &SlackError) -> String {
    let SlackError::Api { code, .. } = e else {
        return format!("Slack's member analytics could not be read: {e}");
    };
    let why = match code.as_str() {
        "org_level_email_display_disabled" => {
            "Slack does not give member analytics while the org hides members' email \
             addresses. An org owner can show them in Slack's admin pages (Settings, \
             Security, Email display)."
        }
        "member_analytics_disabled" => {
            "Member analytics are turned off for the org. An org owner can turn them on in \
             Slack's admin pages (Analytics)."
        }
        "feature_not_available" => {
            "The org's Slack plan has no member analytics (they come with Business+ and \
             Enterprise plans)."
        }
        "feature_not_enabled" => "Slack's admin API is not turned on for the org.",
        "not_an_admin" | "missing_scope" | "not_allowed_token_type" => {
            "Roster's Slack token cannot read member analytics: it needs an org admin's \
             token with the admin.analytics:read scope."
        }
        _ => "Slack refused to give member analytics.",
    };
    format!("{why} ({code})")
}

/// `YYYY-MM-DD` of a Unix day.
pub fn format_day(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_as_slack_dates() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(19_782), "2024-02-29");
        assert_eq!(format_day(20_795), "2026-12-08");
    }

    #[test]
    fn a_later_day_wins_whatever_order_days_arrive_in() {
        let mut a = Activity::UNSEEN;
        let active = |clients| file::PersonDay {
            active: true,
            clients,
            billable: true,
            guest: false,
        };
        a.merge(10, &active(file::IOS));
        a.merge(5, &active(file::DESKTOP));
        a.merge(
            12,
            &file::PersonDay {
                active: false,
                clients: 0,
                billable: false,
                guest: true,
            },
        );
        assert_eq!(a.last_active, Some(10));
        assert_eq!(a.first_seen, 5);
        assert_eq!(a.clients, file::IOS);
        assert_eq!((a.seat_day, a.billable, a.guest), (12, false, true));
    }
}
