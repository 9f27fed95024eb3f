//! End one of a person's sessions (`admin.users.session.invalidate`).

use roster_api::{Operation, Permission};
use serde::Serialize;

use super::{
    Boxed, Change, Ctx, Names, Tense, Touched, name_of, sessions_on, sign_out::no_sessions,
};
use crate::{
    core::Core,
    directory::DirUser,
    error::AppError,
    slack::{SlackError, SlackMethod, methods::AdminUsersSessionInvalidate},
};

/// Ending one session, on the workspace it signed in to.
#[derive(Debug, Clone, Serialize)]
pub struct EndSession {
    pub user: String,
    pub workspace: String,
    pub session: String,
}

impl EndSession {
    /// Slack's session ID: an integer.
    fn id(&self) -> Option<u64> {
        let digits = self.session.trim();
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}

impl Change for EndSession {
    const ACTION: &'static str = "end_session";
    const PERMISSION: Permission = Permission::UsersSessions;
    type Call = AdminUsersSessionInvalidate;

    fn names(&self) -> Names<'_> {
        Names::user_on(&self.user, &self.workspace)
    }

    fn method(&self) -> SlackMethod {
        SlackMethod::AdminUsersSessionInvalidate
    }

    fn touched(&self) -> Touched<'_> {
        // Sessions are read from Slack each time.
        Touched::Nothing
    }

    fn check(
        &self,
        ctx: &Ctx<'_>,
        person: Option<&DirUser>,
    ) -> Result<(Self, AdminUsersSessionInvalidate), AppError> {
        let person = person.expect("a session is a person's");
        ctx.check_workspace(&self.workspace)?;
        let Some(id) = self.id() else {
            return Err(AppError::invalid(
                "session",
                "That is not a session ID; pick a session from the person's page.",
            ));
        };
        no_sessions(person)?;
        if !person.summary.is_on(&self.workspace) {
            return Err(AppError::invalid(
                "workspace",
                "This person is not on that workspace.",
            ));
        }
        let call = AdminUsersSessionInvalidate {
            session_id: id,
            user_id: self.user.clone(),
            team_id: self.workspace.clone(),
        };
        let resolved = EndSession {
            session: id.to_string(),
            ..self.clone()
        };
        Ok((resolved, call))
    }

    fn describe(&self, ctx: &Ctx<'_>, person: Option<&DirUser>, tense: Tense) -> String {
        format!(
            "{} {}'s session {} on {}; their other sessions go on.",
            tense.pick("Will end", "Ended"),
            name_of(person),
            crate::sentence::plain(&self.session),
            ctx.workspace_name(&self.workspace)
        )
    }

    fn apply<'a>(&'a self, state: &'a Core) -> Boxed<'a, Option<DirUser>> {
        Box::pin(async move { state.directory.get(&self.user) })
    }

    fn happened<'a>(&'a self, state: &'a Core) -> Boxed<'a, Result<bool, SlackError>> {
        Box::pin(async move {
            let left = sessions_on(state, &self.user, &self.workspace).await?;
            Ok(!left.iter().any(|s| Some(s.session_id) == self.id()))
        })
    }

    fn into_operation(self) -> Operation {
        Operation::EndSession {
            user: self.user,
            workspace: self.workspace,
            session: self.session,
        }
    }
}
