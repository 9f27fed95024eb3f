//! One day's member file from `admin.analytics.getFile`, read as it arrives: the gzipped
//! bytes go through a decoder into a line splitter, each line is parsed and folded into a
//! [`DayDigest`], and nothing of the file is kept. Memory is the digest (what Roster keeps
//! of the day) and one line, whatever the file's size.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Write,
};

use flate2::write::GzDecoder;
use serde::Deserialize;

/// The fields of a member row Roster reads (Slack's rows carry more).
#[derive(Debug, Deserialize)]
struct MemberRow<'a> {
    #[serde(borrow)]
    team_id: &'a str,
    #[serde(borrow)]
    user_id: &'a str,
    #[serde(default)]
    is_guest: bool,
    #[serde(default)]
    is_billable_seat: bool,
    #[serde(default)]
    is_active: bool,
    #[serde(default)]
    is_active_ios: bool,
    #[serde(default)]
    is_active_android: bool,
    #[serde(default)]
    is_active_desktop: bool,
}

/// Clients a person was active on, as bits.
pub const DESKTOP: u8 = 1;
pub const IOS: u8 = 2;
pub const ANDROID: u8 = 4;

/// What one day says of one person on one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonDay {
    pub active: bool,
    /// [`DESKTOP`] | [`IOS`] | [`ANDROID`] on the day.
    pub clients: u8,
    pub billable: bool,
    pub guest: bool,
}

/// A workspace's counts on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub active: u32,
    pub billable: u32,
}

/// What Roster keeps of one day's member file.
#[derive(Debug, Default)]
pub struct DayDigest {
    /// By (user, workspace).
    pub people: HashMap<(String, String), PersonDay>,
    /// By workspace.
    pub workspaces: BTreeMap<String, DayCounts>,
    /// The org's: each person once, however many workspaces.
    pub org: DayCounts,
    /// Lines that were not a member row (counted, not fatal).
    pub unreadable: u32,
    org_active: HashSet<String>,
    org_billable: HashSet<String>,
}

impl DayDigest {
    fn add(&mut self, row: &MemberRow<'_>) {
        let clients = [
            (row.is_active_desktop, DESKTOP),
            (row.is_active_ios, IOS),
            (row.is_active_android, ANDROID),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .fold(0, |bits, (_, bit)| bits | bit);
        let day = PersonDay {
            active: row.is_active,
            clients,
            billable: row.is_billable_seat,
            guest: row.is_guest,
        };
        self.people
            .insert((row.user_id.to_string(), row.team_id.to_string()), day);
        let counts = self.workspaces.entry(row.team_id.to_string()).or_default();
        counts.active += u32::from(row.is_active);
        counts.billable += u32::from(row.is_billable_seat);
        if row.is_active && self.org_active.insert(row.user_id.to_string()) {
            self.org.active += 1;
        }
        if row.is_billable_seat && self.org_billable.insert(row.user_id.to_string()) {
            self.org.billable += 1;
        }
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match serde_json::from_slice::<MemberRow<'_>>(line) {
            Ok(row) => self.add(&row),
            Err(_) => self.unreadable += 1,
        }
    }

    /// Done reading: the sets used for the org's distinct counts are dropped.
    fn finish(mut self) -> Self {
        self.org_active = HashSet::new();
        self.org_billable = HashSet::new();
        self
    }
}

/// Splits decompressed bytes into lines and folds each into the digest.
#[derive(Debug, Default)]
struct Lines {
    partial: Vec<u8>,
    digest: DayDigest,
}

impl Write for Lines {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let written = buf.len();
        while let Some(end) = buf.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.digest.line(&buf[..end]);
            } else {
                self.partial.extend_from_slice(&buf[..end]);
                let line = std::mem::take(&mut self.partial);
                self.digest.line(&line);
            }
            buf = &buf[end + 1..];
        }
        self.partial.extend_from_slice(buf);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads a member file fed in chunks as they arrive.
pub struct DayReader {
    decoder: GzDecoder<Lines>,
}

impl std::fmt::Debug for DayReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DayReader").finish_non_exhaustive()
    }
}

impl Default for DayReader {
    fn default() -> Self {
        DayReader {
            decoder: GzDecoder::new(Lines::default()),
        }
    }
}

impl DayReader {
    /// The next compressed bytes.
    pub fn feed(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.decoder.write_all(chunk)
    }

    /// The end of the file: its digest, or why it is not a whole gzip file.
    pub fn finish(self) -> std::io::Result<DayDigest> {
        let mut lines = self.decoder.finish()?;
        let last = std::mem::take(&mut lines.partial);
        lines.digest.line(&last);
        Ok(lines.digest.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};

    fn gz(text: &str) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    const FILE: &str = concat!(
        r#"{"team_id":"T1","user_id":"W1","date":"2026-12-01","is_guest":false,"is_billable_seat":true,"is_active":true,"is_active_desktop":true,"is_active_ios":true,"is_active_android":false,"messages_posted_count":4}"#,
        "\n",
        r#"{"team_id":"T2","user_id":"W1","is_billable_seat":true,"is_active":false}"#,
        "\n",
        r#"{"team_id":"T1","user_id":"W2","is_guest":true,"is_billable_seat":false,"is_active":true,"is_active_android":true}"#,
        "\n",
        "not a row\n",
        r#"{"team_id":"T2","user_id":"W3","is_billable_seat":true,"is_active":true}"#,
    );

    #[test]
    fn a_file_fed_in_pieces_of_any_size_gives_the_same_digest() {
        let bytes = gz(FILE);
        for size in [1, 3, 17, 64, bytes.len()] {
            let mut reader = DayReader::default();
            for chunk in bytes.chunks(size) {
                reader.feed(chunk).unwrap();
            }
            let digest = reader.finish().unwrap();
            assert_eq!(digest.people.len(), 4, "chunks of {size}");
            assert_eq!(digest.unreadable, 1);
            let w1 = digest.people[&("W1".to_string(), "T1".to_string())];
            assert_eq!(
                w1,
                PersonDay {
                    active: true,
                    clients: DESKTOP | IOS,
                    billable: true,
                    guest: false
                }
            );
            assert!(!digest.people[&("W1".to_string(), "T2".to_string())].active);
            assert_eq!(
                digest.workspaces["T1"],
                DayCounts {
                    active: 2,
                    billable: 1
                }
            );
            assert_eq!(
                digest.workspaces["T2"],
                DayCounts {
                    active: 1,
                    billable: 2
                }
            );
            // W1 is on both workspaces: counted once for the org.
            assert_eq!(
                digest.org,
                DayCounts {
                    active: 3,
                    billable: 2
                }
            );
        }
    }

    #[test]
    fn a_cut_file_is_an_error_not_a_short_day() {
        let bytes = gz(FILE);
        let mut reader = DayReader::default();
        reader.feed(&bytes[..bytes.len() / 2]).unwrap();
        assert!(reader.finish().is_err());
    }
}
