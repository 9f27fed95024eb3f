//! `header` mode: identity headers, accepted only from trusted proxy addresses and with the
//! proxy's shared secret.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;
use subtle::ConstantTimeEq;

use crate::config_error::ConfigError;

use super::*;

/// `header` mode: identity headers accepted only from trusted proxy addresses.
#[derive(Debug)]
pub struct HeaderTrust {
    email_header: String,
    groups_header: String,
    trusted: Vec<IpNet>,
    secret: Option<(String, Vec<u8>)>,
}

impl HeaderTrust {
    pub(super) fn from_config(config: &AuthConfig) -> Result<Self, ConfigError> {
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
    pub(super) fn trusts(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.trusted.iter().any(|net| net.contains(&peer))
    }

    pub(super) fn identify(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<Identity, AuthError> {
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
