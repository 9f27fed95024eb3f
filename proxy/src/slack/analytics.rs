//! `admin.analytics.getFile`: a day's member file, read as it arrives (see
//! [`crate::seats::file`]). On success Slack answers gzip bytes (`application/gzip`), on a
//! refusal the usual JSON.

use reqwest::header;

use super::{Attempt, SlackClient, SlackError, SlackMethod, Status, sent};
use crate::seats::file::{DayDigest, DayReader};

impl SlackClient {
    /// The member file of `date` (`YYYY-MM-DD`, UTC), folded into its digest as the bytes
    /// arrive. Paced at Tier 2 like every call; Slack's refusals (`file_not_yet_available`,
    /// `org_level_email_display_disabled`, …) are [`SlackError::Api`].
    pub async fn member_file(&self, date: &str) -> Result<DayDigest, SlackError> {
        let method = SlackMethod::AdminAnalyticsGetFile;
        self.with_retries(method, "", false, || self.member_file_once(date))
            .await
    }

    async fn member_file_once(&self, date: &str) -> Result<DayDigest, Attempt> {
        let mut response = sent(
            self.http
                .post(format!(
                    "{}{}",
                    self.base_url,
                    SlackMethod::AdminAnalyticsGetFile.name()
                ))
                .header(header::AUTHORIZATION, self.authorization())
                .form(&[("type", "member"), ("date", date)]),
        )
        .await?;
        let status = response.status();
        if status.is_server_error() {
            return Err(Attempt::Unreachable(format!("HTTP {status}")));
        }
        let unreadable =
            |e: &dyn std::fmt::Display| Attempt::Unreachable(format!("unreadable file: {e}"));
        let gzip = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().starts_with("application/gzip"));
        if !gzip {
            let body = response
                .bytes()
                .await
                .map_err(|e| unreadable(&e.without_url()))?;
            let status: Status = serde_json::from_slice(&body).map_err(|e| unreadable(&e))?;
            return Err(Attempt::refused(status.error));
        }
        let mut reader = DayReader::default();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| unreadable(&e.without_url()))?
        {
            reader.feed(&chunk).map_err(|e| unreadable(&e))?;
        }
        reader.finish().map_err(|e| unreadable(&e))
    }
}
