#!/usr/bin/env bash
# Crash loop (issue 7, item 1): runs TestCrashLoop (cmd/poseidon/crashloop_test.go)
# with KILLS kill -9s of the real binary (default 50; CI runs 5). A mixed
# workload (summary and agent exports, intake batches, applications and
# associations, tags) runs from several goroutines; the server is killed at a
# random moment, restarted on the same data directory and port, and after
# each restart the test checks that every acknowledged write is there, no
# export stays IN_PROGRESS, every SUCCEEDED export downloads as the zip its
# task asks for, and re-sent intake batches added nothing twice.
#
#   bench/crashloop.sh          # 50 kills
#   bench/crashloop.sh 200
#   bench/crashloop.sh 50 replicas   # TestCrashLoopReplicas: a rolling restart
#                                    # of two replicas on one PostgreSQL
#                                    # (POSEIDON_TEST_DATABASE_URL)
# Prints the crashloop: lines (kills, acknowledged writes, violations) and the
# test's verdict; the whole log is kept when the test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS=${1:-50}
case $KILLS in ''|*[!0-9]*) echo "usage: $0 [KILLS] [replicas]" >&2; exit 2;; esac
TEST=TestCrashLoop
case ${2:-} in
  '') ;;
  replicas) TEST=TestCrashLoopReplicas ;;
  *) echo "usage: $0 [KILLS] [replicas]" >&2; exit 2;;
esac

log=$(mktemp "${TMPDIR:-/tmp}/crashloop.XXXXXX")
echo "== crash loop ($TEST): $KILLS kills (log: $log)"
status=0
POSEIDON_CRASH_KILLS=$KILLS go test -count=1 -v -timeout 0 -run "^$TEST\$" ./cmd/poseidon >"$log" 2>&1 || status=$?
grep -E '^crashloop(-replicas)?:|crashloop violation|^(--- |ok |FAIL|PASS)' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "== FAILED (exit $status); full log kept in $log"
  exit "$status"
fi
rm -f "$log"
