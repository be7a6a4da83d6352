#!/usr/bin/env bash
# Run the black-box Python suite (boto3 + aws CLI) against a freshly built poseidon.
# Usage: tests/python/run.sh [extra unittest args]
# Env: POSEIDON_BIN=/path/to/poseidon to skip `go build`; CI=true makes missing tools an error;
#      POSEIDON_CONFORMANCE_LOG=FILE keeps the response log (default: a temp file, removed);
#      POSEIDON_TEST_STORE=postgres runs every server on PostgreSQL, each in a schema of its own
#      (tests/pgstore.sh; unreachable: skip, or fail under CI=true).
# Every API response that boto3 and the aws CLI receive is logged (harness.py, aws_logged.py)
# and then checked against the service models by `go run ./internal/conformance/checklog`.
# The exit status is non-zero if the suite or the conformance check fails.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

py="${PYTHON:-python3}"
missing=""
if ! command -v "$py" >/dev/null 2>&1; then
  missing="$py"
elif ! "$py" -c 'import boto3, botocore' >/dev/null 2>&1; then
  missing="python module boto3"
fi
if [ -z "$missing" ] && ! command -v aws >/dev/null 2>&1; then
  missing="aws CLI"
fi
if [ -z "$missing" ] && [ -z "${POSEIDON_BIN:-}" ] && ! command -v go >/dev/null 2>&1; then
  missing="go toolchain (or set POSEIDON_BIN)"
fi
if [ -n "$missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "tests/python: FAIL: $missing is required but not installed (CI=true)" >&2
    exit 1
  fi
  echo "tests/python: SKIP: $missing is not installed (install boto3 and awscli to run this suite)" >&2
  exit 0
fi

. "$root/tests/pgstore.sh"
trap pgstore_cleanup EXIT
pgstore_setup py
case $? in
  0) ;;
  2) exit 0 ;;
  *) exit 1 ;;
esac

export PYTHONDONTWRITEBYTECODE=1
if [ -z "${POSEIDON_CONFORMANCE_LOG:-}" ]; then
  POSEIDON_CONFORMANCE_LOG="$(mktemp "${TMPDIR:-/tmp}/poseidon-conformance-XXXXXX.jsonl")"
  trap 'rm -f "$POSEIDON_CONFORMANCE_LOG"; pgstore_cleanup' EXIT
fi
export POSEIDON_CONFORMANCE_LOG
: > "$POSEIDON_CONFORMANCE_LOG"

"$py" -m unittest discover -s tests/python -t tests/python -v "$@"
suite=$?

echo "== conformance of the responses boto3 and the aws CLI received" >&2
if ! command -v go >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "tests/python: FAIL: the go toolchain is required for the conformance check (CI=true)" >&2
    exit 1
  fi
  echo "tests/python: SKIP conformance check: go is not installed" >&2
  exit "$suite"
fi
# A full run must have logged responses; a filtered run (arguments given) may log none.
min=0
if [ "$#" -eq 0 ]; then
  min=1
fi
go run ./internal/conformance/checklog -min "$min" "$POSEIDON_CONFORMANCE_LOG"
check=$?

if [ "$suite" -ne 0 ]; then
  exit "$suite"
fi
exit "$check"
