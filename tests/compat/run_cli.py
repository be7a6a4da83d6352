#!/usr/bin/env python3
"""Run tests/compat/scenarios.json through the aws CLI against a fresh poseidon.

Every call is `aws discovery <operation-in-kebab-case> --cli-input-json <params>
--output json` (params in the model's member names). Plain calls add
--no-paginate, so that one call is one request as in the other clients;
paginate steps use the CLI's own pagination, --page-size and --max-items, then
--starting-token with the NextToken the CLI prints, or a nextToken loop where
the CLI has no paginator for the operation. Expected errors are read from the
CLI's "An error occurred (<Code>) when calling the <Op> operation: <message>".
Writes cli.json into $POSEIDON_COMPAT_OUT when set. Exit status 1 if any
operation fails. Env: POSEIDON_BIN (prebuilt binary; else `go build`).

The CLI runs in this process: each call builds a new driver with
awscli.clidriver.create_clidriver() and runs driver.main(args), which is all
the `aws` entry point does, with stdout and stderr captured and the
environment the `aws` command would get. It saves a Python start-up and the
CLI's imports per call (about a second each). POSEIDON_COMPAT_CLI=subprocess
runs the `aws` command instead.
"""

import contextlib
import io
import json
import os
import re
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compat_common as cc  # noqa: E402  (imports harness, which cleans the AWS environment)

import aws_logged  # noqa: E402  (tests/python, on the path through compat_common)
import botocore.session  # noqa: E402
import harness  # noqa: E402
from botocore import xform_name  # noqa: E402

_cli_lock = threading.Lock()  # in-process calls swap os.environ and sys.stdout


def run_cli_in_process(endpoint_url, args, key, secret, region=harness.REGION):
    """harness.run_aws, with the CLI's own driver run in this process."""
    import awscli.clidriver

    argv = ["--endpoint-url", endpoint_url, "--region", region, "--output", "json"] + list(args)
    out, err = io.StringIO(), io.StringIO()
    with _cli_lock:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(harness.aws_env(key, secret))
        if "AWS_DATA_PATH" in saved:  # set by importing awscli: where its data files are
            os.environ["AWS_DATA_PATH"] = saved["AWS_DATA_PATH"]
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                driver = awscli.clidriver.create_clidriver()
                aws_logged.register(driver.session, client="aws-cli")
                rc = driver.main(argv)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    if rc != 0:
        return rc, err.getvalue()
    text = out.getvalue().strip()
    return 0, (json.loads(text) if text else None)

ERROR = re.compile(r"An error occurred \(([A-Za-z0-9_.]+)\)(?: \(reached max retries: \d+\))? when calling "
                   r"the \w+ operation(?: \(reached max retries: \d+\))?: (.*)", re.S)


class CLIAdapter:
    def __init__(self, server):
        self.server = server
        self.account = cc.load()["account"]
        # The CLI auto-paginates exactly the operations botocore has a paginator for.
        self.paginated = set(botocore.session.get_session().get_paginator_model("discovery")._paginator_config)

    def aws(self, op, params, *extra):
        args = ["discovery", xform_name(op, "-")]
        if params:
            args += ["--cli-input-json", json.dumps(params)]
        if os.environ.get("POSEIDON_COMPAT_CLI") == "subprocess":
            rc, out = self.server.aws(*args, *extra, key=self.account, secret=cc.SECRET)
        else:
            rc, out = run_cli_in_process(self.server.url, args + list(extra), self.account, cc.SECRET)
        if rc == 0:
            return out if out is not None else {}
        m = ERROR.search(out or "")
        if m:
            raise cc.ServiceError(m.group(1), m.group(2).strip())
        raise cc.StepFailure(f"aws exited {rc}: {(out or '').strip()[-500:]}")

    def call(self, op, params, expected_error=None):
        return self.aws(op, params, "--no-paginate")

    def paginate(self, op, params, page_size, result_key):
        if op not in self.paginated:
            # nextToken loop, for an operation the CLI does not paginate.
            return cc.page_loop(
                lambda token: self.aws(op, dict(params, maxResults=page_size, **({"nextToken": token} if token else {}))),
                page_size, result_key, "nextToken")
        # The CLI's own pagination: --max-items, then --starting-token with the NextToken it prints.
        return cc.page_loop(
            lambda token: self.aws(op, params, "--page-size", str(page_size), "--max-items", str(page_size),
                                   *(["--starting-token", token] if token else [])),
            page_size, result_key, "NextToken")


if __name__ == "__main__":
    sys.exit(cc.run_all(CLIAdapter, "cli.json", "aws-cli"))
