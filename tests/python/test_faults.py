"""Fault injection through boto3: injected ThrottlingException answers are retried by
botocore's retryers (standard and legacy modes) until the call succeeds; an injected export
failure reaches boto3 as a real one (docs/control-api.md)."""

import unittest

import boto3
import botocore.session
from botocore.config import Config

import aws_logged
import harness


class FaultsTest(harness.ServerTestCase):

    def retrying_client(self, mode):
        session = boto3.session.Session(botocore_session=botocore.session.Session())
        client = session.client("discovery", region_name=harness.REGION, endpoint_url=self.server.url,
                                aws_access_key_id=harness.ACCOUNT, aws_secret_access_key=harness.SECRET,
                                config=Config(retries={"mode": mode}))
        aws_logged.register(client.meta.events)
        return client

    def throttle(self, count):
        status, body = self.server.control("POST", "faults/operations", {
            "operation": "DescribeExportTasks", "error": "ThrottlingException", "count": count})
        self.assertEqual(status, 200, body)

    def test_retryers_get_through_two_throttles(self):
        for mode in ("standard", "legacy"):
            with self.subTest(mode=mode):
                self.throttle(2)
                out = self.retrying_client(mode).describe_export_tasks()
                self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 2)
                self.assertEqual(out["exportsInfo"], [])

    def test_throttle_without_retries(self):
        self.throttle(1)
        self.assertClientError("ThrottlingException", self.server.client().describe_export_tasks, status=400)
        self.server.client().describe_export_tasks()

    def test_injected_export_failure(self):
        status, body = self.server.control("POST", "faults/exports/fail", {"statusMessage": "injected"})
        self.assertEqual(status, 200, body)
        c = self.server.client()
        info = harness.wait_export(c, c.start_export_task()["exportId"])
        self.assertEqual((info["exportStatus"], info["statusMessage"]), ("FAILED", "injected"))
        self.assertNotIn("configurationsDownloadUrl", info)


if __name__ == "__main__":
    unittest.main()
