//! Who is calling: a signed assertion from an identity-aware proxy (`jwt`), a trusted
//! header from known proxy addresses (`header`), or a role picked in the UI on a loopback-only
//! demo (`dev`, which only `roster demo` can build: no configuration file or environment
//! variable reaches it). Any doubt is a 401, and nothing reaches Slack.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderName, header},
};
use ipnet::IpNet;
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation, decode, decode_header,
    jwk::{Jwk, JwkSet},
};
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

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
    fn header(self) -> &'static str {
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

const DEFAULT_ALGORITHMS: [&str; 2] = ["RS256", "ES256"];
const ALLOWED_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
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
fn canonical_net(net: IpNet) -> IpNet {
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

/// Refuses identities holding control characters (newline, ESC, …) or the Unicode line and
/// direction marks that rewrite how a log line reads. The value is never echoed: it goes
/// into logs and the audit log.
fn check_printable(identity: &Identity) -> Result<(), AuthError> {
    let bad = |s: &str| {
        s.chars().any(|c| {
            c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
    };
    if bad(&identity.email) || bad(&identity.subject) || identity.groups.iter().any(|g| bad(g)) {
        return Err(AuthError::Invalid(
            "the identity holds control characters".into(),
        ));
    }
    Ok(())
}

/// Who signed in, as the identity provider says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub email: String,
    pub groups: Vec<String>,
}

/// Why a request has no identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("You are not signed in. Sign in through your company's single sign-on and try again.")]
    Missing,
    #[error("Your sign-in could not be verified ({0}). Sign in again.")]
    Invalid(String),
    #[error("This request did not come through the company's sign-in proxy.")]
    UntrustedPeer,
    #[error("The request carries conflicting identity headers.")]
    Ambiguous,
    #[error("Roster cannot verify sign-ins right now ({0}).")]
    Unavailable(String),
}

/// Verifies identities for every request.
#[derive(Debug)]
pub enum Authenticator {
    Jwt(JwtVerifier),
    Header(HeaderTrust),
    /// The role is chosen in the UI; only on loopback. Built by [`Authenticator::dev`].
    Dev(DevSite),
}

/// Where the dev-mode app listens: it answers only requests addressed to a loopback name
/// and this port, so a page on another site cannot reach it through DNS rebinding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevSite {
    port: u16,
}

impl DevSite {
    /// The port the app listens on.
    pub fn port(self) -> u16 {
        self.port
    }

    /// Whether `host` (the `Host` header) names this app on loopback: `localhost`,
    /// `127.0.0.1` or `[::1]`, with the listening port (which port 80 may leave out).
    pub fn accepts_host(self, host: &str) -> bool {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) if !port.contains(']') => (name, port.parse::<u16>().ok()),
            _ => (host, Some(80)),
        };
        let loopback =
            name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "[::1]";
        loopback && port == Some(self.port)
    }
}

impl Authenticator {
    /// Builds the verifier; loads the JWKS or the shared secret now, so a wrong
    /// configuration stops start-up. Dev mode is refused here: only `roster demo` builds it,
    /// with [`Authenticator::dev`].
    pub async fn from_config(config: &AuthConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        match config.mode {
            Some(AuthMode::Jwt) => Ok(Authenticator::Jwt(JwtVerifier::from_config(config).await?)),
            Some(AuthMode::Header) => Ok(Authenticator::Header(HeaderTrust::from_config(config)?)),
            Some(AuthMode::Dev) | None => Err(invalid("mode", "\"jwt\" or \"header\"")),
        }
    }

    /// The demo's role picker, for an app listening on `listening` (the bound address, so
    /// port 0 has become the real port). Refused unless the address is loopback.
    pub fn dev(listening: SocketAddr) -> Result<Self, String> {
        if !listening.ip().to_canonical().is_loopback() {
            return Err(format!(
                "the demo lets anyone pick a role, so it listens only on a loopback address, not {listening}"
            ));
        }
        Ok(Authenticator::Dev(DevSite {
            port: listening.port(),
        }))
    }

    /// Whether this is the loopback demo mode.
    pub fn is_dev(&self) -> bool {
        matches!(self, Authenticator::Dev(_))
    }

    /// The demo's address, in dev mode.
    pub fn dev_site(&self) -> Option<DevSite> {
        match self {
            Authenticator::Dev(site) => Some(*site),
            _ => None,
        }
    }

    /// Whether `peer` may hand Roster its own `X-Request-Id`: only a trusted proxy in header
    /// mode. A signed assertion says nothing about who sent the rest of the request.
    pub fn trusts_request_id_from(&self, peer: Option<IpAddr>) -> bool {
        match self {
            Authenticator::Header(h) => peer.is_some_and(|p| h.trusts(p)),
            Authenticator::Jwt(_) | Authenticator::Dev(_) => false,
        }
    }

    /// The identity behind `headers` from `peer`, or why there is none. Dev mode has no
    /// identity here: the role comes from the UI.
    pub async fn identify(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<Option<Identity>, AuthError> {
        let identity = match self {
            Authenticator::Dev(_) => {
                if peer.is_none_or(|p| !p.is_loopback()) {
                    return Err(AuthError::UntrustedPeer);
                }
                return Ok(None);
            }
            Authenticator::Jwt(v) => v.verify(headers).await?,
            Authenticator::Header(h) => h.identify(headers, peer)?,
        };
        check_printable(&identity)?;
        Ok(Some(identity))
    }
}

/// The address of the connection's other end (a proxy, when there is one). An IPv4 peer
/// of a dual-stack listener (`::ffff:127.0.0.1`) reads as the IPv4 address it is.
pub fn peer(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
}

/// One value of `name`; two or more is refused (a second copy is how spoofing gets in).
fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(AuthError::Ambiguous);
    }
    match first {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim()))
            .map_err(|_| AuthError::Invalid("header is not text".into())),
    }
}

/// Refuses look-alike spellings (`X_Forwarded_Email`) that some proxies pass through and
/// some servers merge with the real header.
fn reject_lookalikes(headers: &HeaderMap, names: &[&str]) -> Result<(), AuthError> {
    for present in headers.keys() {
        let present = present.as_str();
        if !present.contains('_') {
            continue;
        }
        let normalised = present.replace('_', "-");
        if names.iter().any(|n| n.eq_ignore_ascii_case(&normalised)) {
            return Err(AuthError::Ambiguous);
        }
    }
    Ok(())
}

/// `jwt` mode: a signed assertion checked against a JWKS.
#[derive(Debug)]
pub struct JwtVerifier {
    header: String,
    bearer: bool,
    issuer: String,
    audience: String,
    algorithms: Vec<Algorithm>,
    email_claim: String,
    groups_claim: String,
    leeway: u64,
    source: JwksSource,
    keys: Mutex<KeyCache>,
}

#[derive(Debug)]
enum JwksSource {
    File(PathBuf),
    Url { url: String, http: reqwest::Client },
}

#[derive(Debug, Default)]
struct KeyCache {
    by_kid: HashMap<String, (Jwk, DecodingKey)>,
    /// Keys without a `kid`, tried in turn.
    anonymous: Vec<(Jwk, DecodingKey)>,
    fetched: Option<Instant>,
}

/// Least time between two JWKS fetches triggered by unknown `kid`s.
const JWKS_REFRESH_GAP: Duration = Duration::from_secs(30);

impl JwtVerifier {
    async fn from_config(config: &AuthConfig) -> Result<Self, ConfigError> {
        let header = config
            .jwt_header
            .clone()
            .or_else(|| config.preset.map(|p| p.header().to_string()))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let algorithms = if config.algorithms.is_empty() {
            DEFAULT_ALGORITHMS.iter().map(|a| a.to_string()).collect()
        } else {
            config.algorithms.clone()
        };
        let algorithms = algorithms
            .iter()
            .map(|a| {
                a.parse::<Algorithm>()
                    .map_err(|_| invalid("algorithms", format!("unknown algorithm {a:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let source = match (&config.jwks_file, &config.jwks_url) {
            (Some(file), _) => JwksSource::File(file.clone()),
            (None, Some(url)) => JwksSource::Url {
                url: url.clone(),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| invalid("jwks_url", e.to_string()))?,
            },
            (None, None) => return Err(invalid("jwks_url", "set jwks_url or jwks_file")),
        };
        let verifier = JwtVerifier {
            bearer: header == "authorization",
            header,
            issuer: config.issuer.clone().unwrap_or_default(),
            audience: config.audience.clone().unwrap_or_default(),
            algorithms,
            email_claim: config.email_claim.clone().unwrap_or_else(|| "email".into()),
            groups_claim: config
                .groups_claim
                .clone()
                .unwrap_or_else(|| "groups".into()),
            leeway: config.leeway_seconds.unwrap_or(30),
            source,
            keys: Mutex::new(KeyCache::default()),
        };
        let set = verifier
            .fetch()
            .await
            .map_err(|e| invalid("jwks_url", format!("cannot load the signing keys: {e}")))?;
        verifier.install(set).map_err(|e| invalid("jwks_url", e))?;
        Ok(verifier)
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let text = match &self.source {
            JwksSource::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?,
            JwksSource::Url { url, http } => {
                let response = http.get(url).send().await.map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("{url} answered HTTP {}", response.status()));
                }
                response.text().await.map_err(|e| e.to_string())?
            }
        };
        serde_json::from_str(&text).map_err(|e| format!("not a JWKS: {e}"))
    }

    fn install(&self, set: JwkSet) -> Result<(), String> {
        let mut cache = KeyCache {
            fetched: Some(Instant::now()),
            ..KeyCache::default()
        };
        for jwk in set.keys {
            // Symmetric keys have no business in a JWKS for this: a shared secret would let
            // anyone holding it mint identities.
            if matches!(
                jwk.algorithm,
                jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
            ) {
                continue;
            }
            let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable key: {e}"))?;
            match jwk.common.key_id.clone() {
                Some(kid) => {
                    cache.by_kid.insert(kid, (jwk, key));
                }
                None => cache.anonymous.push((jwk, key)),
            }
        }
        if cache.by_kid.is_empty() && cache.anonymous.is_empty() {
            return Err("the JWKS has no usable public keys".into());
        }
        *self.keys.lock().unwrap() = cache;
        Ok(())
    }

    fn candidates(&self, kid: Option<&str>) -> Vec<(Jwk, DecodingKey)> {
        let cache = self.keys.lock().unwrap();
        match kid {
            Some(kid) => cache.by_kid.get(kid).cloned().into_iter().collect(),
            None => cache.anonymous.clone(),
        }
    }

    /// Refetches the JWKS when an unknown `kid` shows up (keys rotate), at most every 30 s.
    async fn refresh_for(&self, kid: &str) {
        let due = self
            .keys
            .lock()
            .unwrap()
            .fetched
            .is_none_or(|at| at.elapsed() >= JWKS_REFRESH_GAP);
        if !due {
            return;
        }
        self.keys.lock().unwrap().fetched = Some(Instant::now());
        match self.fetch().await {
            Ok(set) => match self.install(set) {
                Ok(()) => tracing::info!(kid, "signing keys refreshed"),
                Err(e) => {
                    tracing::warn!(error = %e, "refreshed JWKS unusable; keeping the old keys")
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot refresh the signing keys"),
        }
    }

    async fn verify(&self, headers: &HeaderMap) -> Result<Identity, AuthError> {
        reject_lookalikes(headers, &[&self.header])?;
        let raw = single_header(headers, &self.header)?.ok_or(AuthError::Missing)?;
        let token = if self.bearer {
            raw.strip_prefix("Bearer ")
                .ok_or(AuthError::Missing)?
                .trim()
        } else {
            raw
        };
        let head =
            decode_header(token).map_err(|_| AuthError::Invalid("malformed token".into()))?;
        if !self.algorithms.contains(&head.alg) {
            return Err(AuthError::Invalid(format!(
                "algorithm {:?} is not accepted",
                head.alg
            )));
        }
        let mut keys = self.candidates(head.kid.as_deref());
        if keys.is_empty()
            && let Some(kid) = head.kid.as_deref()
        {
            self.refresh_for(kid).await;
            keys = self.candidates(Some(kid));
        }
        if keys.is_empty() {
            return Err(AuthError::Invalid("signed with an unknown key".into()));
        }
        let mut validation = Validation::new(head.alg);
        validation.algorithms = vec![head.alg];
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        let mut last = AuthError::Invalid("signature".into());
        for (jwk, key) in keys {
            if let Some(key_alg) = jwk.common.key_algorithm
                && key_alg.to_string() != format!("{:?}", head.alg)
            {
                last = AuthError::Invalid("algorithm does not match the key".into());
                continue;
            }
            match decode::<Value>(token, &key, &validation) {
                Ok(data) => return self.identity(&data.claims),
                Err(e) => last = AuthError::Invalid(describe_jwt_error(&e)),
            }
        }
        Err(last)
    }

    fn identity(&self, claims: &Value) -> Result<Identity, AuthError> {
        let email = claims
            .get(&self.email_claim)
            .and_then(Value::as_str)
            .filter(|e| e.contains('@'))
            .ok_or_else(|| AuthError::Invalid(format!("no {} claim", self.email_claim)))?
            .to_string();
        // A provider that says the address is unverified has not proven it belongs to the
        // person, and roles map by email: refuse (oauth2-proxy passes such ID tokens on).
        match claims.get("email_verified") {
            None | Some(Value::Bool(true)) => {}
            Some(Value::String(s)) if s == "true" => {}
            Some(_) => return Err(AuthError::Invalid("the email is not verified".into())),
        }
        let groups = match claims.get(&self.groups_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => s
                .split(',')
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or(&email)
            .to_string();
        Ok(Identity {
            subject,
            email,
            groups,
        })
    }
}

fn describe_jwt_error(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "the sign-in has expired".into(),
        ErrorKind::ImmatureSignature => "the sign-in is not valid yet".into(),
        ErrorKind::InvalidAudience => "issued for another application".into(),
        ErrorKind::InvalidIssuer => "issued by an unknown provider".into(),
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidAlgorithm => "algorithm does not match the key".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("missing claim {c}"),
        _ => "malformed token".into(),
    }
}

/// `header` mode: identity headers accepted only from trusted proxy addresses.
#[derive(Debug)]
pub struct HeaderTrust {
    email_header: String,
    groups_header: String,
    trusted: Vec<IpNet>,
    secret: Option<(String, Vec<u8>)>,
}

impl HeaderTrust {
    fn from_config(config: &AuthConfig) -> Result<Self, ConfigError> {
        for net in &config.trusted_proxies {
            if is_wide_range(*net) {
                tracing::warn!(
                    range = %net,
                    "auth.trusted_proxies: a wide range; every address in it may set the identity headers"
                );
            }
        }
        let secret = match (&config.shared_secret_header, &config.shared_secret_file) {
            (Some(name), Some(file)) => {
                let value = std::fs::read_to_string(file).map_err(|e| {
                    invalid(
                        "shared_secret_file",
                        format!("cannot read {}: {e}", file.display()),
                    )
                })?;
                let value = value.trim().as_bytes().to_vec();
                if value.len() < 16 {
                    return Err(invalid(
                        "shared_secret_file",
                        "the secret must be at least 16 characters",
                    ));
                }
                Some((name.to_ascii_lowercase(), value))
            }
            _ => None,
        };
        Ok(HeaderTrust {
            email_header: config
                .email_header
                .clone()
                .unwrap_or_else(|| "x-forwarded-email".into())
                .to_ascii_lowercase(),
            groups_header: config
                .groups_header
                .clone()
                .unwrap_or_else(|| "x-forwarded-groups".into())
                .to_ascii_lowercase(),
            trusted: config
                .trusted_proxies
                .iter()
                .map(|net| canonical_net(*net))
                .collect(),
            secret,
        })
    }

    /// Whether `peer` is one of the trusted proxies.
    fn trusts(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.trusted.iter().any(|net| net.contains(&peer))
    }

    fn identify(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<Identity, AuthError> {
        let peer = peer.ok_or(AuthError::UntrustedPeer)?;
        if !self.trusts(peer) {
            return Err(AuthError::UntrustedPeer);
        }
        let mut names = vec![self.email_header.as_str(), self.groups_header.as_str()];
        if let Some((name, _)) = &self.secret {
            names.push(name);
        }
        reject_lookalikes(headers, &names)?;
        if let Some((name, expected)) = &self.secret {
            let given = single_header(headers, name)?.ok_or(AuthError::UntrustedPeer)?;
            if !bool::from(given.as_bytes().ct_eq(expected)) {
                return Err(AuthError::UntrustedPeer);
            }
        }
        let email = single_header(headers, &self.email_header)?
            .filter(|e| !e.is_empty())
            .ok_or(AuthError::Missing)?;
        if !email.contains('@') {
            return Err(AuthError::Invalid(
                "the email header is not an email".into(),
            ));
        }
        let groups = single_header(headers, &self.groups_header)?
            .map(|g| {
                g.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Identity {
            subject: email.to_string(),
            email: email.to_string(),
            groups,
        })
    }
}

/// The demo's role switcher keeps the chosen role in this cookie.
pub const DEV_ROLE_COOKIE: &str = "roster_demo_role";

/// The role name chosen in the demo UI, from the cookie.
pub fn dev_role(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == DEV_ROLE_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Shared, cheap to clone.
pub type SharedAuthenticator = Arc<Authenticator>;

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(text: &str) -> AuthConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn signing_keys_come_over_https_or_from_this_machine() {
        let jwt = |url: &str| {
            auth(&format!(
                "mode = \"jwt\"\njwt_header = \"x-a\"\njwks_url = \"{url}\"\nissuer = \"i\"\naudience = \"a\""
            ))
            .validate()
        };
        assert!(jwt("https://sso.example/keys").is_ok());
        assert!(jwt("http://127.0.0.1:9000/keys").is_ok());
        assert!(jwt("http://localhost/keys").is_ok());
        for bad in [
            "http://sso.example/keys",
            "http://10.0.0.5/keys",
            "ftp://x/keys",
            "keys",
        ] {
            let err = jwt(bad).unwrap_err().to_string();
            assert!(err.starts_with("auth.jwks_url:"), "{bad}: {err}");
        }
    }

    #[test]
    fn each_identity_header_is_its_own() {
        let header = |extra: &str| {
            auth(&format!(
                "mode = \"header\"\ntrusted_proxies = [\"127.0.0.1/32\"]\nallow_no_shared_secret = true\n{extra}"
            ))
            .validate()
        };
        assert!(header("").is_ok());
        assert!(header("groups_header = \"X-Forwarded-Email\"").is_err());
        assert!(header("email_header = \"X-Forwarded-Groups\"").is_err());
    }

    #[test]
    fn the_demo_accepts_only_its_loopback_names() {
        let site = DevSite { port: 8080 };
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LocalHost:8080",
            "[::1]:8080",
        ] {
            assert!(site.accepts_host(host), "{host}");
        }
        for host in [
            "127.0.0.1",
            "localhost",
            "127.0.0.1:8081",
            "evil.example:8080",
            "localhost.evil.example:8080",
            "127.0.0.2:8080",
            "[::1]",
            "[::2]:8080",
            "",
        ] {
            assert!(!site.accepts_host(host), "{host}");
        }
        let default_port = DevSite { port: 80 };
        assert!(default_port.accepts_host("localhost"));
        assert!(default_port.accepts_host("[::1]"));
        assert!(default_port.accepts_host("127.0.0.1:80"));
    }

    #[test]
    fn ipv4_mapped_ranges_read_as_ipv4() {
        let net = |s: &str| s.parse::<IpNet>().unwrap();
        assert_eq!(canonical_net(net("::ffff:10.0.0.0/104")), net("10.0.0.0/8"));
        assert_eq!(canonical_net(net("::ffff:0.0.0.0/96")), net("0.0.0.0/0"));
        assert_eq!(canonical_net(net("2001:db8::/32")), net("2001:db8::/32"));
        assert_eq!(canonical_net(net("::/0")), net("::/0"));
    }
}
