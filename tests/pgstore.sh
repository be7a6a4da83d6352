# Sourced by tests/python/run.sh and tests/compat/run.sh (bash). With
# POSEIDON_TEST_STORE=postgres the servers they start keep their state in
# PostgreSQL, on the test server of internal/postgres/pgtestdb
# (POSEIDON_TEST_DATABASE_URL, by default postgres://postgres@127.0.0.1:5432/test),
# each in a schema of its own (tests/python/harness.py; the Go tests'
# servers: cmd/poseidon/store_test.go), made and dropped by the pgschema
# command: no PostgreSQL client is needed.
#
# pgstore_setup NAME: with POSEIDON_TEST_STORE=postgres, builds pgschema
# (unless $POSEIDON_PGSCHEMA_BIN names it), checks that the test server
# answers, and names the run's schemas NAME_<pid>_... Returns 0 to go on,
# 2 to skip (the server is unreachable, outside CI), 1 to fail (also when
# it is unreachable under CI=true). pgstore_cleanup drops the run's schemas.
pgstore_setup() {
  local name="$1" err
  case "${POSEIDON_TEST_STORE:-}" in
    "" | sqlite) return 0 ;;
    postgres) ;;
    *) echo "$name: FAIL: POSEIDON_TEST_STORE=$POSEIDON_TEST_STORE: want sqlite or postgres" >&2; return 1 ;;
  esac
  if [ -z "${POSEIDON_PGSCHEMA_BIN:-}" ]; then
    pgstore_dir="$(mktemp -d "${TMPDIR:-/tmp}/poseidon-pgschema.XXXXXX")"
    if ! go build -o "$pgstore_dir/pgschema" ./internal/postgres/pgtestdb/pgschema; then
      echo "$name: FAIL: go build pgschema" >&2
      return 1
    fi
    export POSEIDON_PGSCHEMA_BIN="$pgstore_dir/pgschema"
  fi
  if ! err="$("$POSEIDON_PGSCHEMA_BIN" check 2>&1)"; then
    if [ "${CI:-}" = "true" ]; then
      echo "$name: FAIL: POSEIDON_TEST_STORE=postgres requires PostgreSQL (CI=true): $err" >&2
      return 1
    fi
    echo "$name: SKIP: POSEIDON_TEST_STORE=postgres but $err" >&2
    return 2
  fi
  export POSEIDON_PGSCHEMA_PREFIX="${name}_$$"
  echo "$name: servers on PostgreSQL (schemas ${POSEIDON_PGSCHEMA_PREFIX}_*)" >&2
}

pgstore_cleanup() {
  if [ -n "${POSEIDON_PGSCHEMA_PREFIX:-}" ]; then
    "$POSEIDON_PGSCHEMA_BIN" drop "$POSEIDON_PGSCHEMA_PREFIX" || true
  fi
  if [ -n "${pgstore_dir:-}" ]; then
    rm -rf "$pgstore_dir"
  fi
}
