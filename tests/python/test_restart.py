"""State across a restart on the same data directory."""

import shutil
import tempfile
import time
import unittest
import urllib.parse

import harness
from harness import wait_export


class RestartTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="poseidon-py-restart-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()

    def start(self, *args, port=0):
        last = None
        for _ in range(20):  # the port of a stopped server may take a moment to free
            s = harness.Server("--no-limits", *args, data_dir=self.dir, port=port)
            try:
                s.start()
                self.servers.append(s)
                return s
            except RuntimeError as e:
                last = e
                time.sleep(0.25)
        raise last

    def test_exports_and_urls_survive_restart(self):
        first = self.start()
        c = first.client()
        export_id = c.start_export_task()["exportId"]
        info = wait_export(c, export_id)
        url = info["configurationsDownloadUrl"]
        port = urllib.parse.urlsplit(first.url).port
        first.stop()
        self.assertEqual(first.returncode, 0)

        second = self.start(port=port)
        self.assertEqual(second.url, first.url)
        # the URL signed before the restart still works: the signing secret persisted
        status, body, _ = harness.http_get(url)
        self.assertEqual(status, 200, body[:300])
        c2 = second.client()
        infos = c2.describe_export_tasks()["exportsInfo"]
        self.assertEqual([i["exportId"] for i in infos], [export_id])
        self.assertEqual(infos[0]["exportStatus"], "SUCCEEDED")
        self.assertEqual(harness.http_get(infos[0]["configurationsDownloadUrl"])[0], 200)

    def test_in_progress_export_is_not_stuck_after_restart(self):
        # the resumed job keeps its original not-before time (request + delay)
        first = self.start("--export-delay", "2s")
        c = first.client()
        export_id = c.start_export_task()["exportId"]
        self.assertEqual(c.describe_export_tasks()["exportsInfo"][0]["exportStatus"], "IN_PROGRESS")
        first.stop()
        second = self.start()
        info = wait_export(second.client(), export_id, timeout=10)
        self.assertEqual(info["exportStatus"], "SUCCEEDED", info)
        self.assertEqual(harness.http_get(info["configurationsDownloadUrl"])[0], 200)


if __name__ == "__main__":
    unittest.main()
