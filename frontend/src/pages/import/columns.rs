//! Which column of the file holds what: the fields an invitation is read from, the header
//! names that mean each, and the selects that let a person correct the guess.

use leptos::prelude::*;

use crate::format;

/// What a column of the file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    RealName,
    Workspace,
    Channels,
    Guest,
    Expires,
}

impl Field {
    /// Every field, in the order the page lists them.
    pub const ALL: [Field; 6] = [
        Field::Email,
        Field::RealName,
        Field::Workspace,
        Field::Channels,
        Field::Guest,
        Field::Expires,
    ];

    pub(super) fn label(self) -> &'static str {
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

    pub(super) fn hint(self) -> &'static str {
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
pub type Mapping = [Option<usize>; 6];

/// The trimmed cell of `cells` that `mapping` says holds `field` ("" when there is none).
pub fn cell<'a>(cells: &'a [String], mapping: &Mapping, field: Field) -> &'a str {
    mapping[field as usize]
        .and_then(|i| cells.get(i))
        .map_or("", |c| c.trim())
}

/// Lower case words: "Guest_Type " → "guest type".
pub fn normalize(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(format::lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a column named `header` holds email addresses.
pub fn is_email_header(header: &str) -> bool {
    Field::Email.headers().contains(&normalize(header).as_str())
}

/// Matches header names to fields, ignoring case and punctuation.
pub fn guess_mapping(headers: &[String]) -> Mapping {
    let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    Field::ALL.map(|f| {
        normalized
            .iter()
            .position(|h| f.headers().contains(&h.as_str()))
    })
}

/// One select per [`Field`], offering the file's columns; starts from the guess.
#[component]
pub fn ColumnMapping(
    /// The file's header row.
    headers: Memo<Vec<String>>,
    mapping: RwSignal<Mapping>,
    /// Whether the page is checking or starting the job.
    busy: Signal<bool>,
) -> impl IntoView {
    Field::ALL
        .into_iter()
        .map(|f| view! {
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
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
