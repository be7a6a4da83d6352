"""Export lifecycle, files, pagination, errors and limits, through boto3 and the aws CLI."""

import csv
import io
import time
import unittest
import urllib.parse
import zipfile

from botocore.exceptions import ClientError

import harness
from harness import ACCOUNT, SUCCEEDED_MESSAGE, SUMMARY_FILES, UNKNOWN_AGENT, agent_filter, wait_export


def fetch_zip(testcase, url):
    status, body, headers = harness.http_get(url)
    testcase.assertEqual(status, 200, body[:500])
    zf = zipfile.ZipFile(io.BytesIO(body))
    testcase.assertIsNone(zf.testzip())
    return zf


def read_csvs(zf):
    out = {}
    for name in zf.namelist():
        text = zf.read(name).decode("utf-8-sig")
        out[name] = list(csv.reader(io.StringIO(text)))
    return out


class SummaryExportTest(harness.ServerTestCase):

    def check_summary_zip(self, url, account):
        zf = fetch_zip(self, url)
        expected = sorted(f"{account}_{n}.csv" for n in SUMMARY_FILES)
        self.assertEqual(sorted(zf.namelist()), expected)
        for name, rows in read_csvs(zf).items():
            self.assertEqual(len(rows), 1, f"{name}: expected only a header row, got {rows}")
            header = rows[0]
            self.assertGreater(len(header), 0, name)
            self.assertTrue(all(col.strip() for col in header), f"{name}: empty column name in {header}")
            self.assertEqual(len(set(header)), len(header), f"{name}: duplicate columns {header}")

    def test_start_poll_download_summary(self):
        c = self.server.client()
        resp = c.start_export_task()
        export_id = resp["exportId"]
        self.assertRegex(export_id, r"^export-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertTrue(resp["ResponseMetadata"]["RequestId"])
        self.assertEqual(resp["ResponseMetadata"]["RequestId"],
                         resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
        info = wait_export(c, export_id)
        self.assertEqual(info["exportStatus"], "SUCCEEDED")
        self.assertEqual(info["statusMessage"], SUCCEEDED_MESSAGE)
        self.assertFalse(info["isTruncated"])
        self.assertNotIn("requestedStartTime", info)
        self.assertNotIn("requestedEndTime", info)
        url = info["configurationsDownloadUrl"]
        self.assertTrue(url.startswith(self.server.url + "/"), url)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        self.assertEqual(query["X-Amz-Expires"], ["86400"])
        self.assertEqual(query["X-Amz-Algorithm"], ["AWS4-HMAC-SHA256"])
        self.assertIn("X-Amz-Signature", query)
        self.check_summary_zip(url, ACCOUNT)

    def test_export_request_time_follows_virtual_clock(self):
        c = self.server.client()
        self.server.advance(3600)
        now = self.server.now()
        export_id = c.start_export_task()["exportId"]
        info = wait_export(c, export_id)
        self.assertAlmostEqual(info["exportRequestTime"].timestamp(), now, delta=5)

    def test_account_from_access_key(self):
        # another 12-digit key is another account; a non-numeric key is 000000000000
        for key, account in ((harness.OTHER_ACCOUNT, harness.OTHER_ACCOUNT),
                             ("AKIAEXAMPLEEXAMPLE01", "000000000000")):
            with self.subTest(key=key):
                c = self.server.client(key=key)
                info = wait_export(c, c.start_export_task()["exportId"])
                self.assertEqual(info["exportStatus"], "SUCCEEDED")
                self.check_summary_zip(info["configurationsDownloadUrl"], account)

    def test_export_configurations_shares_the_store(self):
        c = self.server.client()
        a = c.export_configurations()["exportId"]
        b = c.start_export_task()["exportId"]
        self.assertTrue(a.startswith("export-"), a)
        info_a = wait_export(c, a, describe="describe_export_configurations")
        wait_export(c, b)
        self.assertEqual(info_a["exportStatus"], "SUCCEEDED")
        self.assertEqual(info_a["statusMessage"], SUCCEEDED_MESSAGE)
        self.check_summary_zip(info_a["configurationsDownloadUrl"], ACCOUNT)
        tasks = {i["exportId"] for i in c.describe_export_tasks()["exportsInfo"]}
        configs = {i["exportId"] for i in c.describe_export_configurations()["exportsInfo"]}
        self.assertEqual(tasks, {a, b})
        self.assertEqual(configs, {a, b})

    def test_each_describe_issues_fresh_working_url(self):
        c = self.server.client()
        export_id = c.start_export_task()["exportId"]
        wait_export(c, export_id)
        first = c.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]["configurationsDownloadUrl"]
        self.server.advance(5)
        second = c.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]["configurationsDownloadUrl"]
        self.assertNotEqual(first, second)
        for url in (first, second):
            self.assertEqual(harness.http_get(url)[0], 200)


class DescribeExportTasksTest(harness.ServerTestCase):

    def test_unknown_ids_are_left_out(self):
        c = self.server.client()
        known = c.start_export_task()["exportId"]
        wait_export(c, known)
        resp = c.describe_export_tasks(exportIds=["export-00000000-0000-4000-8000-000000000000", known])
        self.assertEqual([i["exportId"] for i in resp["exportsInfo"]], [known])
        resp = c.describe_export_tasks(exportIds=["export-00000000-0000-4000-8000-000000000000"])
        self.assertEqual(resp["exportsInfo"], [])
        self.assertNotIn("nextToken", resp)

    def test_export_ids_and_filters_are_anded(self):
        c = self.server.client()
        summary = c.start_export_task()["exportId"]
        agent = c.start_export_task(filters=agent_filter())["exportId"]
        other_agent = c.start_export_task(filters=agent_filter("o-0fedcba9876543210"))["exportId"]
        for e in (summary, agent, other_agent):
            wait_export(c, e)
        by_filter = c.describe_export_tasks(filters=agent_filter())["exportsInfo"]
        self.assertEqual([i["exportId"] for i in by_filter], [agent])
        both = c.describe_export_tasks(exportIds=[summary, agent], filters=agent_filter())["exportsInfo"]
        self.assertEqual([i["exportId"] for i in both], [agent])
        none = c.describe_export_tasks(exportIds=[summary], filters=agent_filter())["exportsInfo"]
        self.assertEqual(none, [])

    def test_filter_name_aliases(self):
        c = self.server.client()
        agent = c.start_export_task(filters=agent_filter())["exportId"]
        c.start_export_task()
        wait_export(c, agent)
        for name in ("agentIds", "agentId", "AgentId", "AGENTID"):
            with self.subTest(name=name):
                infos = c.describe_export_tasks(filters=agent_filter(name=name))["exportsInfo"]
                self.assertEqual([i["exportId"] for i in infos], [agent])

    def test_unknown_filter_name_is_invalid_parameter(self):
        c = self.server.client()
        err = self.assertClientError("InvalidParameterException", c.describe_export_tasks,
                                     filters=[{"name": "serverIds", "values": ["x"], "condition": "EQUALS"}])
        self.assertIsInstance(err, c.exceptions.InvalidParameterException)
        err = self.assertClientError("InvalidParameterException", c.start_export_task,
                                     filters=[{"name": "serverIds", "values": ["x"], "condition": "EQUALS"}])
        self.assertIsInstance(err, c.exceptions.InvalidParameterException)

    def test_graphml_is_invalid_parameter_value(self):
        c = self.server.client()
        err = self.assertClientError("InvalidParameterValueException", c.start_export_task,
                                     exportDataFormat=["GRAPHML"])
        self.assertIsInstance(err, c.exceptions.InvalidParameterValueException)
        self.assertIn("exportDataFormat", err.response["Error"]["Message"])
        # nothing was started
        self.assertEqual(c.describe_export_tasks()["exportsInfo"], [])
        ok = c.start_export_task(exportDataFormat=["CSV"])["exportId"]
        self.assertEqual(wait_export(c, ok)["exportStatus"], "SUCCEEDED")

    def test_negative_max_results_is_invalid_parameter_value(self):
        c = self.server.client()
        for op in (c.describe_export_tasks, c.describe_export_configurations):
            with self.subTest(op=op.__name__):
                err = self.assertClientError("InvalidParameterValueException", op, maxResults=-1)
                self.assertIsInstance(err, c.exceptions.InvalidParameterValueException)
                self.assertIn("maxResults", err.response["Error"]["Message"])

    def test_more_than_100_export_ids_is_invalid_parameter_value(self):
        c = self.server.client()
        ids = [f"export-00000000-0000-4000-8000-{i:012d}" for i in range(101)]
        self.assertClientError("InvalidParameterValueException", c.describe_export_tasks, exportIds=ids)
        resp = c.describe_export_tasks(exportIds=ids[:100])
        self.assertEqual(resp["exportsInfo"], [])

    def test_describe_export_configurations_unknown_id(self):
        c = self.server.client()
        known = c.export_configurations()["exportId"]
        wait_export(c, known, describe="describe_export_configurations")
        unknown = "export-00000000-0000-4000-8000-000000000000"
        for ids in ([unknown], [known, unknown]):
            with self.subTest(ids=ids):
                err = self.assertClientError("ResourceNotFoundException",
                                             c.describe_export_configurations, exportIds=ids)
                self.assertIsInstance(err, c.exceptions.ResourceNotFoundException)
        infos = c.describe_export_configurations(exportIds=[known])["exportsInfo"]
        self.assertEqual([i["exportId"] for i in infos], [known])

    def test_max_results_zero_means_default(self):
        c = self.server.client()
        ids = [c.start_export_task()["exportId"] for _ in range(3)]
        resp = c.describe_export_tasks(maxResults=0)
        self.assertEqual(sorted(i["exportId"] for i in resp["exportsInfo"]), sorted(ids))
        self.assertNotIn("nextToken", resp)


class PaginationTest(harness.ServerTestCase):
    SERVER_ARGS = ("--no-limits",)

    def make_exports(self, n=7, kinds=("task",)):
        """Start n exports one virtual second apart; return IDs newest first."""
        c = self.server.client()
        ids = []
        for i in range(n):
            kind = kinds[i % len(kinds)]
            if kind == "task":
                ids.append(c.start_export_task()["exportId"])
            else:
                ids.append(c.export_configurations()["exportId"])
            self.server.advance(1)
        for e in ids:
            wait_export(c, e)
        return list(reversed(ids))

    def check_pages(self, pages, expected):
        got = [i["exportId"] for p in pages for i in p["exportsInfo"]]
        self.assertEqual(got, expected)
        self.assertEqual([len(p["exportsInfo"]) for p in pages], [2, 2, 2, 1])
        times = [i["exportRequestTime"] for p in pages for i in p["exportsInfo"]]
        self.assertEqual(times, sorted(times, reverse=True))
        tokens = [p.get("nextToken") for p in pages]
        self.assertTrue(all(tokens[:-1]), tokens)
        self.assertIsNone(tokens[-1])
        self.assertEqual(len(set(tokens[:-1])), len(tokens) - 1)

    def test_describe_export_tasks_paginator(self):
        expected = self.make_exports()
        c = self.server.client()
        pages = list(c.get_paginator("describe_export_tasks").paginate(PaginationConfig={"PageSize": 2}))
        self.check_pages(pages, expected)

    def test_describe_export_configurations_paginator(self):
        expected = self.make_exports(kinds=("config", "task"))
        c = self.server.client()
        pages = list(c.get_paginator("describe_export_configurations").paginate(
            PaginationConfig={"PageSize": 2}))
        self.check_pages(pages, expected)

    def test_paginator_max_items_resume(self):
        expected = self.make_exports()
        c = self.server.client()
        p = c.get_paginator("describe_export_tasks")
        seen = []
        token = None
        while True:
            cfg = {"MaxItems": 3, "PageSize": 2}
            if token:
                cfg["StartingToken"] = token
            result = p.paginate(PaginationConfig=cfg).build_full_result()
            seen += [i["exportId"] for i in result["exportsInfo"]]
            token = result.get("NextToken")
            if not token:
                break
        self.assertEqual(seen, expected)

    def test_manual_pages_and_bad_tokens(self):
        expected = self.make_exports()
        c = self.server.client()
        first = c.describe_export_tasks(maxResults=2)
        self.assertEqual([i["exportId"] for i in first["exportsInfo"]], expected[:2])
        token = first["nextToken"]
        second = c.describe_export_tasks(maxResults=2, nextToken=token)
        self.assertEqual([i["exportId"] for i in second["exportsInfo"]], expected[2:4])
        self.assertNotEqual(second["nextToken"], token)
        # a tampered token
        bad = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        self.assertClientError("InvalidParameterValueException", c.describe_export_tasks,
                               maxResults=2, nextToken=bad)
        self.assertClientError("InvalidParameterValueException", c.describe_export_tasks,
                               maxResults=2, nextToken="not-a-token")
        # a token bound to another query
        self.assertClientError("InvalidParameterValueException", c.describe_export_tasks,
                               maxResults=2, nextToken=token, filters=agent_filter())
        # a token of another account
        other = self.server.client(key=harness.OTHER_ACCOUNT)
        with self.assertRaises(ClientError) as cm:
            other.describe_export_tasks(maxResults=2, nextToken=token)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")

    def test_pages_stable_when_new_exports_arrive(self):
        expected = self.make_exports()
        c = self.server.client()
        first = c.describe_export_tasks(maxResults=3)
        newer = c.start_export_task()["exportId"]
        wait_export(c, newer)
        rest = []
        token = first["nextToken"]
        while token:
            page = c.describe_export_tasks(maxResults=3, nextToken=token)
            rest += [i["exportId"] for i in page["exportsInfo"]]
            token = page.get("nextToken")
        self.assertEqual([i["exportId"] for i in first["exportsInfo"]] + rest, expected)

    def test_max_results_capped_at_100(self):
        c = self.server.client()
        ids = {c.start_export_task()["exportId"] for _ in range(103)}
        for max_results in (0, 101, 1000):
            with self.subTest(maxResults=max_results):
                first = c.describe_export_tasks(maxResults=max_results)
                self.assertEqual(len(first["exportsInfo"]), 100)
                second = c.describe_export_tasks(maxResults=max_results, nextToken=first["nextToken"])
                self.assertEqual(len(second["exportsInfo"]), 3)
                self.assertNotIn("nextToken", second)
                got = {i["exportId"] for i in first["exportsInfo"] + second["exportsInfo"]}
                self.assertEqual(got, ids)
        self.assertEqual(len(c.describe_export_configurations()["exportsInfo"]), 100)

    @unittest.skipUnless(harness.aws_cli_available(), "aws CLI not installed")
    def test_aws_cli_max_items_and_starting_token(self):
        expected = self.make_exports()
        seen = []
        args = ["discovery", "describe-export-tasks", "--max-items", "2"]
        rc, out = self.server.aws(*args)
        self.assertEqual(rc, 0, out)
        calls = 1
        while True:
            seen += [i["exportId"] for i in out["exportsInfo"]]
            token = out.get("NextToken")
            if not token:
                break
            self.assertLess(calls, 10, "CLI pagination does not terminate")
            rc, out = self.server.aws(*args, "--starting-token", token)
            self.assertEqual(rc, 0, out)
            calls += 1
        self.assertEqual(seen, expected)
        self.assertEqual(calls, 4)

    @unittest.skipUnless(harness.aws_cli_available(), "aws CLI not installed")
    def test_aws_cli_start_and_errors(self):
        rc, out = self.server.aws("discovery", "start-export-task")
        self.assertEqual(rc, 0, out)
        self.assertTrue(out["exportId"].startswith("export-"))
        rc, out = self.server.aws("discovery", "describe-export-configurations",
                                  "--export-ids", "export-00000000-0000-4000-8000-000000000000")
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceNotFoundException", out)


class LifecycleTest(harness.ServerTestCase):
    SERVER_ARGS = ("--no-limits", "--export-delay", "2s")

    def test_in_progress_then_succeeded(self):
        c = self.server.client()
        t0 = time.time()
        export_id = c.start_export_task()["exportId"]
        info = c.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]
        self.assertEqual(info["exportStatus"], "IN_PROGRESS")
        self.assertTrue(info["statusMessage"].strip())
        self.assertNotIn("configurationsDownloadUrl", info)
        self.assertFalse(info["isTruncated"])
        self.assertIn("exportRequestTime", info)
        info = wait_export(c, export_id, timeout=15)
        self.assertEqual(info["exportStatus"], "SUCCEEDED")
        self.assertGreaterEqual(time.time() - t0, 1.9)
        self.assertIn("configurationsDownloadUrl", info)


class AgentExportTest(harness.ServerTestCase):

    def test_unknown_agent_fails_naming_agent(self):
        c = self.server.client()
        export_id = c.start_export_task(filters=agent_filter())["exportId"]
        info = wait_export(c, export_id)
        self.assertEqual(info["exportStatus"], "FAILED")
        self.assertIn(UNKNOWN_AGENT, info["statusMessage"])
        self.assertNotIn("configurationsDownloadUrl", info)
        self.assertNotIn("requestedStartTime", info)
        self.assertNotIn("requestedEndTime", info)

    def test_requested_times_echoed_only_when_sent(self):
        c = self.server.client()
        now = int(self.server.now())
        start, end = now - 7200, now - 600
        cases = [
            ({"startTime": start, "endTime": end}, {"requestedStartTime": start, "requestedEndTime": end}),
            ({"startTime": start}, {"requestedStartTime": start}),
            ({"endTime": end}, {"requestedEndTime": end}),
        ]
        for kwargs, echoed in cases:
            with self.subTest(sent=sorted(kwargs)):
                export_id = c.start_export_task(filters=agent_filter(), **kwargs)["exportId"]
                info = wait_export(c, export_id)
                self.assertEqual(info["exportStatus"], "FAILED")
                for member in ("requestedStartTime", "requestedEndTime"):
                    if member in echoed:
                        self.assertIn(member, info)
                        self.assertEqual(info[member].timestamp(), echoed[member])
                    else:
                        self.assertNotIn(member, info)

    def test_bad_windows(self):
        c = self.server.client()
        now = int(self.server.now())
        self.assertClientError("InvalidParameterValueException", c.start_export_task,
                               filters=agent_filter(), startTime=now - 600, endTime=now - 7200)
        self.assertClientError("InvalidParameterValueException", c.start_export_task,
                               filters=agent_filter(), startTime=now + 3600)
        self.assertEqual(c.describe_export_tasks()["exportsInfo"], [])


class LimitsTest(harness.ServerTestCase):
    SERVER_ARGS = ()  # default limits

    def test_export_configurations_two_per_six_hours(self):
        c = self.server.client()
        c.export_configurations()
        c.export_configurations()
        err = self.assertClientError("OperationNotPermittedException", c.export_configurations)
        self.assertIsInstance(err, c.exceptions.OperationNotPermittedException)
        self.assertEqual(err.response["ResponseMetadata"]["RetryAttempts"], 0)
        # limits are per account
        other = self.server.client(key=harness.OTHER_ACCOUNT)
        other.export_configurations()
        # rolling window on the virtual clock
        self.server.advance(6 * 3600 - 60)
        self.assertClientError("OperationNotPermittedException", c.export_configurations)
        self.server.advance(120)
        self.assertTrue(c.export_configurations()["exportId"].startswith("export-"))
        self.assertEqual(len(c.describe_export_configurations()["exportsInfo"]), 3)

    def test_agent_exports_two_per_day_failed_ones_count(self):
        c = self.server.client()
        first = c.start_export_task(filters=agent_filter())["exportId"]
        self.assertEqual(wait_export(c, first)["exportStatus"], "FAILED")
        second = c.start_export_task(filters=agent_filter("o-0fedcba9876543210"))["exportId"]
        self.assertEqual(wait_export(c, second)["exportStatus"], "FAILED")
        err = self.assertClientError("OperationNotPermittedException", c.start_export_task,
                                     filters=agent_filter("o-11111111111111111"))
        self.assertIsInstance(err, c.exceptions.OperationNotPermittedException)
        # summary exports are not limited
        for _ in range(3):
            c.start_export_task()
        self.server.advance(24 * 3600 + 60)
        third = c.start_export_task(filters=agent_filter())["exportId"]
        self.assertEqual(wait_export(c, third)["exportStatus"], "FAILED")

    def test_summary_exports_unlimited(self):
        c = self.server.client()
        ids = [c.start_export_task()["exportId"] for _ in range(6)]
        self.assertEqual(len(set(ids)), 6)


class ConcurrentAgentLimitTest(harness.ServerTestCase):
    SERVER_ARGS = ("--agent-exports-per-day", "0", "--export-delay", "30s")

    def test_five_running_agent_exports(self):
        c = self.server.client()
        for i in range(5):
            c.start_export_task(filters=agent_filter(f"o-{i:017d}"))
        infos = c.describe_export_tasks()["exportsInfo"]
        self.assertEqual([i["exportStatus"] for i in infos], ["IN_PROGRESS"] * 5)
        self.assertClientError("OperationNotPermittedException", c.start_export_task,
                               filters=agent_filter("o-99999999999999999"))
        # summary exports do not count
        c.start_export_task()


class SmithyStatusCodesTest(harness.ServerTestCase):
    SERVER_ARGS = ("--smithy-status-codes",)

    def test_operation_not_permitted_is_429(self):
        c = self.server.client()
        c.export_configurations()
        c.export_configurations()
        err = self.assertClientError("OperationNotPermittedException", c.export_configurations, status=429)
        self.assertIsInstance(err, c.exceptions.OperationNotPermittedException)
        self.assertEqual(err.response["ResponseMetadata"]["RetryAttempts"], 0)

    def test_other_client_errors_stay_400(self):
        c = self.server.client()
        self.assertClientError("ResourceNotFoundException", c.describe_export_configurations,
                               exportIds=["export-00000000-0000-4000-8000-000000000000"])
        self.assertClientError("InvalidParameterValueException", c.describe_export_tasks, maxResults=-5)


if __name__ == "__main__":
    unittest.main()
