"""Sign (and optionally send) a request with botocore's real SigV4 signers.

Reads a JSON spec on stdin:
  {"mode": "header"|"query"|"s3query", "method", "url", "headers": [[k, v], ...],
   "body": str, "akid", "secret", "token", "region", "service",
   "time": "YYYYMMDDTHHMMSSZ", "expires": seconds, "send": bool}
Writes JSON on stdout: {"method", "url", "headers": [[k, v], ...], "body"}
and, with "send", also {"status", "response"} from botocore's own HTTP stack.

With --serve it reads one spec per line and answers one JSON line each, so
that a test run pays Python's and botocore's start-up once.
"""
import datetime
import json
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(spec):
    ts = datetime.datetime.strptime(spec["time"], "%Y%m%dT%H%M%SZ")
    creds = Credentials(spec["akid"], spec["secret"], spec.get("token") or None)
    body = spec.get("body") or ""
    req = AWSRequest(method=spec["method"], url=spec["url"], data=body.encode() if body else None)
    for k, v in spec.get("headers") or []:
        req.headers[k] = v  # HTTPHeaders appends: repeated names stay repeated

    mode = spec["mode"]
    if mode == "header":
        auth = botocore.auth.SigV4Auth(creds, spec["service"], spec["region"])
    elif mode == "query":
        auth = botocore.auth.SigV4QueryAuth(creds, spec["service"], spec["region"], expires=spec["expires"])
    elif mode == "s3query":
        auth = botocore.auth.S3SigV4QueryAuth(creds, spec["service"], spec["region"], expires=spec["expires"])
    else:
        raise SystemExit("unknown mode " + mode)

    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=ts):
        auth.add_auth(req)

    data = req.data
    if isinstance(data, bytes):
        data = data.decode()
    out = {
        "method": req.method,
        "url": req.url,
        "headers": [[k, v] for k, v in req.headers.items()],
        "body": data or "",
    }
    if spec.get("send"):
        from botocore.httpsession import URLLib3Session

        resp = URLLib3Session().send(req.prepare())
        out["status"] = resp.status_code
        out["response"] = resp.content.decode()
    return out


def main():
    if sys.argv[1:] == ["--serve"]:
        for line in sys.stdin:
            if line.strip():
                sys.stdout.write(json.dumps(sign(json.loads(line))) + "\n")
                sys.stdout.flush()
        return
    json.dump(sign(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
