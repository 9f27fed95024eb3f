"""The official Slack SDK for Python, unchanged, against `roster sandbox`.

Run by `cargo xtask test` (which builds `roster` and installs slack_sdk in a venv):
    ROSTER_BIN=target/debug/roster python -m unittest discover -s sandbox/conformance -v
"""

import json
import os
import subprocess
import time
import unittest
import urllib.request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

ORG_TOKEN = "xoxp-sandbox-org-admin-0000000000"
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


if __name__ == "__main__":
    unittest.main()
