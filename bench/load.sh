#!/usr/bin/env bash
# Load test (issue 7, item 2): runs TestLoad (cmd/poseidon/load_test.go) for
# DURATION (default 60s; CI runs 30s, a plain `go test` 5s): the real binary
# in strict mode with --no-limits, 64 concurrent aws-sdk-go v1 clients
# (SigV4-signed, retries off, 8 accounts) doing Describe/List reads with
# pagination, CreateApplication/Associate, CreateTags/DescribeTags,
# StartExportTask/DescribeExportTasks and intake batches, while 4 of them page
# through DescribeTags, ListConfigurations APPLICATION and DescribeExportTasks.
# Pass: no 5xx, no request without an answer, no signature refusals, no lost
# write, no pagination anomaly, server RSS after the run under 1 GiB.
#
#   bench/load.sh           # 60s
#   bench/load.sh 5m
# Prints throughput, p50/p99 latency (overall and per operation), status and
# error-code counts, acknowledged writes, and the server's RSS before, at its
# sampled peak and after the run.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-60s}
case $DURATION in *[0-9]) DURATION=${DURATION}s;; esac

log=$(mktemp "${TMPDIR:-/tmp}/load.XXXXXX")
echo "== load: 64 clients for $DURATION (log: $log)"
status=0
POSEIDON_LOAD_DURATION=$DURATION go test -count=1 -v -timeout 0 -run '^TestLoad$' ./cmd/poseidon >"$log" 2>&1 || status=$?
grep -E '^load:|load_test.go|^(--- |ok |FAIL|PASS)' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "== FAILED (exit $status); full log kept in $log"
  exit "$status"
fi
rm -f "$log"
