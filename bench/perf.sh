#!/usr/bin/env bash
# Performance side by side (issue 14): every scenario, each a ratio against a
# reference measured in the same run with the same client (bench/loadgen,
# which signs every request with SigV4 as aws-sdk-go v1 does), on both
# stores (SQLite in --data; PostgreSQL in a fresh schema of the test server
# POSEIDON_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
# and writes the "Side by side" section of docs/performance.md (between its
# generated-section markers; the other sections stay).
#
#   1. DescribeExportTasks, a page of 10 of an account's 1,000 exports, strict
#      mode, against a bare net/http handler returning the same bytes
#      (loadgen bare); ROUNDS rounds alternating the two.
#   2. The same polling against moto's server (python3 -m moto.server):
#      CloudWatch Logs DescribeExportTasks with as many export tasks.
#   3. Writes under load: 64 clients, CreateTags, StartExportTask and intake
#      with reads (loadgen mixed), server with --no-limits.
#   4. Depth: bench/scale.sh both $SCALE (deep/shallow page p99).
#   5. Start-up: exec to the first 200 from /_poseidon/health on an empty
#      store, against moto's start-up (bench/startup.sh too, if present).
#   6. Exports against compress/flate: bench/export.sh with SERVERS, HOURS,
#      AGENTS (SQLite: the export benchmark's store).
#
#   bench/perf.sh                       # about 10-15 minutes on 2 CPUs
#   STORES=sqlite ONLY="1 2" bench/perf.sh
#   SCALE=1 bench/perf.sh               # scenario 4 at a million rows (an hour)
# Env: STORES ("sqlite postgres"), ONLY (scenarios, default all),
# DURATION (8s per load figure), CONNS (8), ROUNDS (3), EXPORTS (1000),
# MIXED_DURATION (10s), SCALE (0.02), REPS (scale's timed calls, 1000),
# STARTS (5), SERVERS/HOURS/AGENTS (export.sh: 1000/72/50), OUT
# (docs/performance.md; "-" prints the section instead).
set -euo pipefail
cd "$(dirname "$0")/.."

STORES=${STORES:-sqlite postgres}
ONLY=${ONLY:-1 2 3 4 5 6}
DURATION=${DURATION:-8s}
CONNS=${CONNS:-8}
ROUNDS=${ROUNDS:-3}
EXPORTS=${EXPORTS:-1000}
MIXED_DURATION=${MIXED_DURATION:-10s}
SCALE=${SCALE:-0.02}
STARTS=${STARTS:-5}
OUT=${OUT:-docs/performance.md}
export SERVERS=${SERVERS:-1000} HOURS=${HOURS:-72} AGENTS=${AGENTS:-50}

want() { case " $ONLY " in *" $1 "*) return 0;; esac; return 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perf.XXXXXX")
logs=$tmp/logs
mkdir -p "$logs"
results=$logs/results.jsonl
: >"$results"
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -x "$tmp/pgschema" ] && "$tmp/pgschema" drop perf >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

PGURL=${POSEIDON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
SECONDS=0
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== perf: stores [$STORES], scenarios [$ONLY]; $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1); load average $loadavg_start"
echo "== build"
go build -o "$tmp/poseidon" ./cmd/poseidon
go build -o "$tmp/loadgen" ./bench/loadgen
go build -o "$tmp/pgschema" ./internal/postgres/pgtestdb/pgschema
lg=$tmp/loadgen
"$lg" creds -n 8 >"$tmp/creds.json"

# What the doc says was run (the loadgen invocations, with placeholders).
cmds=$logs/commands.txt
: >"$cmds"
cmd() { grep -qxF -- "$*" "$cmds" || echo "$*" >>"$cmds"; }

if case " $STORES " in *" postgres "*) true;; *) false;; esac && ! "$tmp/pgschema" check 2>"$logs/pgcheck.err"; then
  if [ "${CI:-}" = "true" ]; then echo "FAIL: PostgreSQL is required under CI=true: $(cat "$logs/pgcheck.err")"; exit 1; fi
  echo "SKIP PostgreSQL: $(cat "$logs/pgcheck.err")"
  STORES=${STORES//postgres/}
fi

# measure CMD...: runs a loadgen measurement, keeps its human lines in the
# log and its JSON line in the results.
measure() {
  local out
  out=$("$@") || { echo "$out"; return 1; }
  grep -v '^{' <<<"$out" | sed 's/^/   /'
  grep '^{' <<<"$out" >>"$results"
}

# start_server NAME STORE FLAGS...: a strict-mode poseidon; sets url and pid.
start_server() {
  local name=$1 store=$2; shift 2
  local db=()
  if [ "$store" = postgres ]; then
    db=(--database-url "$("$tmp/pgschema" create perf)")
  fi
  rm -rf "$tmp/$name"
  "$tmp/poseidon" serve --addr 127.0.0.1:0 --data "$tmp/$name" "${db[@]}" --credentials "$tmp/creds.json" \
    --control-token perf --log-level warn "$@" >"$logs/$name.out" 2>"$logs/$name.err" &
  pid=$!
  pids+=("$pid")
  url=
  for _ in $(seq 300); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$logs/$name.out")
    [ -n "$url" ] && return 0
    sleep 0.05
  done
  echo "server $name did not start:"; cat "$logs/$name.err"; exit 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# start_bare NAME CAPTURE: loadgen bare; sets burl and bpid.
start_bare() {
  "$lg" bare -addr 127.0.0.1:0 -response "$2" >"$logs/$1.out" 2>&1 &
  bpid=$!
  pids+=("$bpid")
  burl=
  for _ in $(seq 100); do
    burl=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$logs/$1.out")
    [ -n "$burl" ] && return 0
    sleep 0.05
  done
  echo "bare handler did not start:"; cat "$logs/$1.out"; exit 1
}

# start_moto NAME: moto's server; sets murl and mpid.
start_moto() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 -m moto.server -H 127.0.0.1 -p "$port" >"$logs/$1.out" 2>&1 &
  mpid=$!
  pids+=("$mpid")
  murl=http://127.0.0.1:$port
  for _ in $(seq 300); do
    curl -fs -o /dev/null "$murl/moto-api/" && return 0
    sleep 0.1
  done
  echo "moto did not start:"; cat "$logs/$1.out"; exit 1
}

describe=(-target AWSPoseidonService_V2015_11_01.DescribeExportTasks -body '{"maxResults":10}')
moto_describe=(-service logs -region us-east-1 -target Logs_20140328.DescribeExportTasks -body '{"limit":10}')
load=(-conns "$CONNS" -duration "$DURATION")

if want 1 || want 2; then
  for store in $STORES; do
    echo "== 1. DescribeExportTasks: poseidon ($store) against a bare net/http handler"
    start_server "s1-$store" "$store" --no-limits
    spid=$pid surl=$url
    cmd "poseidon serve --credentials creds.json --no-limits [--database-url URL] --data DIR"
    cmd "loadgen seed-exports -url URL -n $EXPORTS"
    "$lg" seed-exports -url "$surl" -n "$EXPORTS" 2>&1 | sed 's/^/   /'
    "$lg" capture -url "$surl" "${describe[@]}" -out "$tmp/capture-$store.json" 2>&1 | sed 's/^/   /'
    cmd "loadgen capture -url URL ${describe[*]} -out resp.json"
    start_bare "bare-$store" "$tmp/capture-$store.json"
    cmd "loadgen bare -response resp.json"
    cmd "loadgen load -url URL ${describe[*]} ${load[*]} -pid PID"
    for r in $(seq "$ROUNDS"); do
      measure "$lg" load -url "$surl" "${describe[@]}" "${load[@]}" -pid "$spid" -label "s1.$store.poseidon"
      measure "$lg" load -url "$burl" "${describe[@]}" "${load[@]}" -pid "$bpid" -label "s1.$store.bare"
    done
    stop "$bpid"
    stop "$spid"
  done
fi

if want 2; then
  echo "== 2. the same polling against moto's CloudWatch Logs DescribeExportTasks"
  start_moto moto
  cmd "python3 -m moto.server -p PORT"
  cmd "loadgen seed-moto -url URL -n $EXPORTS"
  cmd "loadgen load -url URL ${moto_describe[*]} ${load[*]} -pid PID"
  "$lg" seed-moto -url "$murl" -n "$EXPORTS" -conns 4 2>&1 | sed 's/^/   /'
  for r in $(seq "$ROUNDS"); do
    measure "$lg" load -url "$murl" "${moto_describe[@]}" "${load[@]}" -pid "$mpid" -label "s2.moto"
  done
  stop "$mpid"
  # moto answers every task whatever the limit: with 10 tasks its answer is
  # one page, as poseidon's is.
  start_moto moto10
  "$lg" seed-moto -url "$murl" -n 10 -conns 1 2>&1 | sed 's/^/   /'
  measure "$lg" load -url "$murl" "${moto_describe[@]}" "${load[@]}" -pid "$mpid" -label "s2.moto10"
  stop "$mpid"
fi

if want 3; then
  for store in $STORES; do
    echo "== 3. writes under load ($store): 64 clients"
    start_server "s3-$store" "$store" --no-limits
    cmd "loadgen mixed -url URL -clients 64 -duration $MIXED_DURATION -pid PID"
    measure "$lg" mixed -url "$url" -clients 64 -duration "$MIXED_DURATION" -pid "$pid" -label "s3.$store"
    stop "$pid"
  done
fi

if want 4; then
  echo "== 4. depth: bench/scale.sh both $SCALE"
  scale_stores=both
  case " $STORES " in *" postgres "*) ;; *) scale_stores=sqlite;; esac
  cmd "bench/scale.sh $scale_stores $SCALE"
  bench/scale.sh "$scale_stores" "$SCALE" | tee "$logs/scale.log" | grep -E 'deep/shallow|FAIL|PASS|ok ' | sed 's/^/   /'
fi

if want 5; then
  echo "== 5. start-up to the first 200 (empty store) against moto's"
  cmd "loadgen startup -runs $STARTS -- poseidon serve --addr 127.0.0.1:{port} --data {dir}/data [--database-url URL]"
  for store in $STORES; do
    if [ "$store" = postgres ]; then
      # A fresh schema per start: an empty database, migrated by the start.
      measure "$lg" startup -runs "$STARTS" -label "s5.postgres" -fresh-schema "$PGURL" -- "$tmp/poseidon" serve --addr '127.0.0.1:{port}' --data '{dir}/data' --database-url '{db}' --log-level warn
    else
      measure "$lg" startup -runs "$STARTS" -label "s5.sqlite" -- "$tmp/poseidon" serve --addr '127.0.0.1:{port}' --data '{dir}/data' --log-level warn
    fi
  done
  cmd "loadgen startup -runs $STARTS -path /moto-api/ -- python3 -m moto.server -p {port}"
  measure "$lg" startup -runs "$STARTS" -path /moto-api/ -label "s5.moto" -- python3 -m moto.server -H 127.0.0.1 -p '{port}'
  if [ -x bench/startup.sh ]; then
    cmd "bench/startup.sh"
    bench/startup.sh 2>&1 | tee "$logs/startup.log" | sed 's/^/   /'
  fi
fi

if want 6; then
  echo "== 6. exports against compress/flate: SERVERS=$SERVERS HOURS=$HOURS AGENTS=$AGENTS bench/export.sh"
  cmd "SERVERS=$SERVERS HOURS=$HOURS AGENTS=$AGENTS bench/export.sh"
  bench/export.sh 2>&1 | tee "$logs/export.log" | sed 's/^/   /'
fi

loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== perf done in ${SECONDS}s; load average $loadavg_end"
"$lg" doc -results "$results" -logs "$logs" -out "$OUT" -stores "$STORES" -exports "$EXPORTS" -elapsed "$SECONDS" \
  -loadavg "$loadavg_start → $loadavg_end" -commit "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- cmd internal || echo ' (modified)')" \
  -settings "STORES=\"$STORES\" DURATION=$DURATION CONNS=$CONNS ROUNDS=$ROUNDS EXPORTS=$EXPORTS MIXED_DURATION=$MIXED_DURATION SCALE=$SCALE STARTS=$STARTS SERVERS=$SERVERS HOURS=$HOURS AGENTS=$AGENTS"
[ "$OUT" = - ] || echo "== wrote the side-by-side section of $OUT"
