#!/usr/bin/env bash
# The full test suite: formatting, vet, every Go test under the race detector
# (end-to-end tests included: real server, real SQLite, aws-sdk-go v1), the
# short reliability runs (crash loop, load) with their figures, a bounded
# fuzzing pass, the Python suite with the machine's boto3 and aws CLI, and the
# three-client compatibility table (docs/compatibility.md; any red cell fails),
# every command of README.md in order (tests/readme/run.sh), and the container
# image built with podman and run (tests/image/run.sh), the Go and pytest
# fixtures' own tests (tests/fixtures/run.sh).
# Then the end-to-end suites once more with every server on PostgreSQL
# (POSEIDON_TEST_STORE=postgres, on POSEIDON_TEST_DATABASE_URL, by default
# postgres://postgres@127.0.0.1:5432/test): the cmd/poseidon tests (crash loop
# and load included), the Python suite, and the compatibility table, which
# must equal the one the SQLite run wrote. Under CI=true nothing may be
# skipped for a missing dependency, PostgreSQL included.
# Env: FUZZTIME (default 8s per fuzz target); POSEIDON_LOAD_DURATION (default
# 30s under CI=true, else 5s); POSEIDON_CRASH_KILLS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

reliability='^(TestCrashLoop|TestLoad)$'

echo "== go test -race"
go test -race -count=1 -timeout 25m -skip "$reliability" ./...

echo "== reliability: crash loop and load (real binary)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! go test -count=1 -v -run "$reliability" ./cmd/poseidon >"$log" 2>&1; then
  cat "$log"; exit 1
fi
grep -E '^(crashloop|load):|^--- ' "$log"

echo "== fuzz (FUZZTIME=${FUZZTIME:-8s} per target)"
FUZZTIME="${FUZZTIME:-8s}" scripts/fuzz.sh

echo "== python suite (boto3, aws CLI)"
tests/python/run.sh

echo "== compatibility: aws-sdk-go v1, boto3, aws CLI"
tests/compat/run.sh

tests/readme/run.sh
tests/image/run.sh
tests/fixtures/run.sh
tests/console/run.sh
echo "== athena: AWS's predefined queries in DuckDB over the continuous export"; tests/athena/run.sh

echo "== PostgreSQL: e2e, python, compatibility"
stage=$SECONDS
pgbin=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$pgbin"' EXIT
go build -o "$pgbin/pgschema" ./internal/postgres/pgtestdb/pgschema
if pgerr=$("$pgbin/pgschema" check 2>&1); then
  export POSEIDON_PGSCHEMA_BIN="$pgbin/pgschema"
  echo "-- go test ./cmd/poseidon (POSEIDON_TEST_STORE=postgres)"
  if ! POSEIDON_TEST_STORE=postgres go test -count=1 -v -timeout 25m ./cmd/poseidon >"$log" 2>&1; then
    grep -a -E -A20 '^\s*--- FAIL|^panic' "$log" | head -300
    tail -20 "$log"
    exit 1
  fi
  grep -a -E '^(crashloop|load):|^(ok|FAIL)\s' "$log"
  echo "-- python suite (POSEIDON_TEST_STORE=postgres)"
  POSEIDON_TEST_STORE=postgres tests/python/run.sh
  echo "-- compatibility (POSEIDON_TEST_STORE=postgres)"
  POSEIDON_TEST_STORE=postgres tests/compat/run.sh
  echo "== PostgreSQL stage passed in $((SECONDS - stage))s"
elif [ "${CI:-}" = "true" ]; then
  echo "FAIL: PostgreSQL is required under CI=true: $pgerr"; exit 1
else
  echo "SKIP: the PostgreSQL stage needs PostgreSQL: $pgerr"
fi

echo "== all passed in ${SECONDS}s"
