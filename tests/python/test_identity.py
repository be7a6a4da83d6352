"""Identity: open-mode accounts, strict-mode SigV4 and allow lists, the control API token."""

import datetime
import io
import unittest
import zipfile
from unittest import mock

from botocore import UNSIGNED

import harness
from harness import wait_export

KEY_A = "AKIAPOSEIDONTESTAAAA"
SECRET_A = "secret-a/+poseidon0000000000000000000000"
ACCOUNT_A = "111111111111"
KEY_B = "AKIAPOSEIDONTESTBBBB"
SECRET_B = "secret-b-poseidon00000000000000000000000"
ACCOUNT_B = "222222222222"
KEY_RO = "AKIAPOSEIDONTESTREAD"
SECRET_RO = "secret-ro-poseidon0000000000000000000000"
TOKEN = "control-token-for-tests"

CREDENTIALS = {"identities": [
    {"accessKeyId": KEY_A, "secretAccessKey": SECRET_A, "accountId": ACCOUNT_A},
    {"accessKeyId": KEY_B, "secretAccessKey": SECRET_B, "accountId": ACCOUNT_B},
    {"accessKeyId": KEY_RO, "secretAccessKey": SECRET_RO, "accountId": ACCOUNT_A,
     "allow": ["discovery:Describe*"]},
]}


class OpenModeAccountsTest(harness.ServerTestCase):

    def test_accounts_are_isolated(self):
        a = self.server.client(key="111111111111")
        b = self.server.client(key="222222222222")
        ea = a.start_export_task()["exportId"]
        wait_export(a, ea)
        self.assertEqual([i["exportId"] for i in a.describe_export_tasks()["exportsInfo"]], [ea])
        self.assertEqual(b.describe_export_tasks()["exportsInfo"], [])
        self.assertEqual(b.describe_export_tasks(exportIds=[ea])["exportsInfo"], [])
        self.assertClientError("ResourceNotFoundException", b.describe_export_configurations, exportIds=[ea])

    def test_signature_not_verified_in_open_mode(self):
        c = self.server.client(secret="whatever-secret")
        self.assertEqual(c.describe_export_tasks()["exportsInfo"], [])

    def test_non_numeric_keys_share_account_000000000000(self):
        a = self.server.client(key="AKIAEXAMPLEEXAMPLE01")
        b = self.server.client(key="not-a-number")
        ea = a.start_export_task()["exportId"]
        wait_export(a, ea)
        self.assertEqual([i["exportId"] for i in b.describe_export_tasks()["exportsInfo"]], [ea])
        self.assertEqual(self.server.client().describe_export_tasks()["exportsInfo"], [])

    def test_control_api_open_without_token(self):
        status, body = self.server.control("GET", "clock", token=None)
        self.assertEqual(status, 200, body)
        self.assertIn("epochSeconds", body)


class VirtualClockTest(harness.ServerTestCase):

    def test_advance_and_set(self):
        t0 = self.server.now()
        self.server.advance(3600)
        self.assertAlmostEqual(self.server.now(), t0 + 3600, delta=5)
        status, body = self.server.control("POST", "clock", {"setEpochSeconds": 2000000000})
        self.assertEqual(status, 200, body)
        self.assertAlmostEqual(self.server.now(), 2000000000, delta=5)
        self.server.reset()
        self.assertLess(abs(self.server.now() - t0), 300)

    def test_bad_clock_body(self):
        status, _ = self.server.control("POST", "clock", {"advanceSeconds": "soon"})
        self.assertGreaterEqual(status, 400)
        self.assertLess(status, 500)


class StrictModeTest(harness.ServerTestCase):
    SERVER_ARGS = ("--no-limits",)
    CREDENTIALS = CREDENTIALS
    CONTROL_TOKEN = TOKEN

    def test_right_key_works(self):
        c = self.server.client(key=KEY_A, secret=SECRET_A)
        export_id = c.start_export_task()["exportId"]
        info = wait_export(c, export_id)
        self.assertEqual(info["exportStatus"], "SUCCEEDED")
        # the presigned URL works without any credentials, and names the account
        status, body, _ = harness.http_get(info["configurationsDownloadUrl"])
        self.assertEqual(status, 200)
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        self.assertIn(f"{ACCOUNT_A}_Server.csv", names)

    def test_wrong_secret(self):
        c = self.server.client(key=KEY_A, secret=SECRET_B)
        self.assertClientError("InvalidSignatureException", c.describe_export_tasks, status="4xx")

    def test_unknown_key(self):
        c = self.server.client(key="AKIAUNKNOWNUNKNOWN00", secret=SECRET_A)
        self.assertClientError("UnrecognizedClientException", c.describe_export_tasks, status="4xx")

    def test_unsigned(self):
        c = self.server.client(signature_version=UNSIGNED)
        self.assertClientError("MissingAuthenticationTokenException", c.describe_export_tasks, status="4xx")

    def test_request_signed_20_minutes_ago(self):
        c = self.server.client(key=KEY_A, secret=SECRET_A)
        past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
        with mock.patch("botocore.auth.get_current_datetime", return_value=past):
            self.assertClientError("InvalidSignatureException", c.describe_export_tasks, status="4xx")
        self.assertEqual(c.describe_export_tasks()["exportsInfo"], [])

    def test_allow_list(self):
        ro = self.server.client(key=KEY_RO, secret=SECRET_RO)
        err = self.assertClientError("AuthorizationErrorException", ro.start_export_task)
        self.assertIsInstance(err, ro.exceptions.AuthorizationErrorException)
        self.assertClientError("AuthorizationErrorException", ro.export_configurations)
        self.assertEqual(ro.describe_export_tasks()["exportsInfo"], [])
        # same account as A: sees A's exports
        a = self.server.client(key=KEY_A, secret=SECRET_A)
        ea = a.start_export_task()["exportId"]
        wait_export(a, ea)
        self.assertEqual([i["exportId"] for i in ro.describe_export_tasks()["exportsInfo"]], [ea])
        self.assertEqual([i["exportId"] for i in ro.describe_export_configurations(exportIds=[ea])["exportsInfo"]],
                         [ea])

    def test_accounts_are_isolated(self):
        a = self.server.client(key=KEY_A, secret=SECRET_A)
        b = self.server.client(key=KEY_B, secret=SECRET_B)
        ea = a.start_export_task()["exportId"]
        eb = b.start_export_task()["exportId"]
        wait_export(a, ea)
        wait_export(b, eb)
        self.assertEqual([i["exportId"] for i in a.describe_export_tasks()["exportsInfo"]], [ea])
        self.assertEqual([i["exportId"] for i in b.describe_export_tasks()["exportsInfo"]], [eb])
        self.assertEqual(b.describe_export_tasks(exportIds=[ea])["exportsInfo"], [])
        err = self.assertClientError("ResourceNotFoundException", b.describe_export_configurations,
                                     exportIds=[ea])
        self.assertIsInstance(err, b.exceptions.ResourceNotFoundException)

    def test_control_api_needs_token(self):
        for token in (None, "wrong-token"):
            with self.subTest(token=token):
                for method, path, body in (("GET", "clock", None), ("POST", "reset", {}),
                                           ("POST", "clock", {"advanceSeconds": 10})):
                    status, _ = self.server.control(method, path, body, token=token)
                    self.assertIn(status, (401, 403), f"{method} {path} with token {token!r}")
        status, body = self.server.control("GET", "clock")
        self.assertEqual(status, 200, body)
        status, body = self.server.control("POST", "reset", {})
        self.assertEqual(status, 200, body)

    def test_reset_is_not_done_without_token(self):
        a = self.server.client(key=KEY_A, secret=SECRET_A)
        ea = a.start_export_task()["exportId"]
        self.server.control("POST", "reset", {}, token=None)
        self.assertEqual([i["exportId"] for i in a.describe_export_tasks()["exportsInfo"]], [ea])

    @unittest.skipUnless(harness.aws_cli_available(), "aws CLI not installed")
    def test_aws_cli_strict(self):
        rc, out = self.server.aws("discovery", "describe-export-tasks", key=KEY_A, secret=SECRET_A)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["exportsInfo"], [])
        rc, out = self.server.aws("discovery", "describe-export-tasks", key=KEY_A, secret=SECRET_B)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidSignatureException", out)
        rc, out = self.server.aws("discovery", "start-export-task", key=KEY_RO, secret=SECRET_RO)
        self.assertNotEqual(rc, 0)
        self.assertIn("AuthorizationErrorException", out)


class StrictModeNoTokenTest(unittest.TestCase):
    """Strict mode without --control-token: the control API is off."""

    def test_control_api_off(self):
        server = harness.Server(credentials=CREDENTIALS)
        try:
            # health must still answer for start() to succeed
            server.start()
            for method, path, body in (("GET", "clock", None), ("POST", "reset", {})):
                status, _ = server.control(method, path, body, token="anything")
                self.assertIn(status, (401, 403, 404), f"{method} {path}")
        finally:
            server.stop()


class SmithyAuthStatusTest(harness.ServerTestCase):
    SERVER_ARGS = ("--smithy-status-codes",)
    CREDENTIALS = CREDENTIALS
    CONTROL_TOKEN = TOKEN

    def test_authorization_error_is_403(self):
        ro = self.server.client(key=KEY_RO, secret=SECRET_RO)
        err = self.assertClientError("AuthorizationErrorException", ro.start_export_task, status=403)
        self.assertIsInstance(err, ro.exceptions.AuthorizationErrorException)

    def test_operation_not_permitted_is_429(self):
        a = self.server.client(key=KEY_A, secret=SECRET_A)
        a.export_configurations()
        a.export_configurations()
        self.assertClientError("OperationNotPermittedException", a.export_configurations, status=429)


if __name__ == "__main__":
    unittest.main()
