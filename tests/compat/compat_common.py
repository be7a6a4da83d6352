"""Shared interpreter of tests/compat/scenarios.json for the Python runners
(run_boto3.py, run_cli.py). cmd/poseidon/compat_e2e_test.go interprets the same
file with aws-sdk-go v1; keep the three in step.

Scenario format
---------------
Top level: ``account`` (the 12-digit access key every runner uses: open mode
takes the account from it), ``setup`` (steps run before every scenario),
``fixtures`` (name -> intake batch for ``POST /_poseidon/intake``), ``objects``
(name -> file text), ``groups`` (name -> steps), ``notes`` (rendered into
docs/compatibility.md) and ``operations``: one entry per ADS operation,
``{"operation", "steps", "noErrorCase"?}``. The operation's cell passes when
every step passes in that client.

A step is exactly one of:

* ``{"reset": true}`` -- ``POST /_poseidon/reset``;
* ``{"clock": {...}}`` -- ``POST /_poseidon/clock`` with that body;
* ``{"intake": "<fixture>"}`` -- post the batch, signed for ``account``; every
  report must be accepted;
* ``{"putObject": {"bucket", "key", "object"}}`` -- write the object's text to
  ``<data>/buckets/<bucket>/<key>`` (what ``s3://bucket/key`` import URLs read);
* ``{"use": "<group>"}`` -- run the group's steps;
* ``{"call": "<Operation>", "params": {...}}`` -- one call; params use the
  model's member names; timestamps are epoch seconds;
* ``{"paginate": "<Operation>", "params", "resultKey", "pageSize", "total",
  "minPages"?}`` -- every page with the client's own pagination (Go: the SDK's
  ``<Op>Pages``; boto3: ``get_paginator`` with ``PageSize``, then again with
  ``MaxItems``/``StartingToken``; CLI: ``--page-size``/``--max-items``/
  ``--starting-token``), or a ``nextToken`` loop where the client has no
  paginator for the operation. No page may exceed ``pageSize``; the items must
  number ``total``, with no item twice; checks then see ``{resultKey: items}``.

``call`` and ``paginate`` take ``name`` (a label), ``error`` (the expected
error code: the call must fail with it, 4xx) with ``messageContains``,
``until`` (checks: repeat the call, up to 20 s, until they hold), ``expect``
(checks on the output) and ``capture`` (variable -> path). ``${var}`` in
params, checks and messageContains is replaced by a captured value (a string
that is exactly ``${var}`` takes the value's own type).

Paths are "/"-separated: object keys (which may contain dots, as in
``server.hostName``), list indexes, and ``*`` for every element of a list.
Outputs are compared in wire form: model member names, timestamps as epoch
seconds. A check is ``{"path", <one condition>}`` with the condition one of
``equals``, ``notEquals``, ``contains`` (list element or substring), ``count``
(list length), ``present`` (true/false), ``matches`` (regular expression,
searched), ``startsWith``.
"""

import datetime
import json
import os
import re
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))

import harness  # noqa: E402  (sets up a clean AWS environment on import)

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

SCENARIOS = os.path.join(HERE, "scenarios.json")
MODEL = os.path.join(ROOT, "api", "models", "discovery-2015-11-01.json")
SECRET = "compat-secret"
POLL_TIMEOUT = 20.0
MAX_PAGES = 1000

STEP_KINDS = ("reset", "clock", "intake", "putObject", "use", "call", "paginate")
STEP_KEYS = set(STEP_KINDS) | {"name", "params", "error", "messageContains", "until", "expect", "capture",
                               "resultKey", "pageSize", "total", "minPages"}
CHECK_CONDITIONS = ("equals", "notEquals", "contains", "count", "present", "matches", "startsWith")


class StepFailure(Exception):
    """A step did not do what the scenario expects."""


def page_loop(fetch, page_size, result_key, token_key):
    """Page until no token: fetch(token or None) returns one page (a dict) whose
    result_key list may hold at most page_size items and whose token_key names
    the next page. Returns (items, pages)."""
    items, pages, token = [], 0, None
    while True:
        out = fetch(token)
        pages += 1
        got = out.get(result_key)
        if not isinstance(got, list):
            raise StepFailure(f"page {pages} has no {result_key} list")
        if len(got) > page_size:
            raise StepFailure(f"page {pages} has {len(got)} items, more than the {page_size} asked for")
        items += got
        token = out.get(token_key)
        if not token:
            return items, pages
        if pages > MAX_PAGES:
            raise StepFailure(f"more than {MAX_PAGES} pages")


class ServiceError(Exception):
    """The client reported a service error."""

    def __init__(self, code, message, status=None, request_id=None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.request_id = code, message, status, request_id


def load():
    with open(SCENARIOS) as f:
        return json.load(f)


def model_operations():
    with open(MODEL) as f:
        return sorted(json.load(f)["operations"])


# -- values -------------------------------------------------------------------

_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def substitute(value, variables):
    if isinstance(value, str):
        m = _VAR.fullmatch(value)
        if m:
            if m.group(1) not in variables:
                raise StepFailure(f"variable {m.group(1)} is not set")
            return variables[m.group(1)]

        def one(m):
            if m.group(1) not in variables:
                raise StepFailure(f"variable {m.group(1)} is not set")
            return as_text(variables[m.group(1)])
        return _VAR.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def as_text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return json.dumps(v, sort_keys=True)


def wire(value):
    """A client's parsed output in wire form: datetimes as epoch seconds."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        ms = round(value.timestamp() * 1000)
        return ms // 1000 if ms % 1000 == 0 else ms / 1000
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def same(a, b):
    """JSON equality with numbers by value and booleans apart from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


_ABSENT = object()


def resolve(doc, path):
    if path == "":
        return doc
    seg, _, rest = path.partition("/")
    more = "/" in path
    if isinstance(doc, dict):
        if seg not in doc:
            return _ABSENT
        return resolve(doc[seg], rest) if more else doc[seg]
    if isinstance(doc, list):
        if seg == "*":
            if not more:
                return list(doc)
            out = []
            for e in doc:
                v = resolve(e, rest)
                if v is not _ABSENT:
                    out.append(v)
            return out
        if not seg.isdigit() or int(seg) >= len(doc):
            return _ABSENT
        return resolve(doc[int(seg)], rest) if more else doc[int(seg)]
    return _ABSENT


def check_one(doc, check, variables):
    path = check.get("path", "")
    conds = [c for c in CHECK_CONDITIONS if c in check]
    if len(conds) != 1 or set(check) - {"path", conds[0]}:
        raise StepFailure(f"malformed check {check}")
    cond = conds[0]
    got = resolve(doc, path)
    found = got is not _ABSENT
    got_text = json.dumps(got, sort_keys=True) if found else "absent"
    want = substitute(check[cond], variables)

    def fail(what):
        return f"{path}: got {got_text}, want {what}"
    if cond == "present":
        if found != want:
            return fail("present" if want else "absent")
    elif cond == "equals":
        if not found or not same(got, want):
            return fail(as_text(want))
    elif cond == "notEquals":
        if not found or same(got, want):
            return fail("not " + as_text(want))
    elif cond == "contains":
        ok = (isinstance(got, list) and any(same(e, want) for e in got)) or \
             (isinstance(got, str) and isinstance(want, str) and want in got)
        if not ok:
            return fail("something containing " + as_text(want))
    elif cond == "count":
        if not isinstance(got, list) or len(got) != want:
            return fail(f"a list of {want}")
    elif cond == "matches":
        if not isinstance(got, str) or not re.search(want, got):
            return fail("a match of " + want)
    elif cond == "startsWith":
        if not isinstance(got, str) or not got.startswith(want):
            return fail("a string starting with " + want)
    return ""


def checks(doc, check_list, variables):
    for c in check_list or []:
        msg = check_one(doc, c, variables)
        if msg:
            return msg
    return ""


# -- lint ---------------------------------------------------------------------

def lint(scenarios, model_ops):
    """The rules every scenario follows (the Go test checks the same)."""
    problems = []
    groups = scenarios.get("groups", {})
    seen = set()
    for o in scenarios["operations"]:
        op = o["operation"]
        if op in seen:
            problems.append(f"{op}: two scenarios")
        seen.add(op)
        success = failure = False

        def walk(steps):
            nonlocal success, failure
            for s in steps:
                if "use" in s:
                    walk(groups.get(s["use"], []))
                if s.get("call") == op or s.get("paginate") == op:
                    if "error" in s:
                        failure = True
                    else:
                        success = True
        walk(o["steps"])
        if not success:
            problems.append(f"{op}: no successful call of the operation")
        if not failure and not o.get("noErrorCase"):
            problems.append(f"{op}: no expected-error call (and no noErrorCase)")
    problems += [f"{op}: no scenario" for op in model_ops if op not in seen]
    problems += [f"{op}: not an operation of the model" for op in sorted(seen) if op not in model_ops]
    return problems


# -- running ------------------------------------------------------------------

def intake(server, account, batch):
    body = json.dumps(batch).encode()
    req = AWSRequest(method="POST", url=server.url + "/_poseidon/intake", data=body,
                     headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(account, SECRET), "discovery", harness.REGION).add_auth(req)
    prepared = req.prepare()
    ureq = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(ureq, timeout=30) as resp:
            out = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise StepFailure(f"intake: HTTP {e.code} {e.read()[:300]!r}")
    if out.get("accepted") != len(batch["reports"]):
        raise StepFailure(f"intake accepted {out.get('accepted')} of {len(batch['reports'])} reports: {out}")


def data_dir(server):
    return server.data_dir or os.path.join(server.tmp, "data")


class Runner:
    """Runs scenarios; a client adapter supplies call() and paginate().

    call(op, params, expected_error) returns the output in wire form or raises
    ServiceError (expected_error is the code the scenario expects, or None);
    paginate(op, params, page_size, result_key) returns (items, pages), items
    in wire form.
    """

    def __init__(self, scenarios, server, adapter):
        self.s = scenarios
        self.server = server
        self.adapter = adapter
        self.vars = {}

    def run_operation(self, o):
        self.vars = {}
        setup = self.s.get("setup", [])
        self.run_steps(setup + o["steps"], "", len(setup))

    def run_steps(self, steps, prefix, skip):
        for i, st in enumerate(steps):
            label = prefix + ("setup" if i < skip else f"step {i - skip + 1}")
            desc = describe(st)
            if desc:
                label += f" ({desc})"
            if "use" in st:
                group = self.s.get("groups", {}).get(st["use"])
                if group is None:
                    raise StepFailure(f"{label}: unknown group {st['use']!r}")
                self.run_steps(group, label + ": ", 0)
                continue
            try:
                self.step(st)
            except StepFailure as e:
                raise StepFailure(f"{label}: {e}") from None

    def step(self, st):
        unknown = set(st) - STEP_KEYS
        kinds = [k for k in STEP_KINDS if k in st]
        if unknown or len(kinds) != 1:
            raise StepFailure(f"malformed step {st}")
        kind = kinds[0]
        if kind == "reset":
            self.server.reset()
        elif kind == "clock":
            status, body = self.server.control("POST", "clock", st["clock"])
            if status != 200:
                raise StepFailure(f"clock: HTTP {status} {body}")
        elif kind == "intake":
            intake(self.server, self.s["account"], self.s["fixtures"][st["intake"]])
        elif kind == "putObject":
            p = st["putObject"]
            path = os.path.join(data_dir(self.server), "buckets", p["bucket"], *p["key"].split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(self.s["objects"][p["object"]])
        elif kind == "call":
            self.call(st)
        elif kind == "paginate":
            self.paginate(st)

    def call(self, st):
        op = st["call"]
        params = substitute(st.get("params", {}), self.vars)
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            try:
                doc = self.adapter.call(op, params, st.get("error"))
            except ServiceError as e:
                if "error" not in st:
                    raise StepFailure(f"unexpected error {e.code}: {e.message}")
                self.want_error(e, st)
                return
            if "error" in st:
                raise StepFailure(f"succeeded, want {st['error']}")
            if st.get("until"):
                msg = checks(doc, st["until"], self.vars)
                if msg:
                    if time.monotonic() > deadline:
                        raise StepFailure(f"still not done after {POLL_TIMEOUT:.0f}s: {msg}")
                    time.sleep(0.05)
                    continue
            self.finish(doc, st)
            return

    def want_error(self, e, st):
        if e.code != st["error"]:
            raise StepFailure(f"error {e.code} ({e.message!r}), want {st['error']}")
        if e.status is not None and not 400 <= e.status <= 499:
            raise StepFailure(f"error {e.code} with HTTP {e.status}, want a 4xx")
        if not e.message:
            raise StepFailure(f"error {e.code} without a message")
        if "messageContains" in st:
            want = substitute(st["messageContains"], self.vars)
            if want not in e.message:
                raise StepFailure(f"error message {e.message!r} does not contain {want!r}")

    def finish(self, doc, st):
        msg = checks(doc, st.get("expect"), self.vars)
        if msg:
            raise StepFailure(msg)
        for name, path in (st.get("capture") or {}).items():
            v = resolve(doc, path)
            if v is _ABSENT:
                raise StepFailure(f"capture {name}: {path} is absent")
            self.vars[name] = v

    def paginate(self, st):
        for key in ("resultKey", "pageSize", "total"):
            if key not in st:
                raise StepFailure("paginate needs resultKey, pageSize and total")
        params = substitute(st.get("params", {}), self.vars)
        try:
            items, pages = self.adapter.paginate(st["paginate"], params, st["pageSize"], st["resultKey"])
        except ServiceError as e:
            raise StepFailure(f"unexpected error {e.code}: {e.message}")
        if len(items) != st["total"]:
            raise StepFailure(f"{len(items)} items over {pages} pages, want {st['total']}")
        keys = set()
        for it in items:
            k = json.dumps(it, sort_keys=True)
            if k in keys:
                raise StepFailure(f"item returned twice: {k}")
            keys.add(k)
        if pages < st.get("minPages", 0):
            raise StepFailure(f"{pages} pages, want at least {st['minPages']}")
        self.finish({st["resultKey"]: items}, st)


def identity(item):
    """What names an item of a list: its *Id members (and a tag's key and
    value), or the whole item. Used to compare two walks of the same list,
    whose other members (download URLs, progress) may change between calls."""
    if isinstance(item, dict):
        ident = {k: v for k, v in item.items() if k.endswith("Id") or k in ("key", "value")}
        if ident:
            return json.dumps(ident, sort_keys=True)
    return json.dumps(item, sort_keys=True)


def describe(st):
    kind = st.get("call") or ("paginate " + st["paginate"] if "paginate" in st else st.get("use", ""))
    name = st.get("name", "")
    if name and kind:
        return f"{kind}: {name}"
    return name or kind


def env_int(name, default):
    try:
        return max(1, int(os.environ.get(name) or default))
    except ValueError:
        return default


def run_all(adapter_factory, out_name, label):
    """Run every scenario with the adapter against fresh servers (default
    flags), write out_name into $POSEIDON_COMPAT_OUT (if set), and return the
    exit code. $POSEIDON_COMPAT_JOBS=N (default 1) runs the scenarios on N
    servers at once: the same work, sooner, where there are cores to spare.

    To hunt flaky scenarios: $POSEIDON_COMPAT_ONLY=Op1,Op2 runs only those
    operations' scenarios (the others are not reported), and
    $POSEIDON_COMPAT_REPEAT=N runs each N times (each run starts with the
    setup's reset); an operation passes only if every run passes."""
    scenarios = load()
    model_ops = model_operations()
    problems = lint(scenarios, model_ops)
    for p in problems:
        print(f"{label}: scenarios.json: {p}", file=sys.stderr)
    jobs = env_int("POSEIDON_COMPAT_JOBS", 1)
    repeat = env_int("POSEIDON_COMPAT_REPEAT", 1)
    only = {op.strip() for op in (os.environ.get("POSEIDON_COMPAT_ONLY") or "").split(",") if op.strip()}
    unknown = only - {o["operation"] for o in scenarios["operations"]}
    if unknown:
        print(f"{label}: POSEIDON_COMPAT_ONLY names no scenario: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    todo = [o for _ in range(repeat) for o in scenarios["operations"] if not only or o["operation"] in only]
    jobs = min(jobs, max(1, len(todo)))
    results = {}
    failures = {}  # operation -> details of failed runs
    lock = threading.Lock()

    def worker(server):
        adapter = adapter_factory(server)
        runner = Runner(scenarios, server, adapter)
        while True:
            with lock:
                if not todo:
                    return
                o = todo.pop(0)
            op = o["operation"]
            started = time.monotonic()
            try:
                runner.run_operation(o)
                result = {"pass": True, "detail": f"{len(o['steps'])} steps passed"}
                status = "ok"
            except StepFailure as e:
                result = {"pass": False, "detail": str(e)}
                status = "FAIL: " + str(e)
            except Exception:  # a runner bug: report it in the cell, go on
                detail = traceback.format_exc(limit=3).strip().splitlines()[-1]
                result = {"pass": False, "detail": "runner error: " + detail}
                status = "ERROR: " + traceback.format_exc()
            with lock:
                if not result["pass"]:
                    failures.setdefault(op, []).append(result["detail"])
                if op in failures:
                    result = {"pass": False, "detail": failures[op][0]}
                    if repeat > 1:
                        result["detail"] = f"{len(failures[op])} of {repeat} runs failed; first: {failures[op][0]}"
                elif repeat > 1:
                    result["detail"] = f"{len(o['steps'])} steps passed in each of {repeat} runs"
                results[op] = result
                print(f"{label}: {op}: {status} ({time.monotonic() - started:.1f}s)", file=sys.stderr, flush=True)

    servers = []
    try:
        # Default flags: the export limits stay on (ExportConfigurations'
        # limit is part of its scenario).
        for _ in range(jobs):
            servers.append(harness.Server().start())
        threads = [threading.Thread(target=worker, args=(srv,)) for srv in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for srv in servers:
            srv.stop()
    for op in model_ops:
        if not only:
            results.setdefault(op, {"pass": False, "detail": "no scenario"})
    out_dir = os.environ.get("POSEIDON_COMPAT_OUT")
    if out_dir:
        with open(os.path.join(out_dir, out_name), "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
            f.write("\n")
    failed = sorted(op for op, r in results.items() if not r["pass"])
    runs = f" ({repeat} runs each, {sum(len(f) for f in failures.values())} failed runs)" if repeat > 1 else ""
    print(f"{label}: {len(results) - len(failed)}/{len(results)} operations pass{runs}"
          + (f"; failing: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed or problems else 0
