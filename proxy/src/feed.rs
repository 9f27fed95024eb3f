//! What one replica tells the others: a person changed through Roster, what it forgot of a
//! person after a change, an invite request answered. The changes write their news to a
//! [`Feed`]; with several replicas, `replicas` carries it through the database to
//! the others, and with SQLite it goes nowhere.

use roster_api::RequestState;
use serde::{Deserialize, Serialize};

use crate::{directory::Made, live::Touched};

/// What one replica tells the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Shared {
    /// The directory changed here.
    Directory(Made),
    /// What Slack said about a person was forgotten here after a change.
    Forget { user: String, touched: Forgotten },
    /// Slack's events told this replica of a new invite request.
    Requested {
        workspace: String,
        request: crate::slack::methods::InviteRequestObject,
    },
    /// An invite request was answered here.
    Request {
        workspace: String,
        request: String,
        how: RequestState,
    },
}

/// [`Touched`], as the feed carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Forgotten {
    Channels(String),
    Expiration(String),
    Account,
    Profile,
}

impl Forgotten {
    /// What a change touched, to tell the others; `None` when nothing was.
    pub fn of(touched: Touched<'_>) -> Option<Self> {
        match touched {
            Touched::Nothing => None,
            Touched::Channels(w) => Some(Forgotten::Channels(w.to_string())),
            Touched::Expiration(w) => Some(Forgotten::Expiration(w.to_string())),
            Touched::Account => Some(Forgotten::Account),
            Touched::Profile => Some(Forgotten::Profile),
        }
    }

    pub fn touched(&self) -> Touched<'_> {
        match self {
            Forgotten::Channels(w) => Touched::Channels(w),
            Forgotten::Expiration(w) => Touched::Expiration(w),
            Forgotten::Account => Touched::Account,
            Forgotten::Profile => Touched::Profile,
        }
    }
}

/// Where this replica's news goes.
#[derive(Debug, Clone, Default)]
pub struct Feed(Option<tokio::sync::mpsc::UnboundedSender<Shared>>);

impl Feed {
    /// A feed whose news arrive at the receiver.
    pub fn channel() -> (Feed, tokio::sync::mpsc::UnboundedReceiver<Shared>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Feed(Some(tx)), rx)
    }

    /// Tells the other replicas, if there are any (in the background, in order).
    pub fn share(&self, event: Shared) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(event);
        }
    }
}
