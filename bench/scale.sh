#!/usr/bin/env bash
# Scale benchmark (issue 13): on each store, one account with 1,000,000 export
# tasks, 100,000 servers with their agents and 10,000,000 performance samples
# (with as many system observations, one per report), filled with bulk SQL;
# then p50/p99 of a shallow and a deep (90%) page of FindExportTasks
# (DescribeExportTasks), ListItems SERVER (ListConfigurations, by ID and by
# host name) and FindAgents (DescribeAgents), the deep/shallow p99 ratio
# (target: at most 2), one agent export's row read (72 h through
# worker.RowSource), the fill rates and, last, a retention sweep that deletes
# a tenth of the samples. Figures are printed, never asserted
# (bench/scale/scale_test.go).
#
#   bench/scale.sh                 # both stores, full scale
#   bench/scale.sh sqlite 0.1      # SQLite, a tenth of the rows
#   bench/scale.sh postgres
# PostgreSQL is the test server of POSEIDON_TEST_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/test), in a schema of its own, dropped at
# the end; SQLite writes a temporary database (about 5 GB at full scale) under
# $TMPDIR. REPS (default 1000) is the timed calls per figure.
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=${1:-both}
SCALE=${2:-1}
case $STORE in sqlite|postgres|both) ;; *) echo "usage: $0 [sqlite|postgres|both] [SCALE]" >&2; exit 2;; esac

echo "== scale benchmark: $STORE, scale $SCALE; $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1); $(date -u +%Y-%m-%d)"
log=$(mktemp "${TMPDIR:-/tmp}/scale.XXXXXX")
status=0
POSEIDON_SCALE=$SCALE POSEIDON_SCALE_STORE=$STORE POSEIDON_SCALE_REPS=${REPS:-1000} \
  go test -count=1 -v -timeout 0 -run '^TestScale$' ./bench/scale >"$log" 2>&1 || status=$?
grep -E '^scale:|^(--- |ok |FAIL|PASS)|^ +scale_test' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "== FAILED (exit $status); full log kept in $log"
  exit "$status"
fi
rm -f "$log"
