//! Each data row of the file: the invitation it becomes or what is wrong with it, what the
//! proxy's dry run said of it, and how the table shows it.

use roster_api::{DryRun, InviteRequest, Workspace};

use super::{
    cells::{Problem, expiration, guest_type, kind_label, workspace_id},
    channels::{ChannelName, Lookups, channel_ids},
    columns::{Field, Mapping, cell},
};
use crate::{csv, format, session::Session};

/// One data row of the file and what it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// As a spreadsheet numbers it: the header is row 1.
    pub row: usize,
    pub cells: Vec<String>,
    pub invite: Result<InviteRequest, Problem>,
}

/// What the page knows of every row but the cells: the columns, the workspace for rows
/// without one, and the message for every invitation.
pub struct RowContext<'a> {
    pub mapping: &'a Mapping,
    pub default_workspace: &'a str,
    pub workspaces: &'a [Workspace],
    pub message: Option<&'a str>,
    pub lookups: &'a Lookups,
}

/// Turns one data row into an invitation, or says everything wrong with it (or that its
/// channel names are still being looked up: see [`channel_ids`]); names not looked up yet
/// are added to `wanted`.
pub fn read_row(
    cells: &[String],
    context: &RowContext,
    wanted: &mut Vec<ChannelName>,
) -> Result<InviteRequest, Problem> {
    let cell = |f: Field| cell(cells, context.mapping, f);
    let email = format::lowercase(cell(Field::Email));
    let workspace = match cell(Field::Workspace) {
        "" if context.default_workspace.is_empty() => Err("No workspace.".to_string()),
        "" => Ok(context.default_workspace.to_string()),
        w => workspace_id(w, context.workspaces),
    };
    let channels = channel_ids(
        cell(Field::Channels),
        workspace.as_deref().ok(),
        context.lookups,
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
                custom_message: context.message.map(str::to_string),
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
pub fn errors_csv(headers: &[String], failing: &[(usize, Vec<String>, String)]) -> String {
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

/// A dry run and the invitations it checked (with their rows), so that a changed file or
/// mapping shows it is out of date.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub rows: Vec<(usize, InviteRequest)>,
    pub dry: DryRun,
}

/// What the page says of one row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Channel names are being looked up.
    Pending(String),
    Unchecked,
    Ok(String),
    Fails(String),
}

impl Verdict {
    /// The row's `data-verdict`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Pending(_) => "pending",
            Verdict::Unchecked => "unchecked",
            Verdict::Ok(_) => "ok",
            Verdict::Fails(_) => "error",
        }
    }
}

/// A row as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowView {
    pub row: usize,
    pub email: String,
    pub name: String,
    pub workspace: String,
    pub kind: &'static str,
    pub channels: String,
    pub expires: String,
    pub verdict: Verdict,
}

impl RowView {
    /// `r` with its `verdict`: what could be read of it, as read, and the rest as the file
    /// has it.
    pub fn new(
        r: &ImportRow,
        mapping: &Mapping,
        default_workspace: &str,
        session: &Session,
        verdict: Verdict,
    ) -> Self {
        let cell = |f: Field| cell(&r.cells, mapping, f).to_string();
        let (workspace, kind, expires) = match &r.invite {
            Ok(i) => (
                session.workspace_name(&i.workspace),
                kind_label(i.guest),
                i.expires.map(format::utc).unwrap_or_default(),
            ),
            Err(_) => (
                match cell(Field::Workspace) {
                    w if w.is_empty() => session.workspace_name(default_workspace),
                    w => workspace_id(&w, &session.workspace_list())
                        .map_or(w, |id| session.workspace_name(&id)),
                },
                guest_type(&cell(Field::Guest)).map_or("", kind_label),
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
            channels: cell(Field::Channels),
            expires,
            verdict,
        }
    }
}

#[cfg(test)]
mod tests {
    use roster_api::GuestType;

    use super::{super::channels::Lookup, super::columns::guess_mapping, *};

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
    fn a_row_waits_for_its_channel_lookups_unless_something_else_is_wrong() {
        let key = |w: &str, n: &str| (w.to_string(), n.to_string());
        let lookups: Lookups = [(key("T1ENG", "general"), Lookup::Found("C9GEN".into()))].into();
        let ws = workspaces();
        let mapping = guess_mapping(&strings(&["email", "workspace", "channels", "type"]));
        let context = RowContext {
            mapping: &mapping,
            default_workspace: "T1ENG",
            workspaces: &ws,
            message: None,
            lookups: &lookups,
        };
        let row = |cells: &[&str], wanted: &mut Vec<ChannelName>| {
            read_row(&strings(cells), &context, wanted)
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
    fn turns_rows_into_invitations_or_says_why_not() {
        let ws = workspaces();
        let lookups = Lookups::new();
        let mapping = guess_mapping(&strings(&[
            "email",
            "name",
            "workspace",
            "channels",
            "type",
        ]));
        let context = |default_workspace, message| RowContext {
            mapping: &mapping,
            default_workspace,
            workspaces: &ws,
            message,
            lookups: &lookups,
        };
        let invite = read_row(
            &strings(&[" Ada@X.io ", "Ada Lee", "", "C1 C2", "single"]),
            &context("T2OPS", Some("Welcome aboard")),
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
            &context("T2OPS", None),
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
            &context("T1ENG", None),
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
