//! Prometheus metrics: `GET /metrics`.

use std::sync::atomic::AtomicU64;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SlackLabels {
    method: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

/// Who may read `GET /metrics`: it counts the org's users and Roster's activity, which is
/// not for everyone who can reach Roster (people pass an identity-aware proxy; `/metrics`
/// sits outside sign-in so that Prometheus can scrape it).
#[derive(Debug, Clone)]
pub enum MetricsAccess {
    /// Anyone (the loopback demo).
    Open,
    /// Whoever sends `Authorization: Bearer <token>` (Prometheus' `bearer_token_file`).
    Bearer(std::sync::Arc<[u8]>),
    /// Nobody: no `[metrics] token_file` is configured.
    Off,
}

/// What the gauges read at a scrape.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    pub users: usize,
    pub age_seconds: Option<i64>,
    pub sync_running: bool,
    pub storage_writable: bool,
    pub outcomes_waiting: usize,
    /// This replica syncs the directory for all (always, with one process).
    pub leader: bool,
    /// Jobs this replica runs under their leases.
    pub job_leases: usize,
    /// Slack calls waiting for their turn in a lane.
    pub calls_waiting: usize,
    /// How long the database took to answer a query just now; `None`: it did not.
    pub database_seconds: Option<f64>,
    /// Slack's events: 1 live, 0 paused, -1 not configured.
    pub events_live: i64,
    pub events_sockets: u64,
    pub events_applied: u64,
    pub events_reconnects: u64,
    /// Milliseconds from the last event's time to its being applied.
    pub events_lag_ms: i64,
    /// Workspaces that send no events (Roster's app is not added to them).
    pub events_silent_workspaces: usize,
}

/// Every metric Roster exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    slack_calls: Family<SlackLabels, Counter>,
    slack_rate_limited: Family<MethodLabels, Counter>,
    slack_wait_seconds: Family<MethodLabels, Counter<f64, AtomicU64>>,
    snapshot_users: Gauge,
    snapshot_age_seconds: Gauge,
    sync_running: Gauge,
    storage_writable: Gauge,
    outcomes_waiting: Gauge,
    leader: Gauge,
    job_leases: Gauge,
    calls_waiting: Gauge,
    database_seconds: Gauge<f64, AtomicU64>,
    events_refused: Family<ReasonLabels, Counter>,
    events_live: Gauge,
    events_sockets: Gauge,
    events_applied: Gauge,
    events_reconnects: Gauge,
    events_lag_seconds: Gauge<f64, AtomicU64>,
    events_silent_workspaces: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("roster");
        let requests = Family::<RouteLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let slack_calls = Family::<SlackLabels, Counter>::default();
        registry.register(
            "slack_calls",
            "Slack Web API calls by method and outcome",
            slack_calls.clone(),
        );
        let slack_rate_limited = Family::<MethodLabels, Counter>::default();
        registry.register(
            "slack_rate_limited",
            "HTTP 429 answers from Slack",
            slack_rate_limited.clone(),
        );
        let slack_wait_seconds = Family::<MethodLabels, Counter<f64, AtomicU64>>::default();
        registry.register(
            "slack_wait_seconds",
            "Time spent waiting for rate limits and retries before Slack calls",
            slack_wait_seconds.clone(),
        );
        let snapshot_users = Gauge::default();
        registry.register(
            "directory_users",
            "Users in the directory snapshot",
            snapshot_users.clone(),
        );
        let snapshot_age_seconds = Gauge::default();
        registry.register(
            "directory_age_seconds",
            "Seconds since the directory snapshot was completed (-1: none yet)",
            snapshot_age_seconds.clone(),
        );
        let sync_running = Gauge::default();
        registry.register(
            "directory_sync_running",
            "1 while a directory sync runs",
            sync_running.clone(),
        );
        let storage_writable = Gauge::default();
        registry.register(
            "storage_writable",
            "1 while Roster can write its database (0: changes are refused)",
            storage_writable.clone(),
        );
        let outcomes_waiting = Gauge::default();
        registry.register(
            "audit_outcomes_waiting",
            "Outcomes of changes Slack made that wait to be written to the audit log",
            outcomes_waiting.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "replica_leader",
            "1 while this replica syncs the directory for all",
            leader.clone(),
        );
        let job_leases = Gauge::default();
        registry.register(
            "job_leases_held",
            "Jobs this replica runs under their leases",
            job_leases.clone(),
        );
        let calls_waiting = Gauge::default();
        registry.register(
            "slack_calls_waiting",
            "Slack calls waiting for their turn in a lane",
            calls_waiting.clone(),
        );
        let database_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "database_latency_seconds",
            "How long the database took to answer at this scrape (-1: it did not)",
            database_seconds.clone(),
        );
        let events_refused = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "events_refused",
            "Requests to /slack/events refused, by reason (unsigned, bad_timestamp, stale, forged)",
            events_refused.clone(),
        );
        let events_live = Gauge::default();
        registry.register(
            "events_live",
            "1 while Slack's events arrive, 0 while paused, -1 when not configured",
            events_live.clone(),
        );
        let events_sockets = Gauge::default();
        registry.register(
            "events_sockets",
            "Open Socket Mode connections",
            events_sockets.clone(),
        );
        let events_applied = Gauge::default();
        registry.register(
            "events_applied",
            "Slack events applied to the directory since start",
            events_applied.clone(),
        );
        let events_reconnects = Gauge::default();
        registry.register(
            "events_reconnects",
            "Socket Mode reconnections since start",
            events_reconnects.clone(),
        );
        let events_lag_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "events_lag_seconds",
            "From the last event's time at Slack to its being applied",
            events_lag_seconds.clone(),
        );
        let events_silent_workspaces = Gauge::default();
        registry.register(
            "events_silent_workspaces",
            "Workspaces that send Roster no events: its app is not added to them",
            events_silent_workspaces.clone(),
        );
        Self {
            registry,
            requests,
            slack_calls,
            slack_rate_limited,
            slack_wait_seconds,
            snapshot_users,
            snapshot_age_seconds,
            sync_running,
            storage_writable,
            outcomes_waiting,
            leader,
            job_leases,
            calls_waiting,
            database_seconds,
            events_refused,
            events_live,
            events_sockets,
            events_applied,
            events_reconnects,
            events_silent_workspaces,
            events_lag_seconds,
        }
    }
}

impl Metrics {
    /// Counts one HTTP request; `route` is the matched route pattern, never the raw path.
    pub fn request(&self, route: &str, method: &str, status: u16) {
        self.requests
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                method: method.to_string(),
                status,
            })
            .inc();
    }

    /// Counts one Slack call by its outcome (`ok`, `slack_error`, `rate_limited`, …).
    pub fn slack_call(&self, method: &str, outcome: &str) {
        self.slack_calls
            .get_or_create(&SlackLabels {
                method: method.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// Counts a request to `/slack/events` refused for `reason`.
    pub fn event_refused(&self, reason: &str) {
        self.events_refused
            .get_or_create(&ReasonLabels {
                reason: reason.to_string(),
            })
            .inc();
    }

    /// Counts a 429 from Slack.
    pub fn slack_rate_limited(&self, method: &str) {
        self.slack_rate_limited
            .get_or_create(&MethodLabels {
                method: method.to_string(),
            })
            .inc();
    }

    /// Adds time waited before a Slack call.
    pub fn slack_waited(&self, method: &str, seconds: f64) {
        if seconds > 0.0 {
            self.slack_wait_seconds
                .get_or_create(&MethodLabels {
                    method: method.to_string(),
                })
                .inc_by(seconds);
        }
    }

    /// The text exposition, with the gauges as of now.
    pub fn render(&self, now: &Gauges) -> String {
        self.snapshot_users.set(now.users as i64);
        self.snapshot_age_seconds.set(now.age_seconds.unwrap_or(-1));
        self.sync_running.set(i64::from(now.sync_running));
        self.storage_writable.set(i64::from(now.storage_writable));
        self.outcomes_waiting.set(now.outcomes_waiting as i64);
        self.leader.set(i64::from(now.leader));
        self.job_leases.set(now.job_leases as i64);
        self.calls_waiting.set(now.calls_waiting as i64);
        self.database_seconds
            .set(now.database_seconds.unwrap_or(-1.0));
        self.events_live.set(now.events_live);
        self.events_sockets.set(now.events_sockets as i64);
        self.events_applied.set(now.events_applied as i64);
        self.events_reconnects.set(now.events_reconnects as i64);
        self.events_silent_workspaces
            .set(now.events_silent_workspaces as i64);
        self.events_lag_seconds
            .set(now.events_lag_ms as f64 / 1000.0);
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
