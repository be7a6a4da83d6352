"""Inventory reads through boto3 and the aws CLI: list_configurations (with its paginator),
describe_configurations, list_server_neighbors and get_discovery_summary, on a fleet sent
to POST /_poseidon/intake."""

import json
import unittest
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import harness
from harness import ACCOUNT, OTHER_ACCOUNT, REGION, SECRET

WEB1, DB1, WEB2 = "o-1000000000000001", "o-2000000000000002", "o-3000000000000003"
APP_PAYMENTS = "d-application-0ac39bc0e4fad0e42"
APP_STORE = "d-application-02444a45288013764"

SERVER_LIST_KEYS = sorted([
    "server.agentId", "server.configurationId", "server.hostName", "server.osName",
    "server.osVersion", "server.timeOfCreation", "server.type",
])

SERVER_DESCRIBE_KEYS = sorted(SERVER_LIST_KEYS + [
    "server.applications", "server.applications.hasMoreValues", "server.cpuType", "server.hypervisor",
    "server.networkInterfaceInfo", "server.networkInterfaceInfo.hasMoreValues",
    "server.tags", "server.tags.hasMoreValues",
] + ["server.performance." + k for k in [
    "avgCpuUsagePct", "avgDiskReadIOPS", "avgDiskReadsPerSecondInKB", "avgDiskWriteIOPS",
    "avgDiskWritesPerSecondInKB", "avgFreeRAMInKB", "avgNetworkReadsPerSecondInKB",
    "avgNetworkWritesPerSecondInKB", "maxCpuUsagePct", "maxDiskReadIOPS", "maxDiskReadsPerSecondInKB",
    "maxDiskWriteIOPS", "maxDiskWritesPerSecondInKB", "maxNetworkReadsPerSecondInKB",
    "maxNetworkWritesPerSecondInKB", "minFreeRAMInKB", "numCores", "numCpus", "numDisks",
    "numNetworkCards", "totalRAMInKB",
]])


def post_intake(server, batch, account=ACCOUNT):
    """POST an agentdata batch to /_poseidon/intake, SigV4-signed for the account."""
    body = json.dumps(batch).encode()
    req = AWSRequest(method="POST", url=server.url + "/_poseidon/intake", data=body,
                     headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(account, SECRET), "discovery", REGION).add_auth(req)
    prepared = req.prepare()
    ureq = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(ureq, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise AssertionError(f"intake failed: {e.code} {e.read()[:500]!r}")


def fleet(base):
    """web-1 calls db-1 on 5432 and 6379 and a DNS server outside the fleet; web-2 calls web-1 on 443."""
    web1_server = {"hostName": "web-1.example.com", "osName": "Linux - Amazon Linux AMI release 2015.03",
                   "osVersion": "3.14.48-33.39.amzn1.x86_64", "cpuType": "x64", "hypervisor": "xen", "type": "EC2",
                   "numCpus": 1, "numCores": 1, "numLogicalProcessors": 1, "totalRamMB": 1655.01171875,
                   "totalDiskGB": 8, "numDisks": 1}
    reports = []
    for i, cpu in enumerate([10, 20, 30]):
        reports.append({
            "reportId": f"web1-{i}", "agentId": WEB1, "timestamp": base + 900 * i,
            "agent": {"version": "2.0.1", "health": "HEALTHY"}, "server": web1_server,
            "networkInterfaces": [
                {"name": "eth0", "macAddress": "06:A7:7D:3F:54:57", "ipAddress": "10.0.0.1", "netMask": "255.255.240.0"},
                {"name": "lo", "macAddress": "00:00:00:00:00:00", "ipAddress": "127.0.0.1", "netMask": "255.0.0.0"},
            ],
            "performance": {"cpuUsagePct": cpu, "freeRamMB": [1500, 1400, 1600][i], "diskFreeGB": 4,
                            "diskReadKBps": 1, "diskWriteKBps": 2, "diskReadOpsPerSec": 0.5,
                            "diskWriteOpsPerSec": i, "networkReadKBps": 3, "networkWriteKBps": 4},
            "processes": [
                {"pid": 100, "name": "nginx", "commandLine": "/usr/sbin/nginx -g daemon off;", "path": "/usr/sbin/nginx"},
                {"pid": 22, "name": "sshd", "commandLine": "/usr/sbin/sshd -D", "path": "/usr/sbin/sshd"},
            ],
            "connections": [
                {"direction": "outbound", "sourceIp": "10.0.0.1", "sourcePort": 40000 + i,
                 "destinationIp": "10.0.0.2", "destinationPort": 5432, "pid": 100},
                {"direction": "outbound", "sourceIp": "10.0.0.1", "sourcePort": 41000 + i,
                 "destinationIp": "10.0.0.2", "destinationPort": 6379},
                {"direction": "outbound", "sourceIp": "10.0.0.1", "sourcePort": 42000 + i,
                 "destinationIp": "8.8.8.8", "destinationPort": 53, "transportProtocol": "udp"},
            ],
        })
    reports.append({
        "reportId": "db1-0", "agentId": DB1, "timestamp": base, "agent": {"version": "2.0.1"},
        "server": {"hostName": "db-1.example.com", "osName": "Windows Server 2019", "osVersion": "10.0.17763",
                   "type": "VMWARE_VM", "numCpus": 2, "numCores": 4, "totalRamMB": 16384, "numDisks": 2},
        "networkInterfaces": [{"name": "Ethernet0", "macAddress": "00:50:56:AA:BB:CC", "ipAddress": "10.0.0.2",
                               "netMask": "255.255.255.0"}],
        "processes": [{"pid": 200, "name": "postgres", "commandLine": "postgres -D /var/lib/pgsql/data"}],
        "performance": {"cpuUsagePct": 50, "freeRamMB": 4096, "diskFreeGB": 100, "diskReadKBps": 0,
                        "diskWriteKBps": 0, "diskReadOpsPerSec": 0, "diskWriteOpsPerSec": 0,
                        "networkReadKBps": 0, "networkWriteKBps": 0},
    })
    reports.append({
        "reportId": "web2-0", "agentId": WEB2, "timestamp": base, "agent": {"version": "2.0.1", "health": "UNHEALTHY"},
        "server": {"hostName": "web-2.example.com", "osName": "Linux - Amazon Linux AMI release 2015.03", "type": "EC2"},
        "networkInterfaces": [{"name": "eth0", "ipAddress": "10.0.0.4"}],
        "connections": [{"direction": "outbound", "sourceIp": "10.0.0.4", "destinationIp": "10.0.0.1",
                         "destinationPort": 443}],
    })
    return {"reports": reports}


def seed_fleet(server):
    """Send fleet() for the default account, one look-alike server for the
    other account, and return the default account's {hostName: server ID}."""
    base = int(server.now()) - 7200
    post_intake(server, fleet(base))
    post_intake(server, {"reports": [{
        "reportId": "b-0", "agentId": "o-b000000000000001", "timestamp": base,
        "server": {"hostName": "web-1.example.com"},
        "networkInterfaces": [{"name": "eth0", "ipAddress": "10.0.0.1"}]}]}, account=OTHER_ACCOUNT)
    servers = server.client().list_configurations(configurationType="SERVER")["configurations"]
    return {s["server.hostName"]: s["server.configurationId"] for s in servers}


class ConfigurationsTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.ids = seed_fleet(self.server)
        self.c = self.server.client()
        self.assertEqual(len(self.ids), 3, self.ids)
        self.web1, self.db1, self.web2 = (self.ids[h] for h in ("web-1.example.com", "db-1.example.com", "web-2.example.com"))

    def add_apps_and_tags(self):
        """Applications and tags with fixed IDs and times: write them into the store."""
        ms = 1481673207000  # 2016-12-13 23:53:27 UTC
        harness.store_exec(self.server,
                           "INSERT INTO applications (account_id, application_id, name, description, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)",
                           [(ACCOUNT, APP_PAYMENTS, "Payments", "Card payments", ms, ms),
                            (ACCOUNT, APP_STORE, "Web Store", "", ms + 6000, ms + 6000)])
        harness.store_exec(self.server, "INSERT INTO application_servers (account_id, application_id, server_id) VALUES (?, ?, ?)",
                           [(ACCOUNT, APP_PAYMENTS, self.web1), (ACCOUNT, APP_PAYMENTS, self.db1),
                            (ACCOUNT, APP_STORE, self.web1)])
        harness.store_exec(self.server, "INSERT INTO tags (account_id, configuration_id, key, value, created_ms) VALUES (?, ?, 'env', 'prod', 0)",
                           [(ACCOUNT, self.web1)])

    def test_list_configurations_paginator(self):
        pages = list(self.c.get_paginator("list_configurations").paginate(
            configurationType="SERVER", PaginationConfig={"PageSize": 1}))
        items = [m for p in pages for m in p["configurations"]]
        self.assertEqual(len(items), 3)
        self.assertGreaterEqual(len(pages), 3)
        self.assertEqual(sorted(m["server.configurationId"] for m in items), sorted(self.ids.values()))
        for m in items:
            # web-2 reported no OS version: absent keys are left out.
            want = [k for k in SERVER_LIST_KEYS if k != "server.osVersion" or m["server.hostName"] != "web-2.example.com"]
            self.assertEqual(sorted(m), want)
            self.assertRegex(m["server.timeOfCreation"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$")
        # orderBy with the paginator: hostName DESC.
        pages = self.c.get_paginator("list_configurations").paginate(
            configurationType="SERVER", orderBy=[{"fieldName": "server.hostName", "sortOrder": "DESC"}],
            PaginationConfig={"PageSize": 2})
        hosts = [m["server.hostName"] for p in pages for m in p["configurations"]]
        self.assertEqual(hosts, ["web-2.example.com", "web-1.example.com", "db-1.example.com"])
        # The other account sees only its own server.
        other = self.server.client(key=OTHER_ACCOUNT).list_configurations(configurationType="SERVER")["configurations"]
        self.assertEqual(len(other), 1)
        self.assertNotIn(other[0]["server.configurationId"], self.ids.values())

    def test_list_configurations_filters(self):
        resp = self.c.list_configurations(configurationType="SERVER", filters=[
            {"name": "server.hostName", "values": ["web-1", "db-1"], "condition": "CONTAINS"},
            {"name": "server.osName", "values": ["Windows"], "condition": "NOT_CONTAINS"}])
        self.assertEqual([m["server.configurationId"] for m in resp["configurations"]], [self.web1])
        self.assertNotIn("nextToken", resp)
        resp = self.c.list_configurations(configurationType="SERVER", filters=[
            {"name": "server.performance.avgCpuUsagePct", "values": ["20"], "condition": "GE"}])
        self.assertEqual(sorted(m["server.configurationId"] for m in resp["configurations"]), sorted([self.web1, self.db1]))
        procs = self.c.list_configurations(configurationType="PROCESS", filters=[
            {"name": "server.configurationId", "values": [self.web1], "condition": "EQUALS"}],
            orderBy=[{"fieldName": "process.name"}])["configurations"]
        self.assertEqual([p["process.name"] for p in procs], ["nginx", "sshd"])
        self.assertEqual(procs[0]["server.agentId"], WEB1)

    def test_describe_configurations(self):
        self.add_apps_and_tags()
        resp = self.c.describe_configurations(configurationIds=[self.web1, "d-server-0000000000000dead"])
        self.assertEqual(len(resp["configurations"]), 1)
        m = resp["configurations"][0]
        self.assertEqual(sorted(m), SERVER_DESCRIBE_KEYS)
        self.assertEqual(m["server.performance.avgCpuUsagePct"], "20.0")
        self.assertEqual(m["server.performance.totalRAMInKB"], "1694732.0")
        self.assertEqual(m["server.performance.minFreeRAMInKB"], "1433600.0")
        self.assertEqual(m["server.performance.numCpus"], "1")
        self.assertEqual(json.loads(m["server.applications"])[0]["name"], "Payments")
        self.assertEqual(json.loads(m["server.tags"]), [{"key": "env", "value": "prod"}])
        nics = json.loads(m["server.networkInterfaceInfo"])
        self.assertEqual(nics[0], {"name": "eth0", "macAddress": "06:A7:7D:3F:54:57", "ipAddress": "10.0.0.1",
                                   "netMask": "255.255.240.0"})
        apps = self.c.describe_configurations(configurationIds=[APP_STORE])["configurations"]
        self.assertEqual(apps, [{"application.serverCount": "1", "application.name": "Web Store",
                                 "application.lastModifiedTime": "2016-12-13 23:53:33.0",
                                 "application.description": "", "application.timeOfCreation": "2016-12-13 23:53:33.0",
                                 "application.configurationId": APP_STORE}])
        self.assertClientError("InvalidParameterValueException", self.c.describe_configurations,
                               configurationIds=[self.web1, APP_STORE])
        other = self.server.client(key=OTHER_ACCOUNT).describe_configurations(configurationIds=[self.web1])
        self.assertEqual(other["configurations"], [])

    def test_list_server_neighbors(self):
        conns = [m for p in self.c.get_paginator("list_configurations").paginate(configurationType="CONNECTION")
                 for m in p["configurations"]]
        want = {}
        for m in conns:
            src, dst = m.get("sourceServer.configurationId"), m.get("destinationServer.configurationId")
            if src and dst and src != dst and self.web1 in (src, dst):
                want[(src, dst)] = want.get((src, dst), 0) + int(m["connection.occurrence"])
        got, token, pages = {}, None, 0
        while True:
            kw = {"nextToken": token} if token else {}
            resp = self.c.list_server_neighbors(configurationId=self.web1, maxResults=1, **kw)
            pages += 1
            self.assertEqual(resp["knownDependencyCount"], 2)
            for n in resp["neighbors"]:
                self.assertNotIn("destinationPort", n)
                got[(n["sourceServerId"], n["destinationServerId"])] = n["connectionsCount"]
            token = resp.get("nextToken")
            if not token:
                break
        self.assertEqual(got, want)
        self.assertEqual(set(got), {(self.web1, self.db1), (self.web2, self.web1)})
        resp = self.c.list_server_neighbors(configurationId=self.web1, portInformationNeeded=True)
        ports = sorted((n["destinationPort"], n["transportProtocol"]) for n in resp["neighbors"])
        self.assertEqual(ports, [(443, "tcp"), (5432, "tcp"), (6379, "tcp")])
        resp = self.c.list_server_neighbors(configurationId=self.web1, neighborConfigurationIds=[self.db1])
        self.assertEqual(resp["knownDependencyCount"], 1)
        self.assertEqual([n["destinationServerId"] for n in resp["neighbors"]], [self.db1])
        resp = self.c.list_server_neighbors(configurationId="d-server-0000000000000dead")
        self.assertEqual(resp["neighbors"], [])
        self.assertEqual(resp["knownDependencyCount"], 0)
        self.assertClientError("InvalidParameterValueException", self.c.list_server_neighbors,
                               configurationId="d-process-0123456789abcdef0")

    def test_get_discovery_summary(self):
        self.add_apps_and_tags()
        s = self.c.get_discovery_summary()
        self.assertEqual((s["servers"], s["applications"], s["serversMappedToApplications"], s["serversMappedtoTags"]),
                         (3, 2, 2, 1))
        agents = self.c.describe_agents()["agentsInfo"]
        a = s["agentSummary"]
        self.assertEqual(a["totalAgents"], len(agents))
        self.assertEqual(a["healthyAgents"], sum(x["health"] == "HEALTHY" for x in agents))
        self.assertEqual(a["unhealthyAgents"], 1)
        self.assertEqual(a["activeAgents"], sum(x["collectionStatus"] == "STARTED" for x in agents))
        for member, prefix in [("connectorSummary", "Connectors"), ("meCollectorSummary", "MeCollectors"),
                               ("agentlessCollectorSummary", "AgentlessCollectors")]:
            self.assertEqual(len(s[member]), 7, s[member])
            self.assertEqual(s[member]["total" + prefix], 0)
        servers = [m for p in self.c.get_paginator("list_configurations").paginate(configurationType="SERVER")
                   for m in p["configurations"]]
        self.assertEqual(len(servers), s["servers"])

    def test_errors(self):
        c = self.server.client(parameter_validation=False)
        self.assertClientError("InvalidParameterException", c.list_configurations)
        self.assertClientError("InvalidParameterException", c.list_configurations, configurationType="SERVER",
                               filters=[{"name": "server.nope", "values": ["x"], "condition": "EQUALS"}])
        self.assertClientError("InvalidParameterValueException", c.list_configurations, configurationType="SERVER",
                               filters=[{"name": "server.agentId", "values": ["x"], "condition": "CONTAINS"}])
        self.assertClientError("InvalidParameterValueException", c.list_configurations, configurationType="SERVER",
                               orderBy=[{"fieldName": "server.type"}])
        self.assertClientError("InvalidParameterValueException", c.list_configurations, configurationType="SERVER",
                               maxResults=-1)
        token = c.list_configurations(configurationType="SERVER", maxResults=1)["nextToken"]
        err = self.assertClientError("InvalidParameterValueException", c.list_configurations,
                                     configurationType="PROCESS", nextToken=token)
        self.assertEqual(err.response["Error"]["Message"], "The nextToken is not valid for this request.")
        self.assertClientError("InvalidParameterException", c.describe_configurations)
        self.assertClientError("InvalidParameterException", c.list_server_neighbors)

    @unittest.skipUnless(harness.aws_cli_available(), "aws CLI not installed")
    def test_aws_cli(self):
        rc, out = self.server.aws("discovery", "list-configurations", "--configuration-type", "SERVER",
                                  "--max-items", "2")
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(out["configurations"]), 2)
        self.assertIn("NextToken", out)
        rc, out = self.server.aws("discovery", "list-server-neighbors", "--configuration-id", self.web1)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out["knownDependencyCount"], 2)


class HomeRegionTest(harness.ServerTestCase):
    SERVER_ARGS = ("--no-limits", "--home-region", "none")

    def test_home_region_not_set(self):
        c = self.server.client()
        self.assertClientError("HomeRegionNotSetException", c.list_configurations, configurationType="SERVER")
        self.assertClientError("HomeRegionNotSetException", c.describe_configurations, configurationIds=["d-server-1"])
        self.assertClientError("HomeRegionNotSetException", c.list_server_neighbors, configurationId="d-server-1")
        self.assertClientError("HomeRegionNotSetException", c.get_discovery_summary)


if __name__ == "__main__":
    unittest.main()
