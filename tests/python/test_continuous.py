"""Continuous exports through boto3: start_continuous_export, describe_continuous_exports
(and its paginator), stop_continuous_export, the status machine on the virtual clock, the
Parquet files of the export's bucket (read with boto3's S3 client at the server's bucket
endpoint, /_poseidon/buckets, path-style), and the modeled errors."""

import re
import time
import unittest

import boto3
import botocore.session
from botocore.config import Config

import harness
from harness import ACCOUNT, OTHER_ACCOUNT, SECRET, REGION
from test_configurations import fleet, post_intake

DATABASE = "application_discovery_service_database"
KEY = re.compile(r"^([a-z_]+)/\d{4}/\d{2}/\d{2}/\d{2}/aws-application-discovery-service-\1-1-"
                 r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.parquet$")


class ContinuousExportsTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.c = self.server.client()
        # Reset clears the records, not the files: stop nothing, count from here.

    def s3(self, key=ACCOUNT):
        # Not registered with the response log: that checks ADS's models, not S3's.
        session = boto3.session.Session(botocore_session=botocore.session.Session())
        return session.client("s3", region_name=REGION, endpoint_url=self.server.url + "/_poseidon/buckets",
                              aws_access_key_id=key, aws_secret_access_key=SECRET,
                              config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))

    def data_files(self, bucket):
        """The bucket's Parquet data files by table, each checked for Parquet's magic bytes."""
        s3 = self.s3()
        files = {}
        for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            m = KEY.match(o["Key"])
            if not m:
                continue
            body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            self.assertEqual((body[:4], body[-4:]), (b"PAR1", b"PAR1"), o["Key"])
            files.setdefault(m.group(1), []).append(o["Key"])
        return files

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

        keys = [o["Key"] for o in self.s3().list_objects_v2(Bucket=bucket).get("Contents", [])]
        self.assertIn("catalogue/duckdb.sql", keys)
        self.assertIn("catalogue/athena.sql", keys)
        self.assertIn(b"CREATE EXTERNAL TABLE", self.s3().get_object(Bucket=bucket, Key="catalogue/athena.sql")["Body"].read())
        self.assertClientError("AccessDenied", self.s3(key=OTHER_ACCOUNT).list_objects_v2, Bucket=bucket, status=403)
        self.assertClientError("AccessDenied", self.s3(key=OTHER_ACCOUNT).get_object, Bucket=bucket, Key="catalogue/duckdb.sql", status=403)

        base = int(self.server.now()) - 7200
        batch = fleet(base)
        post_intake(self.server, batch)
        self.assertEqual(self.data_files(bucket), {}, "buffered until the buffering interval")
        conns = [c for r in batch["reports"] for c in r.get("connections", [])]
        want = {"os_info_agent", "id_mapping_agent"}
        for table, n in [("network_interface_agent", sum(len(r.get("networkInterfaces", [])) for r in batch["reports"])),
                         ("processes_agent", sum(len(r.get("processes", [])) for r in batch["reports"])),
                         ("sys_performance_agent", sum("performance" in r for r in batch["reports"])),
                         ("inbound_connection_agent", sum(c["direction"] == "inbound" for c in conns)),
                         ("outbound_connection_agent", sum(c["direction"] == "outbound" for c in conns))]:
            if n:
                want.add(table)
        self.server.advance(300)
        files = {}
        for _ in range(200):
            files = self.data_files(bucket)
            if set(files) == want:
                break
            time.sleep(0.05)
        self.assertEqual(set(files), want)
        self.assertTrue(all(len(v) == 1 for v in files.values()), files)

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
        self.server.advance(600)
        time.sleep(1.5)  # a delivery would come within the loop's second
        self.assertEqual(self.data_files(bucket), files, "nothing written after the stop")

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
