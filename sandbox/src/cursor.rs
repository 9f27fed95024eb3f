//! Opaque, tamper-evident pagination cursors.
//!
//! A cursor is `base64("<kind>:<last id>:<mac>")`, like Slack's `dXNlcjpVMEc5V0ZYTlo=`
//! (`user:U0G9WFXNZ`). It names the last item of the previous page, so a page starts
//! strictly after it in ID order: items added or removed between pages never make the
//! listing skip or repeat another item.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signs and checks cursors with a per-sandbox key.
#[derive(Debug, Clone)]
pub struct CursorCodec {
    key: [u8; 32],
}

impl CursorCodec {
    /// A codec with this key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn tag(&self, kind: &str, position: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length works");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(position.as_bytes());
        let bytes = mac.finalize().into_bytes();
        crate::request::hex(&bytes[..6])
    }

    /// The cursor for "after `position`" in a listing of `kind`.
    pub fn encode(&self, kind: &str, position: &str) -> String {
        STANDARD.encode(format!("{kind}:{position}:{}", self.tag(kind, position)))
    }

    /// The position a cursor names, or `None` when it is not one of ours for `kind`.
    pub fn decode(&self, kind: &str, cursor: &str) -> Option<String> {
        let raw = String::from_utf8(STANDARD.decode(cursor).ok()?).ok()?;
        let mut parts = raw.splitn(3, ':');
        let (k, position, tag) = (parts.next()?, parts.next()?, parts.next()?);
        (k == kind && tag == self.tag(kind, position)).then(|| position.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_tampering() {
        let codec = CursorCodec::new([7; 32]);
        let c = codec.encode("user", "W0ABCDEFG");
        assert_eq!(codec.decode("user", &c).as_deref(), Some("W0ABCDEFG"));
        assert_eq!(codec.decode("team", &c), None, "kind is bound");
        let forged = STANDARD.encode("user:W0ZZZZZZZ:000000000000");
        assert_eq!(codec.decode("user", &forged), None);
        assert_eq!(codec.decode("user", "not base64!"), None);
        let other = CursorCodec::new([8; 32]);
        assert_eq!(other.decode("user", &c), None, "another sandbox's cursor");
    }
}
