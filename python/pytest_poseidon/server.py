"""Run a poseidon server process and talk to its control API.

Nothing here imports pytest: the plugin (plugin.py) builds its fixtures on it.
"""

import datetime
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

MODULE = "github.com/poseidon-ads/poseidon"

DEFAULT_REGION = "us-west-2"
# The account of strict mode's identity (open mode gives each test a random one).
STRICT_ACCOUNT = "123456789012"


class PoseidonError(RuntimeError):
    """poseidon could not be built, started, or refused a control call."""


def find_source(*starts):
    """The root of a poseidon source tree: $POSEIDON_SRC, else the first
    directory, from each start upwards, whose go.mod declares the module."""
    env = os.environ.get("POSEIDON_SRC")
    if env:
        return env
    for start in starts:
        d = os.path.abspath(start)
        while True:
            try:
                with open(os.path.join(d, "go.mod")) as f:
                    if re.search(r"^module\s+" + re.escape(MODULE) + r"\s*$", f.read(), re.M):
                        return d
            except OSError:
                pass
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    return None


def usable_binary(path, setting):
    """path if it names an executable file, else a PoseidonError that says
    which setting (POSEIDON_BIN, --poseidon-bin) named what, and how to
    build the binary."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    what = "is not executable" if os.path.isfile(path) else "does not exist"
    raise PoseidonError(
        f"{setting}={path}: that file {what}. Build poseidon from a checkout with "
        "`go build -o bin/poseidon ./cmd/poseidon` and give its absolute path, or unset "
        f"{setting} to let the plugin build it (from POSEIDON_SRC or the checkout it runs in)")


def build_binary(src, out_dir):
    """go build ./cmd/poseidon of the tree at src into out_dir; returns the path."""
    if shutil.which("go") is None:
        raise PoseidonError("go is not on PATH: set POSEIDON_BIN to a built poseidon binary")
    out = os.path.join(out_dir, "poseidon")
    proc = subprocess.run(["go", "build", "-o", out, "./cmd/poseidon"], cwd=src,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise PoseidonError(f"go build ./cmd/poseidon in {src} failed:\n{proc.stdout}{proc.stderr}")
    return out


def _epoch(when):
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            raise ValueError("give an aware datetime (tzinfo=datetime.timezone.utc)")
        return when.timestamp()
    return float(when)


def _datetime(epoch_seconds):
    return datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.timezone.utc)


def start_process(argv, env, cwd, stdout_lines, stderr_lines, timeout):
    """Start "poseidon serve" (argv), pumping its stdout and stderr lines
    into the two lists from daemon threads, and wait up to timeout seconds
    for its "poseidon listening on URL" line. Returns (process, URL or None
    if it never came, threads); stop it with stop_process."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    ready = threading.Event()
    found = []

    def pump_stdout():
        for line in proc.stdout:
            stdout_lines.append(line)
            m = re.search(r"poseidon listening on (http://\S+)", line)
            if m and not found:
                found.append(m.group(1))
                ready.set()
        ready.set()

    def pump_stderr():
        for line in proc.stderr:
            stderr_lines.append(line)

    threads = [threading.Thread(target=pump_stdout, daemon=True), threading.Thread(target=pump_stderr, daemon=True)]
    for t in threads:
        t.start()
    ready.wait(timeout)
    return proc, (found[0] if found else None), threads


def stop_process(proc, threads, grace):
    """SIGTERM (the server drains its requests), SIGKILL after grace
    seconds; wait for the process and its pump threads. Returns whether it
    had to be killed."""
    killed = False
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            killed = True
            proc.kill()
            proc.wait(timeout=grace)
    for t in threads:
        t.join(timeout=5)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    return killed


class Server:
    """One poseidon process ("poseidon serve") on a free port of 127.0.0.1,
    with a data directory of its own, removed at stop."""

    def __init__(self, binary, args=(), strict=False, region=DEFAULT_REGION):
        self.binary = binary
        self.args = list(args)
        self.strict = strict
        self.region = region
        self.url = None
        self.control_token = None
        # strict mode: the one identity of the credentials file
        self.access_key_id = self.secret_access_key = self.account_id = None
        self._proc = None
        self._tmp = None
        self._stderr = []
        self._threads = []

    def start(self, timeout=60):
        self._tmp = tempfile.mkdtemp(prefix="pytest-poseidon-")
        argv = [self.binary, "serve", "--addr", "127.0.0.1:0", "--data", os.path.join(self._tmp, "data"),
                "--home-region", self.region, "--log-level", "warn"]
        if self.strict:
            self.access_key_id = "AKIAPY" + secrets.token_hex(7).upper()
            self.secret_access_key = secrets.token_hex(20)
            self.account_id = STRICT_ACCOUNT
            self.control_token = "pytest-poseidon-" + secrets.token_hex(16)
            creds = os.path.join(self._tmp, "credentials.json")
            with open(creds, "w") as f:
                json.dump({"identities": [{"accessKeyId": self.access_key_id,
                                           "secretAccessKey": self.secret_access_key,
                                           "accountId": self.account_id}]}, f)
            argv += ["--credentials", creds, "--control-token", self.control_token]
        argv += self.args
        # The server takes its settings from these arguments only.
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSEIDON_")}
        self._proc, self.url, self._threads = start_process(argv, env, self._tmp, [], self._stderr, timeout)
        if self.url is None:
            self.stop()
            raise PoseidonError("poseidon did not start:\n" + "".join(self._stderr))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, _ = self.control("GET", "health", check=False)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise PoseidonError("poseidon's health check never answered 200:\n" + "".join(self._stderr))

    def stop(self):
        """SIGTERM (the server drains its requests), SIGKILL after 15 s; then
        remove the data directory."""
        if self._proc is not None:
            stop_process(self._proc, self._threads, grace=15)
            self._proc = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    @property
    def log(self):
        """The server's last log lines (stderr)."""
        return "".join(self._stderr)

    def control(self, method, path, body=None, check=True):
        """Call /_poseidon/<path> with the control token; returns (status,
        parsed JSON or text). With check, a status other than 200 raises."""
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.control_token:
            headers["Authorization"] = "Bearer " + self.control_token
        req = urllib.request.Request(self.url + "/_poseidon/" + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            out = json.loads(raw)
        except ValueError:
            out = raw.decode(errors="replace")
        if check and status != 200:
            raise PoseidonError(f"{method} /_poseidon/{path}: HTTP {status} {out}")
        return status, out

    # The virtual clock and resets (docs/behavior.md, "Control API").
    def now(self):
        return _datetime(self.control("GET", "clock")[1]["epochSeconds"])

    def set_clock(self, when):
        return _datetime(self.control("POST", "clock", {"setEpochSeconds": _epoch(when)})[1]["epochSeconds"])

    def advance(self, delta):
        if isinstance(delta, datetime.timedelta):
            delta = delta.total_seconds()
        return _datetime(self.control("POST", "clock", {"advanceSeconds": float(delta)})[1]["epochSeconds"])

    def reset(self, account=None):
        """Wipe one account's data and files, or with None the whole store
        (which also puts the clock back to real time)."""
        self.control("POST", "reset", {"accountId": account} if account else {})

    def seed(self, access_key_id, secret_access_key, servers=10, hours=1, seed=1, end=None):
        """Send a simulated fleet through the intake endpoint with
        "poseidon seed", signed with the given credentials; returns the agent IDs."""
        argv = [self.binary, "seed", "--endpoint", self.url, "--servers", str(servers), "--hours", str(hours),
                "--seed", str(seed), "--quiet"]
        if end is not None:
            argv += ["--end", repr(_epoch(end))]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("POSEIDON_", "AWS_"))}
        env.update(AWS_ACCESS_KEY_ID=access_key_id, AWS_SECRET_ACCESS_KEY=secret_access_key, AWS_REGION=self.region)
        if self.control_token:
            env["POSEIDON_SEED_CONTROL_TOKEN"] = self.control_token
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
        if proc.returncode != 0:
            raise PoseidonError(f"poseidon seed failed: {proc.stderr.strip()}")
        return proc.stdout.split()
