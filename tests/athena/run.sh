#!/usr/bin/env bash
# AWS's predefined Athena queries on poseidon's continuous-export Parquet
# output, run in DuckDB (@duckdb/node-api, installed here with npm ci from the
# committed package-lock.json), with their results checked against the API
# (athena.test.mjs says how). poseidon itself is built without cgo.
# Env: POSEIDON_BIN=/path/to/poseidon to skip `go build`; CI=true makes a
# missing node/npm or a failed npm ci an error instead of a skip.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "tests/athena: FAIL: $1 (CI=true)" >&2
    exit 1
  fi
  echo "tests/athena: SKIP: $1" >&2
  exit 0
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v npm >/dev/null 2>&1 || skip "npm is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 (to unzip the agent export) is not installed"
if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
  skip "npm ci could not install @duckdb/node-api"
fi

bin="${POSEIDON_BIN:-}"
if [ -z "$bin" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  bin="$tmp/poseidon"
  (cd "$root" && CGO_ENABLED=0 go build -o "$bin" ./cmd/poseidon)
fi
cd "$here"
node athena.test.mjs "$bin"
