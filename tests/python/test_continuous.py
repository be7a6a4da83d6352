"""Continuous exports through boto3: start_continuous_export, describe_continuous_exports
(and its paginator), stop_continuous_export, the status machine on the virtual clock, the
JSON Lines files written under <data>/continuous-exports/<s3Bucket>/ while an export runs,
and the modeled errors."""

import glob
import json
import os
import unittest

import harness
from harness import OTHER_ACCOUNT
from test_configurations import fleet, post_intake

DATABASE = "application_discovery_service_database"
TABLES = ["os_info_agent", "network_interface_agent", "sys_performance_agent",
          "processes_agent", "inbound_connection_agent", "outbound_connection_agent"]


class ContinuousExportsTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.c = self.server.client()
        # Reset clears the records, not the files: stop nothing, count from here.

    def bucket_rows(self, bucket):
        data = self.server.data_dir or os.path.join(self.server.tmp, "data")
        rows = {}
        root = os.path.join(data, "continuous-exports", bucket)
        for path in glob.glob(os.path.join(root, "*", "year=*", "month=*", "day=*", "*.jsonl")):
            table = os.path.relpath(path, root).split(os.sep)[0]
            with open(path) as f:
                rows.setdefault(table, []).extend(json.loads(line) for line in f if line.strip())
        return rows

    def test_lifecycle_and_files(self):
        self.assertEqual(self.c.describe_continuous_exports()["descriptions"], [])
        started = self.c.start_continuous_export()
        export_id, bucket = started["exportId"], started["s3Bucket"]
        self.assertTrue(bucket.startswith("aws-application-discovery-service-"))
        self.assertEqual(started["dataSource"], "AGENT")
        self.assertEqual(started["schemaStorageConfig"], {"databaseName": DATABASE})
        self.assertIsNotNone(started["startTime"].tzinfo)
        self.assertClientError("ConflictErrorException", self.c.start_continuous_export)

        d = self.c.describe_continuous_exports(exportIds=[export_id])["descriptions"]
        self.assertEqual([(x["exportId"], x["status"]) for x in d], [(export_id, "START_IN_PROGRESS")])
        self.server.advance(11)
        d = self.c.describe_continuous_exports()["descriptions"]
        self.assertEqual(d[0]["status"], "ACTIVE")
        self.assertNotIn("stopTime", d[0])

        before = self.bucket_rows(bucket)
        base = int(self.server.now()) - 7200
        batch = fleet(base)
        post_intake(self.server, batch)
        after = self.bucket_rows(bucket)
        added = {t: len(after.get(t, [])) - len(before.get(t, [])) for t in TABLES}
        self.assertEqual(added["os_info_agent"], len(batch["reports"]))
        self.assertEqual(added["processes_agent"], sum(len(r.get("processes", [])) for r in batch["reports"]))
        self.assertEqual(added["network_interface_agent"],
                         sum(len(r.get("networkInterfaces", [])) for r in batch["reports"]))
        conns = [c for r in batch["reports"] for c in r.get("connections", [])]
        self.assertEqual(added["inbound_connection_agent"], sum(c["direction"] == "inbound" for c in conns))
        self.assertEqual(added["outbound_connection_agent"], sum(c["direction"] == "outbound" for c in conns))
        ids = {r["report_id"] for r in after["os_info_agent"]}
        self.assertTrue({r["reportId"] for r in batch["reports"]} <= ids)

        stopped = self.c.stop_continuous_export(exportId=export_id)
        self.assertEqual(stopped["startTime"], started["startTime"])
        self.assertGreaterEqual(stopped["stopTime"], stopped["startTime"])
        self.assertEqual(self.c.describe_continuous_exports()["descriptions"][0]["status"], "STOP_IN_PROGRESS")
        self.assertClientError("ResourceInUseException", self.c.stop_continuous_export, exportId=export_id)
        self.server.advance(11)
        d = self.c.describe_continuous_exports()["descriptions"][0]
        self.assertEqual(d["status"], "INACTIVE")
        self.assertEqual(d["stopTime"], stopped["stopTime"])

        post_intake(self.server, {"reports": [{"reportId": "after-stop", "agentId": "o-1000000000000001",
                                               "timestamp": base + 5400, "server": {"hostName": "web-1.example.com"}}]})
        self.assertEqual(len(self.bucket_rows(bucket)["os_info_agent"]), len(after["os_info_agent"]))

    def test_pages_and_errors(self):
        first = self.c.start_continuous_export()["exportId"]
        self.c.stop_continuous_export(exportId=first)
        self.server.advance(60)
        second = self.c.start_continuous_export()["exportId"]
        pages = list(self.c.get_paginator("describe_continuous_exports").paginate(PaginationConfig={"PageSize": 1}))
        self.assertEqual([x["exportId"] for p in pages for x in p["descriptions"]], [second, first])
        self.assertEqual(len(pages), 2)

        other = self.server.client(key=OTHER_ACCOUNT)
        self.assertEqual(other.describe_continuous_exports()["descriptions"], [])
        self.assertClientError("ResourceNotFoundException", other.stop_continuous_export, exportId=second)
        self.assertClientError("ResourceNotFoundException", self.c.stop_continuous_export, exportId="nope")
        self.assertClientError("ResourceNotFoundException", self.c.describe_continuous_exports,
                               exportIds=[first, "nope"])
        self.assertClientError("InvalidParameterValueException", self.c.describe_continuous_exports,
                               nextToken="bogus")
        token = self.c.describe_continuous_exports(maxResults=1)["nextToken"]
        self.assertClientError("InvalidParameterValueException", other.describe_continuous_exports,
                               maxResults=1, nextToken=token)


if __name__ == "__main__":
    unittest.main()
