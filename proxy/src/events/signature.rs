//! Requests from Slack's Events API are signed (version `v0`): an HMAC-SHA256, keyed with the
//! app's signing secret, over `v0:{X-Slack-Request-Timestamp}:{raw body}`, sent hex-encoded
//! in `X-Slack-Signature` as `v0=<hex>`. Roster checks it on the raw bytes (never on
//! re-serialised JSON), compares in constant time, and refuses a timestamp more than five
//! minutes from its own clock, so a captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from Roster's clock, either way, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// Why a request that claims to come from Slack is refused. Each is counted in `/metrics`
/// under its `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the request has no X-Slack-Request-Timestamp or no X-Slack-Signature")]
    Unsigned,
    #[error("the request's X-Slack-Request-Timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("the request was signed more than five minutes from now: an old or replayed request")]
    Stale,
    #[error("the request's signature does not match its body and the signing secret")]
    Forged,
}

impl Refused {
    /// The label `/metrics` counts it under.
    pub fn reason(self) -> &'static str {
        match self {
            Refused::Unsigned => "unsigned",
            Refused::BadTimestamp => "bad_timestamp",
            Refused::Stale => "stale",
            Refused::Forged => "forged",
        }
    }
}

/// The app's signing secret. Its `Debug` never shows it.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

impl SigningSecret {
    pub fn new(secret: &str) -> Self {
        Self(secret.trim().as_bytes().to_vec())
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        mac
    }

    /// The `X-Slack-Signature` Slack sends with `body` at `timestamp` (the sandbox signs its
    /// deliveries with it).
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        let digest = self
            .mac(&timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("v0={hex}")
    }

    /// Checks a request's headers against its raw body, at `now` (Unix seconds).
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), Refused> {
        let (timestamp, signature) = timestamp.zip(signature).ok_or(Refused::Unsigned)?;
        let seconds: i64 = timestamp.parse().map_err(|_| Refused::BadTimestamp)?;
        if now.abs_diff(seconds) > MAX_SKEW_SECONDS.unsigned_abs() {
            return Err(Refused::Stale);
        }
        let claimed = signature
            .strip_prefix("v0=")
            .and_then(decode_hex)
            .ok_or(Refused::Forged)?;
        // `verify_slice` compares in constant time.
        self.mac(timestamp, body)
            .verify_slice(&claimed)
            .map_err(|_| Refused::Forged)
    }
}

/// Lower- or upper-case hex into bytes; `None` unless every character is a hex digit and
/// they pair up.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample on Slack's "Verifying requests from Slack" page.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: i64 = 1_531_420_618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn check(timestamp: &str, signature: &str, body: &str, now: i64) -> Result<(), Refused> {
        SigningSecret::new(SECRET).verify(Some(timestamp), Some(signature), body.as_bytes(), now)
    }

    #[test]
    fn slacks_own_sample_is_signed_as_slack_documents() {
        assert_eq!(
            SigningSecret::new(SECRET).sign(TIMESTAMP, BODY.as_bytes()),
            SIGNATURE
        );
        assert_eq!(check("1531420618", SIGNATURE, BODY, TIMESTAMP), Ok(()));
        // Upper-case hex is the same signature.
        assert_eq!(
            check(
                "1531420618",
                &SIGNATURE.to_uppercase().replace("V0=", "v0="),
                BODY,
                TIMESTAMP
            ),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_secret_or_timestamp_is_forged() {
        let tampered = BODY.replace("roadrunner", "coyote");
        assert_eq!(
            check("1531420618", SIGNATURE, &tampered, TIMESTAMP),
            Err(Refused::Forged)
        );
        // The same body signed a second later is another signature.
        assert_eq!(
            check("1531420619", SIGNATURE, BODY, TIMESTAMP),
            Err(Refused::Forged)
        );
        let other = SigningSecret::new("another secret");
        assert_eq!(
            other.verify(
                Some("1531420618"),
                Some(SIGNATURE),
                BODY.as_bytes(),
                TIMESTAMP
            ),
            Err(Refused::Forged)
        );
        for bad in [
            "a2114d57",
            "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
            "v0=zz",
            "v0=abc",
            "",
        ] {
            assert_eq!(
                check("1531420618", bad, BODY, TIMESTAMP),
                Err(Refused::Forged),
                "{bad}"
            );
        }
    }

    #[test]
    fn old_and_future_requests_are_replays() {
        let limit = MAX_SKEW_SECONDS;
        assert_eq!(
            check("1531420618", SIGNATURE, BODY, TIMESTAMP + limit),
            Ok(())
        );
        assert_eq!(
            check("1531420618", SIGNATURE, BODY, TIMESTAMP - limit),
            Ok(())
        );
        assert_eq!(
            check("1531420618", SIGNATURE, BODY, TIMESTAMP + limit + 1),
            Err(Refused::Stale)
        );
        assert_eq!(
            check("1531420618", SIGNATURE, BODY, TIMESTAMP - limit - 1),
            Err(Refused::Stale)
        );
    }

    #[test]
    fn missing_headers_and_bad_timestamps_are_refused() {
        let secret = SigningSecret::new(SECRET);
        assert_eq!(
            secret.verify(None, Some(SIGNATURE), BODY.as_bytes(), TIMESTAMP),
            Err(Refused::Unsigned)
        );
        assert_eq!(
            secret.verify(Some("1531420618"), None, BODY.as_bytes(), TIMESTAMP),
            Err(Refused::Unsigned)
        );
        assert_eq!(
            check("soon", SIGNATURE, BODY, TIMESTAMP),
            Err(Refused::BadTimestamp)
        );
        assert_eq!(
            check(" 1531420618", SIGNATURE, BODY, TIMESTAMP),
            Err(Refused::BadTimestamp)
        );
    }

    #[test]
    fn the_secret_is_never_printed() {
        assert!(!format!("{:?}", SigningSecret::new(SECRET)).contains("8f74"));
    }
}
