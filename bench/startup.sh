#!/usr/bin/env bash
# Start-up benchmark (issue 14, scenario 5): the time from exec of the built
# poseidon binary to the first 200 from /_poseidon/health, on an empty store
# and on one holding 1,000,000 export tasks and 10,000,000 samples (SCALE=1;
# the scale benchmark's data, bench/scale), against moto's start-up
# (`python3 -m moto.server -p PORT` to its first answer). Target: at most
# 50 ms in both cases and at least 10x faster than moto.
#
#   bench/startup.sh [sqlite|postgres|both]     # default both
#   SCALE=0.01 RUNS=11 bench/startup.sh sqlite
#
# Each case is RUNS timed starts (default 7) after one untimed warm-up, by
# `loadgen startup` (bench/loadgen: exec, then a new connection to the
# health URL every 200 µs until it answers 200, then SIGTERM); the median is
# the figure.
#   empty:  a new data directory (SQLite) or a new schema (PostgreSQL) for
#           every start: the store is created and migrated, as in CI.
#   filled: the store filled at SCALE by bench/scale (TestKeep), kept under
#           $POSEIDON_BENCH_CACHE/startup (default $TMPDIR/poseidon-bench;
#           SQLite about 5.5 GB, PostgreSQL about 8 GB in the schema
#           bench_keep_1 of POSEIDON_TEST_DATABASE_URL, default
#           postgres://postgres@127.0.0.1:5432/test). The first run fills it
#           (10 to 20 minutes per store at SCALE=1); later runs reuse it.
# Prints one human line and one JSON line ({"scenario":"startup",...}) per
# case; poseidon's lines carry the ratio to moto's median (ref_ratio).
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=${1:-both}
case $STORE in sqlite|postgres|both) ;; *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2;; esac
SCALE=${SCALE:-1}
RUNS=${RUNS:-7}
CACHE=${POSEIDON_BENCH_CACHE:-${TMPDIR:-/tmp}/poseidon-bench}/startup
PGURL=${POSEIDON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
tag=$(tr '.+-' '___' <<<"$SCALE")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== start-up: $STORE, filled store at scale $SCALE, $RUNS runs per case; $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1); $(date -u +%Y-%m-%dT%H:%M:%SZ)"
go build -o "$tmp/poseidon" ./cmd/poseidon
go build -o "$tmp/loadgen" ./bench/loadgen
st() { "$tmp/loadgen" startup -runs "$RUNS" "$@"; }

ref=()
if python3 -c 'import moto.server' 2>/dev/null; then
  out=$(st -label moto -path /moto-api/ -- python3 -m moto.server -H 127.0.0.1 -p '{port}')
  echo "$out"
  moto=$(sed -n 's/.*"median_ms":\([0-9.]*\).*/\1/p' <<<"$out")
  ref=(-ref "moto=$moto")
else
  echo "startup moto: skipped (python3 -m moto.server unavailable: pip install 'moto[server]')"
fi

stores=()
[ "$STORE" = postgres ] || stores+=(sqlite)
[ "$STORE" = sqlite ] || stores+=(postgres)
for s in "${stores[@]}"; do
  echo "== $s: filling or reusing the kept store (scale $SCALE)"
  POSEIDON_SCALE_KEEP=$CACHE POSEIDON_SCALE=$SCALE POSEIDON_SCALE_STORE=$s \
    go test -count=1 -v -timeout 0 -run '^TestKeep$' ./bench/scale >"$tmp/keep.log" 2>&1 ||
    { cat "$tmp/keep.log"; exit 1; }
  grep -E '^(scale|keep):' "$tmp/keep.log" || true
  if [ "$s" = sqlite ]; then
    st -label sqlite-empty "${ref[@]}" -- \
      "$tmp/poseidon" serve --addr '127.0.0.1:{port}' --data '{dir}'
    st -label "sqlite-filled-$SCALE" "${ref[@]}" -- \
      "$tmp/poseidon" serve --addr '127.0.0.1:{port}' --data "$CACHE/sqlite-$tag"
  else
    st -label postgres-empty -fresh-schema "$PGURL" "${ref[@]}" -- \
      "$tmp/poseidon" serve --addr '127.0.0.1:{port}' --data '{dir}' --database-url '{db}'
    st -label "postgres-filled-$SCALE" "${ref[@]}" -- \
      "$tmp/poseidon" serve --addr '127.0.0.1:{port}' --data '{dir}' --database-url "$(cat "$CACHE/postgres-$tag.url")"
  fi
done
