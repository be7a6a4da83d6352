#!/usr/bin/env bash
# Run every command of README.md, in order, so that the README cannot drift:
# the ```sh blocks (not the ```sh norun ones; tests/readme/extract.awk) become
# one `bash -euo pipefail` script, run in a copy of the repository (its files
# as `git ls-files` lists them, changes not yet committed included) in a new
# temporary directory, with a new empty HOME and a clean environment (PATH,
# the Go caches and PYENV_ROOT kept; no AWS_* or POSEIDON_* variable). As
# root, with unshare and ip, it runs in new network and PID namespaces: port
# 8470 is its own, and every process it started dies with it. Any failing
# command fails the run; so does a background job still running at the end
# (the README must stop its server).
# Usage: tests/readme/run.sh [MARKDOWN_FILE]   (default README.md)
# Env: CI=true makes a missing tool an error (otherwise: skip);
#      README_KEEP=1 keeps the temporary directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
readme="${1:-$root/README.md}"

say() { echo "tests/readme: $*" >&2; }
echo "== README: every command of $(basename "$readme"), in order"
missing() {
  if [ "${CI:-}" = "true" ]; then say "FAIL: $1 is required (CI=true)"; exit 1; fi
  say "SKIP: $1 is not available"; exit 0
}
for tool in curl unzip; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null 2>&1 || true
  fi
done
for tool in go aws python3 curl unzip; do
  command -v "$tool" >/dev/null 2>&1 || missing "$tool"
done
python3 -c 'import boto3' >/dev/null 2>&1 || missing "python3's boto3"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/poseidon-readme-XXXXXX")"
cleanup() {
  if [ -n "${README_KEEP:-}" ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
work="$tmp/poseidon"
mkdir -p "$work" "$tmp/home"

# The commands, then the check that nothing the README started still runs.
script="$tmp/readme.sh"
{
  echo "set -euo pipefail"
  echo "# On any exit, stop what the README started in the background."
  echo "trap 'kill \$(jobs -pr) 2>/dev/null || true' EXIT"
  awk -v file="$(basename "$readme")" -f "$here/extract.awk" "$readme"
  cat <<'EOF'

left="$(jobs -pr)"
if [ -n "$left" ]; then
  echo "tests/readme: FAIL: the README left background processes running: $left" >&2
  kill $left 2>/dev/null || true
  exit 1
fi
EOF
} >"$script"

# A copy of the repository, as a clone would have it (uncommitted changes
# included, ignored files left out).
# Not a git work tree (an exported source tree): everything but the build
# output and data folders the README makes.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$work"
else
  tar -C "$root" --exclude=./.git --exclude=./bin --exclude=./poseidon-data -cf - . | tar -xf - -C "$work"
fi

# Modules come from the proxy: fetch them before the network goes away.
gocache="$(go env GOCACHE)" gomodcache="$(go env GOMODCACHE)" gopath="$(go env GOPATH)"
(cd "$work" && go mod download)

envs=(HOME="$tmp/home" PATH="$PATH" LANG=C.UTF-8 TMPDIR="$tmp"
  GOCACHE="$gocache" GOMODCACHE="$gomodcache" GOPATH="$gopath"
  GOPROXY="$(go env GOPROXY)" GOTOOLCHAIN=local CI="${CI:-}")
[ -n "${PYENV_ROOT:-}" ] && envs+=(PYENV_ROOT="$PYENV_ROOT")

cd "$work"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 &&
  unshare --net --pid --fork --kill-child true 2>/dev/null; then
  say "running $(grep -c '^# .*:[0-9]*$' "$script") blocks of $readme in $work (own network and PID namespaces)"
  env -i "${envs[@]}" unshare --net --pid --fork --kill-child \
    bash -c 'ip link set lo up && exec bash "$0"' "$script" ||
    { say "FAIL: a command of $readme failed (in the last block printed above)"; exit 1; }
else
  if (exec 3<>/dev/tcp/127.0.0.1/8470) 2>/dev/null; then
    say "FAIL: port 8470 is in use, and the README's server needs it (run as root to use a network namespace)"
    exit 1
  fi
  say "running $(grep -c '^# .*:[0-9]*$' "$script") blocks of $readme in $work"
  env -i "${envs[@]}" bash "$script" ||
    { say "FAIL: a command of $readme failed (in the last block printed above)"; exit 1; }
fi
say "passed"
