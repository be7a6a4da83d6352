#!/usr/bin/env bash
# Seeding benchmark: builds poseidon, starts a server on a fresh data
# directory (embedded SQLite), seeds a fleet into it with "poseidon seed" under
# /usr/bin/time -v, and prints the wall time, the rate, and the peak memory
# (max RSS) of the seeder and of the server (VmHWM from /proc).
#
#   bench/seed.sh                      # 1000 servers × 72 h, seed 1
#   SERVERS=100 HOURS=24 bench/seed.sh
#   BATCH=1000 CONCURRENCY=4 bench/seed.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SERVERS=${SERVERS:-1000}
HOURS=${HOURS:-72}
SEED=${SEED:-1}
BATCH=${BATCH:-500}
CONCURRENCY=${CONCURRENCY:-2}

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== build"
go build -o "$tmp/poseidon" ./cmd/poseidon

echo "== server"
# Unset AWS credentials: the server runs in open mode and the seeder sends
# unsigned requests (account 000000000000) unless the caller exports keys.
"$tmp/poseidon" serve --addr 127.0.0.1:0 --data "$tmp/data" --log-level warn \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.out")
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "server did not start:"; cat "$tmp/serve.err"; exit 1
fi
echo "server pid $server_pid at $url"

echo "== seed $SERVERS servers × $HOURS h (seed $SEED, batch $BATCH, concurrency $CONCURRENCY)"
if ! /usr/bin/time -v "$tmp/poseidon" seed --endpoint "$url" --servers "$SERVERS" --hours "$HOURS" \
  --seed "$SEED" --batch "$BATCH" --concurrency "$CONCURRENCY" --quiet \
  >"$tmp/agents.txt" 2>"$tmp/seed.err"; then
  cat "$tmp/seed.err"; exit 1
fi
server_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")
server_cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$server_pid/stat")

summary=$(grep '^seeded ' "$tmp/seed.err" || true)
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/seed.err")
seeder_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/seed.err")
seeder_cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$tmp/seed.err")
reports=$((SERVERS * HOURS * 4))

echo "$summary"
echo "agents on stdout:   $(wc -l <"$tmp/agents.txt")"
echo "reports:            $reports"
echo "wall time:          $wall"
echo "seeder max RSS:     $((seeder_rss / 1024)) MiB (CPU ${seeder_cpu} s)"
echo "server VmHWM:       $((server_hwm / 1024)) MiB (CPU ${server_cpu} s since start)"
echo "database size:      $(du -sh "$tmp/data" | cut -f1)"
