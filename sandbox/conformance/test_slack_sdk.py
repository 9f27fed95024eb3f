"""The official Slack SDK for Python, unchanged, against `roster sandbox`: its WebClient on
`/api/`, and its SCIMClient (SCIM v1) on `/scim/v1/`.

Run by `cargo xtask test` (which builds `roster` and installs slack_sdk in a venv):
    ROSTER_BIN=target/debug/roster python -m unittest discover -s sandbox/conformance -v
"""

import datetime
import gzip
import json
import os
import subprocess
import time
import unittest
import urllib.request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.scim import SCIMClient, User
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

ORG_TOKEN = "xoxp-sandbox-org-admin-0000000000"
ADMIN_TOKEN = "xoxp-sandbox-admin-0000000000"
WORKSPACE_TOKEN = "xoxp-sandbox-workspace-0000000000"
BOT_TOKEN = "xoxb-sandbox-bot-0000000000"


class Sandbox:
    """A `roster sandbox` process on a free port."""

    def __init__(self, *args):
        binary = os.environ.get("ROSTER_BIN")
        if not binary:
            raise RuntimeError("ROSTER_BIN is not set; run this through `cargo xtask test`")
        self.proc = subprocess.Popen(
            [binary, "sandbox", "--addr", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        prefix = "Slack sandbox at "
        if not line.startswith(prefix):
            self.proc.kill()
            raise RuntimeError(f"unexpected first line from roster sandbox: {line!r}")
        self.api_url = line[len(prefix):].strip()
        self.root = self.api_url[: -len("api/")]
        self.scim_url = self.root + "scim/v1/"

    def control(self, path, body):
        request = urllib.request.Request(
            self.root + "_sandbox/" + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 204, response.status

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class SlackSdkConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("--users", "600", "--seed", "3", "--rate-limits", "off")
        cls.client = WebClient(token=ORG_TOKEN, base_url=cls.sandbox.api_url)
        teams = cls.client.admin_teams_list()["teams"]
        cls.team = next(t["id"] for t in teams if t["name"] == "Larkspur HQ")
        cls.other_team = next(t["id"] for t in teams if t["id"] != cls.team)
        found = cls.client.admin_conversations_search(team_ids=[cls.team], query="general")
        cls.channel = found["conversations"][0]["id"]

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def error_of(self, call, *args, **kwargs):
        with self.assertRaises(SlackApiError) as raised:
            call(*args, **kwargs)
        return raised.exception.response["error"]

    def test_auth_test_reports_an_org_install(self):
        me = self.client.auth_test()
        self.assertTrue(me["is_enterprise_install"])
        self.assertTrue(me["team_id"].startswith("E"))
        ws = WebClient(token=WORKSPACE_TOKEN, base_url=self.sandbox.api_url).auth_test()
        self.assertFalse(ws["is_enterprise_install"])

    def test_admin_analytics_get_file_gives_the_gzipped_member_file(self):
        day = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)).strftime("%Y-%m-%d")
        response = self.client.admin_analytics_getFile(type="member", date=day)
        self.assertIsInstance(response.data, bytes)
        rows = [json.loads(line) for line in gzip.decompress(response.data).decode().splitlines()]
        self.assertGreater(len(rows), 100)
        self.assertTrue(all(r["date"] == day for r in rows))
        self.assertIn("is_billable_seat", rows[0])
        self.assertIn("is_active_desktop", rows[0])
        self.assertEqual(self.error_of(self.client.admin_analytics_getFile, type="member", date="2026-02-30"),
                         "invalid_date")
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        self.assertEqual(self.error_of(self.client.admin_analytics_getFile, type="member", date=today),
                         "file_not_yet_available")

    def test_admin_users_list_pages_with_the_cursor_iterator(self):
        seen = []
        pages = 0
        for page in self.client.admin_users_list(limit=50):
            pages += 1
            seen.extend(u["id"] for u in page["users"])
        self.assertGreater(pages, 5)
        self.assertEqual(len(seen), len(set(seen)), "a user was listed twice")
        everyone = self.client.admin_users_list(limit=1000)["users"]
        self.assertEqual(sorted(seen), sorted(u["id"] for u in everyone))
        gone = self.client.admin_users_list(limit=1000, is_active=False)["users"]
        self.assertTrue(gone and all(not u["is_active"] for u in gone))

    def test_invite_then_read_the_guest_back(self):
        expires = int(time.time()) + 14 * 86400
        self.client.admin_users_invite(
            team_id=self.team,
            email="sdk.guest@agency.example",
            channel_ids=[self.channel],
            is_restricted=True,
            guest_expiration_ts=str(expires),
            real_name="Sdk Guest",
            custom_message="Welcome",
        )
        user = self.client.users_lookupByEmail(email="sdk.guest@agency.example")["user"]
        self.assertTrue(user["is_restricted"])
        self.assertTrue(user["is_invited_user"])
        got = self.client.admin_users_getExpiration(user_id=user["id"], target_team=self.team)
        self.assertEqual(got["expiration_ts"], expires)
        later = expires + 86400
        self.client.admin_users_setExpiration(user_id=user["id"], expiration_ts=later, team_id=self.team)
        self.assertEqual(self.client.admin_users_getExpiration(user_id=user["id"])["expiration_ts"], later)
        self.assertEqual(
            self.error_of(
                self.client.admin_users_invite,
                team_id=self.team,
                email="sdk.guest@agency.example",
                channel_ids=[self.channel],
                is_restricted=True,
            ),
            "already_in_team_invited_user",
        )

    def member_on(self, team):
        for page in self.client.admin_users_list(team_id=team, limit=1000):
            for u in page["users"]:
                if not (u["is_admin"] or u["is_bot"] or u["is_restricted"] or u["is_ultra_restricted"]) and len(u["workspaces"]) == 1:
                    return u["id"]
        self.fail("no plain member found")

    def test_role_changes_assign_and_remove(self):
        user = self.member_on(self.team)
        self.client.admin_users_setAdmin(team_id=self.team, user_id=user)
        self.assertTrue(self.client.users_info(user=user)["user"]["is_admin"])
        self.client.admin_users_setOwner(team_id=self.team, user_id=user)
        self.assertTrue(self.client.users_info(user=user)["user"]["is_owner"])
        self.client.admin_users_setRegular(team_id=self.team, user_id=user)
        info = self.client.users_info(user=user)["user"]
        self.assertFalse(info["is_admin"] or info["is_owner"])

        channel = self.client.admin_conversations_search(team_ids=[self.other_team], query="random")["conversations"][0]["id"]
        self.client.admin_users_assign(team_id=self.other_team, user_id=user, channel_ids=[channel])
        self.assertEqual(
            self.error_of(self.client.admin_users_assign, team_id=self.other_team, user_id=user),
            "user_already_team_member",
        )
        self.client.admin_users_remove(team_id=self.other_team, user_id=user)
        row = next(u for u in self.client.admin_users_list(limit=1000)["users"] if u["id"] == user)
        self.assertEqual(row["workspaces"], [self.team])

    def test_users_methods(self):
        listed = self.client.users_list(limit=100)
        self.assertEqual(len(listed["members"]), 100)
        self.assertTrue(listed["response_metadata"]["next_cursor"])
        someone = listed["members"][5]["id"]
        info = self.client.users_info(user=someone, include_locale=True)["user"]
        self.assertEqual(info["id"], someone)
        self.assertIn("locale", info)
        self.assertIn(self.client.users_getPresence(user=someone)["presence"], ("active", "away"))
        mine = self.client.users_getPresence(user=self.client.auth_test()["user_id"])
        self.assertIn("connection_count", mine)
        self.assertTrue(self.client.users_identity()["user"]["id"].startswith("W"))
        convs = self.client.users_conversations(user=someone, types=["public_channel", "private_channel"])
        self.assertIsInstance(convs["channels"], list)
        self.assertTrue(self.client.users_deletePhoto()["ok"])

    def test_errors_raise_slack_api_error_with_the_right_code(self):
        self.assertEqual(self.error_of(self.client.users_info, user="W0NOPE000"), "user_not_found")
        self.assertEqual(self.error_of(self.client.users_lookupByEmail, email="nobody@nowhere.example"), "users_not_found")
        self.assertEqual(
            self.error_of(self.client.admin_users_invite, team_id=self.team, email="not-an-email", channel_ids=[self.channel]),
            "invalid_email",
        )
        owner = self.client.auth_test()["user_id"]
        self.assertEqual(
            self.error_of(self.client.admin_users_remove, team_id=self.team, user_id=owner),
            "cannot_modify_primary_owner",
        )
        self.assertEqual(self.error_of(self.client.admin_users_list, team_id="T0NOPE000"), "team_not_found")
        self.assertEqual(self.error_of(self.client.admin_users_list, cursor="bm9wZQ=="), "invalid_cursor")
        bot = WebClient(token=BOT_TOKEN, base_url=self.sandbox.api_url)
        self.assertEqual(self.error_of(bot.admin_users_list), "not_allowed_token_type")
        self.assertEqual(self.error_of(bot.users_identity), "user_is_bot")
        workspace = WebClient(token=WORKSPACE_TOKEN, base_url=self.sandbox.api_url)
        with self.assertRaises(SlackApiError) as raised:
            workspace.admin_users_list()
        self.assertEqual(raised.exception.response["error"], "missing_scope")
        self.assertEqual(raised.exception.response["needed"], "admin.users:read")
        nobody = WebClient(token="xoxp-not-a-token", base_url=self.sandbox.api_url)
        self.assertEqual(self.error_of(nobody.auth_test), "invalid_auth")
        self.assertEqual(self.error_of(self.client.api_call, "admin.users.nope"), "unknown_method")


MOBILE_OS = ("iOS", "Android")


def is_mobile(session):
    return session["created"]["os"] in MOBILE_OS


class Lifecycle(unittest.TestCase):
    """admin.users.deactivate, admin.users.session.* and admin.inviteRequests.*."""

    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("--users", "600", "--seed", "3", "--rate-limits", "off")
        cls.client = WebClient(token=ORG_TOKEN, base_url=cls.sandbox.api_url)
        teams = cls.client.admin_teams_list()["teams"]
        cls.team = next(t["id"] for t in teams if t["name"] == "Larkspur HQ")

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def error_of(self, call, *args, **kwargs):
        with self.assertRaises(SlackApiError) as raised:
            call(*args, **kwargs)
        return raised.exception.response["error"]

    def all_sessions(self):
        return [s for page in self.client.admin_users_session_list(limit=100) for s in page["active_sessions"]]

    def sessions_of(self, user):
        return [s for s in self.all_sessions() if s["user_id"] == user]

    def plain_members(self):
        users = self.client.admin_users_list(limit=1000)["users"]
        return [
            u for u in users
            if not (u["is_admin"] or u["is_owner"] or u["is_bot"] or u["is_restricted"] or u["is_ultra_restricted"])
            and not u["is_invited_user"]
        ]

    def test_deactivate(self):
        user = self.plain_members()[-1]
        result = self.client.api_call("admin.users.deactivate", data={"user_id": user["id"]})
        self.assertEqual(result.data, {"ok": True})
        self.assertTrue(self.client.users_info(user=user["id"])["user"]["deleted"])
        self.assertEqual(self.error_of(self.client.users_lookupByEmail, email=user["email"]), "users_not_found")
        active = {u["id"] for u in self.client.admin_users_list(limit=1000)["users"]}
        self.assertNotIn(user["id"], active)
        gone = {u["id"] for u in self.client.admin_users_list(limit=1000, is_active=False)["users"]}
        self.assertIn(user["id"], gone)
        self.assertEqual(self.sessions_of(user["id"]), [])

        owner = self.client.auth_test()["user_id"]
        self.assertEqual(self.error_of(self.client.api_call, "admin.users.deactivate", data={"user_id": owner}), "deactivation_failed")
        self.assertEqual(self.error_of(self.client.api_call, "admin.users.deactivate", data={"user_id": "W0NOPE000"}), "user_not_found")

    def test_sessions(self):
        sessions = self.all_sessions()
        self.assertGreater(len(sessions), 100, "the seed signs people in")
        self.assertEqual(len({s["session_id"] for s in sessions}), len(sessions))
        self.assertTrue(all(isinstance(s["session_id"], int) for s in sessions))
        by_user = {}
        for s in sessions:
            by_user.setdefault(s["user_id"], []).append(s)
        members = {u["id"] for u in self.plain_members()}
        user = next(u for u, ss in by_user.items() if u in members and len(ss) == 3 and any(map(is_mobile, ss)))
        mine = by_user[user]

        # One user on one workspace.
        first = mine[0]
        listed = self.client.admin_users_session_list(team_id=first["team_id"], user_id=user)["active_sessions"]
        self.assertIn(first["session_id"], [s["session_id"] for s in listed])
        # invalidate, as slack_sdk sends it: session_id as a string, with team_id.
        self.client.admin_users_session_invalidate(session_id=str(first["session_id"]), team_id=first["team_id"])
        self.assertNotIn(first["session_id"], [s["session_id"] for s in self.sessions_of(user)])
        # reset: mobile only, then everything.
        left = self.sessions_of(user)
        self.client.admin_users_session_reset(user_id=user, mobile_only=True)
        self.assertEqual(
            sorted(s["session_id"] for s in self.sessions_of(user)),
            sorted(s["session_id"] for s in left if not is_mobile(s)),
        )
        self.client.admin_users_session_reset(user_id=user)
        self.assertEqual(self.sessions_of(user), [])
        self.assertEqual(
            self.error_of(self.client.admin_users_session_list, team_id=first["team_id"], user_id=user),
            "no_active_sessions",
        )

        # resetBulk is queued: the sessions end shortly after.
        others = [u for u, ss in by_user.items() if u in members and u != user][:2]
        self.client.admin_users_session_resetBulk(user_ids=others)
        deadline = time.time() + 10
        while any(self.sessions_of(u) for u in others):
            self.assertLess(time.time(), deadline, "resetBulk never ended the sessions")
            time.sleep(0.2)

        self.assertEqual(self.error_of(self.client.admin_users_session_list, team_id=first["team_id"]), "missing_user")
        self.assertEqual(
            self.error_of(self.client.admin_users_session_invalidate, session_id="1000000000001", team_id=first["team_id"]),
            "session_not_found",
        )
        bot = WebClient(token=BOT_TOKEN, base_url=self.sandbox.api_url).auth_test()["user_id"]
        self.assertEqual(self.error_of(self.client.admin_users_session_reset, user_id=bot), "cannot_reset_bot")
        owner = self.client.auth_test()["user_id"]
        admin = WebClient(token=ADMIN_TOKEN, base_url=self.sandbox.api_url)
        self.assertEqual(self.error_of(admin.admin_users_session_reset, user_id=owner), "cannot_reset_primary_owner")

    def test_session_settings(self):
        a, b = [u["id"] for u in self.plain_members()[:2]]
        got = self.client.admin_users_session_getSettings(user_ids=[a, b])
        self.assertEqual(got["session_settings"], [])
        self.assertEqual(got["no_settings_applied"], [a, b])
        self.client.admin_users_session_setSettings(user_ids=[a], duration=86400, desktop_app_browser_quit=True)
        got = self.client.admin_users_session_getSettings(user_ids=[a, b])
        self.assertEqual(got["session_settings"], [{"user_id": a, "desktop_app_browser_quit": True, "duration": 86400}])
        self.assertEqual(got["no_settings_applied"], [b])
        self.client.admin_users_session_clearSettings(user_ids=[a])
        self.assertEqual(self.client.admin_users_session_getSettings(user_ids=a)["no_settings_applied"], [a])
        self.assertEqual(
            self.error_of(self.client.admin_users_session_setSettings, user_ids=[a]),
            "at_least_one_session_setting_required",
        )
        self.assertEqual(self.error_of(self.client.admin_users_session_setSettings, user_ids=[a], duration=60), "invalid_arguments")
        self.assertEqual(self.error_of(self.client.admin_users_session_getSettings, user_ids=["W0NOPE000"]), "user_not_found")

    def test_invite_requests(self):
        pending = self.client.admin_inviteRequests_list(team_id=self.team)["invite_requests"]
        self.assertGreaterEqual(len(pending), 2)
        with_channels = next(r for r in pending if r["channel_ids"])
        self.client.admin_inviteRequests_approve(team_id=self.team, invite_request_id=with_channels["id"])
        invited = self.client.users_lookupByEmail(email=with_channels["email"])["user"]
        self.assertTrue(invited["is_invited_user"])
        approved = self.client.admin_inviteRequests_approved_list(team_id=self.team)["approved_requests"]
        item = next(a for a in approved if a["invite_request"]["id"] == with_channels["id"])
        self.assertEqual(item["invite"]["invite_preferences"]["channel_ids"], with_channels["channel_ids"])
        self.assertEqual(item["approved_by"]["actor_id"], self.client.auth_test()["user_id"])

        other = next(r for r in pending if r["id"] != with_channels["id"])
        self.client.admin_inviteRequests_deny(team_id=self.team, invite_request_id=other["id"])
        denied = self.client.admin_inviteRequests_denied_list(team_id=self.team)["denied_requests"]
        self.assertIn(other["id"], [d["invite_request"]["id"] for d in denied])
        self.assertEqual(self.error_of(self.client.users_lookupByEmail, email=other["email"]), "users_not_found")
        left = [r["id"] for r in self.client.admin_inviteRequests_list(team_id=self.team)["invite_requests"]]
        self.assertNotIn(with_channels["id"], left)
        self.assertNotIn(other["id"], left)

        for call in (self.client.admin_inviteRequests_approve, self.client.admin_inviteRequests_deny):
            self.assertEqual(self.error_of(call, team_id=self.team, invite_request_id=other["id"]), "already_processed")
            self.assertEqual(self.error_of(call, team_id=self.team, invite_request_id="Ir0NOPE000"), "invalid_request")
        self.assertEqual(self.error_of(self.client.admin_inviteRequests_list), "invalid_arguments")


class Scim(unittest.TestCase):
    """slack_sdk's SCIMClient (SCIM v1) pointed at the sandbox."""

    @classmethod
    def setUpClass(cls):
        cls.sandbox = Sandbox("--users", "300", "--seed", "4", "--rate-limits", "off")
        cls.scim = SCIMClient(token=ORG_TOKEN, base_url=cls.sandbox.scim_url)
        cls.web = WebClient(token=ORG_TOKEN, base_url=cls.sandbox.api_url)

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.close()

    def member(self, n=0):
        found = self.scim.search_users(count=1000, start_index=1, filter="active eq true")
        self.assertEqual(found.status_code, 200)
        users = self.web.admin_users_list(limit=1000)["users"]
        plain = {
            u["id"] for u in users
            if not (u["is_admin"] or u["is_owner"] or u["is_bot"] or u["is_restricted"] or u["is_ultra_restricted"])
            and not u["is_invited_user"] and len(u["workspaces"]) >= 2
        }
        return [u for u in found.users if u.id in plain][n]

    def test_list_pages_and_filters(self):
        first = self.scim.search_users(count=50, start_index=1)
        self.assertEqual(first.status_code, 200)
        self.assertEqual(len(first.users), 50)
        total = first.body["totalResults"]
        self.assertEqual(total, 300)
        seen = []
        start = 1
        while start <= total:
            page = self.scim.search_users(count=100, start_index=start)
            seen.extend(u.id for u in page.users)
            start += 100
        self.assertEqual(len(seen), total)
        self.assertEqual(len(set(seen)), total)

        someone = first.users[7]
        for f in (f'userName eq "{someone.user_name}"', f'email eq "{someone.emails[0].value}"'):
            found = self.scim.search_users(count=10, start_index=1, filter=f)
            self.assertEqual([u.id for u in found.users], [someone.id], f)
        inactive = self.scim.search_users(count=1000, start_index=1, filter="active eq false")
        self.assertTrue(inactive.users and all(u.active is False for u in inactive.users))

    def test_deactivate_and_reactivate(self):
        user = self.member(0)
        email = user.emails[0].value
        teams = next(u for u in self.web.admin_users_list(limit=1000)["users"] if u["id"] == user.id)["workspaces"]

        deleted = self.scim.delete_user(user.id)
        self.assertEqual(deleted.status_code, 200)
        read = self.scim.read_user(user.id)
        self.assertEqual(read.status_code, 200)
        self.assertFalse(read.user.active)
        with self.assertRaises(SlackApiError) as raised:
            self.web.users_lookupByEmail(email=email)
        self.assertEqual(raised.exception.response["error"], "users_not_found")
        self.assertNotIn(user.id, [u["id"] for u in self.web.admin_users_list(limit=1000)["users"]])
        self.assertTrue(self.web.users_info(user=user.id)["user"]["deleted"])

        patched = self.scim.patch_user(user.id, partial_user=User(active=True))
        self.assertEqual(patched.status_code, 200)
        self.assertTrue(patched.user.active)
        self.assertEqual(self.web.users_lookupByEmail(email=email)["user"]["id"], user.id)
        for team in teams:
            on = self.web.admin_users_list(team_id=team, limit=1000)["users"]
            self.assertIn(user.id, [u["id"] for u in on], f"back on {team}")

        # PATCH active: false deactivates as DELETE does.
        patched = self.scim.patch_user(user.id, partial_user={"active": False})
        self.assertEqual(patched.status_code, 200)
        self.assertFalse(patched.user.active)
        self.scim.patch_user(user.id, partial_user={"active": True})

    def test_change_email_and_user_name(self):
        user = self.member(1)
        patched = self.scim.patch_user(
            user.id,
            partial_user={"emails": [{"value": "sdk.renamed@larkspur.example", "primary": True}], "user_name": "sdk.renamed"},
        )
        self.assertEqual(patched.status_code, 200, patched.raw_body)
        self.assertEqual(patched.user.user_name, "sdk.renamed")
        found = self.web.users_lookupByEmail(email="sdk.renamed@larkspur.example")["user"]
        self.assertEqual(found["id"], user.id)
        self.assertEqual(found["name"], "sdk.renamed")

    def test_errors(self):
        missing = self.scim.read_user("W0NOPE000")
        self.assertEqual(missing.status_code, 404)
        self.assertEqual((missing.errors.code, missing.errors.description), (404, "no_such_user"))
        bad = self.scim.search_users(count=10, start_index=1, filter="foo")
        self.assertEqual(bad.status_code, 400)
        self.assertTrue(bad.errors.description.startswith("no_filters"))
        owner = self.web.auth_test()["user_id"]
        refused = self.scim.delete_user(owner)
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(refused.errors.description, "cannot_disable_primary_owner")
        a, b = self.member(2), self.member(3)
        taken = self.scim.patch_user(a.id, partial_user={"emails": [{"value": b.emails[0].value, "primary": True}]})
        self.assertEqual(taken.status_code, 409)
        self.assertEqual(taken.errors.description, "email_taken")
        for token, status, code in [
            ("xoxp-not-a-token", 401, "invalid_authentication"),
            (WORKSPACE_TOKEN, 403, "non_org_teams_only"),
            (BOT_TOKEN, 403, "permission_denied"),
        ]:
            r = SCIMClient(token=token, base_url=self.sandbox.scim_url).search_users(count=1, start_index=1)
            self.assertEqual((r.status_code, r.errors.code, r.errors.description), (status, status, code))


class CountingRateLimitHandler(RateLimitErrorRetryHandler):
    """The SDK's own 429 handler, counting how often it stepped in."""

    def __init__(self):
        super().__init__(max_retry_count=3)
        self.retries = 0

    def prepare_for_next_attempt(self, **kwargs):
        self.retries += 1
        super().prepare_for_next_attempt(**kwargs)


class RateLimits(unittest.TestCase):
    def test_429_then_recovery_with_the_sdk_retry_handler(self):
        sandbox = Sandbox("--users", "50", "--rate-limits", "scale=6")
        try:
            plain = WebClient(token=ORG_TOKEN, base_url=sandbox.api_url)
            statuses = []
            for _ in range(22):
                try:
                    plain.users_list(limit=1)
                    statuses.append(200)
                except SlackApiError as e:
                    statuses.append(e.response.status_code)
                    self.assertEqual(e.response["error"], "ratelimited")
                    self.assertTrue(e.response.headers["Retry-After"].isdigit())
            self.assertIn(429, statuses)

            handler = CountingRateLimitHandler()
            patient = WebClient(token=ORG_TOKEN, base_url=sandbox.api_url, retry_handlers=[handler])
            for _ in range(10):
                self.assertTrue(patient.users_list(limit=1)["ok"])
            self.assertGreater(handler.retries, 0, "the SDK never saw a 429")
        finally:
            sandbox.close()


class ScimRateLimits(unittest.TestCase):
    def test_writes_429_then_recovery_with_the_sdk_retry_handler(self):
        sandbox = Sandbox("--users", "100", "--seed", "4", "--rate-limits", "real")
        try:
            plain = SCIMClient(token=ORG_TOKEN, base_url=sandbox.scim_url)
            users = [u.id for u in plain.search_users(count=100, start_index=1, filter="active eq true").users][-30:]
            statuses = []
            for user in users[:25]:
                r = plain.patch_user(user, partial_user={"title": "Sandbox"})
                statuses.append(r.status_code)
                if r.status_code == 429:
                    self.assertEqual(r.errors.description, "too_many_requests")
                    self.assertTrue(r.headers["Retry-After"].isdigit())
            self.assertEqual(statuses[:20], [200] * 20, statuses)
            self.assertIn(429, statuses)

            handler = CountingRateLimitHandler()
            patient = SCIMClient(token=ORG_TOKEN, base_url=sandbox.scim_url, retry_handlers=[handler])
            for user in users[25:]:
                self.assertEqual(patient.patch_user(user, partial_user={"title": "Sandbox"}).status_code, 200)
            self.assertGreater(handler.retries, 0, "the SDK never saw a 429")
        finally:
            sandbox.close()


APP_TOKEN = "xapp-1-A0SANDBOX1-0000-conformance"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def first_active_member(client, team):
    for user in client.admin_users_list(team_id=team, limit=100)["users"]:
        if not (user.get("is_admin") or user.get("is_owner") or user.get("is_bot")
                or user.get("is_restricted") or user.get("is_ultra_restricted")):
            return user["id"]
    raise AssertionError("no regular member")


class SocketModeEvents(unittest.TestCase):
    """slack_sdk's own SocketModeClient receives the sandbox's events and acknowledges them."""

    def test_a_change_arrives_as_user_change_and_is_acknowledged(self):
        sandbox = Sandbox("--users", "80", "--seed", "5", "--rate-limits", "off",
                          "--app-token", APP_TOKEN)
        received = []
        try:
            web = WebClient(token=APP_TOKEN, base_url=sandbox.api_url)
            client = SocketModeClient(app_token=APP_TOKEN, web_client=web)

            def listener(client, req: SocketModeRequest):
                if req.type == "events_api":
                    client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                    received.append(req.payload)

            client.socket_mode_request_listeners.append(listener)
            client.connect()
            admin = WebClient(token=ORG_TOKEN, base_url=sandbox.api_url)
            team = admin.admin_teams_list()["teams"][0]["id"]
            user = first_active_member(admin, team)
            deadline = time.time() + 10
            while not client.is_connected() and time.time() < deadline:
                time.sleep(0.05)
            admin.admin_users_setAdmin(team_id=team, user_id=user)
            while not received and time.time() < deadline:
                time.sleep(0.05)
            self.assertTrue(received, "no event arrived")
            event = received[0]
            self.assertEqual(event["type"], "event_callback")
            self.assertTrue(event["event_id"].startswith("Ev"))
            self.assertEqual(event["event"]["type"], "user_change")
            self.assertEqual(event["event"]["user"]["id"], user)
            self.assertTrue(event["event"]["user"]["is_admin"])
            # Acknowledged: nothing is sent again.
            time.sleep(3.5)
            with urllib.request.urlopen(sandbox.root + "_sandbox/events") as response:
                stats = json.load(response)["stats"]
            self.assertEqual(stats["acked"], stats["sent"], stats)
            self.assertEqual(stats["retried"], 0, stats)
            client.close()
        finally:
            sandbox.close()

    def test_invite_requested_and_the_workspaces_that_send_events(self):
        sandbox = Sandbox("--users", "80", "--seed", "5", "--rate-limits", "off",
                          "--app-token", APP_TOKEN, "--invite-requested")
        received = []
        try:
            web = WebClient(token=APP_TOKEN, base_url=sandbox.api_url)
            client = SocketModeClient(app_token=APP_TOKEN, web_client=web)

            def listener(client, req: SocketModeRequest):
                if req.type == "events_api":
                    client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                    received.append(req.payload["event"])

            client.socket_mode_request_listeners.append(listener)
            client.connect()
            admin = WebClient(token=ORG_TOKEN, base_url=sandbox.api_url)
            teams = [t["id"] for t in admin.admin_teams_list()["teams"]]
            listed = [t["id"] for page in admin.auth_teams_list(limit=1) for t in page["teams"]]
            self.assertEqual(sorted(listed), sorted(teams))
            deadline = time.time() + 10
            while not client.is_connected() and time.time() < deadline:
                time.sleep(0.05)
            user = first_active_member(admin, teams[0])
            request = urllib.request.Request(
                sandbox.root + "_sandbox/invite-requests",
                data=json.dumps({"team_id": teams[0], "email": "asks@partner.example",
                                 "requester_id": user, "invite_type": "ultra_restricted"}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request) as response:
                self.assertEqual(response.status, 201)
                made = json.load(response)
            sandbox.control("events/grant", {"team_ids": [teams[-1]], "granted": False})
            while len(received) < 2 and time.time() < deadline:
                time.sleep(0.05)
            kinds = [e["type"] for e in received]
            self.assertEqual(kinds, ["invite_requested", "team_access_revoked"], received)
            asked = received[0]["invite_request"]
            self.assertEqual(asked["id"], made["id"])
            self.assertEqual(asked["invite_type"], "ultra_restricted")
            self.assertEqual(asked["team"]["id"], teams[0])
            self.assertEqual(received[1]["team_ids"], [teams[-1]])
            listed = [t["id"] for t in admin.auth_teams_list()["teams"]]
            self.assertNotIn(teams[-1], listed)
            client.close()
        finally:
            sandbox.close()

    def test_the_method_wants_the_app_token_in_the_header(self):
        sandbox = Sandbox("--users", "20", "--app-token", APP_TOKEN)
        try:
            bot = WebClient(token=BOT_TOKEN, base_url=sandbox.api_url)
            with self.assertRaises(SlackApiError) as raised:
                bot.apps_connections_open(app_token=BOT_TOKEN)
            self.assertEqual(raised.exception.response["error"], "not_allowed_token_type")
            wrong = WebClient(base_url=sandbox.api_url)
            with self.assertRaises(SlackApiError) as raised:
                wrong.apps_connections_open(app_token="xapp-1-wrong")
            self.assertEqual(raised.exception.response["error"], "invalid_auth")
            opened = wrong.apps_connections_open(app_token=APP_TOKEN)
            self.assertTrue(opened["url"].startswith("ws://"))
        finally:
            sandbox.close()


class SignedHttpEvents(unittest.TestCase):
    """HTTP deliveries carry a signature slack_sdk's SignatureVerifier accepts."""

    def test_a_delivery_verifies(self):
        import http.server
        import threading

        deliveries = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                deliveries.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/slack/events"
        sandbox = Sandbox("--users", "80", "--seed", "5", "--rate-limits", "off",
                          "--events-url", url, "--signing-secret", SIGNING_SECRET)
        try:
            admin = WebClient(token=ORG_TOKEN, base_url=sandbox.api_url)
            team = admin.admin_teams_list()["teams"][0]["id"]
            user = first_active_member(admin, team)
            admin.admin_users_setAdmin(team_id=team, user_id=user)
            deadline = time.time() + 10
            while not deliveries and time.time() < deadline:
                time.sleep(0.05)
            self.assertTrue(deliveries, "no delivery arrived")
            headers, body = deliveries[0]
            verifier = SignatureVerifier(SIGNING_SECRET)
            self.assertTrue(verifier.is_valid_request(body, headers))
            self.assertFalse(SignatureVerifier("another-secret").is_valid_request(body, headers))
            self.assertEqual(json.loads(body)["event"]["user"]["id"], user)
        finally:
            sandbox.close()
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    unittest.main()
