"""Each export kind through boto3: agent reports are posted to /_poseidon/intake
with urllib, then summary, agent and EC2-recommendation exports are started,
downloaded from their presigned URL with urllib and parsed with zipfile and csv.
A missing file fails; nothing here is skipped."""

import csv
import datetime
import io
import json
import unittest
import urllib.error
import urllib.request
import zipfile

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import harness
from harness import ACCOUNT, OTHER_ACCOUNT, REGION, SECRET, SUCCEEDED_MESSAGE, SUMMARY_FILES, agent_filter, wait_export

BASE = 1767254400  # 2026-01-01T08:00:00Z
STEPS = 8          # reports per agent, every 15 minutes (2 hours)
SERVERS = 3

AGENT_FILES = [
    "destinationProcessConnection",
    "networkInterface",
    "osInfo",
    "process",
    "sourceProcessConnection",
    "systemPerformance",
]

SERVER_HEADER = ["server.configurationId", "server.agentId", "server.hostName", "server.osName", "server.osVersion",
                 "server.cpuType", "server.hypervisor", "server.type", "server.timeOfCreation"]
PERF_HEADER = ["accountNumber", "agentId",
               "totalDiskBytesReadPerSecond(Kbps)", "totalDiskBytesWrittenPerSecond(Kbps)", "totalDiskReadOpsPerSecond",
               "totalDiskWriteOpsPerSecond", "totalNetworkBytesReadPerSecond(Kbps)", "totalNetworkBytesWrittenPerSecond(Kbps)",
               "totalNumLogicalProcessors", "totalNumCores", "totalNumCpus", "totalNumDisks", "totalNumNetworkCards",
               "totalCpuUsagePct", "totalDiskSize(GB)", "totalDiskFreeSize(GB)", "totalRAM(MB)", "freeRAM(MB)", "timestamp"]
CONNECTION_HEADER = ["accountNumber", "agentId", "sourceIp", "sourcePort", "destinationIp", "destinationPort",
                     "ipVersion", "transportProtocol", "agentAssignedProcessId", "agentCreationDate"]
RESULTS_KEYS = {"CustomerAccount", "ExportId", "RequestedFilters", "RequestedStartTime", "RequestedEndTime",
                "ResultFilesGenerated", "TotalSizeOfResultFiles", "ExportStartedAt", "ExportStatus",
                "StatusMessage", "ExportSummary"}
RESULTS_TIME = "%Y-%m-%d %H:%M:%S"
APPLICATION_HEADER = ["Id", "name", "description", "wave", "serverCount", "timeOfCreation", "lastModifiedTime"]
ASSOCIATION_HEADER = ["applicationConfigurationId", "applicationName", "configId", "hostName"]
EC2_FILE = "EC2InstanceRecommendations.csv"
# The header of Cloud Migration Factory's test fixture (57 columns, in order).
EC2_HEADER = (
    "ServerId,Server.ExternalId,Server.HostName,Server.VMware.VMname,Recommendation.EC2.Remarks,Server.OS.Name,"
    "Server.OS.Version,Server.CPU.NumberOfProcessors,Server.CPU.NumberOfCores,Server.CPU.NumberOfLogicalCores,"
    "Recommendation.EC2.RequestedCPU.UsagePct,Recommendation.EC2.RequestedvCPU,Server.RAM.TotalSizeInMB,"
    "Recommendation.EC2.RequestedRAM.UsagePct,Recommendation.EC2.RequestedRAMinMB,Recommendation.EC2.Instance.Model,"
    "Recommendation.EC2.Instance.vCPUCount,Recommendation.EC2.Instance.RAM.TotalSizeinMB,"
    "Recommendation.EC2.Instance.Price.UpfrontCost,Recommendation.EC2.Instance.Price.HourlyRate,"
    "Recommendation.EC2.Instance.Price.AmortizedHourlyRate,Recommendation.EC2.Instance.Price.EffectiveDate.UTC,"
    "Recommendation.EC2.Instance.OSType,UserPreference.Recommendation.CPUSizing,UserPreference.Recommendation.RAMSizing,"
    "UserPreference.Region,UserPreference.EC2.Tenancy,UserPreference.EC2.PricingModel,"
    "UserPreference.EC2.PricingModel.ContractTerm,UserPreference.EC2.PricingModel.Payment,"
    "UserPreference.EC2.ExcludedInstances,Applications,Tags,Server.SMBiosId,Server.VMware.MoRefId,"
    "Server.VMware.VCenterId,Server.VMware.vCenterName,Server.VMware.vmFolderPath,Server.CPU.UsagePct.Avg,"
    "Server.CPU.UsagePct.Max,Server.RAM.UsedSizeInMB.Avg,Server.RAM.UsedSizeInMB.Max,Server.RAM.UsagePct.Avg,"
    "Server.RAM.UsagePct.Max,Server.NumberOfDisks,Server.DiskReadsPerSecondInKB.Avg,Server.DiskWritesPerSecondInKB.Avg,"
    "Server.DiskReadsPerSecondInKB.Max,Server.DiskWritesPerSecondInKB.Max,Server.DiskReadOpsPerSecond.Avg,"
    "Server.DiskWriteOpsPerSecond.Avg,Server.DiskReadOpsPerSecond.Max,Server.DiskWriteOpsPerSecond.Max,"
    "Server.NetworkReadsPerSecondInKB.Avg,Server.NetworkWritesPerSecondInKB.Avg,Server.NetworkReadsPerSecondInKB.Max,"
    "Server.NetworkWritesPerSecondInKB.Max").split(",")


def agent_id(n):
    return "o-%017x" % (0xe0000 + n)


def host(n):
    return f"kinds-host-{n}"


def report(n, step):
    """Agent n's report at BASE + step x 15 minutes; agent 2 is a VMware VM."""
    server = {"hostName": host(n), "osName": "Linux", "osVersion": "5.15", "cpuType": "x64",
              "numCpus": 1, "numCores": 2, "numLogicalProcessors": 4, "totalRamMB": 4096, "totalDiskGB": 100, "numDisks": 1}
    if n == 2:
        server.update(type="VMWARE_VM", hypervisor="VMware",
                      vmware={"moRefId": "vm-42", "vmName": host(n), "vCenterId": "vc-1", "vCenterName": "vcenter"})
    return {
        "reportId": f"kinds-{n}-{step}",
        "agentId": agent_id(n),
        "timestamp": BASE + 900 * step,
        "agent": {"version": "2.0.1"},
        "server": server,
        "networkInterfaces": [{"name": "eth0", "ipAddress": f"10.40.0.{n}", "macAddress": f"02:00:00:00:02:{n:02x}",
                               "netMask": "255.255.255.0", "family": "IPv4"}],
        "performance": {"cpuUsagePct": 10 + step, "freeRamMB": 1000 + step, "diskFreeGB": 50, "diskReadKBps": 1,
                        "diskWriteKBps": 2, "diskReadOpsPerSec": 3, "diskWriteOpsPerSec": 4,
                        "networkReadKBps": 5, "networkWriteKBps": 6},
        "processes": [{"pid": 1, "name": "systemd", "path": "/sbin/init", "isSystem": True},
                      {"pid": 1000 + n, "name": "java", "commandLine": 'java -Dname="a,b" -jar app.jar',
                       "path": "/usr/bin/java"}],
        "connections": [
            {"direction": "outbound", "sourceIp": f"10.40.0.{n}", "sourcePort": 40000 + step,
             "destinationIp": "10.40.0.99", "destinationPort": 5432, "pid": 1000 + n},
            {"direction": "inbound", "sourceIp": "10.40.0.77", "sourcePort": 50000,
             "destinationIp": f"10.40.0.{n}", "destinationPort": 443},
        ],
    }


def intake(server, reports, key=ACCOUNT):
    """POST the reports to /_poseidon/intake, signed with SigV4; returns the JSON answer."""
    data = json.dumps({"reports": reports}).encode()
    url = server.url + "/_poseidon/intake"
    req = AWSRequest(method="POST", url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key, SECRET), "discovery", REGION).add_auth(req)
    ureq = urllib.request.Request(url, data=data, headers=dict(req.prepare().headers), method="POST")
    try:
        with urllib.request.urlopen(ureq, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise AssertionError(f"intake: HTTP {e.code}: {e.read()[:500]!r}")


def utc(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


class ExportKindsTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        intake(self.server, [report(n, s) for s in range(STEPS) for n in range(SERVERS)])
        # Another account's server must not show up.
        intake(self.server, [report(9, 0)], key=OTHER_ACCOUNT)
        self.client = self.server.client()

    def download(self, export_id):
        """Waits for the export, downloads it and returns {member name: bytes} and the member order."""
        info = wait_export(self.client, export_id, timeout=30)
        self.assertEqual(info["exportStatus"], "SUCCEEDED", info)
        self.assertEqual(info["statusMessage"], SUCCEEDED_MESSAGE)
        status, body, _ = harness.http_get(info["configurationsDownloadUrl"], timeout=30)
        self.assertEqual(status, 200, body[:300])
        zf = zipfile.ZipFile(io.BytesIO(body))
        self.assertIsNone(zf.testzip())
        names = zf.namelist()
        return {name: zf.read(name) for name in names}, names, info

    def table(self, members, name):
        """The CSV member {ACCOUNT}_{name}.csv as (header, rows)."""
        body = members[f"{ACCOUNT}_{name}.csv"].decode("utf-8")
        rows = list(csv.reader(io.StringIO(body, newline="")))
        self.assertTrue(rows, f"{name}.csv has no header row")
        header, data = rows[0], rows[1:]
        for r in data:
            self.assertEqual(len(r), len(header), f"{name}.csv: row {r} does not match header {header}")
        return header, data

    def assertSummaryFiles(self, members):
        for name in SUMMARY_FILES:
            self.assertIn(f"{ACCOUNT}_{name}.csv", members)
        header, servers = self.table(members, "Server")
        self.assertEqual(header, SERVER_HEADER)
        self.assertEqual(len(servers), SERVERS)
        self.assertEqual(sorted(r[2] for r in servers), [host(n) for n in range(SERVERS)])
        self.assertEqual(sorted(r[1] for r in servers), [agent_id(n) for n in range(SERVERS)])
        ids = [r[0] for r in servers]
        self.assertEqual(ids, sorted(ids), "Server.csv is in configuration ID order")
        self.assertTrue(all(i.startswith("d-server-") for i in ids), ids)
        by_host = {r[2]: r for r in servers}
        self.assertEqual(by_host[host(2)][7], "VMWARE_VM")

        header, perf = self.table(members, "SystemPerformance")
        self.assertEqual(header[:2], ["server.configurationId", "server.hostName"])
        self.assertEqual(sorted(r[0] for r in perf), sorted(ids))
        avg_cpu = {r[1]: float(r[header.index("server.performance.avgCpuUsagePct")]) for r in perf}
        want = sum(10 + s for s in range(STEPS)) / STEPS
        for n in range(SERVERS):
            self.assertAlmostEqual(avg_cpu[host(n)], want, places=3)

        header, nics = self.table(members, "NetworkInterface")
        self.assertEqual(header[0], "server.configurationId")
        self.assertEqual(sorted(r[header.index("networkInterface.ipAddress")] for r in nics),
                         [f"10.40.0.{n}" for n in range(SERVERS)])

        header, vmware = self.table(members, "VMwareInfo")
        self.assertEqual([r[header.index("vmware.moRefId")] for r in vmware], ["vm-42"])

        header, imports = self.table(members, "ImportTemplate")
        self.assertEqual(header[:5], ["ExternalId", "SMBiosId", "IPAddress", "MACAddress", "HostName"])
        self.assertEqual(sorted(r[header.index("HostName")] for r in imports), [host(n) for n in range(SERVERS)])

        for name, want in (("Application", APPLICATION_HEADER), ("ApplicationResourceAssociation", ASSOCIATION_HEADER),
                           ("Tags", None)):
            header, rows = self.table(members, name)
            self.assertTrue(header, name)
            if want:
                self.assertEqual(header, want, name)
            self.assertEqual(rows, [], f"{name}.csv: nothing was created, yet it has rows")

    def test_summary_export(self):
        export_id = self.client.start_export_task()["exportId"]
        members, names, _ = self.download(export_id)
        self.assertEqual(names, [f"{ACCOUNT}_{n}.csv" for n in SUMMARY_FILES])
        self.assertSummaryFiles(members)

    def agent_export(self, agent, start=None, end=None):
        kw = {"filters": agent_filter(agent)}
        if start is not None:
            kw["startTime"] = utc(start)
        if end is not None:
            kw["endTime"] = utc(end)
        export_id = self.client.start_export_task(**kw)["exportId"]
        members, names, info = self.download(export_id)
        self.assertEqual(names, [f"{ACCOUNT}_{n}.csv" for n in AGENT_FILES] + [f"{ACCOUNT}_results.json"])
        return export_id, members, info

    def check_agent_export(self, export_id, members, agent, steps, start=None, end=None):
        """The six files hold exactly the agent's reports at these steps."""
        n = int(agent[-2:], 16)  # agent_id(n) ends in n's hex digits
        at = [utc(BASE + 900 * s).strftime(RESULTS_TIME) for s in steps]
        per_report = {"systemPerformance": 1, "osInfo": 1, "networkInterface": 1, "process": 2,
                      "sourceProcessConnection": 1, "destinationProcessConnection": 1}
        for name in AGENT_FILES:
            header, rows = self.table(members, name)
            self.assertEqual(header[:2], ["accountNumber", "agentId"], name)
            self.assertEqual(len(rows), per_report[name] * len(steps), f"{name}.csv rows: {rows}")
            self.assertTrue(all(r[0] == ACCOUNT and r[1] == agent for r in rows), name)
        header, perf = self.table(members, "systemPerformance")
        self.assertEqual(header, PERF_HEADER)
        self.assertEqual([r[-1] for r in perf], at, "one systemPerformance row per report, oldest first")
        self.assertEqual([float(r[header.index("totalCpuUsagePct")]) for r in perf], [10.0 + s for s in steps])
        header, out = self.table(members, "sourceProcessConnection")
        self.assertEqual(header, CONNECTION_HEADER)
        self.assertEqual([r[header.index("sourcePort")] for r in out], [str(40000 + s) for s in steps])
        self.assertEqual({r[header.index("destinationPort")] for r in out}, {"5432"})
        header, inbound = self.table(members, "destinationProcessConnection")
        self.assertEqual({r[header.index("destinationIp")] for r in inbound}, {f"10.40.0.{n}"})
        header, procs = self.table(members, "process")
        self.assertIn('java -Dname="a,b" -jar app.jar', [r[header.index("cmdLine")] for r in procs])
        header, osinfo = self.table(members, "osInfo")
        self.assertEqual({r[header.index("hostName")] for r in osinfo}, {host(n)})

        results = json.loads(members[f"{ACCOUNT}_results.json"])
        self.assertEqual(set(results), RESULTS_KEYS)
        self.assertEqual(results["CustomerAccount"], ACCOUNT)
        self.assertEqual(results["ExportId"], export_id)
        self.assertEqual(results["RequestedFilters"], [{"Name": "agentIds", "Values": [agent], "Condition": "EQUALS"}])
        self.assertEqual(results["RequestedStartTime"], utc(start).strftime(RESULTS_TIME) if start is not None else None)
        self.assertEqual(results["RequestedEndTime"], utc(end).strftime(RESULTS_TIME) if end is not None else None)
        self.assertEqual(results["ResultFilesGenerated"], len(AGENT_FILES))
        csv_bytes = sum(len(members[f"{ACCOUNT}_{name}.csv"]) for name in AGENT_FILES)
        self.assertEqual(results["TotalSizeOfResultFiles"], csv_bytes)
        self.assertEqual(results["ExportStatus"], "SUCCEEDED")
        self.assertEqual(results["StatusMessage"], SUCCEEDED_MESSAGE)
        self.assertEqual(results["ExportSummary"],
                         {"isTruncated": False, "ActualStartTime": at[0], "ActualEndTime": at[-1]})

    def test_agent_export_whole_data(self):
        agent = agent_id(1)
        export_id, members, info = self.agent_export(agent)
        self.assertFalse(info.get("isTruncated", False))
        self.check_agent_export(export_id, members, agent, list(range(STEPS)))

    def test_agent_export_window(self):
        agent = agent_id(0)
        start, end = BASE + 900 * 2, BASE + 900 * 5  # both ends included
        export_id, members, info = self.agent_export(agent, start, end)
        self.assertFalse(info.get("isTruncated", False))
        self.check_agent_export(export_id, members, agent, [2, 3, 4, 5], start, end)

    def test_ec2_recommendations_export(self):
        export_id = self.client.start_export_task(
            preferences={"ec2RecommendationsPreferences": {"enabled": True}})["exportId"]
        members, names, _ = self.download(export_id)
        # One member at the zip's root, as AWS's Cloud Migration Factory finds it.
        self.assertEqual(names, [EC2_FILE], "the EC2 recommendations export holds only its own file")
        body = members[EC2_FILE].decode("utf-8")
        rows = list(csv.reader(io.StringIO(body, newline="")))
        self.assertEqual(rows[0], EC2_HEADER)
        servers = self.client.list_configurations(configurationType="SERVER")["configurations"]
        ids = sorted(s["server.configurationId"] for s in servers)
        self.assertEqual(len(ids), SERVERS)
        self.assertEqual([r[0] for r in rows[1:]], ids, "one row per server, by configuration ID")
        for r in rows[1:]:
            self.assertEqual(len(r), len(EC2_HEADER))
            row = dict(zip(EC2_HEADER, r))
            self.assertTrue(row["Recommendation.EC2.Instance.Model"], row)
            self.assertGreater(float(row["Recommendation.EC2.Instance.Price.HourlyRate"]), 0, row)
            self.assertEqual(row["UserPreference.Region"], "US West (Oregon)")  # the Region the request was signed for
            self.assertEqual(row["UserPreference.EC2.PricingModel"], "On-Demand")


if __name__ == "__main__":
    unittest.main()
