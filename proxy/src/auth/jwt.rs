//! `jwt` mode: a signed assertion from an identity-aware proxy, checked against its JWKS.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::http::HeaderMap;
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation, decode, decode_header,
    jwk::{Jwk, JwkSet},
};
use serde_json::Value;

use crate::config_error::ConfigError;

use super::*;

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
    pub(super) async fn from_config(config: &AuthConfig) -> Result<Self, ConfigError> {
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

    pub(super) async fn verify(&self, headers: &HeaderMap) -> Result<Identity, AuthError> {
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
