//! A compact, cache-friendly copy of what `/api/users` filters on: small fixed-size rows,
//! workspaces as indexes, and all searchable text in one buffer scanned once per query.
//! At 100,000 users a query touches a few megabytes in order instead of chasing a million
//! heap pointers.

use std::{collections::HashMap, num::NonZeroI64};

use memchr::memmem;
use roster_api::{UserStatus, UserType, WorkspaceRole};

use super::{DirUser, fold};

/// One user's filterable facts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub user_type: UserType,
    pub status: UserStatus,
    /// `None`: unknown (hidden by Slack for this token).
    pub has_2fa: Option<bool>,
    pub has_sso: Option<bool>,
    /// (Never zero: eight bytes, not sixteen, a row.)
    pub expires: Option<NonZeroI64>,
    /// `memberships[m_start..m_start + m_len]`.
    pub m_start: u32,
    pub m_len: u32,
}

/// One user's place on one workspace.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seat {
    /// Index into [`Index::workspaces`].
    pub workspace: u16,
    pub role: WorkspaceRole,
    /// Guest expiration there, Unix seconds (never zero: a seat fits in sixteen bytes).
    pub expires: Option<NonZeroI64>,
}

/// The index of a whole directory.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// Workspace index → team ID.
    pub workspaces: Vec<String>,
    pub by_workspace: HashMap<String, u16>,
    pub rows: Vec<Row>,
    /// Each user's seats, flat.
    pub memberships: Vec<Seat>,
    /// Folded name, username and ID of every user, each followed by `\0`.
    text: Vec<u8>,
    /// Folded emails, each followed by `\0`.
    emails: Vec<u8>,
    text_ends: Vec<u32>,
    email_ends: Vec<u32>,
}

impl Index {
    pub(super) fn build(users: &[DirUser]) -> Index {
        let mut index = Index::default();
        let workspace_of = |index: &mut Index, team: &str| -> u16 {
            if let Some(&i) = index.by_workspace.get(team) {
                return i;
            }
            let i = index.workspaces.len() as u16;
            index.workspaces.push(team.to_string());
            index.by_workspace.insert(team.to_string(), i);
            i
        };
        index.rows.reserve(users.len());
        for user in users {
            let s = &user.summary;
            let m_start = index.memberships.len() as u32;
            for (team, role, expires) in user.seats() {
                let workspace = workspace_of(&mut index, team);
                index.memberships.push(Seat {
                    workspace,
                    role,
                    expires: expires.and_then(NonZeroI64::new),
                });
            }
            index.rows.push(Row {
                user_type: s.user_type,
                status: s.status,
                has_2fa: s.has_2fa,
                has_sso: s.has_sso,
                expires: s.expires.and_then(NonZeroI64::new),
                m_start,
                m_len: index.memberships.len() as u32 - m_start,
            });
            index.text.extend_from_slice(user.search_text().as_bytes());
            index.text.push(0);
            index.text_ends.push(index.text.len() as u32);
            if let Some(email) = &s.email {
                index.emails.extend_from_slice(fold(email).as_bytes());
            }
            index.emails.push(0);
            index.email_ends.push(index.emails.len() as u32);
        }
        index
    }

    /// The memberships of user `i`.
    pub(super) fn memberships_of(&self, i: usize) -> &[Seat] {
        let row = &self.rows[i];
        &self.memberships[row.m_start as usize..(row.m_start + row.m_len) as usize]
    }

    /// User `i`'s folded email (empty when unknown).
    pub(super) fn email(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.email_ends[i - 1] as usize
        };
        &self.emails[start..self.email_ends[i] as usize - 1]
    }

    /// Which users' text (and, with `emails`, email) contains `needle` (already folded).
    pub(super) fn search(&self, needle: &str, emails: bool) -> Vec<bool> {
        let mut hits = vec![false; self.text_ends.len()];
        let needle = fold(needle);
        if needle.contains('\0') || needle.is_empty() {
            return hits;
        }
        let finder = memmem::Finder::new(needle.as_bytes());
        let mut mark = |buffer: &[u8], ends: &[u32]| {
            let (mut user, mut from) = (0, 0);
            while let Some(found) = finder.find(&buffer[from..]) {
                let at = from + found;
                // Users are in buffer order: advance to the one containing `at`.
                while ends[user] as usize <= at {
                    user += 1;
                }
                hits[user] = true;
                // More of this user's text adds nothing: go on with the next user's.
                from = ends[user] as usize;
                if from >= buffer.len() {
                    break;
                }
            }
        };
        mark(&self.text, &self.text_ends);
        if emails {
            mark(&self.emails, &self.email_ends);
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Searches `texts` (already folded), one per user.
    fn search(texts: &[&str], needle: &str) -> Vec<bool> {
        let mut index = Index::default();
        for text in texts {
            index.text.extend_from_slice(text.as_bytes());
            index.text.push(0);
            index.text_ends.push(index.text.len() as u32);
        }
        index.search(needle, false)
    }

    /// A user whose text has the needle many times counts once, and the users after them
    /// are still searched, up to the last.
    #[test]
    fn every_user_with_the_needle_is_found_however_often_they_have_it() {
        let texts = ["anna ann anand", "bob", "hannah", "ann", "dan"];
        assert_eq!(search(&texts, "an"), [true, false, true, true, true]);
        assert_eq!(search(&texts, "b"), [false, true, false, false, false]);
        assert_eq!(search(&texts, "ann"), [true, false, true, true, false]);
        assert_eq!(search(&texts, "zz"), [false; 5]);
    }

    /// At 100,000 users and a few seats each, every byte of these is hundreds of kilobytes.
    #[test]
    fn rows_and_seats_stay_small() {
        assert_eq!(std::mem::size_of::<Row>(), 24);
        assert_eq!(std::mem::size_of::<Seat>(), 16);
    }
}
