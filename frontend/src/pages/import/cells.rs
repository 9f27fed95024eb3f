//! Reading one cell of the file: a workspace, an account type, an expiration. Channel cells
//! need the names looked up, so they have their own file (`channels.rs`).

use roster_api::{GuestType, Workspace};

use super::columns::normalize;
use crate::format;

/// Why a row cannot be invited yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Something in the file is wrong.
    Invalid(String),
    /// Channel names are still being looked up.
    Pending(String),
}

/// Whether `s` looks like a Slack ID starting with one of `prefixes` ("T0123ABC").
pub fn looks_like_id(s: &str, prefixes: &[char]) -> bool {
    s.len() >= 2
        && s.starts_with(prefixes)
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A workspace cell: a known name or ID, or something shaped like a team ID (the proxy
/// then says whether the role covers it).
pub fn workspace_id(cell: &str, workspaces: &[Workspace]) -> Result<String, String> {
    let lower = format::lowercase(cell);
    if let Some(w) = workspaces
        .iter()
        .find(|w| w.id == cell || format::lowercase(&w.name) == lower)
    {
        return Ok(w.id.clone());
    }
    if looks_like_id(cell, &['T', 'E']) {
        return Ok(cell.to_string());
    }
    Err(format!("No workspace is called “{cell}”."))
}

/// How the table names an account type.
pub fn kind_label(guest: Option<GuestType>) -> &'static str {
    match guest {
        None => "Member",
        Some(GuestType::MultiChannel) => "Multi-channel guest",
        Some(GuestType::SingleChannel) => "Single-channel guest",
    }
}

/// An account type cell; empty means a member.
pub fn guest_type(cell: &str) -> Result<Option<GuestType>, String> {
    let n = normalize(cell);
    match n.strip_suffix(" guest").unwrap_or(&n) {
        "" | "member" => Ok(None),
        "multi" | "multi channel" => Ok(Some(GuestType::MultiChannel)),
        "single" | "single channel" => Ok(Some(GuestType::SingleChannel)),
        _ => Err(format!(
            "Unknown account type “{cell}”: use member, multi-channel guest or single-channel guest."
        )),
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// An expiration cell: `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DD HH:MM` (UTC) or Unix seconds.
pub fn expiration(cell: &str) -> Result<Option<i64>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    let read = || -> Option<i64> {
        if cell.bytes().all(|b| b.is_ascii_digit()) {
            return cell.parse().ok();
        }
        let (date, time) = match cell.split_once([' ', 'T']) {
            Some((d, t)) => (
                d,
                Some(t.trim().trim_end_matches("UTC").trim_end_matches('Z')),
            ),
            None => (cell, None),
        };
        let mut ymd = date.split('-').map(|p| p.parse::<i64>().ok());
        let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
        let valid_date = date.len() == 10
            && ymd.next().is_none()
            && (1..=12).contains(&m)
            && (1..=days_in_month(y, m)).contains(&d);
        let (hh, mm) = match time.map(str::trim) {
            None => (0, 0),
            Some(t) => {
                let mut hm = t.split(':').map(|p| p.parse::<i64>().ok());
                let (h, m) = (hm.next()??, hm.next()??);
                let _seconds = hm.next();
                ((0..24).contains(&h) && (0..60).contains(&m)).then_some((h, m))?
            }
        };
        valid_date.then(|| days_from_civil(y, m, d) * 86_400 + hh * 3_600 + mm * 60)
    };
    read().map(Some).ok_or_else(|| {
        format!("Cannot read the expiration “{cell}”: use YYYY-MM-DD, YYYY-MM-DD HH:MM (UTC) or Unix seconds.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_workspaces_and_account_types() {
        let ws = vec![
            Workspace {
                id: "T1ENG".into(),
                name: "Engineering".into(),
            },
            Workspace {
                id: "T2OPS".into(),
                name: "Ops".into(),
            },
        ];
        assert_eq!(workspace_id("engineering", &ws), Ok("T1ENG".into()));
        assert_eq!(workspace_id("T2OPS", &ws), Ok("T2OPS".into()));
        assert_eq!(workspace_id("T9NEW", &ws), Ok("T9NEW".into()));
        assert!(workspace_id("Marketing", &ws).is_err());
        assert_eq!(guest_type(""), Ok(None));
        assert_eq!(guest_type("Member"), Ok(None));
        assert_eq!(guest_type("multi"), Ok(Some(GuestType::MultiChannel)));
        assert_eq!(
            guest_type("Multi-channel guest"),
            Ok(Some(GuestType::MultiChannel))
        );
        assert_eq!(
            guest_type("single-channel guest"),
            Ok(Some(GuestType::SingleChannel))
        );
        assert!(guest_type("guest").is_err());
        assert!(guest_type("admin").is_err());
    }

    #[test]
    fn reads_expirations_in_utc() {
        assert_eq!(expiration(""), Ok(None));
        assert_eq!(expiration("1970-01-01"), Ok(Some(0)));
        assert_eq!(expiration("2000-03-01"), Ok(Some(951_868_800)));
        assert_eq!(expiration("2026-11-23 13:05"), Ok(Some(1_795_439_100)));
        assert_eq!(expiration("2026-11-23T13:05Z"), Ok(Some(1_795_439_100)));
        assert_eq!(expiration("2024-02-29"), Ok(Some(1_709_164_800)));
        assert_eq!(expiration("4000000000"), Ok(Some(4_000_000_000)));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-5",
            "23/11/2026",
            "2026-11-23 25:00",
            "soon",
        ] {
            assert!(expiration(bad).is_err(), "{bad} was accepted");
        }
    }
}
