#!/usr/bin/env bash
# The full test suite: formatting, vet, every Go test under the race detector
# (end-to-end tests included: real server, real SQLite, aws-sdk-go v1), then
# the Python suite with the machine's boto3 and aws CLI.
# Under CI=true nothing may be skipped for a missing dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 ./...

echo "== python suite (boto3, aws CLI)"
tests/python/run.sh
