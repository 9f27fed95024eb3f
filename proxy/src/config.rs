//! `roster.toml`: one typed configuration, with `ROSTER_*` environment overrides,
//! validated at start-up with messages that name the key to fix.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::Deserialize;

pub use crate::config_error::ConfigError;
use crate::{auth::AuthConfig, policy::RoleConfig, slack::SlackToken};

/// Slack's Web API.
pub const SLACK_API_URL: &str = "https://slack.com/api/";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The URL people open, e.g. `https://roster.example.com` (its origin is the only one
    /// allowed to make changes).
    pub public_url: Option<String>,
    /// Where Roster keeps its database and directory snapshot.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The built browser app.
    #[serde(default = "default_dist_dir")]
    pub dist_dir: PathBuf,
    #[serde(default)]
    pub slack: SlackConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// PostgreSQL for several replicas; without it, SQLite in `data_dir`.
    #[serde(default)]
    pub database: crate::postgres::DatabaseConfig,
}

/// `[metrics]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// File holding the bearer token Prometheus sends; without it `/metrics` is off.
    pub token_file: Option<PathBuf>,
}

impl MetricsConfig {
    /// Who may read `/metrics`: the holder of the token in `token_file`, or nobody.
    pub fn access(&self) -> Result<crate::metrics::MetricsAccess, ConfigError> {
        let Some(file) = &self.token_file else {
            return Ok(crate::metrics::MetricsAccess::Off);
        };
        let token = std::fs::read_to_string(file).map_err(|e| {
            invalid(
                "metrics.token_file",
                format!("cannot read {}: {e}", file.display()),
            )
        })?;
        let token = token.trim();
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "metrics.token_file",
                "the token must be at least 16 printable characters, without spaces",
            ));
        }
        Ok(crate::metrics::MetricsAccess::Bearer(
            token.as_bytes().into(),
        ))
    }
}

/// `[slack]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Base URL of the Web API.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Base URL of the SCIM API (`…/scim/v1/` or `…/scim/v2/`): deactivation and
    /// reactivation.
    #[serde(default = "default_scim_url")]
    pub scim_url: String,
    /// File holding the token (else the `SLACK_TOKEN` environment variable).
    pub token_file: Option<PathBuf>,
    /// Present only to be refused with a clear message: tokens do not belong in this file.
    token: Option<toml::Value>,
    /// Minutes between full directory syncs while Slack's events are not arriving.
    #[serde(default = "default_refresh")]
    pub refresh_minutes: u64,
    /// File holding the app-level token (`xapp-…`, `connections:write`): Slack's events
    /// arrive over Socket Mode.
    pub app_token_file: Option<PathBuf>,
    /// File holding the app's signing secret: Slack's events are taken at
    /// `POST /slack/events`.
    pub signing_secret_file: Option<PathBuf>,
    /// Hours between the reconciling full syncs while events arrive (what no event says:
    /// role and expiration changes made elsewhere).
    #[serde(default = "default_reconcile")]
    pub reconcile_hours: u64,
    /// Take Slack's `invite_requested` events (subscribe the app to them too): new
    /// requests show at once. Off by default: once an app subscribes, Slack stops telling
    /// workspace admins of requests through Slackbot.
    #[serde(default)]
    pub invite_requested_events: bool,
    /// Read Slack's member analytics (`admin.analytics.getFile`, scope
    /// `admin.analytics:read`) for people's activity and seats.
    #[serde(default = "default_true")]
    pub member_analytics: bool,
    /// Runs the rate limiter's clock faster (only for a sandbox with scaled limits).
    #[serde(default = "default_scale")]
    pub rate_limit_scale: f64,
}

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            api_url: default_api_url(),
            scim_url: default_scim_url(),
            token_file: None,
            token: None,
            refresh_minutes: default_refresh(),
            app_token_file: None,
            signing_secret_file: None,
            reconcile_hours: default_reconcile(),
            invite_requested_events: false,
            member_analytics: true,
            rate_limit_scale: default_scale(),
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("roster-data")
}
fn default_dist_dir() -> PathBuf {
    PathBuf::from("dist")
}
fn default_api_url() -> String {
    SLACK_API_URL.to_string()
}
fn default_scim_url() -> String {
    crate::slack::scim::SLACK_SCIM_URL.to_string()
}
fn default_refresh() -> u64 {
    15
}
fn default_true() -> bool {
    true
}
fn default_reconcile() -> u64 {
    6
}
fn default_scale() -> f64 {
    1.0
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Environment variables that override keys of the file.
const ENV_OVERRIDES: &[(&str, &[&str])] = &[
    ("ROSTER_LISTEN", &["listen"]),
    ("ROSTER_PUBLIC_URL", &["public_url"]),
    ("ROSTER_DATA_DIR", &["data_dir"]),
    ("ROSTER_DIST_DIR", &["dist_dir"]),
    ("ROSTER_SLACK_API_URL", &["slack", "api_url"]),
    ("ROSTER_SLACK_SCIM_URL", &["slack", "scim_url"]),
    ("ROSTER_SLACK_TOKEN_FILE", &["slack", "token_file"]),
    ("ROSTER_SLACK_APP_TOKEN_FILE", &["slack", "app_token_file"]),
    (
        "ROSTER_SLACK_SIGNING_SECRET_FILE",
        &["slack", "signing_secret_file"],
    ),
    (
        "ROSTER_SLACK_REFRESH_MINUTES",
        &["slack", "refresh_minutes"],
    ),
    ("ROSTER_AUTH_MODE", &["auth", "mode"]),
    ("ROSTER_AUTH_JWKS_URL", &["auth", "jwks_url"]),
    ("ROSTER_AUTH_JWKS_FILE", &["auth", "jwks_file"]),
    ("ROSTER_AUTH_AUDIENCE", &["auth", "audience"]),
    ("ROSTER_AUTH_ISSUER", &["auth", "issuer"]),
    ("ROSTER_METRICS_TOKEN_FILE", &["metrics", "token_file"]),
    ("ROSTER_DATABASE_URL", &["database", "url"]),
    (
        "ROSTER_DATABASE_PASSWORD_FILE",
        &["database", "password_file"],
    ),
];

impl Config {
    /// Reads `path`, applies `ROSTER_*` overrides from `env`, and validates the result.
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string(), env)
    }

    /// Parses configuration text (see [`Config::load`]).
    pub fn parse(
        text: &str,
        origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: origin.to_string(),
                    message: e.to_string(),
                })?;
        for (var, path) in ENV_OVERRIDES {
            if let Some(value) = env(var) {
                set_path(&mut table, path, typed(&value));
            }
        }
        // The JWKS comes from one place: a source named in the environment replaces the
        // file's, whichever of the two keys the file used.
        for (var, replaces, other_var) in [
            ("ROSTER_AUTH_JWKS_FILE", "jwks_url", "ROSTER_AUTH_JWKS_URL"),
            ("ROSTER_AUTH_JWKS_URL", "jwks_file", "ROSTER_AUTH_JWKS_FILE"),
        ] {
            if env(var).is_some()
                && env(other_var).is_none()
                && let Some(toml::Value::Table(auth)) = table.get_mut("auth")
            {
                auth.remove(replaces);
            }
        }
        let config: Config =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: origin.to_string(),
                    message: e.message().to_string(),
                })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.slack.token.is_some() {
            return Err(invalid(
                "slack.token",
                "the Slack token must not be written in the config file; put it in a file \
                 named by slack.token_file (readable only by Roster) or in SLACK_TOKEN",
            ));
        }
        let url = &self.slack.api_url;
        if !(url.starts_with("https://") || url.starts_with("http://")) || !url.ends_with('/') {
            return Err(invalid(
                "slack.api_url",
                format!("must be an http(s) URL ending in /, like {SLACK_API_URL}; got {url:?}"),
            ));
        }
        let scim = &self.slack.scim_url;
        let scim_ok = (scim.starts_with("https://") || scim.starts_with("http://"))
            && (scim.ends_with("/scim/v1/") || scim.ends_with("/scim/v2/"));
        if !scim_ok {
            return Err(invalid(
                "slack.scim_url",
                format!(
                    "must be Slack's SCIM base URL, ending in /scim/v1/ or /scim/v2/, like {}; got {scim:?}",
                    crate::slack::scim::SLACK_SCIM_URL
                ),
            ));
        }
        if self.slack.refresh_minutes == 0 {
            return Err(invalid("slack.refresh_minutes", "must be at least 1"));
        }
        if self.slack.reconcile_hours == 0 {
            return Err(invalid("slack.reconcile_hours", "must be at least 1"));
        }
        if !(self.slack.rate_limit_scale.is_finite() && self.slack.rate_limit_scale > 0.0) {
            return Err(invalid(
                "slack.rate_limit_scale",
                "must be a number above 0",
            ));
        }
        if let Some(public) = &self.public_url {
            let web = url::Url::parse(public)
                .ok()
                .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if web.is_none() {
                return Err(invalid(
                    "public_url",
                    format!("must be the http(s) URL people open, got {public:?}"),
                ));
            }
        }
        self.auth.validate()?;
        crate::policy::validate_roles(&self.roles)?;
        self.database.options()?;
        Ok(())
    }

    /// The Slack token: from `slack.token_file`, else from `SLACK_TOKEN`.
    pub fn slack_token(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SlackToken, ConfigError> {
        let (raw, source) = match &self.slack.token_file {
            Some(file) => (
                std::fs::read_to_string(file).map_err(|e| {
                    invalid(
                        "slack.token_file",
                        format!("cannot read {}: {e}", file.display()),
                    )
                })?,
                "slack.token_file",
            ),
            None => (
                env("SLACK_TOKEN").ok_or_else(|| {
                    invalid(
                        "SLACK_TOKEN",
                        "no Slack token: set SLACK_TOKEN or slack.token_file",
                    )
                })?,
                "SLACK_TOKEN",
            ),
        };
        SlackToken::new(raw).map_err(|m| invalid(source, m))
    }

    /// The app-level token for Socket Mode, if `slack.app_token_file` names one.
    pub fn app_token(&self) -> Result<Option<SlackToken>, ConfigError> {
        let key = "slack.app_token_file";
        let Some(file) = &self.slack.app_token_file else {
            return Ok(None);
        };
        let raw = std::fs::read_to_string(file)
            .map_err(|e| invalid(key, format!("cannot read {}: {e}", file.display())))?;
        let token = SlackToken::new(raw).map_err(|m| invalid(key, m))?;
        if !token.is_app_level() {
            return Err(invalid(
                key,
                "this is not an app-level token: Socket Mode needs one that starts with xapp- \
                 (Basic Information, App-Level Tokens, with the connections:write scope)",
            ));
        }
        Ok(Some(token))
    }

    /// The signing secret of HTTP events, if `slack.signing_secret_file` names one.
    pub fn signing_secret(
        &self,
    ) -> Result<Option<crate::events::signature::SigningSecret>, ConfigError> {
        let key = "slack.signing_secret_file";
        let Some(file) = &self.slack.signing_secret_file else {
            return Ok(None);
        };
        let raw = std::fs::read_to_string(file)
            .map_err(|e| invalid(key, format!("cannot read {}: {e}", file.display())))?;
        let secret = raw.trim();
        if secret.len() < 16 || !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(
                key,
                "the signing secret is the app's Signing Secret (Basic Information): \
                 32 letters and digits",
            ));
        }
        Ok(Some(crate::events::signature::SigningSecret::new(secret)))
    }
}

/// An environment value as TOML: integers, floats and booleans keep their type.
fn typed(value: &str) -> toml::Value {
    if let Ok(i) = value.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    if let Ok(f) = value.parse::<f64>() {
        return toml::Value::Float(f);
    }
    match value {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(value.to_string()),
    }
}

fn set_path(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    let (last, parents) = path.split_last().expect("paths are not empty");
    let mut table = table;
    for key in parents {
        let entry = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(inner) = entry else {
            return;
        };
        table = inner;
    }
    table.insert(last.to_string(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_token_is_required_to_turn_metrics_on() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("metrics-token");
        let access = |text: Option<&str>| {
            if let Some(t) = text {
                std::fs::write(&file, t).unwrap();
            }
            MetricsConfig {
                token_file: text.map(|_| file.clone()),
            }
            .access()
        };
        assert!(matches!(
            access(None).unwrap(),
            crate::metrics::MetricsAccess::Off
        ));
        assert!(matches!(
            access(Some("0123456789abcdef\n")).unwrap(),
            crate::metrics::MetricsAccess::Bearer(t) if &*t == b"0123456789abcdef"
        ));
        for bad in ["short", "has a space in it ok", ""] {
            let err = access(Some(bad)).unwrap_err().to_string();
            assert!(err.starts_with("metrics.token_file:"), "{err}");
        }
        let missing = MetricsConfig {
            token_file: Some(dir.path().join("nope")),
        }
        .access()
        .unwrap_err()
        .to_string();
        assert!(missing.contains("cannot read"), "{missing}");
    }
}
