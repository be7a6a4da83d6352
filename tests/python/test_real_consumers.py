"""Exports read the way the public tools that consume real ADS exports read them
(docs/exports.md, ../shared/spec/real-consumers.md), with boto3 against a real
poseidon:

* AWS Cloud Migration Factory (aws-solutions/cloud-migration-factory-on-aws,
  source/integrations/mgh/lambdas/lambda_mgh.py): start_export_task with
  ec2RecommendationsPreferences, describe_export_tasks(exportIds=[id]) every
  second, a plain GET of the URL without credentials, extract the zip,
  glob('EC2InstanceRecommendations*.csv') at its root, csv.DictReader on
  ServerId, Recommendation.EC2.Instance.Model and UserPreference.EC2.Tenancy;
* the Migration Acceleration Program tagger (chalee-dev/Migration-automation-library,
  cfn-map-tagger/src/lambda-layer/python/mapTools.py): S3 Select with
  FileHeaderInfo USE on the summary export's *_Application.csv
  (SELECT s.Id WHERE s.name = X) and *_ApplicationResourceAssociation.csv
  (SELECT s.configId WHERE s.applicationConfigurationId = that Id).
"""

import csv
import glob
import io
import os
import shutil
import tempfile
import time
import zipfile

try:
    import requests  # what Cloud Migration Factory downloads with
except ImportError:  # pragma: no cover - the machine has requests; urllib does the same plain GET
    requests = None

import harness
from harness import OTHER_ACCOUNT
from test_configurations import seed_fleet
from test_export_kinds import SERVERS, intake, report

ZIP_MAX_SIZE = 500000000  # Cloud Migration Factory's limit on the uncompressed zip


class ExportFailed(Exception):
    pass


# -- Cloud Migration Factory's steps ----------------------------------------------

def cmf_preferences(region, sizing="PERCENTILE", cpu="50", ram="40", custom_match=False):
    """import_ec2_rec's preferences: p<cpu>/p<ram> for percentiles, else the sizing name
    (SPEC), with percentageAdjust only for SPEC with a custom match."""
    cpu_perf = {"name": f"p{cpu}" if sizing == "PERCENTILE" else sizing}
    ram_perf = {"name": f"p{ram}" if sizing == "PERCENTILE" else sizing}
    if sizing == "SPEC" and custom_match:
        cpu_perf["percentageAdjust"] = float(cpu)
        ram_perf["percentageAdjust"] = float(ram)
    return {"ec2RecommendationsPreferences": {
        "enabled": True, "preferredRegion": region, "tenancy": "SHARED",
        "cpuPerformanceMetricBasis": cpu_perf, "ramPerformanceMetricBasis": ram_perf}}


def check_for_completed_export(result):
    for export in result["exportsInfo"]:
        if export["exportStatus"] == "SUCCEEDED":
            return True
        if export["exportStatus"] == "FAILED":
            raise ExportFailed("ERROR: " + export["statusMessage"])
    return False


def wait_for_export_task_complete(client, export_id, step=1, timeout=180):
    """polling2.poll(describe_export_tasks(exportIds=[id]), step=1, timeout=180)."""
    deadline = time.time() + timeout
    while not check_for_completed_export(client.describe_export_tasks(exportIds=[export_id])):
        if time.time() > deadline:
            raise TimeoutError(f"ERROR: Unable to confirm export ID {export_id} was completed")
        time.sleep(step)


def plain_get(url):
    if requests is not None:
        return requests.get(url, timeout=30).content
    status, body, _ = harness.http_get(url, timeout=30)
    assert status == 200, (status, body[:300])
    return body


def extract_ec2_rec_file(download_url, tmp):
    """Download, check the uncompressed size, extract, glob at the root."""
    zip_file_name = os.path.join(tmp, "export.zip")
    with open(zip_file_name, "wb") as f:
        f.write(plain_get(download_url))
    with zipfile.ZipFile(zip_file_name) as z:
        total = sum(i.file_size for i in z.infolist())
    if total > ZIP_MAX_SIZE:
        raise IOError(f"Zip file uncompressed contents exceeds maximum size of {ZIP_MAX_SIZE / 1e+6}MBs.")
    folder = os.path.join(tmp, "export")
    with zipfile.ZipFile(zip_file_name, "r") as z:
        z.extractall(folder)
    return glob.glob(os.path.join(folder, "EC2InstanceRecommendations*.csv"))[0]


def cmf_import_ec2_rec(client, preferences, cmf_servers):
    """import_ec2_rec and import_ec2_recs: returns the (server_name, payload) updates CMF
    would PUT, and every row it read."""
    export_id = client.start_export_task(preferences=preferences)["exportId"]
    wait_for_export_task_complete(client, export_id)
    url = client.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]["configurationsDownloadUrl"]
    tmp = tempfile.mkdtemp(prefix="cmf-")
    try:
        csv_file = extract_ec2_rec_file(url, tmp)
        updates, rows = [], []
        with open(csv_file, mode="r") as servers_file:
            for row in csv.DictReader(servers_file):
                rows.append(row)
                if not row.get("Recommendation.EC2.Instance.Model", ""):
                    continue
                name = next((s for s in cmf_servers if s.lower() == str(row["ServerId"]).lower()), None)
                if name is None:
                    continue
                updates.append((name, {"instanceType": row["Recommendation.EC2.Instance.Model"],
                                       "tenancy": row["UserPreference.EC2.Tenancy"]}))
        return updates, rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class CloudMigrationFactoryTest(harness.ServerTestCase):

    def server_ids(self, client):
        servers = client.list_configurations(configurationType="SERVER")["configurations"]
        # CMF names its servers after server.configurationId (convert_ads_to_cmf_server_attribute).
        return sorted(s["server.configurationId"] for s in servers)

    def test_every_server_gets_a_priced_recommendation(self):
        intake(self.server, [report(n, s) for s in range(8) for n in range(SERVERS)])
        intake(self.server, [report(9, 0)], key=OTHER_ACCOUNT)
        client = self.server.client()
        ids = self.server_ids(client)
        self.assertEqual(len(ids), SERVERS)
        for prefs in (cmf_preferences("us-west-2"), cmf_preferences("eu-west-1", sizing="SPEC", cpu="80", ram="90", custom_match=True)):
            with self.subTest(prefs=prefs):
                updates, rows = cmf_import_ec2_rec(client, prefs, ids)
                self.assertEqual(sorted(r["ServerId"] for r in rows), ids, "one row per server of the account")
                self.assertEqual(sorted(name for name, _ in updates), ids, "every server is updated")
                for name, payload in updates:
                    self.assertRegex(payload["instanceType"], r"^[a-z0-9-]+\.[a-z0-9]+$")
                    self.assertEqual(payload["tenancy"], "SHARED")
                region = prefs["ec2RecommendationsPreferences"]["preferredRegion"]
                for row in rows:
                    self.assertEqual(row["Recommendation.EC2.Instance.Price.UpfrontCost"], "0", row)
                    self.assertGreater(float(row["Recommendation.EC2.Instance.Price.HourlyRate"]), 0, row)
                    self.assertEqual(row["Recommendation.EC2.Instance.Price.AmortizedHourlyRate"],
                                     row["Recommendation.EC2.Instance.Price.HourlyRate"])
                    self.assertRegex(row["Recommendation.EC2.Instance.Price.EffectiveDate.UTC"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
                    self.assertEqual(row["UserPreference.Region"],
                                     {"us-west-2": "US West (Oregon)", "eu-west-1": "Europe (Ireland)"}[region])
                    self.assertEqual(row["UserPreference.EC2.PricingModel"], "On-Demand")
                    self.assertEqual(row["Recommendation.EC2.Instance.OSType"], "Linux")
                    self.assertEqual(row["Recommendation.EC2.Remarks"], "", row)
                    if prefs["ec2RecommendationsPreferences"]["cpuPerformanceMetricBasis"]["name"] == "SPEC":
                        # CMF's custom match is a percentage of the specification.
                        self.assertEqual(row["Recommendation.EC2.RequestedCPU.UsagePct"], "80", row)
                        self.assertEqual(row["Recommendation.EC2.RequestedRAM.UsagePct"], "90", row)
                        self.assertEqual(row["UserPreference.Recommendation.CPUSizing"], "80% of Specification", row)

    def test_a_server_that_cannot_be_sized(self):
        """web-2 of the seeded fleet reports no CPUs, no RAM and no performance: its row has
        no model and says why, and CMF skips it."""
        ids = seed_fleet(self.server)
        client = self.server.client()
        updates, rows = cmf_import_ec2_rec(client, cmf_preferences("us-west-2"), sorted(ids.values()))
        by_id = {r["ServerId"]: r for r in rows}
        self.assertEqual(sorted(by_id), sorted(ids.values()))
        web2 = by_id[ids["web-2.example.com"]]
        self.assertEqual(web2["Recommendation.EC2.Instance.Model"], "")
        self.assertTrue(web2["Recommendation.EC2.Remarks"].startswith("No recommendation:"), web2)
        self.assertEqual(sorted(name for name, _ in updates), sorted([ids["web-1.example.com"], ids["db-1.example.com"]]))
        db1 = by_id[ids["db-1.example.com"]]
        self.assertEqual(db1["Recommendation.EC2.Instance.OSType"], "Windows")
        self.assertGreater(float(db1["Recommendation.EC2.Instance.Price.HourlyRate"]), 0)


# -- The MAP tagger's S3 Select ------------------------------------------------------

def s3_select(body, select, where, value):
    """SELECT s.<select> FROM s3object s WHERE s.<where> = '<value>' LIMIT 1, with
    InputSerialization CSV FileHeaderInfo USE: the header row names the columns, and an
    unquoted column name matches a header case-insensitively. Returns the value, or ''
    when no row matches (the tagger then sees an empty payload). A column that is not in
    the header fails the test here, where S3 Select would silently match nothing."""
    reader = csv.DictReader(io.StringIO(body, newline=""))

    def column(name):
        found = [h for h in reader.fieldnames if h.lower() == name.lower()]
        if len(found) != 1:
            raise AssertionError(f"column {name!r}: {found} in header {reader.fieldnames}")
        return found[0]

    sel, key = column(select), column(where)
    for row in reader:
        if row[key] == value:
            return row[sel]
    return ""


class MapTaggerTest(harness.ServerTestCase):

    def test_tags_from_a_summary_export(self):
        ids = seed_fleet(self.server)
        c = self.server.client()
        payments = c.create_application(name="Payments", description="card payments")["configurationId"]
        store = c.create_application(name="Web Store")["configurationId"]
        c.associate_configuration_items_to_application(
            applicationConfigurationId=payments, configurationIds=[ids["web-1.example.com"], ids["db-1.example.com"]])
        c.associate_configuration_items_to_application(
            applicationConfigurationId=store, configurationIds=[ids["web-2.example.com"]])

        export_id = c.start_export_task()["exportId"]
        info = harness.wait_export(c, export_id, timeout=30)
        self.assertEqual(info["exportStatus"], "SUCCEEDED", info)
        status, body, _ = harness.http_get(info["configurationsDownloadUrl"], timeout=30)
        self.assertEqual(status, 200)
        zf = zipfile.ZipFile(io.BytesIO(body))
        # getS3FileKeys: the keys ending in _Application.csv and _ApplicationResourceAssociation.csv.
        app_key = next(n for n in zf.namelist() if n.endswith("_Application.csv"))
        assoc_key = next(n for n in zf.namelist() if n.endswith("_ApplicationResourceAssociation.csv"))
        apps, assoc = zf.read(app_key).decode("utf-8"), zf.read(assoc_key).decode("utf-8")

        for name, app_id, servers in (("Payments", payments, [ids["web-1.example.com"], ids["db-1.example.com"]]),
                                      ("Web Store", store, [ids["web-2.example.com"]])):
            originating_app_id = s3_select(apps, "Id", "name", name)
            self.assertEqual(originating_app_id, app_id)
            originating_server_id = s3_select(assoc, "configId", "applicationConfigurationId", originating_app_id)
            # LIMIT 1 takes the first association in file order: by application, then server ID.
            self.assertEqual(originating_server_id, min(servers))
        self.assertEqual(s3_select(apps, "Id", "name", "No Such App"), "")
