//! `[auth]`: how people are identified, checked at start-up with messages that name the
//! key to fix.

use std::path::PathBuf;

use axum::http::HeaderName;
use ipnet::IpNet;
use serde::Deserialize;

use crate::config_error::ConfigError;

/// `[auth] mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    Jwt,
    Header,
    /// Read only to be refused with a clear message: the role picker is `roster demo`'s.
    Dev,
}

/// Identity-aware proxies Roster knows the header of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Cloudflare Access: `Cf-Access-Jwt-Assertion`.
    Cloudflare,
    /// Google Cloud IAP: `x-goog-iap-jwt-assertion`.
    GoogleIap,
    /// Pomerium: `X-Pomerium-Jwt-Assertion`.
    Pomerium,
    /// oauth2-proxy with `--pass-authorization-header`: the ID token as `Authorization: Bearer`.
    Oauth2Proxy,
}

impl Preset {
    pub(super) fn header(self) -> &'static str {
        match self {
            Preset::Cloudflare => "cf-access-jwt-assertion",
            Preset::GoogleIap => "x-goog-iap-jwt-assertion",
            Preset::Pomerium => "x-pomerium-jwt-assertion",
            Preset::Oauth2Proxy => "authorization",
        }
    }
}

/// `[auth]` in the configuration.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub mode: Option<AuthMode>,
    // --- jwt ---
    pub preset: Option<Preset>,
    /// The header carrying the assertion (default: the preset's).
    pub jwt_header: Option<String>,
    pub jwks_url: Option<String>,
    pub jwks_file: Option<PathBuf>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Accepted signature algorithms (default RS256 and ES256). `none` and HS* are refused.
    #[serde(default)]
    pub algorithms: Vec<String>,
    /// Claim holding the email (default `email`).
    pub email_claim: Option<String>,
    /// Claim holding the groups (default `groups`).
    pub groups_claim: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, seconds (default 30, at most 300).
    pub leeway_seconds: Option<u64>,
    // --- header ---
    /// Default `X-Forwarded-Email`.
    pub email_header: Option<String>,
    /// Default `X-Forwarded-Groups` (comma-separated).
    pub groups_header: Option<String>,
    /// Addresses (CIDRs) of the proxies allowed to set the identity headers. Required; `/0`
    /// is refused. Their `X-Request-Id` is kept too (see `middleware::assign_request_id`).
    #[serde(default)]
    pub trusted_proxies: Vec<IpNet>,
    /// A header the proxy must also send, with the secret from `shared_secret_file`.
    /// Required in header mode unless `allow_no_shared_secret = true`.
    pub shared_secret_header: Option<String>,
    pub shared_secret_file: Option<PathBuf>,
    /// Header mode without a shared secret: only when nothing but the proxy can reach
    /// Roster's port, so the source address alone proves the request came through it.
    #[serde(default)]
    pub allow_no_shared_secret: bool,
}

pub(super) const DEFAULT_ALGORITHMS: [&str; 2] = ["RS256", "ES256"];
const ALLOWED_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

pub(super) fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: format!("auth.{key}"),
        message: message.into(),
    }
}

impl AuthConfig {
    /// Checks the section at start-up; Roster refuses to start when it is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let Some(mode) = self.mode else {
            return Err(invalid(
                "mode",
                "required: \"jwt\" (behind an identity-aware proxy) or \"header\" (trusted \
                 headers from known proxies)",
            ));
        };
        match mode {
            AuthMode::Dev => {
                return Err(invalid(
                    "mode",
                    "\"dev\" lets anyone pick a role and belongs to `roster demo` only; \
                     `roster serve` needs \"jwt\" or \"header\" (check ROSTER_AUTH_MODE too)",
                ));
            }
            AuthMode::Jwt => {
                if self.jwt_header.is_none() && self.preset.is_none() {
                    return Err(invalid("jwt_header", "set jwt_header or preset"));
                }
                if self.jwks_url.is_none() == self.jwks_file.is_none() {
                    return Err(invalid(
                        "jwks_url",
                        "set exactly one of jwks_url and jwks_file",
                    ));
                }
                if let Some(url) = &self.jwks_url {
                    let https_or_local =
                        url::Url::parse(url)
                            .ok()
                            .is_some_and(|u| match (u.scheme(), u.host()) {
                                ("https", _) => true,
                                ("http", Some(url::Host::Domain(d))) => d == "localhost",
                                ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
                                ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
                                _ => false,
                            });
                    if !https_or_local {
                        return Err(invalid(
                            "jwks_url",
                            format!(
                                "{url:?}: the signing keys must come over https (or from this \
                                 machine), or anyone on the way could replace them"
                            ),
                        ));
                    }
                }
                if self.issuer.as_deref().is_none_or(str::is_empty) {
                    return Err(invalid("issuer", "required in jwt mode"));
                }
                if self.audience.as_deref().is_none_or(str::is_empty) {
                    return Err(invalid("audience", "required in jwt mode"));
                }
                for alg in &self.algorithms {
                    if !ALLOWED_ALGORITHMS.contains(&alg.as_str()) {
                        return Err(invalid(
                            "algorithms",
                            format!(
                                "{alg:?} is not allowed; use asymmetric ones: {}",
                                ALLOWED_ALGORITHMS.join(", ")
                            ),
                        ));
                    }
                }
                if self.leeway_seconds.is_some_and(|l| l > 300) {
                    return Err(invalid("leeway_seconds", "at most 300"));
                }
            }
            AuthMode::Header => {
                if self.trusted_proxies.is_empty() {
                    return Err(invalid(
                        "trusted_proxies",
                        "required in header mode: the addresses (CIDRs) of the proxies that set the identity headers",
                    ));
                }
                for net in &self.trusted_proxies {
                    if canonical_net(*net).prefix_len() == 0 {
                        return Err(invalid(
                            "trusted_proxies",
                            format!(
                                "{net} trusts every address, so anyone who can reach Roster could \
                                 claim any identity; list only your proxies' addresses"
                            ),
                        ));
                    }
                }
                match (
                    &self.shared_secret_header,
                    &self.shared_secret_file,
                    self.allow_no_shared_secret,
                ) {
                    (Some(_), None, _) | (None, Some(_), _) => {
                        return Err(invalid(
                            "shared_secret_file",
                            "set both shared_secret_header and shared_secret_file",
                        ));
                    }
                    (None, None, false) => {
                        return Err(invalid(
                            "shared_secret_file",
                            "required in header mode: a secret the proxy sends in \
                             shared_secret_header, so that nothing else at a trusted address can \
                             set the identity headers. If only the proxy can reach Roster's port, \
                             set allow_no_shared_secret = true instead",
                        ));
                    }
                    (Some(_), Some(_), true) => {
                        return Err(invalid(
                            "allow_no_shared_secret",
                            "a shared secret is configured; remove allow_no_shared_secret",
                        ));
                    }
                    _ => {}
                }
                let mut seen: Vec<(&str, String)> = Vec::new();
                for (key, name, default) in [
                    (
                        "email_header",
                        &self.email_header,
                        Some("x-forwarded-email"),
                    ),
                    (
                        "groups_header",
                        &self.groups_header,
                        Some("x-forwarded-groups"),
                    ),
                    ("shared_secret_header", &self.shared_secret_header, None),
                ] {
                    if let Some(name) = name {
                        HeaderName::try_from(name.as_str())
                            .map_err(|_| invalid(key, format!("{name:?} is not a header name")))?;
                    }
                    let Some(name) = name.as_deref().or(default) else {
                        continue;
                    };
                    let name = name.to_ascii_lowercase();
                    if let Some((other, _)) = seen.iter().find(|(_, n)| *n == name) {
                        return Err(invalid(
                            key,
                            format!("{name:?} is already {other}; each needs its own header"),
                        ));
                    }
                    seen.push((key, name));
                }
            }
        }
        Ok(())
    }
}

/// An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) as the IPv4 range it is, so that
/// matching and the width checks treat both spellings alike.
pub(super) fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        _ => net,
    }
}

/// Ranges wider than this get a warning at start-up: a /16 of IPv4 is 65,536 addresses, a
/// /48 of IPv6 a whole site. Proxies usually sit on one address or a small subnet.
const WIDE_IPV4_PREFIX: u8 = 16;
const WIDE_IPV6_PREFIX: u8 = 48;

/// Whether a trusted range is wide enough to deserve a warning.
pub fn is_wide_range(net: IpNet) -> bool {
    match canonical_net(net) {
        IpNet::V4(v4) => v4.prefix_len() < WIDE_IPV4_PREFIX,
        IpNet::V6(v6) => v6.prefix_len() < WIDE_IPV6_PREFIX,
    }
}
