//! Filtering, sorting and paging the directory for `GET /api/users`.
//!
//! Sort orders are computed once per key and kept until the directory changes, so a query
//! over 100,000 users is one pass over a precomputed order with cheap predicates.

use std::{
    cmp::Ordering,
    collections::HashMap,
    num::NonZeroI64,
    sync::{Arc, Mutex},
};

use roster_api::{SortDir, SortKey, UserQuery, UserStatus, UserSummary, UserType};

use super::{DirUser, Directory, fold, index::Index, unix_now};

/// What the caller may see, so filtering and counting never reveal more.
pub trait Visibility {
    /// The team IDs whose users may be listed; `None`: every user.
    fn workspace_scope(&self) -> Option<Vec<String>>;
    /// Whether emails may be searched.
    fn sees_emails(&self) -> bool;
    /// Whether a person may be found by their complete address even where addresses are
    /// hidden (never by part of one).
    fn finds_by_email(&self) -> bool {
        false
    }
}

/// Matching users in order: a window of them and how many there are.
#[derive(Debug)]
pub struct Page {
    pub users: Vec<UserSummary>,
    pub total: usize,
}

/// Sort orders already computed, by key and by the workspaces the key's values come from
/// (`None`: every workspace).
type OrderKey = (SortKey, Option<Vec<u16>>);

#[derive(Debug, Default)]
pub(super) struct SortCache {
    orders: Mutex<HashMap<OrderKey, Arc<Vec<u32>>>>,
}

impl SortCache {
    pub(super) fn clear(&self) {
        self.orders.lock().unwrap().clear();
    }
}

fn status_rank(s: UserStatus) -> u8 {
    match s {
        UserStatus::Active => 0,
        UserStatus::Pending => 1,
        UserStatus::Deactivated => 2,
    }
}

/// Which of the index's workspaces count: `None` is every one.
#[derive(Debug, Clone)]
struct Mask(Option<Vec<bool>>);

impl Mask {
    fn covers(&self, workspace: u16) -> bool {
        self.0.as_ref().is_none_or(|m| m[workspace as usize])
    }

    /// The workspaces it keeps, as a cache key.
    fn key(&self) -> Option<Vec<u16>> {
        self.0.as_ref().map(|m| {
            m.iter()
                .enumerate()
                .filter(|(_, on)| **on)
                .map(|(i, _)| i as u16)
                .collect()
        })
    }
}

/// A user's type and guest expiration counting only the seats `mask` keeps (`None` when it
/// keeps none of them).
fn seen_through(index: &Index, i: usize, mask: &Mask) -> Option<(UserType, Option<i64>)> {
    let row = &index.rows[i];
    if mask.0.is_none() {
        return Some((row.user_type, row.expires.map(NonZeroI64::get)));
    }
    let mut best: Option<UserType> = None;
    let mut expires: Option<i64> = None;
    for seat in index.memberships_of(i) {
        if !mask.covers(seat.workspace) {
            continue;
        }
        let t = UserType::from(seat.role);
        if best.is_none_or(|b| UserType::rank(t) < UserType::rank(b)) {
            best = Some(t);
        }
        if let Some(e) = seat.expires.map(NonZeroI64::get) {
            expires = Some(expires.map_or(e, |x: i64| x.min(e)));
        }
    }
    let best = best?;
    let user_type = if row.user_type == UserType::Bot {
        UserType::Bot
    } else {
        best
    };
    Some((user_type, expires))
}

fn seats_within(index: &Index, i: usize, mask: &Mask) -> usize {
    index
        .memberships_of(i)
        .iter()
        .filter(|s| mask.covers(s.workspace))
        .count()
}

/// Absent values sort last.
fn opt<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Ascending order of two users by a key that belongs to the user alone; ties by name, then
/// ID (the same tie-break as every other order).
fn compare_own(key: SortKey, users: &[DirUser], index: &Index, x: usize, y: usize) -> Ordering {
    let (sa, sb) = (&users[x].summary, &users[y].summary);
    match key {
        SortKey::Username => sa.username.cmp(&sb.username),
        SortKey::Email => {
            let (ea, eb) = (index.email(x), index.email(y));
            opt(
                (!ea.is_empty()).then_some(ea),
                (!eb.is_empty()).then_some(eb),
            )
        }
        SortKey::Status => status_rank(sa.status).cmp(&status_rank(sb.status)),
        SortKey::Has2fa => opt(sa.has_2fa, sb.has_2fa),
        SortKey::HasSso => opt(sa.has_sso, sb.has_sso),
        SortKey::Created => sa.created.cmp(&sb.created),
        SortKey::Name | SortKey::Type | SortKey::Workspaces | SortKey::Expires => Ordering::Equal,
    }
}

/// The mask whose workspaces a sort key's values come from, if they depend on any.
fn mask_for<'m>(key: SortKey, scope: &'m Mask, focus: &'m Mask) -> Option<&'m Mask> {
    match key {
        SortKey::Type | SortKey::Expires => Some(focus),
        SortKey::Workspaces => Some(scope),
        _ => None,
    }
}

impl Directory {
    fn order(&self, data: &super::Data, key: SortKey, mask: Option<&Mask>) -> Arc<Vec<u32>> {
        let cache_key = (key, mask.and_then(Mask::key));
        if let Some(order) = self.sorts.orders.lock().unwrap().get(&cache_key) {
            return order.clone();
        }
        let users = &data.users;
        let index = &data.index;
        let names: Vec<String> = users.iter().map(|u| fold(&u.summary.name)).collect();
        // Keys that come from memberships are computed once per user for this mask.
        let derived: Option<Vec<Option<i64>>> = mask.map(|mask| {
            (0..users.len())
                .map(|i| match key {
                    SortKey::Type => {
                        seen_through(index, i, mask).map(|(t, _)| i64::from(UserType::rank(t)))
                    }
                    SortKey::Expires => seen_through(index, i, mask).and_then(|(_, e)| e),
                    _ => Some(seats_within(index, i, mask) as i64),
                })
                .collect()
        });
        let mut order: Vec<u32> = (0..users.len() as u32).collect();
        order.sort_by(|&x, &y| {
            let (x, y) = (x as usize, y as usize);
            let primary = match &derived {
                Some(values) => opt(values[x], values[y]),
                None => compare_own(key, users, index, x, y),
            };
            primary
                .then_with(|| names[x].cmp(&names[y]))
                .then_with(|| users[x].summary.id.cmp(&users[y].summary.id))
        });
        let order = Arc::new(order);
        self.sorts
            .orders
            .lock()
            .unwrap()
            .insert(cache_key, order.clone());
        order
    }

    /// One page of the users matching `query` that `viewer` may see, each as the viewer
    /// sees them: the workspaces in its scope, and the type and guest expiration on the
    /// workspace the query names (or across its scope). Filters, sorts and counts use the
    /// same values, so nothing outside the scope shapes the answer.
    pub fn query(&self, query: &UserQuery, viewer: &dyn Visibility) -> Page {
        self.query_keeping(query, viewer, None)
    }

    /// [`Directory::query`], keeping only the people `keep` accepts too.
    pub fn query_keeping(
        &self,
        query: &UserQuery,
        viewer: &dyn Visibility,
        keep: Option<&(dyn Fn(&UserSummary) -> bool + Send + Sync)>,
    ) -> Page {
        let data = self.data.read().unwrap();
        let index = &data.index;
        let scope_teams = viewer.workspace_scope();
        let scope = Mask(
            scope_teams
                .as_ref()
                .map(|teams| index.workspaces.iter().map(|w| teams.contains(w)).collect()),
        );
        // A workspace nobody is on yet matches nobody.
        let focus = match query.workspace.as_deref() {
            None => scope.clone(),
            Some(w) => {
                let at = index.by_workspace.get(w).copied();
                Mask(Some(
                    (0..index.workspaces.len())
                        .map(|i| Some(i as u16) == at && scope.covers(i as u16))
                        .collect(),
                ))
            }
        };
        let key = query.sort.unwrap_or(SortKey::Name);
        let order = self.order(&data, key, mask_for(key, &scope, &focus));
        let hits = query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| {
                let mut hits = index.search(q, viewer.sees_emails());
                // Everyone with exactly this address, whoever else has it: which of them
                // the viewer may see is decided below, like for any other match.
                if !viewer.sees_emails() && viewer.finds_by_email() && super::valid_email(q) {
                    for i in data.with_email(q) {
                        hits[i] = true;
                    }
                }
                hits
            });
        let offset = query.offset.unwrap_or(0);
        let limit = query.limit.unwrap_or(UserQuery::DEFAULT_LIMIT);
        let expiring_before = query
            .expires_within_days
            .map(|d| unix_now() + i64::from(d) * 86_400);

        let matches = |i: usize| -> bool {
            if hits.as_ref().is_some_and(|h| !h[i]) {
                return false;
            }
            if scope.0.is_some() && seats_within(index, i, &scope) == 0 {
                return false;
            }
            let Some((user_type, expires)) = seen_through(index, i, &focus) else {
                return false;
            };
            let row = &index.rows[i];
            if keep.is_some_and(|keep| !keep(&data.users[i].summary)) {
                return false;
            }
            query.user_type.is_none_or(|t| t == user_type)
                && query.status.is_none_or(|st| st == row.status)
                && query.has_2fa.is_none_or(|v| row.has_2fa == Some(v))
                && query.has_sso.is_none_or(|v| row.has_sso == Some(v))
                && expiring_before.is_none_or(|before| expires.is_some_and(|e| e <= before))
        };
        let in_scope = |team: &str| {
            scope_teams
                .as_ref()
                .is_none_or(|teams| teams.iter().any(|t| t == team))
        };
        let in_focus =
            |team: &str| in_scope(team) && query.workspace.as_deref().is_none_or(|w| w == team);
        let unrestricted = scope_teams.is_none() && query.workspace.is_none();

        let mut total = 0;
        let mut page = Vec::with_capacity(limit.min(1_000));
        let mut visit = |i: &u32| {
            let i = *i as usize;
            if matches(i) {
                if total >= offset && page.len() < limit {
                    let user = &data.users[i];
                    let seen = if unrestricted {
                        Some(user.summary.clone())
                    } else {
                        user.within(&in_scope, &in_focus).map(|u| u.summary)
                    };
                    page.extend(seen);
                }
                total += 1;
            }
        };
        match query.dir.unwrap_or_default() {
            SortDir::Asc => order.iter().for_each(&mut visit),
            SortDir::Desc => order.iter().rev().for_each(&mut visit),
        }
        Page { users: page, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_api::{Membership, WorkspaceRole};

    struct Everyone;
    impl Visibility for Everyone {
        fn workspace_scope(&self) -> Option<Vec<String>> {
            None
        }
        fn sees_emails(&self) -> bool {
            true
        }
    }

    struct NoEmails;
    impl Visibility for NoEmails {
        fn workspace_scope(&self) -> Option<Vec<String>> {
            Some(vec!["T1".into()])
        }
        fn sees_emails(&self) -> bool {
            false
        }
    }

    struct LooksUp;
    impl Visibility for LooksUp {
        fn workspace_scope(&self) -> Option<Vec<String>> {
            Some(vec!["T1".into()])
        }
        fn sees_emails(&self) -> bool {
            false
        }
        fn finds_by_email(&self) -> bool {
            true
        }
    }

    fn user(id: &str, name: &str, t: UserType, ws: &[&str], expires: Option<i64>) -> DirUser {
        let summary = UserSummary {
            id: id.into(),
            name: name.into(),
            username: fold(name).replace(' ', "."),
            email: Some(format!("{}@larkspur.example", fold(name).replace(' ', "."))),
            user_type: t,
            is_primary_owner: false,
            status: UserStatus::Active,
            workspaces: ws.iter().map(|&s| s.into()).collect(),
            has_2fa: Some(id != "W3"),
            has_sso: Some(true),
            created: 100 - id[1..].parse::<i64>().unwrap(),
            expires,
            deactivated: None,
            last_active: None,
        };
        let memberships = ws
            .iter()
            .map(|w| Membership {
                workspace: (*w).into(),
                role: if *w == "T2" && t == UserType::Member {
                    WorkspaceRole::Admin
                } else {
                    WorkspaceRole::from(t)
                },
                expires,
            })
            .collect();
        DirUser::new(summary, memberships)
    }

    fn directory() -> Directory {
        let d = Directory::default();
        d.replace(
            vec![
                user("W1", "Zoë Kim", UserType::Member, &["T1", "T2"], None),
                user(
                    "W2",
                    "Ada Lee",
                    UserType::MultiChannelGuest,
                    &["T1"],
                    Some(unix_now() + 3 * 86_400),
                ),
                user("W3", "Łukasz Nowak", UserType::Owner, &["T2"], None),
                user(
                    "W4",
                    "ada Smith",
                    UserType::SingleChannelGuest,
                    &["T1"],
                    Some(unix_now() + 60 * 86_400),
                ),
            ],
            vec![],
            10,
        );
        d
    }

    fn names(page: &Page) -> Vec<&str> {
        page.users.iter().map(|u| u.name.as_str()).collect()
    }

    #[test]
    fn sorts_filters_and_pages() {
        let d = directory();
        let all = d.query(&UserQuery::default(), &Everyone);
        assert_eq!(
            names(&all),
            ["Ada Lee", "ada Smith", "Łukasz Nowak", "Zoë Kim"]
        );
        let q = |f: fn(&mut UserQuery)| {
            let mut q = UserQuery::default();
            f(&mut q);
            d.query(&q, &Everyone)
        };
        assert_eq!(names(&q(|q| q.q = Some("LUKASZ".into()))), ["Łukasz Nowak"]);
        assert_eq!(names(&q(|q| q.q = Some("zoe".into()))), ["Zoë Kim"]);
        assert_eq!(
            names(&q(|q| q.q = Some("ada.smith@".into()))),
            ["ada Smith"]
        );
        assert_eq!(
            names(&q(|q| q.user_type = Some(UserType::Owner))),
            ["Łukasz Nowak"]
        );
        assert_eq!(
            names(&q(|q| {
                q.user_type = Some(UserType::Admin);
                q.workspace = Some("T2".into());
            })),
            ["Zoë Kim"],
            "the role on that workspace"
        );
        assert_eq!(names(&q(|q| q.has_2fa = Some(false))), ["Łukasz Nowak"]);
        assert_eq!(names(&q(|q| q.expires_within_days = Some(7))), ["Ada Lee"]);
        assert_eq!(
            names(&q(|q| {
                q.sort = Some(SortKey::Created);
                q.dir = Some(SortDir::Desc);
            })),
            ["Zoë Kim", "Ada Lee", "Łukasz Nowak", "ada Smith"]
        );
        assert_eq!(
            names(&q(|q| q.sort = Some(SortKey::Expires))),
            ["Ada Lee", "ada Smith", "Łukasz Nowak", "Zoë Kim"],
            "users without an expiration last"
        );
        let page = q(|q| {
            q.offset = Some(1);
            q.limit = Some(2);
        });
        assert_eq!(page.total, 4);
        assert_eq!(names(&page), ["ada Smith", "Łukasz Nowak"]);
    }

    /// A guest whose expiration was moved later on one workspace but not on another:
    /// with a workspace chosen, the filter, the sort and the Expires column use that
    /// workspace's date only.
    #[test]
    fn expirations_are_read_on_the_chosen_workspace() {
        let soon = unix_now() + 3 * 86_400;
        let later = unix_now() + 200 * 86_400;
        let mut guest = user(
            "W5",
            "Bea Moss",
            UserType::MultiChannelGuest,
            &["T1", "T2"],
            Some(soon),
        );
        guest.memberships[0].expires = Some(later);
        let guest = DirUser::new(guest.summary, guest.memberships);
        let other = user(
            "W6",
            "Cy Park",
            UserType::MultiChannelGuest,
            &["T1"],
            Some(soon + 86_400),
        );
        let d = Directory::default();
        d.replace(vec![guest, other], vec![], 10);
        let q = |workspace: Option<&str>, days: Option<u32>, sort: Option<SortKey>| {
            d.query(
                &UserQuery {
                    workspace: workspace.map(str::to_string),
                    expires_within_days: days,
                    sort,
                    ..UserQuery::default()
                },
                &Everyone,
            )
        };
        // T1 is the workspace the guest was extended on.
        assert_eq!(names(&q(Some("T1"), Some(30), None)), ["Cy Park"]);
        assert_eq!(names(&q(Some("T2"), Some(30), None)), ["Bea Moss"]);
        assert_eq!(
            names(&q(None, Some(30), None)),
            ["Bea Moss", "Cy Park"],
            "anywhere"
        );
        let t1 = q(Some("T1"), None, Some(SortKey::Expires));
        assert_eq!(names(&t1), ["Cy Park", "Bea Moss"], "sorted on T1's dates");
        assert_eq!(
            t1.users[1].expires,
            Some(later),
            "the column shows T1's date"
        );
        let t2 = q(Some("T2"), None, Some(SortKey::Expires));
        assert_eq!(t2.users[0].expires, Some(soon));
    }

    #[test]
    fn visibility_limits_results_counts_and_email_search() {
        let d = directory();
        let page = d.query(&UserQuery::default(), &NoEmails);
        assert_eq!(page.total, 3);
        assert!(!names(&page).contains(&"Łukasz Nowak"));
        let search = d.query(
            &UserQuery {
                q: Some("ada.smith@".into()),
                ..Default::default()
            },
            &NoEmails,
        );
        assert_eq!(
            search.total, 0,
            "emails hidden from the role are not searchable"
        );
    }

    #[test]
    fn a_complete_hidden_address_finds_its_owner_and_nothing_less_does() {
        let d = directory();
        let search = |q: &str, viewer: &dyn Visibility| {
            let query = UserQuery {
                q: Some(q.into()),
                ..Default::default()
            };
            d.query(&query, viewer)
                .users
                .into_iter()
                .map(|u| u.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            search(" ADA.Smith@larkspur.example ", &LooksUp),
            ["ada Smith"]
        );
        for part in [
            "ada.smith@",
            "da.smith@larkspur.example",
            "ada.smith@larkspur.exampl",
            "@larkspur.example",
        ] {
            assert!(search(part, &LooksUp).is_empty(), "{part}");
        }
        // Outside the role's workspaces, a complete address finds nobody.
        assert!(search("łukasz.nowak@larkspur.example", &LooksUp).is_empty());
        assert!(search("lukasz.nowak@larkspur.example", &LooksUp).is_empty());
        assert!(search("ada.smith@larkspur.example", &NoEmails).is_empty());
    }

    #[test]
    fn finds_people_by_email_whatever_the_case() {
        let d = directory();
        assert_eq!(
            d.find_email("ADA.Lee@Larkspur.example").unwrap().summary.id,
            "W2"
        );
        assert!(d.find_email("ada.lee@elsewhere.example").is_none());
        assert!(d.find_email("").is_none());
    }

    #[test]
    fn changes_show_at_once() {
        let d = directory();
        let updated = d
            .apply(
                "W1",
                super::super::Change::Role {
                    workspace: None,
                    role: WorkspaceRole::Owner,
                },
            )
            .unwrap();
        assert_eq!(updated.summary.user_type, UserType::Owner);
        let owners = d.query(
            &UserQuery {
                user_type: Some(UserType::Owner),
                ..Default::default()
            },
            &Everyone,
        );
        assert_eq!(names(&owners), ["Łukasz Nowak", "Zoë Kim"]);
        d.apply(
            "W1",
            super::super::Change::Removed {
                workspace: "T2".into(),
            },
        );
        assert_eq!(d.get("W1").unwrap().summary.workspaces, ["T1".into()]);
    }
}
