"""Tags through boto3: create_tags, describe_tags (filters and its paginator) and
delete_tags on a fleet sent to POST /_poseidon/intake, with their modeled errors."""

import unittest

import harness
from harness import OTHER_ACCOUNT
from test_configurations import seed_fleet


class TagsTest(harness.ServerTestCase):

    def setUp(self):
        super().setUp()
        ids = seed_fleet(self.server)
        self.c = self.server.client()
        self.web1, self.db1, self.web2 = (ids[h] for h in ("web-1.example.com", "db-1.example.com", "web-2.example.com"))

    def all_tags(self, **kwargs):
        pages = list(self.c.get_paginator("describe_tags").paginate(
            PaginationConfig={"PageSize": 2}, **kwargs))
        for p in pages:
            self.assertLessEqual(len(p["tags"]), 2)
        rows = [f'{t["configurationId"]} {t["key"]}={t["value"]}' for p in pages for t in p["tags"]]
        return rows, len(pages)

    def test_create_describe_delete(self):
        self.c.create_tags(configurationIds=[self.web1, self.db1], tags=[{"key": "env", "value": "prod"}])
        self.c.create_tags(configurationIds=[self.web1], tags=[{"key": "role", "value": "web"},
                                                               {"key": "env", "value": "prod"}])
        rows, pages = self.all_tags()
        self.assertEqual(rows, sorted([f"{self.db1} env=prod", f"{self.web1} env=prod", f"{self.web1} role=web"]))
        self.assertEqual(pages, 2)

        one = self.c.describe_tags(filters=[{"name": "configurationId", "values": [self.web1]},
                                            {"name": "tagKey", "values": ["role"]}])["tags"]
        self.assertEqual(len(one), 1)
        self.assertEqual(one[0]["configurationType"], "SERVER")
        self.assertEqual((one[0]["key"], one[0]["value"]), ("role", "web"))
        self.assertIsNotNone(one[0]["timeOfCreation"].tzinfo)
        self.assertNotIn("nextToken", self.c.describe_tags(filters=[{"name": "tagValue", "values": ["prod"]}]))

        rows, _ = self.all_tags(filters=[{"name": "tagValue", "values": ["prod", "web"]}])
        self.assertEqual(len(rows), 3)

        summary = self.c.get_discovery_summary()
        self.assertEqual(summary["serversMappedtoTags"], 2)

        self.c.delete_tags(configurationIds=[self.web1], tags=[{"key": "role", "value": "web"}])
        self.c.delete_tags(configurationIds=[self.db1])
        rows, _ = self.all_tags()
        self.assertEqual(rows, [f"{self.web1} env=prod"])
        self.assertEqual(self.c.get_discovery_summary()["serversMappedtoTags"], 1)
        other = self.server.client(key=OTHER_ACCOUNT)
        self.assertEqual(other.describe_tags()["tags"], [])

    def test_errors(self):
        self.c.create_tags(configurationIds=[self.web1], tags=[{"key": "env", "value": "prod"}])
        other_server = self.server.client(key=OTHER_ACCOUNT).list_configurations(
            configurationType="SERVER")["configurations"][0]["server.configurationId"]
        for bad in ["d-server-0000000000000dead", other_server]:
            self.assertClientError("ResourceNotFoundException", self.c.create_tags,
                                   configurationIds=[self.web2, bad], tags=[{"key": "k", "value": "v"}])
            self.assertClientError("ResourceNotFoundException", self.c.delete_tags,
                                   configurationIds=[self.web1, bad])
        rows, _ = self.all_tags()
        self.assertEqual(rows, [f"{self.web1} env=prod"])
        self.assertClientError("InvalidParameterException", self.c.describe_tags,
                               filters=[{"name": "hostName", "values": ["x"]}])
        self.assertClientError("InvalidParameterValueException", self.c.describe_tags, maxResults=-1)
        self.assertClientError("InvalidParameterValueException", self.c.describe_tags, nextToken="garbage")
        self.assertClientError("InvalidParameterValueException", self.c.create_tags,
                               configurationIds=[self.web1], tags=[])


if __name__ == "__main__":
    unittest.main()
