"""The fixture's own behaviour: isolation, reset, clock, strict mode."""

import datetime
import urllib.error

import boto3
import pytest

from pytest_poseidon.server import PoseidonError, usable_binary

SEEN = {}


def agent_count(client):
    return sum(len(p["agentsInfo"]) for p in client.get_paginator("describe_agents").paginate())


@pytest.mark.parametrize("run", [1, 2])
def test_fresh_account_per_test(poseidon, run):
    # Each test has an account of its own on the shared server: the agents
    # seeded by the first run are not seen by the second.
    assert poseidon.account_id not in SEEN.values()
    SEEN[run] = poseidon.account_id
    ads = poseidon.client()
    assert agent_count(ads) == 0
    poseidon.seed(servers=4)
    assert agent_count(ads) == 4


def test_reset_wipes_the_account(poseidon):
    ads = poseidon.client()
    poseidon.seed(servers=3)
    assert agent_count(ads) == 3
    poseidon.reset()
    assert agent_count(ads) == 0


def test_clock_moves_expiry(poseidon):
    agents = poseidon.seed(servers=2)
    ads = poseidon.client()
    export_id = ads.start_export_task(
        filters=[{"name": "agentIds", "values": [agents[0]], "condition": "EQUALS"}])["exportId"]
    info = poseidon.wait_export(ads, export_id)
    assert info["exportStatus"] == "SUCCEEDED", info
    url = info["configurationsDownloadUrl"]
    assert poseidon.download(url)
    before = poseidon.now()
    after = poseidon.advance(datetime.timedelta(hours=24, minutes=1))
    assert after - before >= datetime.timedelta(hours=24, minutes=1)
    with pytest.raises(urllib.error.HTTPError) as e:
        poseidon.download(url)
    assert e.value.code == 403
    poseidon.set_clock(before)
    assert poseidon.download(url)


def test_clock_put_back_after_a_test(poseidon):
    # test_clock_moves_expiry moved the shared server's clock; it was put
    # back to real time when that test ended.
    drift = abs(poseidon.now() - datetime.datetime.now(datetime.timezone.utc))
    assert drift < datetime.timedelta(hours=1)


def test_strict_server(poseidon_factory):
    strict = poseidon_factory(strict=True)
    assert strict.strict and strict.control_token
    strict.seed(servers=2)
    assert agent_count(strict.client()) == 2
    kwargs = dict(strict.client_kwargs(), aws_secret_access_key="not-the-secret")
    forged = boto3.session.Session().client("discovery", **kwargs)
    with pytest.raises(forged.exceptions.ClientError) as e:
        forged.describe_agents()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    status, _ = strict.server.control("POST", "reset", {}, check=True)
    assert status == 200
    strict.server.control_token, token = None, strict.server.control_token
    try:
        status, _ = strict.control("GET", "clock", check=False)
    finally:
        strict.server.control_token = token
    assert status in (401, 403)


def test_binary_setting_names_what_is_wrong(tmp_path, poseidon_binary):
    # A POSEIDON_BIN naming no file, or a file that is not executable, is
    # refused with the setting, the path and the build line (not a
    # FileNotFoundError from subprocess); a built binary is accepted.
    missing = tmp_path / "nope" / "poseidon"
    with pytest.raises(PoseidonError, match=r"POSEIDON_BIN=.*/nope/poseidon: that file does not exist.*go build"):
        usable_binary(str(missing), "POSEIDON_BIN")
    plain = tmp_path / "poseidon"
    plain.write_text("not a program")
    with pytest.raises(PoseidonError, match=r"--poseidon-bin=.*: that file is not executable"):
        usable_binary(str(plain), "--poseidon-bin")
    assert usable_binary(poseidon_binary, "POSEIDON_BIN") == poseidon_binary
