//! Who is calling: a signed assertion from an identity-aware proxy (`jwt`), a trusted
//! header from known proxy addresses (`header`), or a role picked in the UI on a loopback-only
//! demo (`dev`, which only `roster demo` can build: no configuration file or environment
//! variable reaches it). Any doubt is a 401, and nothing reaches Slack.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, Request},
    http::{HeaderMap, header},
};

use crate::config_error::ConfigError;

mod config;
mod jwt;
mod trusted;

pub use config::*;
pub use jwt::JwtVerifier;
pub use trusted::HeaderTrust;

/// The demo's role switcher keeps the chosen role in this cookie.
pub const DEV_ROLE_COOKIE: &str = "roster_demo_role";

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
    use ipnet::IpNet;

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
