"""Applications through boto3: create_application, update_application, the associate and
disassociate calls and delete_applications, read back with the list_configurations
paginator (APPLICATION), describe_configurations and get_discovery_summary."""

import json
import unittest

import harness
from harness import OTHER_ACCOUNT
from test_configurations import fleet, post_intake


class ApplicationsTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        post_intake(self.server, fleet(int(self.server.now()) - 7200))
        self.c = self.server.client()
        servers = self.c.list_configurations(configurationType="SERVER")["configurations"]
        self.ids = {s["server.hostName"]: s["server.configurationId"] for s in servers}
        self.web1, self.db1 = self.ids["web-1.example.com"], self.ids["db-1.example.com"]

    def list_apps(self):
        pages = list(self.c.get_paginator("list_configurations").paginate(
            configurationType="APPLICATION", PaginationConfig={"PageSize": 1}))
        return {a["application.configurationId"]: a for p in pages for a in p["configurations"]}

    def test_lifecycle(self):
        ids = [self.c.create_application(name=f"app-{i}", description="d" if i == 0 else "")["configurationId"]
               for i in range(3)]
        for i in ids:
            self.assertRegex(i, r"^d-application-[0-9a-f]{17}$")
        apps = self.list_apps()
        self.assertEqual(sorted(apps), sorted(ids))
        self.assertEqual(apps[ids[0]]["application.name"], "app-0")
        self.assertEqual(apps[ids[0]]["application.serverCount"], "0")

        self.c.associate_configuration_items_to_application(
            applicationConfigurationId=ids[0], configurationIds=[self.web1, self.db1])
        self.server.advance(60)
        self.c.update_application(configurationId=ids[0], name="payments")
        self.assertEqual(self.list_apps()[ids[0]]["application.serverCount"], "2")
        d = self.c.describe_configurations(configurationIds=[ids[0]])["configurations"][0]
        self.assertEqual(d["application.name"], "payments")
        self.assertNotEqual(d["application.lastModifiedTime"], d["application.timeOfCreation"])
        web1 = self.c.describe_configurations(configurationIds=[self.web1])["configurations"][0]
        self.assertEqual([a["name"] for a in json.loads(web1["server.applications"])], ["payments"])
        s = self.c.get_discovery_summary()
        self.assertEqual((s["applications"], s["serversMappedToApplications"]), (3, 2))

        self.c.disassociate_configuration_items_from_application(
            applicationConfigurationId=ids[0], configurationIds=[self.db1])
        self.assertEqual(self.list_apps()[ids[0]]["application.serverCount"], "1")

        self.c.delete_applications(configurationIds=ids[:2])
        self.assertEqual(list(self.list_apps()), ids[2:])
        s = self.c.get_discovery_summary()
        self.assertEqual((s["applications"], s["serversMappedToApplications"]), (1, 0))

    def test_errors(self):
        app = self.c.create_application(name="a")["configurationId"]
        ghost = "d-application-0000000000000dead"
        errors = self.c.exceptions
        with self.assertRaises(errors.InvalidParameterValueException):
            self.c.update_application(configurationId=ghost, name="x")
        with self.assertRaises(errors.InvalidParameterValueException):
            self.c.delete_applications(configurationIds=[app, ghost])
        with self.assertRaises(errors.InvalidParameterValueException) as cm:
            self.c.associate_configuration_items_to_application(
                applicationConfigurationId=app, configurationIds=[self.web1, "d-server-0000000000000dead"])
        self.assertIn("d-server-0000000000000dead", str(cm.exception))
        with self.assertRaises(errors.InvalidParameterValueException):
            self.c.disassociate_configuration_items_from_application(
                applicationConfigurationId=ghost, configurationIds=[self.web1])
        # Another account cannot see or change the application.
        other = self.server.client(key=OTHER_ACCOUNT)
        with self.assertRaises(other.exceptions.InvalidParameterValueException):
            other.delete_applications(configurationIds=[app])
        self.assertEqual(self.list_apps()[app]["application.serverCount"], "0")


if __name__ == "__main__":
    unittest.main()
