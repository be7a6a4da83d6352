#!/usr/bin/env bash
# Regenerate docs/compatibility.md: run tests/compat/scenarios.json through
# aws-sdk-go v1 (go test TestCompatScenarios), boto3 and the aws CLI, then
# render the operation x client table. Also runs TestGeneratedRequests (when
# that test exists) for the "Generated request tests" section.
# Exit status: non-zero if any cell is red or any runner failed.
# Env: CI=true makes a missing python3/boto3/aws/go an error (else: skip).
#      POSEIDON_BIN=/path/to/poseidon skips building the binary for the Python runners.
#      POSEIDON_COMPAT_JOBS=N runs the Python runners' scenarios on N servers at once (default 1;
#      the aws CLI runner, one process per call, takes most of the time).
#      POSEIDON_TEST_STORE=postgres runs every server (Go and Python runners) on PostgreSQL, each
#      in a schema of its own (tests/pgstore.sh; unreachable: skip, or fail under CI=true). The
#      table is then written to a temporary file, not docs/compatibility.md, and the run fails
#      unless it is the same as docs/compatibility.md (which a SQLite run writes first, as
#      scripts/test.sh does).
# Hunting a flaky scenario (not for regenerating the doc, as the table would be partial):
#   go test -count=50 -run '^TestCompatScenarios$' ./cmd/poseidon               # every scenario, Go SDK
#   go test -count=200 -run '^TestCompatScenarios$/^DescribeExportTasks$' ./cmd/poseidon
#   POSEIDON_COMPAT_ONLY=DescribeExportTasks,DescribeExportConfigurations POSEIDON_COMPAT_REPEAT=200 \
#     python3 tests/compat/run_boto3.py                                          # (or run_cli.py)
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
SECONDS=0

py="${PYTHON:-python3}"
missing=""
if ! command -v go >/dev/null 2>&1; then
  missing="go toolchain"
elif ! command -v "$py" >/dev/null 2>&1; then
  missing="$py"
elif ! "$py" -c 'import boto3, botocore' >/dev/null 2>&1; then
  missing="python module boto3"
elif ! command -v aws >/dev/null 2>&1; then
  missing="aws CLI"
fi
if [ -n "$missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "tests/compat: FAIL: $missing is required but not installed (CI=true)" >&2
    exit 1
  fi
  echo "tests/compat: SKIP: $missing is not installed; docs/compatibility.md not regenerated" >&2
  exit 0
fi

. "$root/tests/pgstore.sh"
trap pgstore_cleanup EXIT
pgstore_setup compat
case $? in
  0) ;;
  2) exit 0 ;;
  *) exit 1 ;;
esac

out="$(mktemp -d "${TMPDIR:-/tmp}/poseidon-compat.XXXXXX")"
trap 'rm -rf "$out"; pgstore_cleanup' EXIT
export PYTHONDONTWRITEBYTECODE=1
status=0

if [ -z "${POSEIDON_BIN:-}" ]; then
  echo "tests/compat: building poseidon" >&2
  if ! go build -o "$out/poseidon" ./cmd/poseidon; then
    echo "tests/compat: FAIL: go build" >&2
    exit 1
  fi
  export POSEIDON_BIN="$out/poseidon"
fi

# One go test run (one test binary) for both Go tests.
tests='TestCompatScenarios'
report=""
if grep -q 'func TestGeneratedRequests(' cmd/poseidon/*_test.go 2>/dev/null; then
  tests='TestCompatScenarios|TestGeneratedRequests'
  report="$out/generated-requests.md"
fi
echo "tests/compat: go test -run '^($tests)\$' ./cmd/poseidon" >&2
if ! POSEIDON_COMPAT_OUT="$out" POSEIDON_REQUESTS_REPORT="$report" \
    go test -count=1 -run "^($tests)\$" ./cmd/poseidon; then
  echo "tests/compat: FAIL: go test" >&2
  status=1
fi

for runner in run_boto3.py run_cli.py; do
  echo "tests/compat: $runner" >&2
  if ! POSEIDON_COMPAT_OUT="$out" "$py" "$here/$runner"; then
    echo "tests/compat: FAIL: $runner" >&2
    status=1
  fi
done

doc="$root/docs/compatibility.md"
table="$doc"
if [ "${POSEIDON_TEST_STORE:-}" = "postgres" ]; then
  table="$out/compatibility.md"
fi
if ! POSEIDON_REQUESTS_REPORT="$report" "$py" "$here/render.py" "$out" "$table"; then
  status=1
fi
if [ "$table" != "$doc" ] && ! diff -u "$doc" "$table" >&2; then
  echo "tests/compat: FAIL: the table of servers on PostgreSQL differs from docs/compatibility.md (above)" >&2
  status=1
fi
echo "tests/compat: $( [ $status -eq 0 ] && echo PASS || echo FAIL ) in ${SECONDS}s" >&2
exit $status
