#!/usr/bin/env python3
"""Run tests/compat/scenarios.json through boto3 against a fresh poseidon.

Paginated operations use boto3's paginators (PageSize, then MaxItems and
StartingToken); expected errors are caught with the client's modeled exception
classes (client.exceptions.<Code>). Writes boto3.json (operation -> {"pass",
"detail"}) into $POSEIDON_COMPAT_OUT when set. Exit status 1 if any operation
fails. Env: POSEIDON_BIN (prebuilt binary; else `go build`).
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compat_common as cc  # noqa: E402  (imports harness, which cleans the AWS environment)

from botocore import xform_name  # noqa: E402
from botocore.exceptions import ClientError, ParamValidationError  # noqa: E402


def service_error(e):
    err = e.response.get("Error", {})
    meta = e.response.get("ResponseMetadata", {})
    return cc.ServiceError(err.get("Code", ""), err.get("Message", ""),
                           meta.get("HTTPStatusCode"), meta.get("RequestId"))


class Boto3Adapter:
    def __init__(self, server):
        self.c = server.client(key=cc.load()["account"], secret=cc.SECRET)

    def _invoke(self, fn, expected_error=None):
        try:
            if expected_error:
                modeled = getattr(self.c.exceptions, expected_error, None)
                if modeled is None:
                    raise cc.StepFailure(f"{expected_error} is not a modeled exception of the discovery client")
                try:
                    return fn()
                except modeled as e:  # the modeled class: the code matched
                    raise service_error(e) from None
            return fn()
        except ClientError as e:
            raise service_error(e) from None
        except ParamValidationError as e:
            raise cc.StepFailure(f"boto3 refused the request before sending it: {e}") from None

    def call(self, op, params, expected_error=None):
        method = getattr(self.c, xform_name(op))
        out = self._invoke(lambda: method(**params), expected_error)
        return cc.wire(out)

    def paginate(self, op, params, page_size, result_key):
        name = xform_name(op)
        if not self.c.can_paginate(name):
            return self._manual(name, params, page_size, result_key)
        paginator = self.c.get_paginator(name)
        items, pages = [], 0
        # 1. PageSize: one request per page, each page at most page_size items.
        for page in self._invoke(lambda: list(paginator.paginate(**params, PaginationConfig={"PageSize": page_size}))):
            pages += 1
            got = page.get(result_key)
            if not isinstance(got, list):
                raise cc.StepFailure(f"page {pages} has no {result_key} list")
            if len(got) > page_size:
                raise cc.StepFailure(f"page {pages} has {len(got)} items, more than PageSize {page_size}")
            items += got
            if pages > cc.MAX_PAGES:
                raise cc.StepFailure(f"more than {cc.MAX_PAGES} pages")
        items = cc.wire(items)
        # 2. MaxItems + StartingToken: resume walks of page_size + 1 items, so
        # that tokens fall in the middle of server pages.
        resumed, token, rounds = [], None, 0
        while True:
            cfg = {"PageSize": page_size, "MaxItems": page_size + 1}
            if token:
                cfg["StartingToken"] = token
            result = self._invoke(lambda: paginator.paginate(**params, PaginationConfig=cfg).build_full_result())
            resumed += cc.wire(result.get(result_key, []))
            token = result.get("NextToken")
            rounds += 1
            if not token:
                break
            if rounds > cc.MAX_PAGES:
                raise cc.StepFailure("MaxItems/StartingToken walk does not end")
        if [cc.identity(i) for i in resumed] != [cc.identity(i) for i in items]:
            raise cc.StepFailure(f"MaxItems/StartingToken walk gave {len(resumed)} items, other than the "
                                 f"PageSize walk's {len(items)}")
        return items, pages

    def _manual(self, name, params, page_size, result_key):
        """nextToken loop, for an operation boto3 has no paginator for."""
        method = getattr(self.c, name)

        def fetch(token):
            kw = dict(params, maxResults=page_size, **({"nextToken": token} if token else {}))
            return self._invoke(lambda: method(**kw))

        items, pages = cc.page_loop(fetch, page_size, result_key, "nextToken")
        return cc.wire(items), pages


if __name__ == "__main__":
    sys.exit(cc.run_all(Boto3Adapter, "boto3.json", "boto3"))
