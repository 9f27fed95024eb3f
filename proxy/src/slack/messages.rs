//! Slack error codes in words a help-desk person understands.
//!
//! Every code in the Slack reference Roster is built against has a sentence here; the
//! original code is always shown next to it.

/// The sentence for a Slack error code (a generic one for codes Slack adds later).
pub fn describe(code: &str) -> &'static str {
    match code {
        // Authentication and the token.
        "not_authed" => {
            "Roster sent no Slack token. Ask the Roster administrator to configure one."
        }
        "invalid_auth" => {
            "Slack did not accept Roster's token, or the request came from a network Slack does not allow."
        }
        "account_inactive" => {
            "The Slack account or workspace behind Roster's token has been deleted."
        }
        "token_revoked" => {
            "Roster's Slack token has been revoked. Ask the Roster administrator to install the app again."
        }
        "token_expired" => {
            "Roster's Slack token has expired. Ask the Roster administrator to renew it."
        }
        "no_permission" => "Roster's Slack token does not have the permissions this needs.",
        "missing_scope" => {
            "Roster's Slack app lacks a permission (scope) this needs. Ask the Roster administrator to add it and reinstall."
        }
        "not_allowed_token_type" => {
            "Roster's Slack token is the wrong kind for this; admin actions need an org-level user token."
        }
        "team_access_not_granted" => {
            "Roster's Slack token has not been granted access to that workspace."
        }
        "two_factor_setup_required" => {
            "The Slack account behind Roster's token must set up two-factor authentication first."
        }
        "access_denied" => "Slack denied access to what was requested.",
        "accesslimited" => "Slack does not allow this from Roster's network.",
        "ekm_access_denied" => {
            "Your Slack administrators have suspended this through Enterprise Key Management."
        }
        "org_login_required" => {
            "This workspace is being moved into the Enterprise org; try again once the migration is done."
        }
        "team_added_to_org" => {
            "This workspace is being added to the Enterprise org; try again once that is done."
        }
        "enterprise_is_restricted" => "This can't be done from an Enterprise org.",
        "feature_not_enabled" => {
            "Slack's admin features are not enabled for this org or workspace."
        }
        "paid_teams_only" => "This is only available on paid Slack plans.",
        // Whether the caller may do this.
        "not_an_admin" => "The Slack account behind Roster is not an org admin, so Slack refused.",
        "not_an_owner" => {
            "Only org owners can do this, and the Slack account behind Roster is not one."
        }
        "invalid_permissions" => {
            "Only org owners and org admins can do this, and the Slack account behind Roster is neither."
        }
        "no_perms" => "The Slack account behind Roster does not have permission to do this.",
        "not_permitted" => "Slack does not permit this action.",
        "not_supported" => "Slack does not support this action.",
        "failed_to_validate_caller" => "The Slack account behind Roster is not allowed to do this.",
        "invitor_cannot_see_channel" => {
            "The Slack account behind Roster is not in one of the chosen channels, so it can't add people to it."
        }
        // The person being changed.
        "user_not_found" => "Slack has no such user.",
        "users_not_found" => "No Slack user has that email address.",
        "failed_looking_up_user" => "Slack could not find that user.",
        "invalid_user" => "That is not a valid Slack user.",
        "user_not_visible" => "Roster's Slack token is not allowed to see this user.",
        "user_is_bot" => "This is an app's bot account; only people can be changed this way.",
        "user_disabled" => "This person's account is deactivated.",
        "user_is_deactivated" => "This person's account is deactivated, so this can't be changed.",
        "user_already_deleted" | "user_is_already_deleted" => {
            "This person's account has already been deleted."
        }
        "user_already_team_member" => "This person is already an active member of that workspace.",
        "user_must_be_in_workspace" => "This person must belong to at least one workspace first.",
        "user_is_not_guest" | "user_is_not_a_guest" => {
            "This person is not a guest; only guests have an expiration date."
        }
        "cannot_modify_primary_owner" => "The primary owner's account can't be changed or removed.",
        "invalid_role_for_user" => {
            "That role can't be given to this person, because of their role on another workspace."
        }
        "cannot_set_org_admin_to_regular_at_workspace_level" => {
            "This person is an org admin; their role must be changed for the whole org, not one workspace."
        }
        "cannot_set_this_guest_to_regular_at_team_level" => {
            "This guest is on several workspaces, so they can't be made a regular member of just one."
        }
        // Invitations.
        "already_in_team" => "This person is already a member of that workspace.",
        "already_in_team_invited_user" => "This person has already been invited to that workspace.",
        "invalid_email" => "That email address is not valid.",
        "failed_to_send_invite" => "Slack could not send the invitation. Try again in a moment.",
        "failed_to_validate_channels" => {
            "One of the chosen channels is not valid for that workspace."
        }
        "failed_to_validate_custom_message" => "Slack did not accept the custom message.",
        "failed_to_validate_expiration" => {
            "Slack did not accept the expiration date; it must be in the future."
        }
        "failed_to_validate_team" => "Slack did not accept the workspace.",
        "invited_user_not_created" => "Slack could not create the account for this person.",
        "invited_user_not_reactivated" => "Slack could not reactivate this person's account.",
        // Workspaces.
        "team_not_found" => "Slack has no such workspace.",
        "target_team_not_on_org" => "That workspace is not part of this Enterprise org.",
        "team_id_required_for_enterprise" => {
            "A workspace must be chosen for this in an Enterprise org."
        }
        // Role and expiration changes.
        "failed_to_set_admin_on_workspaces" => {
            "Slack could not make this person an admin on every workspace."
        }
        "failed_to_set_user_to_admin" => "Slack could not make this person an admin.",
        "failed_to_set_owner_on_workspaces" => {
            "Slack could not make this person an owner on every workspace."
        }
        "failed_to_set_user_to_owner" => "Slack could not make this person an owner.",
        "failed_to_set_user_to_regular" => "Slack could not make this person a regular member.",
        "failed_to_set_expiration" => "Slack could not set the expiration date.",
        "failed_to_remove_user_from_workspace" => {
            "Slack could not remove this person from the workspace."
        }
        // Sessions and session settings.
        "no_active_sessions" => "This person has no active sessions.",
        "session_not_found" => "That session has already ended.",
        "cannot_reset_bot" => "An app's bot account has no sessions to end.",
        "bots_not_allowed" => {
            "This is an app's bot account; it has no sessions or session settings."
        }
        "cannot_reset_primary_owner" | "session_reset_not_allowed" => {
            "Only the primary owner can sign the primary owner out."
        }
        "cannot_invalidate_primary_owner" => {
            "Only the primary owner can end the primary owner's sessions."
        }
        "user_session_reset_failed" | "session_invalidation_failed" => {
            "Slack could not end the session. Try again in a moment."
        }
        "failed_for_some_users" => "Slack could not sign out some of these people.",
        "at_least_one_session_setting_required" => "Choose a session duration.",
        "unable_to_update_existing_sessions" => {
            "Slack saved the setting, but could not apply it to the sessions already open."
        }
        "admin_unauthorized" | "restricted_action" => {
            "The Slack account behind Roster may not do this."
        }
        // Invite requests.
        "already_processed" => "This request has already been approved or denied.",
        "invalid_request" => "Slack has no such invite request.",
        // SCIM (deactivation, reactivation, email changes).
        "no_such_user" => "Slack has no such user.",
        "cannot_disable_primary_owner" => "The primary owner's account can't be deactivated.",
        "cannot_disable_bot_user_with_scim" => {
            "This is an app's bot account; remove the app instead of deactivating it."
        }
        "cannot_modify_owner" => {
            "Owners can only be changed by an owner, and the Slack account behind Roster is not one."
        }
        "primary_owner_check_failure" => {
            "Slack could not confirm this is not the primary owner's account, so it did not deactivate it."
        }
        "cannot_modify_gdpr" => {
            "This account is being erased under a data-protection request, so it can't be changed."
        }
        "cannot_make_user_guest" => "Slack can't turn this account into a guest account.",
        "password_change_not_allowed" => "Slack does not allow passwords to be changed this way.",
        "email_taken" => "Another Slack account already uses that email address.",
        "username_taken" => "Another Slack account already uses that username.",
        "email_empty" | "missing_primary_email" => "The account needs an email address.",
        "email_invalid" | "emails_invalid" | "bad_email_address" => {
            "Slack did not accept that email address."
        }
        "unknown_user" | "missing_user_id" | "cannot_decode_user_id" => "Slack has no such user.",
        "invalid_authentication" | "missing_authentication" => {
            "Slack did not accept Roster's token for its user-provisioning (SCIM) API. Ask the Roster administrator to check the token."
        }
        "permission_denied" => {
            "The Slack account behind Roster is not an org admin or owner, or its token lacks the admin permission, so Slack refused."
        }
        "non_org_teams_only" => {
            "Roster's Slack app is installed on one workspace; deactivating and reactivating accounts needs it installed on the whole org."
        }
        "plus_teams_only" => {
            "Deactivating and reactivating accounts needs a Business+ or Enterprise plan."
        }
        "too_many_requests" | "resource_locked" => {
            "Slack asked Roster to slow down. Try again in a minute."
        }
        "invalid_request_payload"
        | "invalid_attribute_format"
        | "missing_schema_element"
        | "unsupported_version"
        | "no_filters"
        | "bad_endpoint"
        | "method_not_allowed" => {
            "Slack could not read Roster's request. This is a bug in Roster; please report it."
        }
        // Listing.
        "invalid_cursor" => "The list position is no longer valid; reload the list.",
        "invalid_limit" => "Roster asked Slack for a page size Slack does not allow.",
        "limit_required" => "This workspace is too large to list in one go.",
        "include_deactivated_user_workspaces_invalid" => {
            "Roster asked Slack for deactivated workspaces in a way Slack does not allow."
        }
        "invalid_types" => "Roster asked Slack for channel types Slack does not know.",
        "method_not_supported_for_channel_type" => {
            "Slack does not support this for that kind of channel."
        }
        // Malformed requests (a bug in Roster if seen).
        "invalid_arguments" | "invalid_arg_name" | "invalid_array_arg" | "invalid_charset"
        | "invalid_form_data" | "invalid_post_type" | "missing_post_type" | "invalid_json"
        | "json_not_object" | "request_timeout" => {
            "Slack could not read Roster's request. This is a bug in Roster; please report it."
        }
        "unknown_method" | "deprecated_endpoint" | "method_deprecated" | "upgrade_required" => {
            "Slack no longer offers what Roster asked for. Roster needs an update."
        }
        // Slack's side.
        "ratelimited" => "Slack asked Roster to slow down. Try again in a minute.",
        "internal_error" | "fatal_error" | "service_unavailable" => {
            "Slack had a problem on its side. Try again in a moment."
        }
        _ => "Slack refused the request.",
    }
}

/// Every code the Slack reference lists (Web API, and SCIM's for reading, deactivating and
/// reactivating a user: Roster creates, renames and filters no users and touches no
/// groups), for tests that no code lacks a sentence.
pub const DOCUMENTED_CODES: &[&str] = &[
    "access_denied",
    "accesslimited",
    "account_inactive",
    "admin_unauthorized",
    "already_in_team",
    "already_in_team_invited_user",
    "already_processed",
    "at_least_one_session_setting_required",
    "bad_email_address",
    "bad_endpoint",
    "bots_not_allowed",
    "cannot_decode_user_id",
    "cannot_disable_bot_user_with_scim",
    "cannot_disable_primary_owner",
    "cannot_invalidate_primary_owner",
    "cannot_make_user_guest",
    "cannot_modify_gdpr",
    "cannot_modify_owner",
    "cannot_modify_primary_owner",
    "cannot_reset_bot",
    "cannot_reset_primary_owner",
    "cannot_set_org_admin_to_regular_at_workspace_level",
    "cannot_set_this_guest_to_regular_at_team_level",
    "deprecated_endpoint",
    "ekm_access_denied",
    "email_empty",
    "email_invalid",
    "email_taken",
    "emails_invalid",
    "enterprise_is_restricted",
    "failed_for_some_users",
    "failed_looking_up_user",
    "failed_to_remove_user_from_workspace",
    "failed_to_send_invite",
    "failed_to_set_admin_on_workspaces",
    "failed_to_set_expiration",
    "failed_to_set_owner_on_workspaces",
    "failed_to_set_user_to_admin",
    "failed_to_set_user_to_owner",
    "failed_to_set_user_to_regular",
    "failed_to_validate_caller",
    "failed_to_validate_channels",
    "failed_to_validate_custom_message",
    "failed_to_validate_expiration",
    "failed_to_validate_team",
    "fatal_error",
    "feature_not_enabled",
    "include_deactivated_user_workspaces_invalid",
    "internal_error",
    "invalid_arg_name",
    "invalid_arguments",
    "invalid_array_arg",
    "invalid_attribute_format",
    "invalid_auth",
    "invalid_authentication",
    "invalid_charset",
    "invalid_cursor",
    "invalid_email",
    "invalid_form_data",
    "invalid_json",
    "invalid_limit",
    "invalid_permissions",
    "invalid_post_type",
    "invalid_request",
    "invalid_request_payload",
    "invalid_role_for_user",
    "invalid_types",
    "invited_user_not_created",
    "invited_user_not_reactivated",
    "invitor_cannot_see_channel",
    "json_not_object",
    "limit_required",
    "method_deprecated",
    "method_not_allowed",
    "method_not_supported_for_channel_type",
    "missing_authentication",
    "missing_post_type",
    "missing_primary_email",
    "missing_schema_element",
    "missing_scope",
    "missing_user_id",
    "no_active_sessions",
    "no_filters",
    "no_permission",
    "no_perms",
    "no_such_user",
    "non_org_teams_only",
    "not_allowed_token_type",
    "not_an_admin",
    "not_an_owner",
    "not_authed",
    "not_permitted",
    "not_supported",
    "org_login_required",
    "paid_teams_only",
    "password_change_not_allowed",
    "permission_denied",
    "plus_teams_only",
    "primary_owner_check_failure",
    "ratelimited",
    "request_timeout",
    "resource_locked",
    "restricted_action",
    "service_unavailable",
    "session_invalidation_failed",
    "session_not_found",
    "session_reset_not_allowed",
    "target_team_not_on_org",
    "team_access_not_granted",
    "team_added_to_org",
    "team_id_required_for_enterprise",
    "team_not_found",
    "token_expired",
    "token_revoked",
    "too_many_requests",
    "two_factor_setup_required",
    "unable_to_update_existing_sessions",
    "unknown_user",
    "unsupported_version",
    "upgrade_required",
    "user_already_deleted",
    "user_already_team_member",
    "user_disabled",
    "user_is_already_deleted",
    "user_is_bot",
    "user_is_deactivated",
    "user_is_not_a_guest",
    "user_is_not_guest",
    "user_must_be_in_workspace",
    "user_not_found",
    "user_not_visible",
    "user_session_reset_failed",
    "username_taken",
    "users_not_found",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_its_own_sentence() {
        let fallback = describe("a_code_slack_invents_later");
        for code in DOCUMENTED_CODES {
            assert_ne!(describe(code), fallback, "{code} has no sentence");
        }
        assert_eq!(
            describe("cannot_modify_primary_owner"),
            "The primary owner's account can't be changed or removed."
        );
    }
}
