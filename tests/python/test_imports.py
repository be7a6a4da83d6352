"""Imports through boto3: start_import_task from a local bucket (s3://) and a
file:// path, describe_import_tasks (filters, paginator), the errors zip, the
clientRequestToken rules, URL rules and batch_delete_import_data."""

import io
import os
import tempfile
import time
import unittest
import zipfile

import harness

HEADER = "ExternalId,IPAddress,MACAddress,HostName,OS.Name,CPU.NumberOfCores,Applications,ApplicationWave,Tags\n"


class ImportsTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.c = self.server.client()
        self.bucket = os.path.join(self.server.data_dir or os.path.join(self.server.tmp, "data"), "buckets", "b")
        os.makedirs(self.bucket, exist_ok=True)

    def put(self, name, text):
        with open(os.path.join(self.bucket, name), "w") as f:
            f.write(text)
        return "s3://b/" + name

    def wait(self, task_id):
        deadline = time.time() + 10
        while True:
            tasks = self.c.describe_import_tasks(filters=[{"name": "IMPORT_TASK_ID", "values": [task_id]}])["tasks"]
            self.assertEqual(len(tasks), 1)
            if tasks[0]["status"] != "IMPORT_IN_PROGRESS":
                return tasks[0]
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)

    def test_good_and_bad(self):
        url = self.put("good.csv", HEADER + 'e-1,10.9.0.1,,imp-1,Linux,4,"shop, crm",1,"env:prod"\n'
                       + "e-2,,,imp-2,Linux,,,,\n")
        task = self.c.start_import_task(name="good", importUrl=url)["task"]
        self.assertEqual(task["status"], "IMPORT_IN_PROGRESS")
        done = self.wait(task["importTaskId"])
        self.assertEqual((done["status"], done["serverImportSuccess"], done["applicationImportSuccess"]),
                         ("IMPORT_COMPLETE", 2, 2))
        hosts = sorted(s["server.hostName"] for s in
                       self.c.list_configurations(configurationType="SERVER")["configurations"])
        self.assertEqual(hosts, ["imp-1", "imp-2"])

        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write(HEADER + "e-3,,,imp-3,Linux,,,,\n" + ",,,,Linux,,,,\n")
        self.addCleanup(os.unlink, f.name)
        bad = self.wait(self.c.start_import_task(name="bad", importUrl="file://" + f.name)["task"]["importTaskId"])
        self.assertEqual((bad["status"], bad["serverImportSuccess"], bad["serverImportFailure"]),
                         ("IMPORT_COMPLETE_WITH_ERRORS", 1, 1))
        status, body, _ = harness.http_get(bad["errorsAndFailedEntriesZip"])
        self.assertEqual(status, 200)
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        self.assertEqual(sorted(names), ["errors-file.csv", "failed-entries-file.csv"])

        pages = list(self.c.get_paginator("describe_import_tasks").paginate(PaginationConfig={"PageSize": 1}))
        self.assertEqual(len([t for p in pages for t in p["tasks"]]), 2)

        out = self.c.batch_delete_import_data(importTaskIds=[task["importTaskId"]], deleteHistory=True)
        self.assertEqual(out.get("errors", []), [])
        hosts = sorted(s["server.hostName"] for s in
                       self.c.list_configurations(configurationType="SERVER")["configurations"])
        self.assertEqual(hosts, ["imp-3"])

    def test_token_and_url_rules(self):
        url = self.put("t.csv", HEADER + "e-1,,,h-1,,,,,\n")
        a = self.c.start_import_task(name="t", importUrl=url, clientRequestToken="tok")["task"]
        b = self.c.start_import_task(name="t", importUrl=url, clientRequestToken="tok")["task"]
        self.assertEqual(a["importTaskId"], b["importTaskId"])
        with self.assertRaises(self.c.exceptions.ResourceInUseException):
            self.c.start_import_task(name="other", importUrl=url, clientRequestToken="tok")
        for bad in ("http://example.com/x.csv", "s3://b/../../secret.csv"):
            with self.assertRaises(self.c.exceptions.InvalidParameterValueException):
                self.c.start_import_task(name="u", importUrl=bad)
        self.wait(a["importTaskId"])


if __name__ == "__main__":
    unittest.main()
