//! Every Slack method Roster calls, as a request type and a reply type: what Roster sends,
//! what it reads back, the method's rate tier (through [`SlackMethod`]) and the workspace
//! its call is paced on. [`SlackClient::send`](super::SlackClient::send) takes any of them;
//! nothing else can reach Slack.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{ResponseMetadata, SlackMethod};

/// A Slack Web API call: the form it sends is the request's fields.
pub trait Method: Serialize + Send + Sync {
    /// Which method, with its name, tier and whether it writes.
    const METHOD: SlackMethod;
    /// The fields of the reply Roster reads.
    type Reply: DeserializeOwned + Send;

    /// The workspace Slack counts the call against (`""`: the org, or no workspace).
    fn workspace(&self) -> &str {
        ""
    }
}

/// A reply Roster reads nothing from but `ok`.
#[derive(Debug, Default, Deserialize)]
pub struct Done {}

/// A page of a cursor-paginated listing.
pub trait Page {
    /// The next page's cursor; `None` on the last page.
    fn next_cursor(&self) -> Option<&str>;
}

mod admin;
mod invite_requests;
mod sessions;
mod users;

pub use admin::*;
pub use invite_requests::*;
pub use sessions::*;
pub use users::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_the_forms_slack_expects() {
        let form = |r: &dyn erased::Form| r.form();
        assert_eq!(
            form(&AdminUsersInvite {
                team_id: "T1".into(),
                email: "a@b.example".into(),
                channel_ids: "C1,C2".into(),
                is_restricted: Some(true),
                is_ultra_restricted: None,
                real_name: None,
                custom_message: Some("Hi & welcome".into()),
                guest_expiration_ts: Some(1_900_000_000),
                resend: false,
            }),
            "team_id=T1&email=a%40b.example&channel_ids=C1%2CC2&is_restricted=true\
             &custom_message=Hi+%26+welcome&guest_expiration_ts=1900000000"
        );
        assert_eq!(
            form(&AdminUsersList {
                limit: 1000,
                cursor: None,
                team_id: Some("T1".into()),
                is_active: Some(false),
            }),
            "limit=1000&team_id=T1&is_active=false"
        );
        assert_eq!(form(&AuthTest {}), "");
    }

    #[test]
    fn each_request_is_paced_on_the_workspace_it_acts_on() {
        let remove = AdminUsersRemove {
            team_id: "T9".into(),
            user_id: "W1".into(),
        };
        assert_eq!(remove.workspace(), "T9");
        assert_eq!(
            AdminUsersGetExpiration {
                user_id: "W1".into(),
                target_team: "T3".into()
            }
            .workspace(),
            "T3"
        );
        assert_eq!(UsersInfo { user: "W1".into() }.workspace(), "");
        assert!(AdminUsersRemove::METHOD.is_write());
        assert!(!UsersInfo::METHOD.is_write());
    }

    /// The form a request sends, for the test above.
    mod erased {
        pub trait Form {
            fn form(&self) -> String;
        }
        impl<T: serde::Serialize> Form for T {
            fn form(&self) -> String {
                serde_urlencoded::to_string(self).unwrap()
            }
        }
    }
}
