"""Example: test code that exports agent data from ADS with boto3, against
poseidon, through the ``poseidon`` fixture of pytest-poseidon."""

import csv
import datetime
import io


def test_agent_export(poseidon_factory):
    # A server of this test's own that holds each export IN_PROGRESS for ten
    # minutes of its virtual clock, as AWS takes minutes.
    poseidon = poseidon_factory("--export-delay", "10m")
    agents = poseidon.seed(servers=3, hours=1)
    ads = poseidon.client("discovery")

    export_id = ads.start_export_task(
        filters=[{"name": "agentIds", "values": [agents[0]], "condition": "EQUALS"}])["exportId"]
    info = ads.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]
    assert info["exportStatus"] == "IN_PROGRESS"

    # Ten minutes pass at once, instead of waiting.
    poseidon.advance(datetime.timedelta(minutes=10))
    info = poseidon.wait_export(ads, export_id)
    assert info["exportStatus"] == "SUCCEEDED", info

    archive = poseidon.download_zip(info["configurationsDownloadUrl"])
    os_info = [n for n in archive.namelist() if n.endswith("osInfo.csv")]
    assert os_info, archive.namelist()
    rows = list(csv.DictReader(io.TextIOWrapper(archive.open(os_info[0]), encoding="utf-8")))
    assert {r["agentId"] for r in rows} == {agents[0]}, rows[:2]


def test_summary_export(poseidon):
    # The session's server, seen from an account of this test's own.
    poseidon.seed(servers=5)
    ads = poseidon.client()
    export_id = ads.start_export_task()["exportId"]
    info = poseidon.wait_export(ads, export_id)
    assert info["exportStatus"] == "SUCCEEDED", info
    assert any(n.endswith("Server.csv") for n in poseidon.download_zip(info["configurationsDownloadUrl"]).namelist())
