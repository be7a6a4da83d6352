#!/usr/bin/env bash
# Run the black-box Python suite (boto3 + aws CLI) against a freshly built poseidon.
# Usage: tests/python/run.sh [extra unittest args]
# Env: POSEIDON_BIN=/path/to/poseidon to skip `go build`; CI=true makes missing tools an error.
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

export PYTHONDONTWRITEBYTECODE=1
exec "$py" -m unittest discover -s tests/python -t tests/python -v "$@"
