"""Batch deletion of servers through boto3: start_batch_delete_configuration_task
and describe_batch_delete_configuration_task on a fleet sent to POST /_poseidon/intake."""

import time
import unittest

import harness
from harness import OTHER_ACCOUNT
from test_configurations import fleet, post_intake


def wait_task(client, task_id, timeout=10):
    deadline = time.time() + timeout
    while True:
        task = client.describe_batch_delete_configuration_task(taskId=task_id)["task"]
        if task["status"] in ("COMPLETED", "FAILED"):
            return task
        if time.time() > deadline:
            raise AssertionError(f"task {task_id} still {task['status']}")
        time.sleep(0.05)


class BatchDeleteTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        post_intake(self.server, fleet(int(self.server.now()) - 7200))
        self.c = self.server.client()
        servers = self.c.list_configurations(configurationType="SERVER")["configurations"]
        self.ids = {s["server.hostName"]: s["server.configurationId"] for s in servers}

    def test_delete_servers(self):
        web1, db1 = self.ids["web-1.example.com"], self.ids["db-1.example.com"]
        app = self.c.create_application(name="Store")["configurationId"]
        self.c.associate_configuration_items_to_application(applicationConfigurationId=app, configurationIds=[web1, db1])
        self.c.create_tags(configurationIds=[web1], tags=[{"key": "env", "value": "prod"}])
        dead = "d-server-0000000000000dead"

        task_id = self.c.start_batch_delete_configuration_task(
            configurationType="SERVER", configurationIds=[web1, dead])["taskId"]
        task = wait_task(self.c, task_id)
        self.assertEqual(task["status"], "COMPLETED")
        self.assertEqual(task["taskId"], task_id)
        self.assertEqual(task["configurationType"], "SERVER")
        self.assertEqual(task["requestedConfigurations"], [web1, dead])
        self.assertEqual(task["deletedConfigurations"], [web1])
        self.assertEqual([(f["configurationId"], f["errorStatusCode"]) for f in task["failedConfigurations"]], [(dead, 404)])
        self.assertEqual([(w["configurationId"], w["warningCode"]) for w in task["deletionWarnings"]], [(web1, 409)])
        self.assertLessEqual(task["startTime"], task["endTime"])
        self.assertIsNotNone(task["startTime"].tzinfo)

        servers = self.c.list_configurations(configurationType="SERVER")["configurations"]
        self.assertNotIn(web1, [s["server.configurationId"] for s in servers])
        self.assertEqual(len(servers), 2)
        summary = self.c.get_discovery_summary()
        self.assertEqual(summary["servers"], 2)
        self.assertEqual(summary["serversMappedToApplications"], 1)
        self.assertEqual(summary["serversMappedtoTags"], 0)
        self.assertEqual(self.c.describe_tags()["tags"], [])
        self.assertEqual(len(self.c.describe_agents()["agentsInfo"]), 3)

        other = self.server.client(key=OTHER_ACCOUNT)
        self.assertClientError("InvalidParameterValueException", other.describe_batch_delete_configuration_task, taskId=task_id)

    def test_errors(self):
        self.assertClientError("LimitExceededException", self.c.start_batch_delete_configuration_task,
                               configurationType="SERVER", configurationIds=["d-server-0000000000000dead"] * 201)
        self.assertClientError("InvalidParameterValueException", self.c.describe_batch_delete_configuration_task,
                               taskId="00000000-0000-4000-8000-000000000000")
        self.assertClientError("InvalidParameterValueException", self.c.start_batch_delete_configuration_task,
                               configurationType="SERVER", configurationIds=[])


if __name__ == "__main__":
    unittest.main()
