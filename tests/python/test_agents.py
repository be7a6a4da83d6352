"""Agents through boto3: reports sent to POST /_poseidon/intake with urllib, then
describe_agents (and its paginator), start/stop_data_collection_by_agent_ids and
batch_delete_agents."""

import json
import unittest
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import harness
from harness import ACCOUNT, OTHER_ACCOUNT, REGION, SECRET

BASE = 1767254400  # 2026-01-01T08:00:00Z


def agent_id(n):
    return "o-%017x" % (0xb0000 + n)


def report(n, step, **agent):
    """Agent n's report at BASE + step x 15 minutes."""
    return {
        "reportId": f"py-{n}-{step}",
        "agentId": agent_id(n),
        "timestamp": BASE + 900 * step,
        "agent": dict({"version": "2.0.1"}, **agent),
        "server": {"hostName": f"py-host-{n}", "osName": "Linux"},
        "networkInterfaces": [{"name": "eth0", "ipAddress": f"10.30.0.{n}", "macAddress": f"02:00:00:00:01:{n:02x}"}],
        "performance": {"cpuUsagePct": 5, "freeRamMB": 100, "diskFreeGB": 1, "diskReadKBps": 0, "diskWriteKBps": 0,
                        "diskReadOpsPerSec": 0, "diskWriteOpsPerSec": 0, "networkReadKBps": 0, "networkWriteKBps": 0},
        "connections": [{"direction": "outbound", "sourceIp": f"10.30.0.{n}", "destinationIp": "10.30.0.99",
                         "destinationPort": 443}],
    }


def intake(server, body, key=ACCOUNT, secret=SECRET, sign=True):
    """POST body (a dict, or raw bytes) to /_poseidon/intake with urllib; returns (status, JSON, headers)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = server.url + "/_poseidon/intake"
    headers = {"Content-Type": "application/json"}
    if sign:
        req = AWSRequest(method="POST", url=url, data=data, headers=headers)
        SigV4Auth(Credentials(key, secret), "discovery", REGION).add_auth(req)
        headers = dict(req.prepare().headers)
    ureq = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(ureq, timeout=30) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), e.headers


class AgentsTest(harness.ServerTestCase):

    def take_in(self, *reports, **kw):
        status, body, _ = intake(self.server, {"reports": list(reports)}, **kw)
        self.assertEqual(status, 200, body)
        return body

    def test_intake_answer_and_idempotency(self):
        batch = [report(1, 0), report(1, 1), report(2, 0)]
        self.assertEqual(self.take_in(*batch),
                         {"accepted": 3, "duplicates": 0, "dropped": 0, "droppedReports": []})
        self.assertEqual(self.take_in(*batch),
                         {"accepted": 0, "duplicates": 3, "dropped": 0, "droppedReports": []})

    def test_intake_refusals_store_nothing(self):
        bad = report(2, 0)
        bad["connections"][0]["direction"] = "sideways"
        status, body, headers = intake(self.server, {"reports": [report(1, 0), bad]})
        self.assertEqual((status, body["__type"]), (400, "InvalidParameterValueException"), body)
        self.assertIn("reports[1].connections[0].direction", body["message"])
        self.assertEqual(headers["X-Amzn-ErrorType"], "InvalidParameterValueException")
        status, body, _ = intake(self.server, b'{"reports": [')
        self.assertEqual((status, body["__type"]), (400, "SerializationException"), body)
        status, body, _ = intake(self.server, b'{"reports":[' + b" " * (8 << 20) + b"]}")
        self.assertEqual((status, body["__type"]), (413, "RequestEntityTooLargeException"), body)
        self.assertEqual(self.server.client().describe_agents()["agentsInfo"], [])

    def test_describe_agents(self):
        self.take_in(report(1, 0), report(1, 1), report(2, 0, health="UNHEALTHY"),
                     report(3, 0, agentType="VMWARE", connectorId="conn-3"))
        c = self.server.client()
        infos = c.describe_agents(agentIds=[agent_id(1), "o-unknownunknown01"])["agentsInfo"]
        self.assertEqual(infos, [{
            "agentId": agent_id(1), "hostName": "py-host-1",
            "agentNetworkInfoList": [{"ipAddress": "10.30.0.1", "macAddress": "02:00:00:00:01:01"}],
            "version": "2.0.1", "health": "HEALTHY", "lastHealthPingTime": "2026-01-01T08:15:00Z",
            "collectionStatus": "STARTED", "agentType": "EC2", "registeredTime": "2026-01-01T08:00:00Z",
        }])
        self.assertEqual(c.describe_agents(agentIds=[agent_id(3)])["agentsInfo"][0]["connectorId"], "conn-3")
        got = c.describe_agents(filters=[{"name": "health", "values": ["UNHEALTHY"], "condition": "EQUALS"}])
        self.assertEqual([a["agentId"] for a in got["agentsInfo"]], [agent_id(2)])
        got = c.describe_agents(filters=[{"name": "hostName", "values": ["py-host-"], "condition": "CONTAINS"},
                                         {"name": "agentType", "values": ["VMWARE"], "condition": "NOT_EQUALS"}])
        self.assertEqual([a["agentId"] for a in got["agentsInfo"]], [agent_id(1), agent_id(2)])
        # Accounts are isolated.
        self.assertEqual(self.server.client(key=OTHER_ACCOUNT).describe_agents()["agentsInfo"], [])

    def test_paginator(self):
        self.take_in(*[report(n, 0) for n in range(1, 6)])
        pages = list(self.server.client().get_paginator("describe_agents").paginate(PaginationConfig={"PageSize": 2}))
        self.assertEqual([len(p["agentsInfo"]) for p in pages], [2, 2, 1])
        self.assertEqual([a["agentId"] for p in pages for a in p["agentsInfo"]], [agent_id(n) for n in range(1, 6)])
        self.assertNotIn("nextToken", pages[-1])

    def test_describe_errors(self):
        c = self.server.client()
        self.assertClientError("InvalidParameterException", c.describe_agents,
                               filters=[{"name": "osName", "values": ["x"], "condition": "EQUALS"}])
        self.assertClientError("InvalidParameterValueException", c.describe_agents,
                               filters=[{"name": "health", "values": ["x"], "condition": "GE"}])
        self.assertClientError("InvalidParameterValueException", c.describe_agents, maxResults=-1)
        self.assertClientError("InvalidParameterValueException", c.describe_agents, nextToken="not-a-token")

    def test_start_stop_and_delete(self):
        self.take_in(report(1, 0), report(2, 0))
        c = self.server.client()
        out = c.stop_data_collection_by_agent_ids(agentIds=[agent_id(1), "o-unknownunknown01"])
        self.assertEqual(out["agentsConfigurationStatus"], [
            {"agentId": agent_id(1), "operationSucceeded": True, "description": "Data collection stopped."},
            {"agentId": "o-unknownunknown01", "operationSucceeded": False,
             "description": "Agent o-unknownunknown01 was not found in this account."},
        ])
        # The stopped agent's data is dropped; its health ping is kept.
        body = self.take_in(report(1, 1))
        self.assertEqual(body["droppedReports"],
                         [{"reportId": "py-1-1", "reason": "data collection is stopped for agent " + agent_id(1)}])
        info = c.describe_agents(agentIds=[agent_id(1)])["agentsInfo"][0]
        self.assertEqual((info["collectionStatus"], info["lastHealthPingTime"]), ("STOPPED", "2026-01-01T08:15:00Z"))

        out = c.batch_delete_agents(deleteAgents=[{"agentId": agent_id(1)}, {"agentId": agent_id(2)},
                                                  {"agentId": "o-unknownunknown01", "force": True}])
        self.assertEqual([(e["agentId"], e["errorCode"]) for e in out["errors"]],
                         [(agent_id(2), "AGENT_IN_USE"), ("o-unknownunknown01", "NOT_FOUND")])
        self.assertEqual(c.batch_delete_agents(deleteAgents=[{"agentId": agent_id(2), "force": True}])["errors"], [])
        self.assertEqual(c.describe_agents()["agentsInfo"], [])

        out = c.start_data_collection_by_agent_ids(agentIds=[agent_id(1)])
        self.assertFalse(out["agentsConfigurationStatus"][0]["operationSucceeded"])
        unchecked = self.server.client(parameter_validation=False)
        self.assertClientError("InvalidParameterValueException", unchecked.batch_delete_agents, deleteAgents=[])


class AgentsStrictTest(harness.ServerTestCase):
    KEY, SECRET_A = "AKIAPOSEIDONAGENTSAA", "agents-secret-a-000000000000000000000000"
    CREDENTIALS = {"identities": [
        {"accessKeyId": KEY, "secretAccessKey": SECRET_A, "accountId": "111111111111"},
        {"accessKeyId": "AKIAPOSEIDONAGENTSRO", "secretAccessKey": "ro", "accountId": "111111111111",
         "allow": ["discovery:Describe*"]},
    ]}
    CONTROL_TOKEN = "agents-token"

    def test_intake_identity(self):
        batch = {"reports": [report(1, 0)]}
        status, body, _ = intake(self.server, batch, sign=False)
        self.assertEqual((status, body["__type"]), (403, "MissingAuthenticationTokenException"), body)
        status, body, _ = intake(self.server, batch, key=self.KEY, secret="wrong")
        self.assertEqual((status, body["__type"]), (403, "InvalidSignatureException"), body)
        status, body, _ = intake(self.server, batch, key="AKIAPOSEIDONAGENTSRO", secret="ro")
        self.assertEqual((status, body["__type"]), (400, "AuthorizationErrorException"), body)
        status, body, _ = intake(self.server, batch, key=self.KEY, secret=self.SECRET_A)
        self.assertEqual((status, body["accepted"]), (200, 1), body)
        c = self.server.client(key=self.KEY, secret=self.SECRET_A)
        self.assertEqual([a["agentId"] for a in c.describe_agents()["agentsInfo"]], [agent_id(1)])


if __name__ == "__main__":
    unittest.main()
