//! `/import`: invite many people from a CSV file. Read the file, match its columns, have the
//! proxy check every row (a dry run, which changes nothing), then start a job with the rows
//! that pass and follow it on `/jobs/{id}`.

use std::collections::HashMap;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use roster_api::{
    CHANNEL_SEARCH_LIMIT, DryRun, GuestType, InviteRequest, JobRequest, MAX_CUSTOM_MESSAGE,
    MAX_JOB_OPERATIONS, Operation, Permission, Workspace,
};

use crate::{
    api::{self, ApiError},
    components::{ErrorNotice, Toasts},
    csv, format,
    pages::jobs::start_job,
    session::Session,
};

/// How long the text must stay unchanged before channel names are looked up.
const LOOKUP_DELAY: std::time::Duration = std::time::Duration::from_millis(400);

/// Largest file the page reads; far more than `MAX_JOB_OPERATIONS` rows need.
const MAX_FILE_BYTES: f64 = 5_000_000.0;

/// What a column of the file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Email,
    RealName,
    Workspace,
    Channels,
    Guest,
    Expires,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Email,
        Field::RealName,
        Field::Workspace,
        Field::Channels,
        Field::Guest,
        Field::Expires,
    ];

    fn label(self) -> &'static str {
        match self {
            Field::Email => "Email",
            Field::RealName => "Full name",
            Field::Workspace => "Workspace",
            Field::Channels => "Channels",
            Field::Guest => "Account type",
            Field::Expires => "Expiration",
        }
    }

    fn input_id(self) -> &'static str {
        match self {
            Field::Email => "map-email",
            Field::RealName => "map-name",
            Field::Workspace => "map-workspace",
            Field::Channels => "map-channels",
            Field::Guest => "map-type",
            Field::Expires => "map-expires",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Field::Email => "Required.",
            Field::RealName => "Optional.",
            Field::Workspace => {
                "A workspace name or team ID (T…). Empty cells use the workspace below."
            }
            Field::Channels => {
                "Channel names (#general) or IDs (C…), separated by spaces or semicolons."
            }
            Field::Guest => "member, multi-channel guest or single-channel guest. Empty: member.",
            Field::Expires => {
                "YYYY-MM-DD or YYYY-MM-DD HH:MM in UTC, or Unix seconds. Guests only."
            }
        }
    }

    /// Header names that mean this field, as [`normalize`] spells them.
    fn headers(self) -> &'static [&'static str] {
        match self {
            Field::Email => &["email", "e mail", "email address", "mail"],
            Field::RealName => &["name", "real name", "full name", "realname", "display name"],
            Field::Workspace => &[
                "workspace",
                "team",
                "workspace name",
                "workspace id",
                "team id",
                "team name",
            ],
            Field::Channels => &["channels", "channel", "channel ids", "channel id"],
            Field::Guest => &["type", "guest type", "account type", "guest", "user type"],
            Field::Expires => &[
                "expires",
                "expiration",
                "expiry",
                "expires at",
                "expiration date",
                "expires on",
            ],
        }
    }
}

/// For each [`Field`], the column holding it.
type Mapping = [Option<usize>; 6];

/// Lower case words: "Guest_Type " → "guest type".
fn normalize(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(format::lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Matches header names to fields, ignoring case and punctuation.
fn guess_mapping(headers: &[String]) -> Mapping {
    let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    Field::ALL.map(|f| {
        normalized
            .iter()
            .position(|h| f.headers().contains(&h.as_str()))
    })
}

/// Whether `s` looks like a Slack ID starting with one of `prefixes` ("T0123ABC").
fn looks_like_id(s: &str, prefixes: &[char]) -> bool {
    s.len() >= 2
        && s.starts_with(prefixes)
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A workspace cell: a known name or ID, or something shaped like a team ID (the proxy
/// then says whether the role covers it).
fn workspace_id(cell: &str, workspaces: &[Workspace]) -> Result<String, String> {
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

/// What looking up a channel name on a workspace found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    Found(String),
    Missing,
    /// The lookup itself failed (Slack unreachable, no permission): why.
    Failed(String),
}

/// Channel names looked up so far, by (workspace ID, lower-case name without `#`).
type Lookups = HashMap<(String, String), Lookup>;

/// Why a row cannot be invited yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// Something in the file is wrong.
    Invalid(String),
    /// Channel names are still being looked up.
    Pending(String),
}

/// A channels cell: channel IDs (`C0123ABCD`) or names (`#general` or `general`),
/// separated by spaces, semicolons or commas. Names are read from `lookups` for the row's
/// `workspace`; the ones not looked up yet are added to `wanted` and make the row wait.
fn channel_ids(
    cell: &str,
    workspace: Option<&str>,
    lookups: &Lookups,
    wanted: &mut Vec<(String, String)>,
) -> Result<Vec<String>, Problem> {
    let mut ids: Vec<String> = Vec::new();
    let (mut missing, mut failed, mut pending, mut bad) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for part in cell
        .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let id = if looks_like_id(part, &['C', 'G']) {
            part.to_string()
        } else {
            let name = format::lowercase(part.strip_prefix('#').unwrap_or(part));
            if name.is_empty() || name.chars().count() > 80 {
                bad.push(part.to_string());
                continue;
            }
            // Without a workspace there is nothing to look the name up in; the
            // workspace's own error says why.
            let Some(workspace) = workspace else {
                continue;
            };
            let key = (workspace.to_string(), name);
            match lookups.get(&key) {
                Some(Lookup::Found(id)) => id.clone(),
                Some(Lookup::Missing) => {
                    missing.push(format!("#{}", key.1));
                    continue;
                }
                Some(Lookup::Failed(why)) => {
                    failed.push(format!("#{}: {why}", key.1));
                    continue;
                }
                None => {
                    pending.push(format!("#{}", key.1));
                    if !wanted.contains(&key) {
                        wanted.push(key);
                    }
                    continue;
                }
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut problems = Vec::new();
    if !bad.is_empty() {
        problems.push(format!("Not channels: {}.", bad.join(", ")));
    }
    if !missing.is_empty() {
        problems.push(format!(
            "No channel called {} on this workspace.",
            missing.join(", ")
        ));
    }
    if !failed.is_empty() {
        problems.push(format!("Could not look up {}.", failed.join("; ")));
    }
    if !problems.is_empty() {
        Err(Problem::Invalid(problems.join(" ")))
    } else if !pending.is_empty() {
        Err(Problem::Pending(format!(
            "Looking up {}…",
            pending.join(", ")
        )))
    } else {
        Ok(ids)
    }
}

/// How the table names an account type.
fn kind_label(guest: Option<GuestType>) -> &'static str {
    match guest {
        None => "Member",
        Some(GuestType::MultiChannel) => "Multi-channel guest",
        Some(GuestType::SingleChannel) => "Single-channel guest",
    }
}

/// An account type cell; empty means a member.
fn guest_type(cell: &str) -> Result<Option<GuestType>, String> {
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
fn expiration(cell: &str) -> Result<Option<i64>, String> {
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

/// Turns one data row into an invitation, or says everything wrong with it (or that its
/// channel names are still being looked up: see [`channel_ids`]).
fn read_row(
    cells: &[String],
    mapping: &Mapping,
    default_workspace: &str,
    workspaces: &[Workspace],
    message: Option<&str>,
    lookups: &Lookups,
    wanted: &mut Vec<(String, String)>,
) -> Result<InviteRequest, Problem> {
    let cell = |f: Field| {
        mapping[f as usize]
            .and_then(|i| cells.get(i))
            .map_or("", |c| c.trim())
    };
    let email = format::lowercase(cell(Field::Email));
    let workspace = match cell(Field::Workspace) {
        "" if default_workspace.is_empty() => Err("No workspace.".to_string()),
        "" => Ok(default_workspace.to_string()),
        w => workspace_id(w, workspaces),
    };
    let channels = channel_ids(
        cell(Field::Channels),
        workspace.as_deref().ok(),
        lookups,
        wanted,
    );
    let guest = guest_type(cell(Field::Guest));
    let expires = expiration(cell(Field::Expires));
    match (workspace, channels, guest, expires) {
        (Ok(workspace), Ok(channels), Ok(guest), Ok(expires)) if !email.is_empty() => {
            Ok(InviteRequest {
                email,
                workspace,
                channels,
                real_name: Some(cell(Field::RealName).to_string()).filter(|n| !n.is_empty()),
                custom_message: message.map(str::to_string),
                guest,
                expires,
                resend: false,
            })
        }
        (workspace, channels, guest, expires) => {
            let mut problems = Vec::new();
            if email.is_empty() {
                problems.push("No email address.".to_string());
            }
            problems.extend(workspace.err());
            let pending = match channels {
                Err(Problem::Invalid(e)) => {
                    problems.push(e);
                    None
                }
                Err(Problem::Pending(m)) => Some(m),
                Ok(_) => None,
            };
            problems.extend(guest.err());
            problems.extend(expires.err());
            match pending {
                Some(m) if problems.is_empty() => Err(Problem::Pending(m)),
                _ => Err(Problem::Invalid(problems.join(" "))),
            }
        }
    }
}

/// The rows that fail, as a CSV: the row number, the original cells, and why.
fn errors_csv(headers: &[String], failing: &[(usize, Vec<String>, String)]) -> String {
    let mut out = String::from("\u{feff}");
    let mut head = vec!["row".to_string()];
    head.extend(headers.iter().cloned());
    head.push("error".to_string());
    out.push_str(&csv::write_record(&head));
    for (row, cells, error) in failing {
        let mut line = vec![row.to_string()];
        line.extend(cells.iter().cloned());
        line.resize(headers.len() + 1, String::new());
        line.push(error.clone());
        out.push_str(&csv::write_record(&line));
    }
    out
}

/// One data row of the file and what it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ImportRow {
    /// As a spreadsheet numbers it: the header is row 1.
    row: usize,
    cells: Vec<String>,
    invite: Result<InviteRequest, Problem>,
}

/// What the proxy said of one row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Verdict {
    /// Channel names are being looked up.
    Pending(String),
    Unchecked,
    Ok(String),
    Fails(String),
}

/// A dry run and the operations it checked, so that a changed file or mapping shows it is
/// out of date.
#[derive(Debug, Clone, PartialEq)]
struct Checked {
    rows: Vec<(usize, InviteRequest)>,
    dry: DryRun,
}

/// A row as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RowView {
    row: usize,
    email: String,
    name: String,
    workspace: String,
    kind: &'static str,
    channels: String,
    expires: String,
    verdict: Verdict,
}

/// The import page.
#[component]
pub fn ImportPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let toasts = expect_context::<Toasts>();
    let navigate = StoredValue::new_local(use_navigate());
    let text = RwSignal::new(String::new());
    let file_name = RwSignal::new(None::<String>);
    let file_error = RwSignal::new(None::<String>);
    let title = RwSignal::new(String::new());
    let parsed = Memo::new(move |_| csv::parse(&text.get()));
    let headers = Memo::new(move |_| {
        parsed.with(|p| {
            p.as_ref()
                .ok()
                .and_then(|r| r.first())
                .map(|(_, h)| h.clone())
                .unwrap_or_default()
        })
    });
    let mapping = RwSignal::new([None; 6] as Mapping);
    // A new header row: guess the columns again (only then, so choices survive edits).
    Effect::new(move |previous: Option<Vec<String>>| {
        let h = headers.get();
        if previous.as_ref() != Some(&h) {
            let guess = guess_mapping(&h);
            if mapping.get_untracked() != guess {
                mapping.set(guess);
            }
        }
        h
    });
    let default_workspace = RwSignal::new(String::new());
    Effect::new(move |_| {
        if default_workspace.get_untracked().is_empty()
            && let Some(first) = session.workspace_list().first()
        {
            default_workspace.set(first.id.clone());
        }
    });
    // One message for every invitation of the file.
    let message = RwSignal::new(String::new());
    let message_too_long = move || message.with(|m| m.chars().count() > MAX_CUSTOM_MESSAGE);
    // Channel names found in the file, looked up once per workspace and name.
    let lookups = RwSignal::new(Lookups::new());
    let read = Memo::new(move |_| {
        let workspaces = session.workspace_list();
        let mapping = mapping.get();
        let default_workspace = default_workspace.get();
        let message = message.get();
        let message = Some(message.trim()).filter(|m| !m.is_empty());
        let mut wanted = Vec::new();
        let rows = lookups.with(|lookups| {
            parsed.with(|p| {
                p.as_ref()
                    .map(|records| {
                        records
                            .iter()
                            .skip(1)
                            .map(|(row, cells)| ImportRow {
                                row: *row,
                                cells: cells.clone(),
                                invite: read_row(
                                    cells,
                                    &mapping,
                                    &default_workspace,
                                    &workspaces,
                                    message,
                                    lookups,
                                    &mut wanted,
                                ),
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        });
        (rows, wanted)
    });
    let rows = Memo::new(move |_| read.with(|(rows, _)| rows.clone()));
    // Look up the names the file uses that are not known yet, each once, when the text has
    // stopped changing (typing a name must not look up every prefix of it).
    let asked = StoredValue::new(std::collections::HashSet::<(String, String)>::new());
    let look_up = move |wanted: Vec<(String, String)>| {
        for key in wanted {
            if asked.with_value(|a| a.contains(&key)) {
                continue;
            }
            asked.update_value(|a| {
                a.insert(key.clone());
            });
            spawn_local(async move {
                let (workspace, name) = &key;
                let found = match api::channels(workspace, name).await {
                    Ok(list) => {
                        let full = list.len() >= CHANNEL_SEARCH_LIMIT;
                        match list
                            .into_iter()
                            .find(|c| format::lowercase(&c.name) == *name)
                        {
                            Some(c) => Lookup::Found(c.id),
                            // The answer may have left the exact name out.
                            None if full => Lookup::Failed(
                                "many channels have similar names; use its ID (C…)".into(),
                            ),
                            None => Lookup::Missing,
                        }
                    }
                    Err(e) => Lookup::Failed(e.to_string()),
                };
                lookups.try_update(|l| {
                    l.insert(key, found);
                });
            });
        }
    };
    let pending_lookup = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let wanted = read.with(|(_, wanted)| wanted.clone());
        if let Some(timer) = pending_lookup.get_value() {
            timer.clear();
        }
        let timer = (!wanted.is_empty())
            .then(|| set_timeout_with_handle(move || look_up(wanted), LOOKUP_DELAY).ok())
            .flatten();
        pending_lookup.set_value(timer);
    });
    on_cleanup(move || {
        if let Some(timer) = pending_lookup.try_get_value().flatten() {
            timer.clear();
        }
    });
    let ready = Memo::new(move |_| {
        rows.with(|rows| {
            rows.iter()
                .filter_map(|r| r.invite.clone().ok().map(|i| (r.row, i)))
                .collect::<Vec<_>>()
        })
    });
    let local_errors = move || {
        rows.with(|r| {
            r.iter()
                .filter(|r| matches!(r.invite, Err(Problem::Invalid(_))))
                .count()
        })
    };
    let looking_up = move || {
        rows.with(|r| {
            r.iter()
                .filter(|r| matches!(r.invite, Err(Problem::Pending(_))))
                .count()
        })
    };
    let checked = RwSignal::new(None::<Checked>);
    let checking = RwSignal::new(false);
    let creating = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    // The dry run, while it still matches the file and the mapping.
    let fresh = Memo::new(move |_| {
        checked.with(|c| {
            c.as_ref()
                .filter(|c| ready.with(|r| *r == c.rows))
                .map(|c| c.dry.clone())
        })
    });
    let verdicts = Memo::new(move |_| {
        let mut by_row = HashMap::new();
        if let Some(dry) = fresh.get() {
            ready.with(|ready| {
                for check in &dry.checks {
                    if let Some((row, _)) = ready.get(check.index) {
                        let message = match (&check.field, check.ok) {
                            (Some(field), false) => format!("{} ({field})", check.message),
                            _ => check.message.clone(),
                        };
                        by_row.insert(*row, (check.ok, message));
                    }
                }
            });
        }
        by_row
    });
    let verdict = move |r: &ImportRow| match &r.invite {
        Err(Problem::Invalid(e)) => Verdict::Fails(e.clone()),
        Err(Problem::Pending(m)) => Verdict::Pending(m.clone()),
        Ok(_) => match verdicts.with(|v| v.get(&r.row).cloned()) {
            Some((true, m)) => Verdict::Ok(m),
            Some((false, m)) => Verdict::Fails(m),
            None => Verdict::Unchecked,
        },
    };
    let views = move || {
        rows.with(|rows| {
            rows.iter()
                .map(|r| {
                    let cell = |f: Field| {
                        mapping
                            .with(|m| m[f as usize])
                            .and_then(|i| r.cells.get(i))
                            .map(|c| c.trim().to_string())
                            .unwrap_or_default()
                    };
                    let (workspace, kind, channels, expires) = match &r.invite {
                        Ok(i) => (
                            session.workspace_name(&i.workspace),
                            kind_label(i.guest),
                            cell(Field::Channels),
                            i.expires.map(format::utc).unwrap_or_default(),
                        ),
                        // What can be read of a row with problems, as read; the rest as
                        // the file has it.
                        Err(_) => (
                            match cell(Field::Workspace) {
                                w if w.is_empty() => {
                                    session.workspace_name(&default_workspace.get())
                                }
                                w => workspace_id(&w, &session.workspace_list())
                                    .map_or(w, |id| session.workspace_name(&id)),
                            },
                            guest_type(&cell(Field::Guest)).map_or("", kind_label),
                            cell(Field::Channels),
                            expiration(&cell(Field::Expires))
                                .ok()
                                .flatten()
                                .map_or_else(|| cell(Field::Expires), format::utc),
                        ),
                    };
                    RowView {
                        row: r.row,
                        email: cell(Field::Email),
                        name: cell(Field::RealName),
                        workspace,
                        kind,
                        channels,
                        expires,
                        verdict: verdict(r),
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let failing = move || {
        rows.with(|rows| {
            rows.iter()
                .filter_map(|r| match verdict(r) {
                    Verdict::Fails(m) => Some((r.row, r.cells.clone(), m)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    let has_failures =
        move || local_errors() > 0 || verdicts.with(|v| v.values().any(|(ok, _)| !ok));
    let will_run =
        move || fresh.with(|d| d.as_ref().map(|d| d.checks.iter().filter(|c| c.ok).count()));
    let too_many = move || ready.with(Vec::len) > MAX_JOB_OPERATIONS;

    let on_file = move |input: web_sys::HtmlInputElement| {
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // Choosing the same file again (after fixing it) must read it again.
        input.set_value("");
        file_error.set(None);
        if file.size() > MAX_FILE_BYTES {
            file_error.set(Some(format!(
                "{} is too large to import (at most 5 MB).",
                file.name()
            )));
            return;
        }
        let name = file.name();
        spawn_local(async move {
            let read = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            match read.ok().and_then(|v| v.as_string()) {
                Some(contents) => {
                    if title.try_get_untracked().is_some_and(|t| t.is_empty()) {
                        title.try_set(format!("Import {name}"));
                    }
                    file_name.try_set(Some(name));
                    text.try_set(contents);
                }
                None => {
                    file_error.try_set(Some(format!("{name} could not be read as text.")));
                }
            }
        });
    };
    let check = move |_| {
        let rows = ready.get_untracked();
        let request = JobRequest {
            title: None,
            operations: rows
                .iter()
                .map(|(_, i)| Operation::Invite(i.clone()))
                .collect(),
        };
        checking.set(true);
        error.set(None);
        spawn_local(async move {
            let answer = api::dry_run_job(&request).await;
            checking.try_set(false);
            match answer {
                Ok(dry) => {
                    checked.try_set(Some(Checked { rows, dry }));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        });
    };
    let run = move |_| {
        let Some(dry) = fresh.get_untracked() else {
            return;
        };
        let operations: Vec<Operation> = ready.with_untracked(|ready| {
            dry.checks
                .iter()
                .filter(|c| c.ok)
                .filter_map(|c| ready.get(c.index))
                .map(|(_, i)| Operation::Invite(i.clone()))
                .collect()
        });
        let name = title.get_untracked().trim().to_string();
        let request = JobRequest {
            title: Some(if name.is_empty() {
                "CSV import".to_string()
            } else {
                name
            }),
            operations,
        };
        creating.set(true);
        error.set(None);
        spawn_local(async move {
            let started = start_job(&request, ("invitation", "invitations"), toasts, navigate);
            if let Err(e) = started.await {
                creating.try_set(false);
                error.try_set(Some(e));
            }
        });
    };
    let busy = move || checking.get() || creating.get();

    view! {
        <section class="page page-import">
            <div class="page-head">
                <h1>"Import CSV"</h1>
                <p class="muted">"Invite many people at once. Nothing is sent until you run the job."</p>
            </div>
            <Show when=move || !(session.can(Permission::UsersInvite) && session.writable())>
                <div class="notice notice-warn" role="status">"Your role cannot invite people, or Roster is read-only."</div>
            </Show>
            <form class="form form-wide" on:submit=move |ev| ev.prevent_default()>
                <h2>"1. The file"</h2>
                <div class="field">
                    <label for="import-file">"CSV file"</label>
                    <input id="import-file" type="file" accept=".csv,text/csv,text/plain" aria-describedby="import-file-hint"
                        prop:disabled=busy on:change:target=move |ev| on_file(ev.target())/>
                    <p class="muted" id="import-file-hint">
                        "The first row names the columns. Rows are numbered as in a spreadsheet: the header is row 1."
                    </p>
                    {move || file_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
                <div class="field">
                    <label for="import-text">{move || match file_name.get() { Some(n) => format!("Contents of {n}"), None => "Or paste the CSV".to_string() }}</label>
                    <textarea id="import-text" rows="6" class="mono" spellcheck="false" prop:disabled=busy
                        placeholder="email,name,workspace,channels,type,expires"
                        prop:value=move || text.get() on:input:target=move |ev| text.set(ev.target().value())></textarea>
                    {move || parsed.get().err().map(|e| view! { <p class="field-error" role="alert">{e.to_string()}</p> })}
                </div>
                <Show when=move || !headers.with(Vec::is_empty)>
                    <h2>"2. The columns"</h2>
                    <div class="mapping">
                        {Field::ALL.into_iter().map(|f| view! {
                            <div class="field">
                                <label for=f.input_id()>{f.label()}</label>
                                <select id=f.input_id() aria-describedby=format!("{}-hint", f.input_id()) prop:disabled=busy
                                    on:change:target=move |ev| {
                                        let v = ev.target().value().parse::<usize>().ok();
                                        mapping.update(|m| m[f as usize] = v);
                                    }>
                                    <option value="" selected=move || mapping.with(|m| m[f as usize].is_none())>"(not in the file)"</option>
                                    {move || headers.get().into_iter().enumerate().map(|(i, h)| view! {
                                        <option value=i.to_string() selected=move || mapping.with(|m| m[f as usize] == Some(i))>
                                            {if h.trim().is_empty() { format!("Column {}", i + 1) } else { h }}
                                        </option>
                                    }).collect_view()}
                                </select>
                                <p class="muted" id=format!("{}-hint", f.input_id())>{f.hint()}</p>
                            </div>
                        }).collect_view()}
                        <div class="field">
                            <label for="import-default-workspace">"Workspace for rows without one"</label>
                            <select id="import-default-workspace" prop:disabled=busy
                                on:change:target=move |ev| default_workspace.set(ev.target().value())>
                                {move || session.workspace_list().into_iter().map(|w| {
                                    let id = w.id.clone();
                                    view! { <option value=w.id.clone() selected=move || default_workspace.get() == id>{w.name}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field field-wide">
                            <label for="import-message">"Message in every invitation (optional)"</label>
                            <textarea id="import-message" rows="3" aria-describedby="import-message-count"
                                prop:value=move || message.get() prop:disabled=busy
                                on:input:target=move |ev| message.set(ev.target().value())></textarea>
                            <p class="muted" id="import-message-count">
                                {move || format!(
                                    "{} / {} characters",
                                    format::thousands(message.with(|m| m.chars().count())),
                                    format::thousands(MAX_CUSTOM_MESSAGE)
                                )}
                            </p>
                            <Show when=message_too_long>
                                <p class="field-error" role="alert">{format!("The message is too long: at most {} characters.", format::thousands(MAX_CUSTOM_MESSAGE))}</p>
                            </Show>
                        </div>
                        <div class="field">
                            <label for="import-title">"Job name"</label>
                            <input id="import-title" type="text" autocomplete="off" placeholder="CSV import"
                                prop:value=move || title.get() prop:disabled=busy
                                on:input:target=move |ev| title.set(ev.target().value())/>
                        </div>
                    </div>
                    <h2>"3. Check and run"</h2>
                    <p data-testid="import-summary" aria-live="polite">
                        {move || {
                            let total = rows.with(Vec::len);
                            match will_run() {
                                Some(ok) => format!(
                                    "{} will run, {} will fail.",
                                    format::count(ok, "invitation", "invitations"),
                                    format::thousands(total - ok)
                                ),
                                None => match looking_up() {
                                    0 => format!(
                                        "{} read, {} with problems in the file.",
                                        format::count(total, "row", "rows"),
                                        format::thousands(local_errors())
                                    ),
                                    n => format!(
                                        "{} read; looking up the channels of {}…",
                                        format::count(total, "row", "rows"),
                                        format::count(n, "row", "rows")
                                    ),
                                },
                            }
                        }}
                        {move || fresh.get().filter(|d| d.ok > 0).map(|d| format!(" Running them takes {}.", format::duration(d.estimated_seconds)))}
                    </p>
                    <Show when=too_many>
                        <p class="field-error" role="alert">
                            {move || format!(
                                "A job holds at most {} invitations; this file has {}. Split it into smaller files.",
                                format::thousands(MAX_JOB_OPERATIONS),
                                format::thousands(ready.with(Vec::len))
                            )}
                        </p>
                    </Show>
                    {move || error.get().map(|e| view! { <ErrorNotice error=e/> })}
                    <div class="dialog-buttons">
                        <Show when=has_failures>
                            <a class="button button-quiet" download="roster-import-errors.csv"
                                href=move || format!(
                                    "data:text/csv;charset=utf-8,{}",
                                    String::from(js_sys::encode_uri_component(&headers.with(|h| errors_csv(h, &failing()))))
                                )>
                                "Download errors as CSV"
                            </a>
                        </Show>
                        <button type="button" class=move || if fresh.with(Option::is_some) { "button-quiet" } else { "button" }
                            prop:disabled=move || busy() || too_many() || message_too_long() || looking_up() != 0 || ready.with(Vec::is_empty)
                            on:click=check>
                            {move || if checking.get() {
                                "Checking…".to_string()
                            } else {
                                format!("Check {}", format::count(ready.with(Vec::len), "row", "rows"))
                            }}
                        </button>
                        <Show when=move || will_run().is_some_and(|n| n > 0)>
                            <button type="button" class="button" prop:disabled=busy on:click=run>
                                {move || if creating.get() {
                                    "Starting…".to_string()
                                } else {
                                    format!("Run {}", format::count(will_run().unwrap_or(0), "invitation", "invitations"))
                                }}
                            </button>
                        </Show>
                    </div>
                </Show>
            </form>
            <Show when=move || !rows.with(Vec::is_empty)>
                <div class="table-wrap import-preview">
                    <table class="plain">
                        <caption class="visually-hidden">"Rows of the file and what checking them found"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Row"</th>
                                <th scope="col">"Email"</th>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Workspace"</th>
                                <th scope="col">"Account type"</th>
                                <th scope="col">"Channels"</th>
                                <th scope="col">"Expires"</th>
                                <th scope="col">"Result"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=views key=|v| v.clone() let:v>
                                <tr data-row=v.row data-verdict=match v.verdict { Verdict::Pending(_) => "pending", Verdict::Unchecked => "unchecked", Verdict::Ok(_) => "ok", Verdict::Fails(_) => "error" }>
                                    <td>{v.row}</td>
                                    <td>{v.email.clone()}</td>
                                    <td>{v.name.clone()}</td>
                                    <td>{v.workspace.clone()}</td>
                                    <td>{v.kind}</td>
                                    <td><code>{v.channels.clone()}</code></td>
                                    <td>{v.expires.clone()}</td>
                                    <td>{match v.verdict.clone() {
                                        Verdict::Pending(m) => view! { <span class="muted">{m}</span> }.into_any(),
                                        Verdict::Unchecked => view! { <span class="muted">"Not checked yet"</span> }.into_any(),
                                        Verdict::Ok(m) => view! { <span class="badge badge-active">"OK"</span>" "<span class="muted">{m}</span> }.into_any(),
                                        Verdict::Fails(m) => view! { <span class="badge badge-deactivated">"Error"</span>" "{m} }.into_any(),
                                    }}</td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspaces() -> Vec<Workspace> {
        vec![
            Workspace {
                id: "T1ENG".into(),
                name: "Engineering".into(),
            },
            Workspace {
                id: "T2OPS".into(),
                name: "Ops".into(),
            },
        ]
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn guesses_columns_from_header_names() {
        let m = guess_mapping(&strings(&[
            "Real Name",
            "E-mail",
            "Team",
            "Channels",
            "Guest_Type",
            "Expires",
        ]));
        assert_eq!(m, [Some(1), Some(0), Some(2), Some(3), Some(4), Some(5)]);
        let m = guess_mapping(&strings(&["email", "name", "notes"]));
        assert_eq!(m, [Some(0), Some(1), None, None, None, None]);
    }

    #[test]
    fn reads_cells() {
        let ws = workspaces();
        assert_eq!(workspace_id("engineering", &ws), Ok("T1ENG".into()));
        assert_eq!(workspace_id("T2OPS", &ws), Ok("T2OPS".into()));
        assert_eq!(workspace_id("T9NEW", &ws), Ok("T9NEW".into()));
        assert!(workspace_id("Marketing", &ws).is_err());
        let none = Lookups::new();
        let mut wanted = Vec::new();
        assert_eq!(
            channel_ids("C01; C02 C01,G03", Some("T1ENG"), &none, &mut wanted),
            Ok(strings(&["C01", "C02", "G03"]))
        );
        assert!(wanted.is_empty());
        assert!(matches!(
            channel_ids("#general", Some("T1ENG"), &none, &mut wanted),
            Err(Problem::Pending(_))
        ));
        assert_eq!(wanted, [("T1ENG".to_string(), "general".to_string())]);
        assert_eq!(
            channel_ids("#general", None, &none, &mut Vec::new()),
            Ok(vec![]),
            "no workspace: its own error speaks"
        );
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
    fn looks_channel_names_up_on_the_rows_workspace() {
        let key = |w: &str, n: &str| (w.to_string(), n.to_string());
        let lookups: Lookups = [
            (key("T1ENG", "general"), Lookup::Found("C9GEN".into())),
            (key("T1ENG", "gone"), Lookup::Missing),
            (key("T2OPS", "general"), Lookup::Found("C8OPS".into())),
            (
                key("T2OPS", "secret"),
                Lookup::Failed("Not allowed.".into()),
            ),
        ]
        .into();
        let mut wanted = Vec::new();
        let mut ids = |cell: &str, w: &str| channel_ids(cell, Some(w), &lookups, &mut wanted);
        assert_eq!(ids("#General C01", "T1ENG"), Ok(strings(&["C9GEN", "C01"])));
        assert_eq!(ids("general", "T2OPS"), Ok(strings(&["C8OPS"])));
        let Err(Problem::Invalid(e)) = ids("#gone; #general", "T1ENG") else {
            panic!("a missing channel is an error");
        };
        assert!(e.contains("No channel called #gone"), "{e}");
        let Err(Problem::Invalid(e)) = ids("#secret", "T2OPS") else {
            panic!("a failed lookup is an error");
        };
        assert!(e.contains("#secret: Not allowed."), "{e}");
        assert!(wanted.is_empty());

        // A row waits for its lookups, unless something else is already wrong with it.
        let ws = workspaces();
        let mapping = guess_mapping(&strings(&["email", "workspace", "channels", "type"]));
        let row = |cells: &[&str], wanted: &mut Vec<(String, String)>| {
            read_row(
                &strings(cells),
                &mapping,
                "T1ENG",
                &ws,
                None,
                &lookups,
                wanted,
            )
        };
        let mut wanted = Vec::new();
        assert!(matches!(
            row(&["a@x.io", "Ops", "#new-hires", ""], &mut wanted),
            Err(Problem::Pending(_))
        ));
        assert_eq!(wanted, [key("T2OPS", "new-hires")]);
        assert!(matches!(
            row(&["a@x.io", "Ops", "#new-hires", "boss"], &mut wanted),
            Err(Problem::Invalid(_))
        ));
        let invite = row(&["a@x.io", "", "#general", ""], &mut wanted).unwrap();
        assert_eq!(invite.channels, ["C9GEN"]);
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

    #[test]
    fn turns_rows_into_invitations_or_says_why_not() {
        let ws = workspaces();
        let mapping = guess_mapping(&strings(&[
            "email",
            "name",
            "workspace",
            "channels",
            "type",
        ]));
        let invite = read_row(
            &strings(&[" Ada@X.io ", "Ada Lee", "", "C1 C2", "single"]),
            &mapping,
            "T2OPS",
            &ws,
            Some("Welcome aboard"),
            &Lookups::new(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(invite.custom_message.as_deref(), Some("Welcome aboard"));
        assert_eq!(invite.email, "ada@x.io");
        assert_eq!(invite.workspace, "T2OPS");
        assert_eq!(invite.channels, ["C1", "C2"]);
        assert_eq!(invite.real_name.as_deref(), Some("Ada Lee"));
        assert_eq!(invite.guest, Some(GuestType::SingleChannel));
        let problems = read_row(
            &strings(&["", "", "Nowhere", "C1 #", "boss"]),
            &mapping,
            "T2OPS",
            &ws,
            None,
            &Lookups::new(),
            &mut Vec::new(),
        )
        .unwrap_err();
        let Problem::Invalid(problems) = problems else {
            panic!("{problems:?}");
        };
        for part in ["No email", "Nowhere", "Not channels: #.", "boss"] {
            assert!(problems.contains(part), "{problems:?} lacks {part}");
        }
        // A short row is not an error by itself.
        let short = read_row(
            &strings(&["b@x.io"]),
            &mapping,
            "T1ENG",
            &ws,
            None,
            &Lookups::new(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(short.custom_message, None);
    }

    #[test]
    fn error_csv_keeps_the_original_cells() {
        let csv = errors_csv(
            &strings(&["email", "name"]),
            &[(3, strings(&["x@y.io"]), "Bad, very".into())],
        );
        assert_eq!(
            csv,
            "\u{feff}row,email,name,error\r\n3,x@y.io,,\"Bad, very\"\r\n"
        );
    }
}
