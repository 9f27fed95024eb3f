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
struct MethodLabels {
    method: String,
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
        Self {
            registry,
            requests,
            slack_calls,
            slack_rate_limited,
            slack_wait_seconds,
            snapshot_users,
            snapshot_age_seconds,
            sync_running,
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

    /// The text exposition, with the directory gauges as of now.
    pub fn render(&self, users: usize, age_seconds: Option<i64>, sync_running: bool) -> String {
        self.snapshot_users.set(users as i64);
        self.snapshot_age_seconds.set(age_seconds.unwrap_or(-1));
        self.sync_running.set(i64::from(sync_running));
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
