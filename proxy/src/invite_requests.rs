//! Requests for invitations, as Slack lists them per workspace: pending ones kept for a
//! short while (the listings are Tier 2, about 20 calls a minute for the whole org, and
//! every reviewer's page and nav count reads them), approved and denied ones read on demand.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use roster_api::RequestState;

use crate::slack::{
    SlackClient, SlackError,
    methods::{
        AdminInviteRequestsApprovedList, AdminInviteRequestsDeniedList, AdminInviteRequestsList,
        ApprovedPage, DeniedPage, HandledRequest, InviteRequestObject, InviteRequestsPage,
    },
};

/// How long a workspace's listing is used before Slack is asked again.
const FRESH_FOR: Duration = Duration::from_secs(30);
/// The same while Slack's `invite_requested` events bring new requests as they come: only
/// requests answered in Slack's own pages wait this long to leave the list.
const FRESH_WITH_EVENTS: Duration = Duration::from_secs(120);

/// A workspace's listing and when it was read.
#[derive(Debug, Clone)]
struct Listing<T> {
    read: Instant,
    items: Vec<T>,
}

/// What Roster knows of the org's invite requests.
#[derive(Debug, Default)]
pub struct InviteRequests {
    pending: Mutex<HashMap<String, Listing<InviteRequestObject>>>,
    handled: Mutex<HashMap<(String, RequestState), Listing<HandledRequest>>>,
    /// Requests approved or denied through Roster since their workspace was last read, by
    /// workspace and request ID.
    done: Mutex<HashMap<(String, String), RequestState>>,
    /// When a request last arrived through Slack's events, by workspace (Unix ms).
    arrived: Mutex<HashMap<String, i64>>,
    /// Roster is configured to take `invite_requested` (`[slack] invite_requested_events`).
    follows_events: AtomicBool,
}

impl InviteRequests {
    /// A workspace's pending requests, read from Slack when the copy is older than a few
    /// seconds (or `fresh` is asked for).
    pub async fn pending(
        &self,
        slack: &SlackClient,
        workspace: &str,
        fresh: bool,
    ) -> Result<Vec<InviteRequestObject>, SlackError> {
        if !fresh
            && let Some(listing) = self.pending.lock().unwrap().get(workspace)
            && listing.read.elapsed() < self.fresh_for()
        {
            return Ok(self.without_done(workspace, listing.items.clone()));
        }
        let mut items = Vec::new();
        slack
            .each_page(
                AdminInviteRequestsList {
                    team_id: workspace.to_string(),
                    limit: 1000,
                    cursor: None,
                },
                |page: InviteRequestsPage| items.extend(page.invite_requests),
            )
            .await?;
        // What Slack lists now is the truth; a request handled through Roster and still
        // listed was handled again elsewhere or not at all, and Slack says which.
        {
            let mut done = self.done.lock().unwrap();
            for item in &items {
                done.remove(&(workspace.to_string(), item.id.clone()));
            }
        }
        self.pending.lock().unwrap().insert(
            workspace.to_string(),
            Listing {
                read: Instant::now(),
                items: items.clone(),
            },
        );
        Ok(items)
    }

    /// Takes Slack's `invite_requested` events as the news of new requests.
    pub fn follow_events(&self, on: bool) {
        self.follows_events.store(on, Ordering::Relaxed);
    }

    fn fresh_for(&self) -> Duration {
        if self.follows_events.load(Ordering::Relaxed) {
            FRESH_WITH_EVENTS
        } else {
            FRESH_FOR
        }
    }

    /// A request Slack's events told of: it joins the workspace's pending copy, and pages
    /// open on that workspace hear of it (see [`InviteRequests::last_arrival`]).
    pub fn arrived(&self, workspace: &str, request: InviteRequestObject) {
        if let Some(listing) = self.pending.lock().unwrap().get_mut(workspace)
            && !listing.items.iter().any(|r| r.id == request.id)
        {
            listing.items.push(request);
        }
        self.arrived
            .lock()
            .unwrap()
            .insert(workspace.to_string(), crate::directory::unix_now_ms());
    }

    /// When a request last arrived through Slack's events on a workspace `covers` keeps
    /// (Unix ms); `None` if none has.
    pub fn last_arrival(&self, covers: impl Fn(&str) -> bool) -> Option<i64> {
        self.arrived
            .lock()
            .unwrap()
            .iter()
            .filter(|(w, _)| covers(w))
            .map(|(_, at)| *at)
            .max()
    }

    /// A workspace's approved or denied requests, newest first.
    pub async fn handled(
        &self,
        slack: &SlackClient,
        workspace: &str,
        which: RequestState,
    ) -> Result<Vec<HandledRequest>, SlackError> {
        let key = (workspace.to_string(), which);
        if let Some(listing) = self.handled.lock().unwrap().get(&key)
            && listing.read.elapsed() < FRESH_FOR
        {
            return Ok(listing.items.clone());
        }
        let mut items = Vec::new();
        let team_id = workspace.to_string();
        match which {
            RequestState::Approved => {
                slack
                    .each_page(
                        AdminInviteRequestsApprovedList {
                            team_id,
                            limit: 1000,
                            cursor: None,
                        },
                        |page: ApprovedPage| items.extend(page.approved_requests),
                    )
                    .await?
            }
            RequestState::Denied => {
                slack
                    .each_page(
                        AdminInviteRequestsDeniedList {
                            team_id,
                            limit: 1000,
                            cursor: None,
                        },
                        |page: DeniedPage| items.extend(page.denied_requests),
                    )
                    .await?
            }
            RequestState::Pending => return Ok(Vec::new()),
        }
        items.sort_by_key(|r| std::cmp::Reverse(r.invite_request.date_created));
        self.handled.lock().unwrap().insert(
            key,
            Listing {
                read: Instant::now(),
                items: items.clone(),
            },
        );
        Ok(items)
    }

    /// The pending request `id` on `workspace`, as last read.
    pub fn find(&self, workspace: &str, id: &str) -> Option<InviteRequestObject> {
        self.pending
            .lock()
            .unwrap()
            .get(workspace)
            .and_then(|l| l.items.iter().find(|r| r.id == id).cloned())
    }

    /// Whether `id` is among `workspace`'s pending requests as read in the last few
    /// seconds; `None` when they have not been read that recently.
    pub fn is_pending(&self, workspace: &str, id: &str) -> Option<bool> {
        let pending = self.pending.lock().unwrap();
        let listing = pending
            .get(workspace)
            .filter(|l| l.read.elapsed() < FRESH_FOR)?;
        Some(listing.items.iter().any(|r| r.id == id))
    }

    /// How request `id` of `workspace` was handled through Roster, since the workspace
    /// was last read.
    pub fn done(&self, workspace: &str, id: &str) -> Option<RequestState> {
        self.done
            .lock()
            .unwrap()
            .get(&(workspace.to_string(), id.to_string()))
            .copied()
    }

    /// Slack approved or denied `id` at Roster's request: it leaves the pending copy, and
    /// the history is read again next time.
    pub fn mark(&self, workspace: &str, id: &str, how: RequestState) {
        self.done
            .lock()
            .unwrap()
            .insert((workspace.to_string(), id.to_string()), how);
        self.forget_history(workspace);
    }

    /// The next read of a workspace's approved and denied requests asks Slack.
    pub fn forget_history(&self, workspace: &str) {
        let mut handled = self.handled.lock().unwrap();
        handled.remove(&(workspace.to_string(), RequestState::Approved));
        handled.remove(&(workspace.to_string(), RequestState::Denied));
    }

    fn without_done(
        &self,
        workspace: &str,
        mut items: Vec<InviteRequestObject>,
    ) -> Vec<InviteRequestObject> {
        let done = self.done.lock().unwrap();
        items.retain(|r| !done.contains_key(&(workspace.to_string(), r.id.clone())));
        items
    }
}
