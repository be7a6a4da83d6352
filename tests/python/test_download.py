"""Presigned download URLs: expiry, tampering and the 10-day data retention (virtual clock)."""

import unittest
import urllib.parse

import harness
from harness import SUCCEEDED_MESSAGE, wait_export

DAY = 86400


def tamper_signature(url):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    out = []
    for k, v in query:
        if k == "X-Amz-Signature":
            v = ("0" if v[0] != "0" else "1") + v[1:]
        out.append((k, v))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(out)))


class DownloadUrlTest(harness.ServerTestCase):

    def assertForbidden(self, url):
        status, body, headers = harness.http_get(url)
        self.assertEqual(status, 403, body[:300])
        text = body.decode("utf-8", "replace")
        self.assertIn("<Error>", text)
        self.assertIn("<Code>", text)
        return text

    def succeeded_export(self):
        c = self.server.client()
        export_id = c.start_export_task()["exportId"]
        info = wait_export(c, export_id)
        self.assertEqual(info["exportStatus"], "SUCCEEDED")
        return c, export_id, info["configurationsDownloadUrl"]

    def test_tampered_signature_is_403(self):
        _, _, url = self.succeeded_export()
        self.assertEqual(harness.http_get(url)[0], 200)
        self.assertForbidden(tamper_signature(url))

    def test_tampered_path_and_expiry_are_403(self):
        _, export_id, url = self.succeeded_export()
        # another export id in the path, same signature
        self.assertForbidden(url.replace(export_id, "export-00000000-0000-4000-8000-000000000000"))
        # a longer X-Amz-Expires than was signed
        self.assertForbidden(url.replace("X-Amz-Expires=86400", "X-Amz-Expires=999999"))
        # no signature at all
        self.assertForbidden(url.split("?")[0])

    def test_url_expires_after_24_hours(self):
        c, export_id, url = self.succeeded_export()
        self.server.advance(23 * 3600)
        self.assertEqual(harness.http_get(url)[0], 200)
        self.server.advance(2 * 3600)  # 25 h in total
        text = self.assertForbidden(url)
        self.assertIn("AccessDenied", text)
        # a fresh describe gives a fresh, working URL; the data lives on
        info = c.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]
        self.assertEqual(info["exportStatus"], "SUCCEEDED")
        self.assertNotEqual(info["configurationsDownloadUrl"], url)
        self.assertEqual(harness.http_get(info["configurationsDownloadUrl"])[0], 200)

    def test_data_expires_after_10_days(self):
        c, export_id, url = self.succeeded_export()
        self.server.advance(10 * DAY - 60)
        info = c.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]
        self.assertEqual(info["statusMessage"], SUCCEEDED_MESSAGE)
        fresh = info["configurationsDownloadUrl"]
        self.assertEqual(harness.http_get(fresh)[0], 200)
        self.server.advance(61)  # 10 days + 1 s
        for describe in (c.describe_export_tasks, c.describe_export_configurations):
            with self.subTest(op=describe.__name__):
                info = describe(exportIds=[export_id])["exportsInfo"][0]
                self.assertEqual(info["exportStatus"], "SUCCEEDED")
                self.assertNotIn("configurationsDownloadUrl", info)
                self.assertIn("expire", info["statusMessage"].lower())
                self.assertNotEqual(info["statusMessage"], SUCCEEDED_MESSAGE)
        # the URL issued a minute before expiry no longer serves the data
        status, _, _ = harness.http_get(fresh)
        self.assertIn(status, (403, 404))


if __name__ == "__main__":
    unittest.main()
