//! Set or clear a person's own session duration (`admin.users.session.setSettings`,
//! `admin.users.session.clearSettings`).

use roster_api::{MAX_SESSION_DURATION, MIN_SESSION_DURATION, Operation, Permission, UserType};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, SlackCall, Tense, Touched, name_of};
use crate::{
    core::Core,
    directory::DirUser,
    error::AppError,
    slack::{
        SlackClient, SlackError, SlackMethod,
        methods::{
            AdminUsersSessionClearSettings, AdminUsersSessionGetSettings,
            AdminUsersSessionSetSettings,
        },
    },
};

/// A person's session duration in seconds; `None` clears theirs (the org's applies).
#[derive(Debug, Clone, Serialize)]
pub struct SetSessionDuration {
    pub user: String,
    pub duration: Option<i64>,
}

/// The Slack request: set or clear.
#[derive(Debug)]
pub enum SessionSettingsCall {
    Set(AdminUsersSessionSetSettings),
    Clear(AdminUsersSessionClearSettings),
}

impl SlackCall for SessionSettingsCall {
    fn wait_turn<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
        match self {
            SessionSettingsCall::Set(call) => call.wait_turn(slack),
            SessionSettingsCall::Clear(call) => call.wait_turn(slack),
        }
    }

    fn send<'a>(&'a self, slack: &'a SlackClient) -> Boxed<'a, Result<(), SlackError>> {
        match self {
            SessionSettingsCall::Set(call) => SlackCall::send(call, slack),
            SessionSettingsCall::Clear(call) => SlackCall::send(call, slack),
        }
    }
}

/// "12 hours", "30 days", "1 year".
pub fn duration_words(seconds: i64) -> String {
    const HOUR: i64 = 3_600;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 31_556_952;
    let (n, unit) = if seconds >= YEAR && seconds % YEAR == 0 {
        (seconds / YEAR, "year")
    } else if seconds >= DAY && seconds % DAY == 0 {
        (seconds / DAY, "day")
    } else if seconds % HOUR == 0 {
        (seconds / HOUR, "hour")
    } else {
        (seconds / 60, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

impl Change for SetSessionDuration {
    const ACTION: &'static str = "set_session_duration";
    const PERMISSION: Permission = Permission::UsersSessionSettings;
    type Call = SessionSettingsCall;

    fn names(&self) -> Names<'_> {
        Names::account(&self.user)
    }

    fn method(&self) -> SlackMethod {
        match self.duration {
            Some(_) => SlackMethod::AdminUsersSessionSetSettings,
            None => SlackMethod::AdminUsersSessionClearSettings,
        }
    }

    fn touched(&self) -> Touched<'_> {
        Touched::Nothing
    }

    fn check(
        &self,
        _: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, SessionSettingsCall), AppError> {
        let person = person.expect("session settings are a person's");
        if person.summary.user_type == UserType::Bot {
            return Err(AppError::invalid(
                "user",
                crate::slack::messages::describe("bots_not_allowed"),
            ));
        }
        let call = match self.duration {
            Some(d) if !(MIN_SESSION_DURATION..=MAX_SESSION_DURATION).contains(&d) => {
                return Err(AppError::invalid(
                    "duration",
                    format!(
                        "A session lasts from {} to {}.",
                        duration_words(MIN_SESSION_DURATION),
                        duration_words(MAX_SESSION_DURATION)
                    ),
                ));
            }
            Some(duration) => SessionSettingsCall::Set(AdminUsersSessionSetSettings {
                user_ids: self.user.clone(),
                duration,
            }),
            None => SessionSettingsCall::Clear(AdminUsersSessionClearSettings {
                user_ids: self.user.clone(),
            }),
        };
        Ok((self.clone(), call))
    }

    fn describe(&self, _: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let name = name_of(person);
        match self.duration {
            Some(d) => format!(
                "{} {name}'s sessions last {}; open sessions older than that end at once.",
                tense.pick("Will make", "Made"),
                duration_words(d)
            ),
            None => format!(
                "{} {name}'s own session duration; the org's applies.",
                tense.pick("Will clear", "Cleared")
            ),
        }
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move { state.directory.get(&self.user) })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            let reply = state
                .slack
                .send(&AdminUsersSessionGetSettings {
                    user_ids: self.user.clone(),
                })
                .await?;
            let now = reply
                .session_settings
                .iter()
                .find(|s| s.user_id == self.user)
                .and_then(|s| s.duration);
            Ok(now == self.duration)
        })
    }

    fn into_operation(self) -> Operation {
        Operation::SetSessionDuration {
            user: self.user,
            duration: self.duration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(28_800), "8 hours");
        assert_eq!(duration_words(86_400), "1 day");
        assert_eq!(duration_words(30 * 86_400), "30 days");
        assert_eq!(duration_words(315_569_520), "10 years");
        assert_eq!(duration_words(90 * 60), "90 minutes");
    }
}
