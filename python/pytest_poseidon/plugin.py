"""pytest plugin: the ``poseidon`` fixture.

``poseidon`` (per test) is a :class:`Poseidon`: a poseidon server shared by
the session (``poseidon_server``) seen from an account of the test's own,
with a boto3 client factory, the virtual clock, seeding and reset.
``poseidon_factory`` starts servers of the test's own, with extra
``poseidon serve`` flags.

Settings: the binary is ``--poseidon-bin`` or $POSEIDON_BIN, else built once
per session with ``go build ./cmd/poseidon`` from the source tree ($POSEIDON_SRC,
else found from the rootdir or this file upwards). ``--poseidon-strict`` (or
the ini option ``poseidon_strict = true``) runs the session's server in
strict mode; the ini option ``poseidon_args`` adds ``poseidon serve`` flags.
"""

import datetime
import io
import os
import secrets
import shutil
import tempfile
import time
import urllib.request
import zipfile

import pytest

from .server import DEFAULT_REGION, PoseidonError, Server, build_binary, find_source, usable_binary


def pytest_addoption(parser):
    group = parser.getgroup("poseidon", "poseidon (AWS Application Discovery Service emulator)")
    group.addoption("--poseidon-bin", default=None,
                    help="poseidon binary (default: $POSEIDON_BIN, else go build ./cmd/poseidon once)")
    group.addoption("--poseidon-strict", action="store_true", default=None,
                    help="run the session's poseidon in strict mode (SigV4 checked)")
    parser.addini("poseidon_strict", type="bool", default=False,
                  help="run the session's poseidon in strict mode")
    parser.addini("poseidon_args", type="args", default=[],
                  help="extra 'poseidon serve' flags of the session's server")


class Poseidon:
    """A poseidon server as one account sees it."""

    def __init__(self, server, access_key_id, secret_access_key, account_id):
        self.server = server
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.account_id = account_id
        self.clock_moved = False

    @property
    def endpoint(self):
        """The endpoint URL, http://127.0.0.1:PORT."""
        return self.server.url

    @property
    def region(self):
        return self.server.region

    @property
    def strict(self):
        return self.server.strict

    @property
    def control_token(self):
        return self.server.control_token

    def client_kwargs(self):
        """Keyword arguments of boto3.client / Session.client for this server
        and account: endpoint, region and credentials, explicit."""
        return dict(endpoint_url=self.endpoint, region_name=self.region,
                    aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key)

    def client(self, service="discovery", **config):
        """A boto3 client of service ("discovery", "migrationhub-config")
        for this server and account, without retries unless config says
        otherwise (botocore Config keyword arguments)."""
        import boto3
        from botocore.config import Config

        config.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
        # A session of its own: no profile, no shared config file settings.
        session = boto3.session.Session()
        return session.client(service, config=Config(**config), **self.client_kwargs())

    # -- clock -----------------------------------------------------------
    def now(self):
        """The server's virtual clock (an aware UTC datetime)."""
        return self.server.now()

    def set_clock(self, when):
        """Set the virtual clock to when (aware datetime or epoch seconds)."""
        self.clock_moved = True
        return self.server.set_clock(when)

    def advance(self, delta):
        """Move the virtual clock by delta (timedelta or seconds)."""
        self.clock_moved = True
        return self.server.advance(delta)

    # -- data ------------------------------------------------------------
    def seed(self, servers=10, hours=1, seed=1, end=None):
        """Send a simulated fleet to this account through the intake
        endpoint ("poseidon seed"); returns its agent IDs."""
        return self.server.seed(self.access_key_id, self.secret_access_key, servers=servers, hours=hours,
                                seed=seed, end=end)

    def reset(self):
        """Wipe this account's data, tasks and files."""
        self.server.reset(self.account_id)

    def reset_all(self):
        """Wipe the whole store (every account) and put the clock back."""
        self.server.reset()

    def control(self, method, path, body=None, check=True):
        """Call the control API at /_poseidon/<path> (with the token)."""
        return self.server.control(method, path, body, check=check)

    # -- exports ---------------------------------------------------------
    def wait_export(self, client, export_id, timeout=60):
        """Poll DescribeExportTasks until the export leaves IN_PROGRESS (up
        to timeout seconds of real time); returns its exportsInfo entry."""
        deadline = time.monotonic() + timeout
        while True:
            info = client.describe_export_tasks(exportIds=[export_id])["exportsInfo"][0]
            if info["exportStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
                return info
            time.sleep(0.05)

    @staticmethod
    def download(url):
        """GET a presigned download URL; returns the body (raises on an HTTP error)."""
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.read()

    def download_zip(self, url):
        """The zipfile.ZipFile of a presigned export URL."""
        return zipfile.ZipFile(io.BytesIO(self.download(url)))


def _random_account():
    # 12 digits, not starting with 0 (000000000000 is the default account).
    return str(secrets.randbelow(9 * 10**11) + 10**11)


@pytest.fixture(scope="session")
def poseidon_binary(request):
    """Path of the poseidon binary the fixtures run."""
    option = request.config.getoption("poseidon_bin")
    if option:
        return usable_binary(option, "--poseidon-bin")
    if os.environ.get("POSEIDON_BIN"):
        return usable_binary(os.environ["POSEIDON_BIN"], "POSEIDON_BIN")
    src = find_source(str(request.config.rootpath), __file__)
    if src is None:
        raise PoseidonError("no poseidon binary: set POSEIDON_BIN, --poseidon-bin, or POSEIDON_SRC "
                            "(a checkout of github.com/poseidon-ads/poseidon to build)")
    out_dir = tempfile.mkdtemp(prefix="pytest-poseidon-bin-")
    request.addfinalizer(lambda: shutil.rmtree(out_dir, ignore_errors=True))
    return build_binary(src, out_dir)


@pytest.fixture(scope="session")
def poseidon_server(request, poseidon_binary):
    """The session's poseidon server (a :class:`pytest_poseidon.server.Server`)."""
    strict = request.config.getoption("poseidon_strict") or request.config.getini("poseidon_strict")
    server = Server(poseidon_binary, request.config.getini("poseidon_args"), strict=bool(strict))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def poseidon(poseidon_server):
    """The session's poseidon as a fresh account sees it.

    Open mode: a new random 12-digit account per test (its access key ID),
    so no test sees another's data. Strict mode (one identity): the whole
    store is reset before the test. A test that moved the clock has it put
    back to real time afterwards.
    """
    if poseidon_server.strict:
        poseidon_server.reset()
        p = Poseidon(poseidon_server, poseidon_server.access_key_id, poseidon_server.secret_access_key,
                     poseidon_server.account_id)
    else:
        account = _random_account()
        p = Poseidon(poseidon_server, account, "pytest-poseidon", account)
    yield p
    if p.clock_moved:
        poseidon_server.set_clock(datetime.datetime.now(datetime.timezone.utc))


@pytest.fixture
def poseidon_factory(poseidon_binary):
    """Start poseidon servers of the test's own: ``poseidon_factory(*flags,
    strict=False, region="us-west-2")`` returns a :class:`Poseidon`; each is
    stopped after the test."""
    servers = []

    def start(*flags, strict=False, region=DEFAULT_REGION):
        server = Server(poseidon_binary, flags, strict=strict, region=region)
        servers.append(server)
        server.start()
        if strict:
            return Poseidon(server, server.access_key_id, server.secret_access_key, server.account_id)
        account = _random_account()
        return Poseidon(server, account, "pytest-poseidon", account)

    yield start
    for s in servers:
        s.stop()
