"""Imports through boto3: start_import_task from a local bucket (s3://) and a
file:// path under --import-allow-dir, describe_import_tasks (filters,
paginator), the errors zip, the clientRequestToken rules, URL rules and
batch_delete_import_data; in strict mode, each account's own buckets and the
signed X-Amz-Target of boto3 and the aws CLI."""

import atexit
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import zipfile

import harness

HEADER = "ExternalId,IPAddress,MACAddress,HostName,OS.Name,CPU.NumberOfCores,Applications,ApplicationWave,Tags\n"

# The directory file:// import URLs may read (--import-allow-dir).
ALLOWED_DIR = tempfile.mkdtemp(prefix="poseidon-py-imports-")
atexit.register(shutil.rmtree, ALLOWED_DIR, True)


def data_dir(server):
    return server.data_dir or os.path.join(server.tmp, "data")


def wait_import(client, task_id):
    deadline = time.time() + 10
    while True:
        tasks = client.describe_import_tasks(filters=[{"name": "IMPORT_TASK_ID", "values": [task_id]}])["tasks"]
        if len(tasks) != 1:
            raise AssertionError(f"describe {task_id}: {tasks}")
        if tasks[0]["status"] != "IMPORT_IN_PROGRESS":
            return tasks[0]
        if time.time() > deadline:
            raise AssertionError(f"import {task_id} still in progress")
        time.sleep(0.05)


class ImportsTest(harness.ServerTestCase):
    SERVER_ARGS = ("--no-limits", "--import-allow-dir", ALLOWED_DIR)

    def setUp(self):
        super().setUp()
        self.c = self.server.client()
        self.bucket = os.path.join(data_dir(self.server), "buckets", "b")
        os.makedirs(self.bucket, exist_ok=True)

    def put(self, name, text):
        with open(os.path.join(self.bucket, name), "w") as f:
            f.write(text)
        return "s3://b/" + name

    def wait(self, task_id):
        return wait_import(self.c, task_id)

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

        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, dir=ALLOWED_DIR) as f:
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
        for bad in ("http://example.com/x.csv", "s3://b/../../secret.csv", "file:///etc/passwd", "http://127.0.0.1:1/x.csv"):
            with self.assertRaises(self.c.exceptions.InvalidParameterValueException):
                self.c.start_import_task(name="u", importUrl=bad)
        # A token already used is answered before the URL is checked.
        with self.assertRaises(self.c.exceptions.ResourceInUseException):
            self.c.start_import_task(name="t", importUrl="file:///etc/passwd", clientRequestToken="tok")
        self.wait(a["importTaskId"])


TENANT_KEY = "AKIAPOSEIDONTENANT01"
TENANT_SECRET = "tenant-secret-poseidon000000000000000000"
TENANT = "333333333333"
OTHER_KEY = "AKIAPOSEIDONOTHER001"
OTHER_SECRET = "other-secret-poseidon0000000000000000000"
OTHER = "444444444444"


class StrictImportsTest(harness.ServerTestCase):
    """Strict mode: a tenant that may only start and describe imports reads
    its own buckets, data/buckets/<account>/<bucket>/<key>, and nothing
    else; boto3 and the aws CLI sign X-Amz-Target, which strict mode
    requires."""

    CREDENTIALS = {"identities": [
        {"accessKeyId": TENANT_KEY, "secretAccessKey": TENANT_SECRET, "accountId": TENANT,
         "allow": ["discovery:StartImportTask", "discovery:DescribeImportTasks"]},
        {"accessKeyId": OTHER_KEY, "secretAccessKey": OTHER_SECRET, "accountId": OTHER},
    ]}
    CONTROL_TOKEN = "strict-imports-control-token"

    def put(self, account, bucket, key, text):
        path = os.path.join(data_dir(self.server), "buckets", account, bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def errors_file(self, task):
        status, body, _ = harness.http_get(task["errorsAndFailedEntriesZip"])
        self.assertEqual(status, 200)
        return zipfile.ZipFile(io.BytesIO(body)).read("errors-file.csv").decode()

    def test_own_buckets_only(self):
        tenant = self.server.client(key=TENANT_KEY, secret=TENANT_SECRET)
        self.put(TENANT, "b", "good.csv", HEADER + "t-1,,,tenant-host,Linux,2,,,\n")
        self.put(OTHER, "theirs", "secret.csv", HEADER + "o-1,,,OTHER-PRIVATE-HOST,Linux,2,,,\n")
        done = wait_import(tenant, tenant.start_import_task(name="own", importUrl="s3://b/good.csv")["task"]["importTaskId"])
        self.assertEqual((done["status"], done["serverImportSuccess"]), ("IMPORT_COMPLETE", 1))
        # The other account's bucket answers exactly as a bucket that does not exist.
        messages = []
        for url in ("s3://theirs/secret.csv", "s3://no-such-bucket/secret.csv"):
            task = wait_import(tenant, tenant.start_import_task(name="other", importUrl=url)["task"]["importTaskId"])
            self.assertEqual((task["status"], task["serverImportSuccess"]), ("IMPORT_FAILED", 0))
            messages.append(self.errors_file(task))
        self.assertEqual(messages[0], messages[1])
        self.assertIn("Access Denied", messages[0])
        self.assertNotIn("OTHER-PRIVATE-HOST", messages[0])
        for url in ("file:///proc/self/cmdline", "file:///etc/passwd", "http://127.0.0.1:1/x.csv",
                    "s3://b/../../" + OTHER + "/theirs/secret.csv"):
            with self.assertRaises(tenant.exceptions.InvalidParameterValueException):
                tenant.start_import_task(name="u", importUrl=url)
        with self.assertRaises(tenant.exceptions.AuthorizationErrorException):
            tenant.list_configurations(configurationType="SERVER")

    def test_boto3_signs_the_target(self):
        tenant = self.server.client(key=TENANT_KEY, secret=TENANT_SECRET)
        signed = []
        tenant.meta.events.register("before-send.*", lambda request, **_: signed.append(request.headers["Authorization"]))
        tenant.describe_import_tasks()
        self.assertEqual(len(signed), 1)
        auth = signed[0].decode() if isinstance(signed[0], bytes) else signed[0]
        headers = re.search(r"SignedHeaders=([^,]+)", auth).group(1)
        self.assertIn("x-amz-target", headers.split(";"))

    @unittest.skipUnless(harness.aws_cli_available(), "aws CLI not installed")
    def test_aws_cli_signs_the_target(self):
        env = harness.aws_env(TENANT_KEY, TENANT_SECRET)
        cmd = harness._aws_command() + ["--endpoint-url", self.server.url, "--region", harness.REGION,
                                        "--output", "json", "--debug", "discovery", "describe-import-tasks"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        signed = re.findall(r"^((?:[a-z0-9-]+;)+[a-z0-9-]+)$", proc.stderr, re.MULTILINE)
        self.assertTrue(signed, "no signed-header list in the CLI's debug log")
        self.assertIn("x-amz-target", signed[0].split(";"))


if __name__ == "__main__":
    unittest.main()
