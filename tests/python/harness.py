"""Test harness for the poseidon black-box Python suite.

* builds the poseidon binary once per test run (``go build`` into a temp dir),
  unless ``POSEIDON_BIN`` names a prebuilt binary;
* starts ``poseidon serve`` on a free port with a fresh data directory (and any
  extra flags), waits for ``GET /_poseidon/health``, and stops it with SIGTERM
  (then SIGKILL) at teardown; with ``POSEIDON_TEST_STORE=postgres`` the server
  keeps its state in a PostgreSQL schema of its data directory's own
  (``--database-url``), made and dropped with the pgschema command;
* makes boto3 clients with explicit credentials, region and endpoint and no
  retries, runs the ``aws`` CLI, and talks to the control API;
* when $POSEIDON_CONFORMANCE_LOG names a file, logs every API response that a
  boto3 client of make_client or the CLI of run_aws receives to it, one JSON
  line each (see aws_logged.py); tests/python/run.sh then checks the file with
  ``go run ./internal/conformance/checklog``.

Nothing here reads ~/.aws: the config and credentials files are pointed at
/dev/null both for this process and for every subprocess.
"""

import atexit
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

# Ignore any local AWS configuration, in-process and in subprocesses.
for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"

import boto3  # noqa: E402  (after the environment is cleaned)
import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402

import aws_logged  # noqa: E402  (response logging for the conformance check)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The process handling of the pytest plugin (python/pytest_poseidon/server.py,
# which needs nothing but the standard library), from the source tree.
sys.path.insert(0, os.path.join(REPO_ROOT, "python"))
from pytest_poseidon.server import build_binary, start_process, stop_process  # noqa: E402

# Default open-mode identity: a 12-digit access key id is the account.
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "us-west-2"
SECRET = "poseidon-test-secret"

SUMMARY_FILES = [
    "Application",
    "ApplicationResourceAssociation",
    "ImportTemplate",
    "NetworkInterface",
    "Server",
    "SystemPerformance",
    "Tags",
    "VMwareInfo",
]

SUCCEEDED_MESSAGE = (
    "Data export ran successfully and is accessible from the download URL. "
    "The URL will expire in 24 hours. The export data expires in 10 days."
)

UNKNOWN_AGENT = "o-0123456789abcdef0"

_build_lock = threading.Lock()
_binary = None


def binary():
    """Path of the poseidon binary: $POSEIDON_BIN, or built once per run."""
    global _binary
    with _build_lock:
        if _binary:
            return _binary
        env_bin = os.environ.get("POSEIDON_BIN")
        if env_bin:
            if not os.access(env_bin, os.X_OK):
                raise RuntimeError(f"POSEIDON_BIN={env_bin} is not an executable file")
            _binary = env_bin
            return _binary
        build_dir = tempfile.mkdtemp(prefix="poseidon-bin-")
        atexit.register(shutil.rmtree, build_dir, True)
        _binary = build_binary(REPO_ROOT, build_dir)
        return _binary


def _server_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSEIDON_")}
    return env


# With POSEIDON_TEST_STORE=postgres each server keeps its state in PostgreSQL
# (--database-url), on the test server of internal/postgres/pgtestdb
# (POSEIDON_TEST_DATABASE_URL), in a schema of its data directory's own: made
# by the first server on that directory (by the pgschema command, built once
# unless $POSEIDON_PGSCHEMA_BIN names it), kept across its restarts, and
# dropped when this process exits. The schemas are named
# <POSEIDON_PGSCHEMA_PREFIX or "py">_<pid>_<random>.
ON_POSTGRES = os.environ.get("POSEIDON_TEST_STORE", "") == "postgres"
_pg_lock = threading.Lock()
_pg_schemas = {}  # data directory -> database URL
_pg_bin = None
_pg_prefix = f"{os.environ.get('POSEIDON_PGSCHEMA_PREFIX') or 'py'}_{os.getpid()}"


def _pgschema(*args):
    """Run the pgschema command; return its output."""
    global _pg_bin
    if _pg_bin is None:
        _pg_bin = os.environ.get("POSEIDON_PGSCHEMA_BIN")
        if not _pg_bin:
            build_dir = tempfile.mkdtemp(prefix="poseidon-pgschema-")
            atexit.register(shutil.rmtree, build_dir, True)
            out = os.path.join(build_dir, "pgschema")
            proc = subprocess.run(["go", "build", "-o", out, "./internal/postgres/pgtestdb/pgschema"],
                                  cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"go build pgschema failed:\n{proc.stdout}\n{proc.stderr}")
            _pg_bin = out
    proc = subprocess.run([_pg_bin, *args], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"pgschema {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _drop_schemas():
    with _pg_lock:
        if _pg_schemas:
            _pgschema("drop", _pg_prefix)
            _pg_schemas.clear()


def store_exec(server, sql, rows):
    """Run sql (with ? placeholders) once per row of arguments in the store of
    server: its SQLite file, or its PostgreSQL schema (through pgschema exec)."""
    data = server.data_dir or os.path.join(server.tmp, "data")
    if ON_POSTGRES:
        for row in rows:
            _pgschema("exec", database_url(data), sql, *(str(v) for v in row))
        return
    con = sqlite3.connect(os.path.join(data, "poseidon.db"), timeout=10)
    try:
        con.executemany(sql, rows)
        con.commit()
    finally:
        con.close()


def database_url(data_dir):
    """The database URL of a server on data_dir under POSEIDON_TEST_STORE=postgres."""
    key = os.path.realpath(data_dir)
    with _pg_lock:
        if key not in _pg_schemas:
            _pg_schemas[key] = _pgschema("create", _pg_prefix)
            if len(_pg_schemas) == 1:
                # After pgschema's build directory: atexit runs this first.
                atexit.register(_drop_schemas)
        return _pg_schemas[key]


class Server:
    """One running poseidon process with its own data directory."""

    def __init__(self, *extra_args, credentials=None, control_token=None, data_dir=None, port=0):
        """data_dir: reuse this data directory (kept at stop); port: 0 picks a free one."""
        self.extra_args = list(extra_args)
        self.data_dir = data_dir
        self.port = port
        self.credentials = credentials
        self.control_token = control_token
        self.proc = None
        self.url = None
        self.tmp = None
        self.stdout_lines = []
        self.stderr_lines = []
        self._threads = []
        self.returncode = None
        self.killed = False

    # -- lifecycle -------------------------------------------------------
    def start(self, timeout=20):
        self.tmp = tempfile.mkdtemp(prefix="poseidon-py-")
        data = self.data_dir or os.path.join(self.tmp, "data")
        args = [binary(), "serve", "--addr", f"127.0.0.1:{self.port}", "--data", data]
        if ON_POSTGRES:
            args += ["--database-url", database_url(data)]
        if self.credentials is not None:
            cred_path = os.path.join(self.tmp, "credentials.json")
            with open(cred_path, "w") as f:
                json.dump(self.credentials, f)
            args += ["--credentials", cred_path]
        if self.control_token is not None:
            args += ["--control-token", self.control_token]
        args += self.extra_args
        self.proc, self.url, self._threads = start_process(
            args, _server_env(), self.tmp, self.stdout_lines, self.stderr_lines, timeout)
        if self.url is None:
            self.stop()
            raise RuntimeError("poseidon did not start: " + self.output())
        # Strict mode without a control token turns the control API off, so any
        # HTTP answer from /_poseidon/health then means "listening".
        control_off = self.credentials is not None and self.control_token is None
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                status, _ = self.control("GET", "health")
                if status == 200 or control_off:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("poseidon health check never answered 200: " + self.output())

    def stop(self):
        if self.proc is not None:
            if stop_process(self.proc, self._threads, grace=5):
                self.killed = True
            self.returncode = self.proc.returncode
        self.proc = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def output(self):
        return "stdout:\n" + "".join(self.stdout_lines) + "\nstderr:\n" + "".join(self.stderr_lines[-40:])

    # -- control API -----------------------------------------------------
    def control(self, method, path, body=None, token="default"):
        """Call /_poseidon/<path>. Returns (status, parsed JSON or raw text)."""
        if token == "default":
            token = self.control_token
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        req = urllib.request.Request(self.url + "/_poseidon/" + path, data=data,
                                     headers=headers, method=method)
        return http_call(req)

    def reset(self):
        status, body = self.control("POST", "reset", {})
        if status != 200:
            raise AssertionError(f"reset failed: {status} {body}")

    def now(self):
        status, body = self.control("GET", "clock")
        if status != 200:
            raise AssertionError(f"clock failed: {status} {body}")
        return float(body["epochSeconds"])

    def advance(self, seconds):
        status, body = self.control("POST", "clock", {"advanceSeconds": seconds})
        if status != 200:
            raise AssertionError(f"clock advance failed: {status} {body}")
        return body

    # -- clients ---------------------------------------------------------
    def client(self, service="discovery", key=ACCOUNT, secret=SECRET, region=REGION, **config):
        return make_client(self.url, service, key, secret, region, **config)

    def aws(self, *args, key=ACCOUNT, secret=SECRET, region=REGION):
        return run_aws(self.url, list(args), key, secret, region)


def http_call(req, timeout=10):
    """urllib request → (status, parsed JSON or text); HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw, headers = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, raw, headers = e.code, e.read(), e.headers
    ctype = headers.get("Content-Type", "") if headers else ""
    if "json" in ctype:
        try:
            return status, json.loads(raw)
        except ValueError:
            pass
    try:
        return status, raw.decode()
    except UnicodeDecodeError:
        return status, raw


def http_get(url, timeout=10):
    """Plain GET → (status, body bytes, headers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def make_client(endpoint_url, service="discovery", key=ACCOUNT, secret=SECRET, region=REGION, **config):
    session = boto3.session.Session(botocore_session=botocore.session.Session())
    # total_max_attempts=1: one attempt, no retries. (retries={"max_attempts": 1} would
    # allow one *retry*: botocore counts max_attempts without the first request, and
    # its legacy mode retries HTTP 429.)
    cfg = Config(retries={"total_max_attempts": 1}, **config)
    client = session.client(
        service, region_name=region, endpoint_url=endpoint_url,
        aws_access_key_id=key, aws_secret_access_key=secret, config=cfg,
    )
    aws_logged.register(client.meta.events)
    return client


def aws_cli_available():
    return shutil.which("aws") is not None


_cli_python = None


def _aws_command():
    """The argv prefix that runs the aws CLI.

    With $POSEIDON_CONFORMANCE_LOG set: this interpreter running aws_logged.py (the
    CLI's own entry point code plus response logging), if it can import awscli.
    Otherwise the plain `aws` command.
    """
    global _cli_python
    if not aws_logged.log_path():
        return ["aws"]
    if _cli_python is None:
        _cli_python = importlib.util.find_spec("awscli") is not None
        if not _cli_python:
            print("harness: awscli is not importable by " + sys.executable
                  + "; aws CLI responses are not logged for the conformance check", file=sys.stderr)
    if not _cli_python:
        return ["aws"]
    return [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "aws_logged.py")]


def aws_env(key, secret):
    """The environment the aws CLI runs with: this process's, without any AWS_
    setting, plus the credentials and no config files, retries or pager."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    })
    return env


def run_aws(endpoint_url, args, key=ACCOUNT, secret=SECRET, region=REGION, timeout=60):
    """Run `aws --endpoint-url E --region R --output json ARGS...`.

    Returns (rc, parsed JSON) on success (None for empty output), (rc, stderr) on failure.
    """
    env = aws_env(key, secret)
    cmd = _aws_command() + ["--endpoint-url", endpoint_url, "--region", region, "--output", "json"] + args
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        return proc.returncode, proc.stderr
    out = proc.stdout.strip()
    return 0, (json.loads(out) if out else None)


def wait_export(client, export_id, timeout=15, describe="describe_export_tasks"):
    """Poll until the export leaves IN_PROGRESS; return its ExportInfo."""
    deadline = time.time() + timeout
    while True:
        resp = getattr(client, describe)(exportIds=[export_id])
        infos = resp["exportsInfo"]
        if len(infos) != 1:
            raise AssertionError(f"expected one ExportInfo for {export_id}, got {infos}")
        info = infos[0]
        if info["exportStatus"] != "IN_PROGRESS":
            return info
        if time.time() > deadline:
            raise AssertionError(f"export {export_id} still IN_PROGRESS after {timeout}s: {info}")
        time.sleep(0.05)


def agent_filter(agent=UNKNOWN_AGENT, name="agentIds"):
    return [{"name": name, "values": [agent], "condition": "EQUALS"}]


class ServerTestCase(unittest.TestCase):
    """One server per test class (flags from SERVER_ARGS), state reset before each test."""

    SERVER_ARGS = ("--no-limits",)
    CREDENTIALS = None
    CONTROL_TOKEN = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(*cls.SERVER_ARGS, credentials=cls.CREDENTIALS,
                            control_token=cls.CONTROL_TOKEN).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()
        # SIGTERM must shut the server down cleanly, without SIGKILL.
        if cls.server.killed or cls.server.returncode != 0:
            raise AssertionError(
                f"poseidon did not exit cleanly on SIGTERM (rc={cls.server.returncode}, "
                f"killed={cls.server.killed}):\n{cls.server.output()}")

    def setUp(self):
        super().setUp()
        self.server.reset()

    # -- assertions -------------------------------------------------------
    def assertClientError(self, code, fn, *args, status=400, **kwargs):
        """fn(*args, **kwargs) must raise a botocore ClientError with this code and status.

        status: an int, a tuple of allowed ints, or "4xx" for any client-error status.
        """
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        got = err["ResponseMetadata"]["HTTPStatusCode"]
        if status == "4xx":
            self.assertTrue(400 <= got < 500, err)
        elif isinstance(status, tuple):
            self.assertIn(got, status, err)
        else:
            self.assertEqual(got, status, err)
        self.assertTrue(err["Error"].get("Message"), f"error without message: {err}")
        rid = err["ResponseMetadata"].get("RequestId")
        self.assertTrue(rid, f"error without x-amzn-requestid: {err}")
        headers = err["ResponseMetadata"]["HTTPHeaders"]
        if "x-amzn-errortype" in headers:
            self.assertEqual(headers["x-amzn-errortype"], code)
        return cm.exception
