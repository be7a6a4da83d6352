#!/usr/bin/env bash
# Streaming export benchmark (issue 4): exports of a seeded fleet through the
# real worker path, compared with plain compress/flate (level 5, as
# archive/zip uses) over the same uncompressed CSV bytes.
#
# It builds the worker's test binary, seeds the fleet once through the real
# intake path into a cached database (POSEIDON_BENCH_CACHE, default
# $TMPDIR/poseidon-bench; 10,000 servers × 72 h is 2.88 M reports, over 30
# minutes at the 1,500-2,500 reports/s intake takes on a 2-CPU VM, and about
# 6 GB; later runs reuse it), then runs each export kind in its own process
# under /usr/bin/time -v:
#   summary     the whole fleet: one row per server per file
#   ec2         the fleet's EC2 recommendations: one row per server, sized
#               from every sample of its agent
#   agent       one agent's 72 h window
#   all-agents  AGENTS agents' exports in sequence (0: every agent)
# and prints rows, rows/s, CSV bytes, export time, flate time, their ratio,
# the sampled peak Go heap, the peak RSS during the exports (VmHWM) and the
# process's max RSS.
#
#   bench/export.sh                          # 10000 servers × 72 h, seed 1, 1000 agents
#   SERVERS=1000 AGENTS=0 bench/export.sh   # 72 h agent windows in minutes
#   SERVERS=1000 HOURS=24 AGENTS=0 bench/export.sh
# The summary export's rows grow with SERVERS only, an agent export's with
# HOURS only.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVERS=${SERVERS:-10000}
HOURS=${HOURS:-72}
SEED=${SEED:-1}
AGENTS=${AGENTS:-1000}
export POSEIDON_BENCH_SERVERS=$SERVERS POSEIDON_BENCH_HOURS=$HOURS POSEIDON_BENCH_SEED=$SEED POSEIDON_BENCH_AGENTS=$AGENTS

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== build"
go test -c -o "$tmp/worker.test" ./internal/worker

run() { # name: runs one sub-benchmark in its own process
  (cd internal/worker && /usr/bin/time -v "$tmp/worker.test" -test.run XXX \
    -test.bench "BenchmarkExportFleet/$1\$" -test.benchtime 1x -test.timeout 0) \
    >"$tmp/$1.out" 2>"$tmp/$1.err" || { cat "$tmp/$1.out" "$tmp/$1.err"; exit 1; }
}

echo "== fleet: $SERVERS servers × $HOURS h, seed $SEED"
run seed
grep '^ *seeded ' "$tmp/seed.out" || echo "   (cached)"

printf '\n%-11s %8s %10s %10s %9s %9s %9s %8s %8s %8s %10s %9s %9s\n' \
  kind exports rows rows/s csv-MiB zip-MiB export-s build-s flate-s ratio build/fl heap-MiB rss-MiB
for kind in summary ec2 agent all-agents; do
  run "$kind"
  line=$(grep "^ *BenchmarkExportFleet/$kind " "$tmp/$kind.out" || true)
  [ -n "$line" ] || { cat "$tmp/$kind.out"; exit 1; }
  maxrss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$kind.err")
  metric() { awk -v k="$1" '{for (i = 2; i <= NF; i++) if ($i == k) print $(i-1)}' <<<"$(grep "^BenchmarkExportFleet/$kind-" "$tmp/$kind.out")"; }
  printf '%-11s %8.0f %10.0f %10.0f %9.1f %9.1f %9.3f %8.3f %8.3f %8.2f %10.2f %9.1f %9.1f\n' "$kind" \
    "$(metric exports)" "$(metric rows)" "$(metric rows/s)" "$(metric csv-MiB)" "$(metric zip-MiB)" \
    "$(awk '{print $1/1000}' <<<"$(metric export-ms)")" "$(awk '{print $1/1000}' <<<"$(metric build-ms)")" \
    "$(awk '{print $1/1000}' <<<"$(metric flate-ms)")" "$(metric export/flate)" "$(metric build/flate)" \
    "$(metric peak-heap-MiB)" "$(awk '{print $1/1024}' <<<"$maxrss")"
done
cat <<'EOF'

export-s: wall time of the exports through the worker (claim, build, write,
  fsync, rename, complete); build-s: the same without the queue's synced
  bookkeeping writes (claim, progress, complete); flate-s: compress/flate
  level 5 alone over the same CSV bytes into io.Discard; ratio: export/flate;
  heap-MiB: sampled peak Go heap during the exports; rss-MiB: max RSS of the
  whole benchmark process (/usr/bin/time), including the read-back and flate
  measurement after the exports.
EOF
