#!/usr/bin/env python3
"""The real ``aws`` CLI, logging every API response for the conformance check.

``python3 aws_logged.py ARGS...`` does exactly what the ``aws`` entry point does
(``awscli.clidriver.create_clidriver()`` then ``driver.main()``), after
registering an ``after-call`` handler on the driver's botocore session that
appends one JSON line per API response to the file named by
$POSEIDON_CONFORMANCE_LOG: {"client", "service", "operation", "status", "body"}
("body_base64" instead of "body" when the body is not UTF-8; "client" is "aws-cli"
here, "boto3" for harness.py's clients). ``go run
./internal/conformance/checklog FILE`` checks the lines against the models.

harness.py imports this module for the same logging on boto3 clients; nothing
here runs on import, and importing it does not import awscli.
"""

import base64
import json
import os
import sys
import threading

LOG_ENV = "POSEIDON_CONFORMANCE_LOG"
_HANDLER_ID = "poseidon-conformance-log"
_lock = threading.Lock()


def log_path():
    """The conformance log file named by $POSEIDON_CONFORMANCE_LOG, or None."""
    return os.environ.get(LOG_ENV) or None


def log_response(path, service, operation, status, body, client="boto3"):
    """Append one response as a JSON line to path (safe across threads and processes)."""
    entry = {"client": client, "service": service, "operation": operation, "status": status}
    if isinstance(body, str):
        body = body.encode("utf-8")
    try:
        entry["body"] = (body or b"").decode("utf-8")
    except UnicodeDecodeError:
        entry["body_base64"] = base64.b64encode(body).decode("ascii")
    data = (json.dumps(entry) + "\n").encode("ascii")
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)


def after_call_handler(path, client="boto3"):
    """A botocore 'after-call' handler logging each response to path.

    'after-call' is emitted for every response the endpoint returned, success or
    error, before botocore raises ClientError; http_response.content is the raw body.
    """
    def handler(http_response=None, model=None, **kwargs):
        if http_response is None or model is None:
            return
        log_response(path, model.service_model.service_name, model.name,
                     http_response.status_code, http_response.content, client)
    return handler


def register(emitter, path=None, client="boto3"):
    """Register the logging handler on a botocore event emitter, client.meta.events or
    botocore session (anything with register(event, handler, unique_id=...)).

    path defaults to $POSEIDON_CONFORMANCE_LOG; client names the caller in the log.
    Returns False (and registers nothing) when there is no log file.
    """
    path = path or log_path()
    if not path:
        return False
    emitter.register("after-call", after_call_handler(path, client), unique_id=_HANDLER_ID)
    return True


def main(argv=None):
    # What the aws entry point script does, plus the logging handler.
    if os.environ.get("LC_CTYPE", "") == "UTF-8":
        os.environ["LC_CTYPE"] = "en_US.UTF-8"
    import awscli.clidriver

    driver = awscli.clidriver.create_clidriver()
    register(driver.session, client="aws-cli")
    rc = driver.main(sys.argv[1:] if argv is None else argv)
    awscli.clidriver.HISTORY_RECORDER.record("CLI_RC", rc, "CLI")
    return rc


if __name__ == "__main__":
    sys.exit(main())
