//! Sign a person out: end their sessions on every device, or only web or mobile ones
//! (`admin.users.session.reset`).

use roster_api::{Device, Devices, Operation, Permission, UserStatus, UserType};
use serde::Serialize;

use super::{Boxed, Change, Ctx, Names, Tense, Touched, name_of};
use crate::{
    core::Core,
    directory::DirUser,
    error::AppError,
    slack::{
        SlackError, SlackMethod,
        methods::{ActiveSession, AdminUsersSessionList, AdminUsersSessionReset, SessionsPage},
    },
};

/// Ending someone's sessions.
#[derive(Debug, Clone, Serialize)]
pub struct SignOut {
    pub user: String,
    pub devices: Devices,
}

/// A person's active sessions on one workspace, every page.
pub async fn sessions_on(
    state: &Core,
    user: &str,
    workspace: &str,
) -> Result<Vec<ActiveSession>, SlackError> {
    let listing = AdminUsersSessionList {
        user_id: user.to_string(),
        team_id: workspace.to_string(),
        limit: 1000,
        cursor: None,
    };
    let mut sessions = Vec::new();
    match state
        .slack
        .each_page(listing, |page: SessionsPage| {
            sessions.extend(page.active_sessions)
        })
        .await
    {
        Ok(()) => Ok(sessions),
        // Slack's answer to a person with no sessions there.
        Err(SlackError::Api { code, .. }) if code == "no_active_sessions" => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The kind of device a session is on, from its client.
pub fn device_of(session: &ActiveSession) -> Device {
    let client = session.created.clone().unwrap_or_default();
    Device::of(
        client.os.as_deref().unwrap_or_default(),
        client.slack_client_version.as_deref().unwrap_or_default(),
    )
}

/// Why a person has no sessions to end, if they cannot have any.
pub(super) fn no_sessions(person: &DirUser) -> Result<(), AppError> {
    let why = match person.summary.status {
        UserStatus::Deactivated => "This account is deactivated, so it has no sessions.",
        UserStatus::Pending => {
            "This person has not accepted their invitation, so they have no sessions."
        }
        UserStatus::Active if person.summary.user_type == UserType::Bot => {
            "This is an app's bot account; it has no sessions to end."
        }
        UserStatus::Active => return Ok(()),
    };
    Err(AppError::invalid("user", why))
}

impl Change for SignOut {
    const ACTION: &'static str = "sign_out";
    const PERMISSION: Permission = Permission::UsersSessions;
    type Call = AdminUsersSessionReset;

    fn names(&self) -> Names<'_> {
        Names::account(&self.user)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminUsersSessionReset
    }

    fn touched(&self) -> Touched<'_> {
        // Sessions are read from Slack each time.
        Touched::Nothing
    }

    fn check(
        &self,
        _: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, AdminUsersSessionReset), AppError> {
        no_sessions(person.expect("a sign-out is a person's"))?;
        let call = AdminUsersSessionReset {
            user_id: self.user.clone(),
            mobile_only: self.devices == Devices::Mobile,
            web_only: self.devices == Devices::Web,
        };
        Ok((self.clone(), call))
    }

    fn describe(&self, _: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        let verb = tense.pick("Will sign", "Signed");
        let name = name_of(person);
        match self.devices {
            Devices::All => format!(
                "{verb} {name} out of every device: every session ends, and they must sign in \
                 again."
            ),
            other => format!("{verb} {name} out of {}.", other.label()),
        }
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move { state.directory.get(&self.user) })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            let Some(person) = state.directory.get(&self.user) else {
                return Ok(false);
            };
            for workspace in &person.summary.workspaces {
                let left = sessions_on(state, &self.user, workspace).await?;
                if left.iter().any(|s| self.devices.ends(device_of(s))) {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    fn into_operation(self) -> Operation {
        Operation::SignOut {
            user: self.user,
            devices: self.devices,
        }
    }
}
