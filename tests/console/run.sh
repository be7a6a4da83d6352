#!/usr/bin/env bash
# Browser tests of the web console (/_poseidon/ui/): playwright-core (npm,
# exact version in package-lock.json) drives Debian's chromium, headless,
# against a freshly built poseidon in strict mode with two seeded accounts.
# Scenarios (console.test.mjs): sign-in, the server list over a seeded fleet,
# starting an export and downloading it, a server's charts, applications,
# the dependency map and following a node to its server, and that account A
# never sees account B's data. Then it prints (never asserts) page-load
# times of the server list and the map for 1,000 and 10,000 servers.
#
# Installs what it needs: chromium (apt-get, when missing) and npm ci here.
# Without them it skips, or fails under CI=true.
# Screenshots and the downloaded export go to tests/console/artifacts/
# (gitignored); CONSOLE_UPDATE_DOCS=1 also copies the map and server page
# shots to docs/img/.
# Env: POSEIDON_BIN (skip go build); CONSOLE_SCALES ("1000 10000", the fleet
# sizes timed; "" for none); CONSOLE_KEEP=1 keeps the data directory.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
echo "== web console in headless Chromium (tests/console)"

fail_or_skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "tests/console: FAIL: $1 (CI=true)" >&2
    exit 1
  fi
  echo "tests/console: SKIP: $1" >&2
  exit 0
}

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "-- installing chromium (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/tmp/poseidon-console-apt.log 2>&1 ||
      { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/tmp/poseidon-console-apt.log 2>&1; }
  fi
  [ -x "$chromium" ] || fail_or_skip "chromium is not installed at $chromium (apt-get install -y chromium)"
fi
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || fail_or_skip "node and npm are required"
# npm ci unless node_modules already holds the locked playwright-core.
installed="$(cd "$here" && node -e 'try { const l = require("./package-lock.json").packages["node_modules/playwright-core"].version;
  process.stdout.write(require("./node_modules/playwright-core/package.json").version === l ? "yes" : "no") } catch { process.stdout.write("no") }')"
if [ "$installed" != yes ]; then
  echo "-- npm ci (playwright-core)"
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null) || fail_or_skip "npm ci failed in tests/console"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/poseidon-console-XXXXXX")"
pid=""
opid=""
cleanup() {
  for p in $pid $opid; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "${CONSOLE_KEEP:-}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

bin="${POSEIDON_BIN:-}"
if [ -z "$bin" ]; then
  command -v go >/dev/null 2>&1 || fail_or_skip "go is required (or set POSEIDON_BIN)"
  bin="$tmp/poseidon"
  (cd "$root" && go build -o "$bin" ./cmd/poseidon) || exit 1
fi

# Two identities per account family: A and B for the scenarios, then one
# account per timed fleet size.
cat >"$tmp/credentials.json" <<JSON
{"identities": [
  {"accessKeyId": "AKIACONSOLEA", "secretAccessKey": "secret-of-a", "accountId": "111111111111"},
  {"accessKeyId": "AKIACONSOLEB", "secretAccessKey": "secret-of-b", "accountId": "222222222222"},
  {"accessKeyId": "AKIACONSOLE1K", "secretAccessKey": "secret-of-1k", "accountId": "333333333333"},
  {"accessKeyId": "AKIACONSOLE10K", "secretAccessKey": "secret-of-10k", "accountId": "444444444444"}
]}
JSON
token="console-test-token"
"$bin" serve --addr 127.0.0.1:0 --data "$tmp/data" --credentials "$tmp/credentials.json" --control-token "$token" \
  --workers 2 >"$tmp/serve.out" 2>"$tmp/serve.log" &
pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^poseidon listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.out" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log"; echo "tests/console: FAIL: poseidon did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "tests/console: FAIL: poseidon did not say where it listens" >&2; exit 1; }
echo "-- poseidon (strict mode) at $url"

seed() { # access key, secret, servers, hours, seed, agent IDs file
  AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$2" AWS_REGION=us-west-2 \
    "$bin" seed --endpoint "$url" --servers "$3" --hours "$4" --seed "$5" --control-token "$token" --quiet --concurrency 2 >"$6"
}
echo "-- seeding account A (60 servers x 24 h) and account B (40 servers x 24 h)"
seed AKIACONSOLEA secret-of-a 60 24 1 "$tmp/agents-a.txt" || exit 1
seed AKIACONSOLEB secret-of-b 40 24 2 "$tmp/agents-b.txt" || exit 1

# An import file in A's bucket (strict mode: <data>/buckets/<account>/<bucket>/):
# one good row, two bad ones, for the import page and its errors file.
mkdir -p "$tmp/data/buckets/111111111111/console-bucket"
printf '%s\n' 'ExternalId,IPAddress,MACAddress,HostName,OS.Name,CPU.NumberOfCores,Applications,ApplicationWave,Tags' \
  'ext-1,,,imported-1,Linux,4,,,' ',,,,Linux,4,,,' 'ext-2,,,imported-2,Linux,many,,,' \
  >"$tmp/data/buckets/111111111111/console-bucket/servers.csv"

export POSEIDON_URL="$url" CONSOLE_TMP="$tmp" CONSOLE_ARTIFACTS="$here/artifacts" CONSOLE_ROOT="$root"
mkdir -p "$here/artifacts"
status=0
(cd "$here" && node --test --test-reporter=spec --test-concurrency=1 console.test.mjs) || status=1

# Open mode, the README's path: serve --demo, continue unsigned.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN POSEIDON_CONTROL_TOKEN= \
  "$bin" serve --addr 127.0.0.1:0 --data "$tmp/open" --demo >"$tmp/open.out" 2>"$tmp/open.log" &
opid=$!
openurl=""
for _ in $(seq 1 300); do
  [ -z "$openurl" ] && openurl="$(sed -n 's/^poseidon listening on \(http:[^ ]*\).*/\1/p' "$tmp/open.out" | head -1)"
  grep -q "demo fleet seeded" "$tmp/open.log" && break
  kill -0 "$opid" 2>/dev/null || break
  sleep 0.1
done
if grep -q "demo fleet seeded" "$tmp/open.log"; then
  (cd "$here" && POSEIDON_URL="$openurl" node --test --test-reporter=spec open.test.mjs) || status=1
else
  cat "$tmp/open.log" >&2
  echo "tests/console: FAIL: poseidon serve --demo did not seed its fleet" >&2
  status=1
fi
kill "$opid" 2>/dev/null
wait "$opid" 2>/dev/null
opid=""

if [ $status = 0 ] && [ -n "${CONSOLE_SCALES-1000 10000}" ]; then
  echo "-- page-load times (printed, not asserted)"
  for n in ${CONSOLE_SCALES-1000 10000}; do
    case $n in
      1000) key=AKIACONSOLE1K secret=secret-of-1k ;;
      10000) key=AKIACONSOLE10K secret=secret-of-10k ;;
      *) echo "CONSOLE_SCALES: only 1000 and 10000" >&2; exit 1 ;;
    esac
    s=$SECONDS
    seed "$key" "$secret" "$n" 1 7 "$tmp/agents-$n.txt" || exit 1
    echo "   seeded $n servers x 1 h in $((SECONDS - s)) s"
    (cd "$here" && CONSOLE_KEY="$key" CONSOLE_SECRET="$secret" CONSOLE_SERVERS="$n" node timing.mjs) || status=1
  done
fi
exit $status
