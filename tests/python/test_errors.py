"""Error wire format, request IDs, non-modeled errors and the home region."""

import json
import unittest
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import harness
from harness import ACCOUNT, REGION, SECRET, wait_export

TARGET_PREFIX = "AWSPoseidonService_V2015_11_01"


def raw_call(server, target, body, content_type="application/x-amz-json-1.1", region=REGION):
    """A SigV4-signed POST built by hand; returns (status, headers, body bytes)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    req = AWSRequest(method="POST", url=server.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(ACCOUNT, SECRET), "discovery", region).add_auth(req)
    prepared = req.prepare()
    ureq = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    status, raw, hdrs = _open(ureq)
    return status, hdrs, raw


def _open(ureq):
    try:
        with urllib.request.urlopen(ureq, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


class WireErrorTest(harness.ServerTestCase):

    def assertRawError(self, status, headers, raw, code, want_status=400):
        self.assertEqual(status, want_status, raw)
        body = json.loads(raw)
        self.assertEqual(body["__type"], code)
        self.assertIsInstance(body.get("message"), str)
        self.assertTrue(body["message"])
        self.assertTrue(headers.get("x-amzn-RequestId"))
        if headers.get("X-Amzn-ErrorType") is not None:
            self.assertEqual(headers.get("X-Amzn-ErrorType"), code)
        return body

    def test_raw_success_and_request_id(self):
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".DescribeExportTasks", {})
        self.assertEqual(status, 200, raw)
        self.assertEqual(json.loads(raw), {"exportsInfo": []})
        self.assertTrue(headers.get("x-amzn-RequestId"))
        self.assertTrue(headers.get("Content-Type", "").startswith("application/x-amz-json-1.1"))

    def test_unknown_operation(self):
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".FlyToTheMoon", {})
        self.assertRawError(status, headers, raw, "UnknownOperationException")

    def test_not_json_is_serialization_exception(self):
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".DescribeExportTasks", "{not json")
        self.assertRawError(status, headers, raw, "SerializationException")

    def test_wrong_json_type_is_serialization_exception(self):
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".DescribeExportTasks",
                                        {"maxResults": "ten"})
        self.assertRawError(status, headers, raw, "SerializationException")
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".DescribeExportTasks",
                                        {"exportIds": "export-1"})
        self.assertRawError(status, headers, raw, "SerializationException")

    def test_unknown_members_are_ignored(self):
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".DescribeExportTasks",
                                        {"noSuchMember": 1, "maxResults": 5})
        self.assertEqual(status, 200, raw)

    def test_validation_message_format(self):
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".DescribeExportTasks",
                                        {"maxResults": -1})
        body = self.assertRawError(status, headers, raw, "InvalidParameterValueException")
        self.assertTrue(body["message"].startswith("1 validation error detected: Value '-1' at 'maxResults'"),
                        body["message"])

    def test_missing_required_filter_member_is_invalid_parameter(self):
        status, headers, raw = raw_call(self.server, TARGET_PREFIX + ".DescribeExportTasks",
                                        {"filters": [{"name": "agentIds", "values": ["o-1"]}]})
        self.assertRawError(status, headers, raw, "InvalidParameterException")

    def test_request_id_on_boto3_success_and_error(self):
        c = self.server.client()
        ok = c.describe_export_tasks()
        rid = ok["ResponseMetadata"]["RequestId"]
        self.assertTrue(rid)
        self.assertEqual(rid, ok["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
        err = self.assertClientError("ResourceNotFoundException", c.describe_export_configurations,
                                     exportIds=["export-00000000-0000-4000-8000-000000000000"])
        erid = err.response["ResponseMetadata"]["RequestId"]
        self.assertEqual(erid, err.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
        self.assertNotEqual(rid, erid)


class HomeRegionTest(harness.ServerTestCase):
    """Default --home-region us-west-2."""

    def test_other_region_is_home_region_not_set(self):
        c = self.server.client(region="eu-west-1")
        for op in (c.describe_export_tasks, c.start_export_task, c.export_configurations):
            with self.subTest(op=op.__name__):
                err = self.assertClientError("HomeRegionNotSetException", op)
                self.assertIsInstance(err, c.exceptions.HomeRegionNotSetException)
        # nothing was created, as seen from the home region
        self.assertEqual(self.server.client().describe_export_tasks()["exportsInfo"], [])

    def test_get_home_region(self):
        m = self.server.client("migrationhub-config")
        self.assertEqual(m.get_home_region()["HomeRegion"], REGION)


class NoHomeRegionTest(harness.ServerTestCase):
    SERVER_ARGS = ("--no-limits", "--home-region", "none")

    def test_set_home_region_with_migrationhub_config(self):
        c = self.server.client()
        err = self.assertClientError("HomeRegionNotSetException", c.describe_export_tasks)
        self.assertIsInstance(err, c.exceptions.HomeRegionNotSetException)
        self.assertClientError("HomeRegionNotSetException", c.start_export_task)

        m = self.server.client("migrationhub-config")
        self.assertNotIn("HomeRegion", m.get_home_region())
        self.assertEqual(m.describe_home_region_controls()["HomeRegionControls"], [])

        resp = m.create_home_region_control(HomeRegion=REGION, Target={"Type": "ACCOUNT", "Id": ACCOUNT})
        control = resp["HomeRegionControl"]
        self.assertEqual(control["HomeRegion"], REGION)
        self.assertEqual(control["Target"], {"Type": "ACCOUNT", "Id": ACCOUNT})
        self.assertTrue(control["ControlId"])
        self.assertEqual(m.get_home_region()["HomeRegion"], REGION)
        controls = m.describe_home_region_controls()["HomeRegionControls"]
        self.assertEqual([x["ControlId"] for x in controls], [control["ControlId"]])

        self.assertEqual(c.describe_export_tasks()["exportsInfo"], [])
        export_id = c.start_export_task()["exportId"]
        self.assertEqual(wait_export(c, export_id)["exportStatus"], "SUCCEEDED")
        # still refused in another region, and other accounts are still unset
        self.assertClientError("HomeRegionNotSetException",
                               self.server.client(region="eu-west-1").describe_export_tasks)
        self.assertClientError("HomeRegionNotSetException",
                               self.server.client(key=harness.OTHER_ACCOUNT).describe_export_tasks)

    def test_delete_home_region_control_unsets_it(self):
        m = self.server.client("migrationhub-config")
        control = m.create_home_region_control(
            HomeRegion=REGION, Target={"Type": "ACCOUNT", "Id": ACCOUNT})["HomeRegionControl"]
        c = self.server.client()
        c.describe_export_tasks()
        m.delete_home_region_control(ControlId=control["ControlId"])
        self.assertEqual(m.describe_home_region_controls()["HomeRegionControls"], [])
        self.assertClientError("HomeRegionNotSetException", c.describe_export_tasks)

    def test_reset_forgets_home_region(self):
        m = self.server.client("migrationhub-config")
        m.create_home_region_control(HomeRegion=REGION, Target={"Type": "ACCOUNT", "Id": ACCOUNT})
        self.server.client().describe_export_tasks()
        self.server.reset()
        self.assertClientError("HomeRegionNotSetException", self.server.client().describe_export_tasks)


if __name__ == "__main__":
    unittest.main()
