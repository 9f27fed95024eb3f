//! The Slack token, which never leaves the proxy: no `Debug`, `Display` or `Serialize`
//! shows its value.

use std::fmt;

/// A Slack API token. Formatting it prints a redacted form.
#[derive(Clone, PartialEq, Eq)]
pub struct SlackToken(String);

impl SlackToken {
    /// Wraps a token, trimming the whitespace a token file usually ends with.
    pub fn new(value: impl Into<String>) -> Result<Self, &'static str> {
        let value = value.into().trim().to_string();
        if value.is_empty() {
            return Err("the Slack token is empty");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the Slack token contains spaces or control characters");
        }
        Ok(Self(value))
    }

    /// The value, for the `Authorization` header and nothing else.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this is an app-level token (`xapp-…`), the kind Socket Mode takes.
    pub fn is_app_level(&self) -> bool {
        self.0.starts_with("xapp-")
    }

    /// `xoxp-…` style prefix, safe to log: Slack's known kinds only, never a piece of an
    /// unknown token's value.
    pub fn kind_prefix(&self) -> &str {
        const KINDS: [&str; 7] = ["xoxp", "xoxb", "xoxa", "xoxe", "xoxc", "xoxs", "xapp"];
        let prefix = self.0.split('-').next().unwrap_or("");
        if self.0.contains('-') && KINDS.contains(&prefix) {
            prefix
        } else {
            "unknown"
        }
    }
}

impl fmt::Debug for SlackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlackToken({}-[redacted])", self.kind_prefix())
    }
}

impl fmt::Display for SlackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-[redacted]", self.kind_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let token = SlackToken::new("xoxp-123-secret-value\n").unwrap();
        assert_eq!(token.expose(), "xoxp-123-secret-value");
        for shown in [
            format!("{token}"),
            format!("{token:?}"),
            format!("{token:#?}"),
        ] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(!shown.contains("123"), "{shown}");
        }
        let odd = SlackToken::new("secretwithoutdashes").unwrap();
        assert!(!format!("{odd:?}").contains("secret"), "{odd:?}");
        let odd = SlackToken::new("secret-value").unwrap();
        assert!(!format!("{odd:?}").contains("secret"), "{odd:?}");
        assert!(SlackToken::new("  ").is_err());
        assert!(SlackToken::new("xoxp a").is_err());
    }
}
