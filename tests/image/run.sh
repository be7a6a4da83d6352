#!/usr/bin/env bash
# Build the container image (Containerfile, scripts/image.sh) with Debian's
# podman and test it: its configuration (entrypoint, command, user, port,
# volume, health check), its files, then the image run as a container:
# health, the health check podman runs, the AWS CLI, an export downloaded
# through the published port, data kept in the volume across containers, a
# clean stop on SIGTERM, and `serve --ephemeral` (a writable /tmp).
#
# Running it: podman's defaults may fail on a machine whose limits the
# runtime may not raise (`crun: setrlimit RLIMIT_NOFILE: Operation not
# permitted`) or whose cgroups are hybrid (crun refuses them). The script
# tries, in order, podman's defaults, then explicit --ulimit values the
# process may keep, then the same with runc, and uses the first way under
# which the image runs `version`. If none does, it tests the image's root
# file system as the entrypoint says, under chroot in new namespaces, and
# says so (docs/container.md).
#
# Installs podman and runc with apt-get when missing. Under CI=true a missing
# podman, aws CLI or python3 fails the stage; elsewhere it skips.
# Env: PODMAN (default podman), KEEP_IMAGE=1 keeps the test image,
# IMAGE_TEST_CHROOT=1 skips podman run and tests the chroot way.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
podman="${PODMAN:-podman}"

say() { echo "tests/image: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
missing() {
  if [ "${CI:-}" = "true" ]; then fail "$1 is required (CI=true)"; fi
  say "SKIP: $1 is not available"; exit 0
}

install_debs() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; } ||
      return 1
  else
    return 1
  fi
}

if ! command -v "$podman" >/dev/null 2>&1; then
  install_debs podman runc || true
  command -v "$podman" >/dev/null 2>&1 || missing "podman"
fi
command -v aws >/dev/null 2>&1 || missing "the aws CLI"
command -v python3 >/dev/null 2>&1 || missing "python3"
command -v curl >/dev/null 2>&1 || missing "curl"

work="$(mktemp -d "${TMPDIR:-/tmp}/poseidon-image-test-XXXXXX")"
tag="localhost/poseidon-test:$$"
volume="poseidon-test-data-$$"
containers=()
cleanup() {
  for c in "${containers[@]}"; do "$podman" rm -f -v -t 0 "$c" >/dev/null 2>&1 || true; done
  "$podman" volume rm -f "$volume" >/dev/null 2>&1 || true
  if [ -n "${rootfs_mounted:-}" ]; then "$podman" image unmount "$tag" >/dev/null 2>&1 || true; fi
  if [ -z "${KEEP_IMAGE:-}" ]; then "$podman" rmi -f "$tag" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The host's own poseidon, for `poseidon health --url` from outside.
go build -o "$work/poseidon" ./cmd/poseidon
host_poseidon="$work/poseidon"

echo "== image: build ($podman $("$podman" --version | awk '{print $NF}'))"
scripts/image.sh "$tag" >/dev/null

echo "== image: configuration"
check() { # check WHAT GOT WANT
  if [ "$2" != "$3" ]; then fail "$1: got $2, want $3"; fi
  echo "ok: $1 $2"
}
inspect() { "$podman" image inspect --format "$1" "$tag"; }
check "entrypoint" "$(inspect '{{json .Config.Entrypoint}}')" '["/poseidon"]'
check "command" "$(inspect '{{json .Config.Cmd}}')" '["serve","--data","/data"]'
check "user" "$(inspect '{{.Config.User}}')" '65532:65532'
check "ports" "$(inspect '{{json .Config.ExposedPorts}}')" '{"8470/tcp":{}}'
check "volumes" "$(inspect '{{json .Config.Volumes}}')" '{"/data":{}}'
check "workdir" "$(inspect '{{.Config.WorkingDir}}')" '/data'
check "healthcheck" "$(inspect '{{json .HealthCheck.Test}}')" '["CMD","/poseidon","health","--timeout","2s"]'
env_json="$(inspect '{{json .Config.Env}}')"
for kv in POSEIDON_ADDR=0.0.0.0:8470 POSEIDON_PUBLIC_URL=http://127.0.0.1:8470; do
  case "$env_json" in *"\"$kv\""*) echo "ok: env $kv" ;; *) fail "env: $kv missing from $env_json" ;; esac
done

echo "== image: files"
mnt="$("$podman" image mount "$tag")"
rootfs_mounted=1
files="$(cd "$mnt" && find . -printf '%p %m %U:%G %y\n' | sort)"
want=". 555 0:0 d
./data 700 65532:65532 d
./poseidon 555 0:0 f
./tmp 1777 0:0 d"
[ "$files" = "$want" ] || fail "files of the image:
$files
want:
$want"
echo "$files"
buildinfo="$(go version -m "$mnt/poseidon")"
grep -q 'CGO_ENABLED=0' <<<"$buildinfo" || fail "the binary was not built with CGO_ENABLED=0"
echo "ok: /poseidon built with CGO_ENABLED=0 (static)"
# A copy of the root file system, for the fallback below.
cp -a "$mnt" "$work/rootfs"
"$podman" image unmount "$tag" >/dev/null
rootfs_mounted=

export AWS_ACCESS_KEY_ID=123456789012 AWS_SECRET_ACCESS_KEY=anything AWS_DEFAULT_REGION=us-west-2
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_healthy URL: poll `poseidon health` until it answers (at most 30 s).
wait_healthy() {
  local i
  for i in $(seq 150); do
    if "$host_poseidon" health --url "$1" --timeout 1s >/dev/null 2>&1; then
      "$host_poseidon" health --url "$1" --timeout 1s
      return 0
    fi
    sleep 0.2
  done
  "$host_poseidon" health --url "$1" --timeout 1s
}
# api_checks ENDPOINT: the AWS CLI against the server: the demo fleet, an
# export waited for and downloaded from the URL the server gives.
api_checks() {
  local ep="$1" n i id status url
  for i in $(seq 150); do
    n="$(aws --endpoint-url "$ep" discovery describe-agents --query 'length(agentsInfo)' --output text)"
    [ "$n" = 12 ] && break
    sleep 0.2
  done
  check "agents of the demo fleet (aws discovery describe-agents)" "$n" 12
  id="$(aws --endpoint-url "$ep" discovery start-export-task --query exportId --output text)"
  for i in $(seq 300); do
    status="$(aws --endpoint-url "$ep" discovery describe-export-tasks --export-ids "$id" \
      --query 'exportsInfo[0].exportStatus' --output text)"
    [ "$status" != IN_PROGRESS ] && break
    sleep 0.2
  done
  check "export $id" "$status" SUCCEEDED
  url="$(aws --endpoint-url "$ep" discovery describe-export-tasks --export-ids "$id" \
    --query 'exportsInfo[0].configurationsDownloadUrl' --output text)"
  curl -fsS -o "$work/export.zip" "$url"
  python3 -m zipfile -t "$work/export.zip" >/dev/null || fail "the export download is not a valid zip"
  echo "ok: downloaded $(python3 -m zipfile -l "$work/export.zip" | tail -n +2 | wc -l) files from $url"
  export_id="$id"
}

# --- Which way podman runs the image here: each way is podman's global
# options and `podman run` options (words without spaces).
nofile="$(ulimit -Hn)"
nproc="$(ulimit -Hu)"
# Above 32768 processes, runc's setrlimit fails here too (podman 4.3).
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
ulimits="--ulimit nofile=$nofile:$nofile --ulimit nproc=$nproc:$nproc"
declare -A way_global=([default]="" [ulimits]="" [runc]="--runtime runc")
declare -A way_run=([default]="" [ulimits]="$ulimits" [runc]="$ulimits")
ways=(default ulimits)
if ! command -v runc >/dev/null 2>&1; then install_debs runc || true; fi
if command -v runc >/dev/null 2>&1; then ways+=(runc); fi
way=
if [ -n "${IMAGE_TEST_CHROOT:-}" ]; then ways=(); say "IMAGE_TEST_CHROOT is set: not trying podman run"; fi
for w in "${ways[@]}"; do
  # shellcheck disable=SC2086 # the options are words
  if out="$("$podman" ${way_global[$w]} run --rm ${way_run[$w]} --health-interval disable "$tag" version 2>&1)" &&
    grep -q '^poseidon ' <<<"$out"; then
    way="$w"; break
  fi
  say "podman run ($w: ${way_global[$w]} ${way_run[$w]}): $(grep -v 'level=' <<<"$out" | tail -1)"
done

if [ -n "$way" ]; then
  echo "== image: podman run works here: podman ${way_global[$way]} run ${way_run[$way]:-(defaults)} ($way)"
  read -r -a global <<<"${way_global[$way]}"
  read -r -a local_opts <<<"${way_run[$way]}"
  p() { "$podman" "${global[@]}" "$@"; }
  # No systemd here to run the health check on a timer: it is run on demand
  # with `podman healthcheck run`, which runs the image's HEALTHCHECK.
  start() { # start NAME PORT [ARGS...]: a detached container of the image
    local name="$1" port="$2"; shift 2
    containers+=("$name")
    p run -d --name "$name" "${local_opts[@]}" --health-interval disable \
      -p "127.0.0.1:$port:8470" -e POSEIDON_PUBLIC_URL="http://127.0.0.1:$port" \
      -e AWS_ACCESS_KEY_ID=123456789012 "$@" >/dev/null 2> >(grep -v 'systemd' >&2)
  }
  healthcheck() { # healthcheck NAME: the image's HEALTHCHECK, run by podman
    p healthcheck run "$1" || fail "podman healthcheck run $1: not healthy"
    check "health status of $1" "$(p inspect --format '{{.State.Health.Status}}' "$1")" healthy
  }
  stop_clean() { # stop_clean NAME: SIGTERM, then the exit code must be 0
    p stop -t 30 "$1" >/dev/null 2> >(grep -v 'systemd' >&2)
    check "exit code of $1 after SIGTERM" "$(p inspect --format '{{.State.ExitCode}}' "$1")" 0
  }

  port="$(free_port)"
  a="poseidon-test-a-$$"
  echo "-- container $a: serve --data /data --demo, volume $volume, port $port"
  start "$a" "$port" -v "$volume:/data" "$tag" serve --data /data --demo
  wait_healthy "http://127.0.0.1:$port" || { p logs "$a" >&2; fail "$a never became healthy"; }
  healthcheck "$a"
  check "user of the server process" "$(p top "$a" huser | tail -1 | tr -d ' ')" 65532
  api_checks "http://127.0.0.1:$port"
  stop_clean "$a"
  p logs "$a" 2>&1 | grep -q 'poseidon stopped' || fail "$a: no 'poseidon stopped' in its log"

  b="poseidon-test-b-$$"
  echo "-- container $b: the image's own command on the same volume"
  start "$b" "$port" -v "$volume:/data" "$tag"
  wait_healthy "http://127.0.0.1:$port" || { p logs "$b" >&2; fail "$b never became healthy"; }
  healthcheck "$b"
  check "export $export_id kept in the volume" "$(aws --endpoint-url "http://127.0.0.1:$port" discovery \
    describe-export-tasks --export-ids "$export_id" --query 'exportsInfo[0].exportStatus' --output text)" SUCCEEDED
  stop_clean "$b"

  c="poseidon-test-c-$$"
  echo "-- container $c: serve --ephemeral (its data in /tmp)"
  start "$c" "$port" "$tag" serve --ephemeral
  wait_healthy "http://127.0.0.1:$port" || { p logs "$c" >&2; fail "$c never became healthy"; }
  healthcheck "$c"
  p logs "$c" 2>/dev/null | grep -q 'ephemeral data /tmp/poseidon-ephemeral-' ||
    fail "$c: its log does not say it serves from /tmp"
  echo "ok: $c serves from a temporary directory under /tmp"
  stop_clean "$c"
  echo "== image: passed (podman run, $way)"
  exit 0
fi

# --- podman run does not work here: the image's root file system, run as
# its entrypoint says (user, environment, working directory, command), in
# new mount, PID and network namespaces so that port 8470 is its own.
say "podman run does not work here under any of: ${ways[*]}"
say "testing the image's root file system under chroot instead (docs/container.md)"
command -v unshare >/dev/null 2>&1 && command -v chroot >/dev/null 2>&1 || missing "unshare and chroot"
[ "$(id -u)" = 0 ] || missing "root (for chroot)"
cp "$host_poseidon" "$work/host-poseidon"
env_args=()
while IFS= read -r kv; do env_args+=("$kv"); done < <(python3 -c 'import json,sys; [print(e) for e in json.loads(sys.argv[1])]' "$env_json")
cat >"$work/inside.sh" <<EOF
set -euo pipefail
ip link set lo up
# The entrypoint with the image's user and environment (env and chroot exec
# the next program, so \$! is the server's own PID).
image=(env -i ${env_args[*]} AWS_ACCESS_KEY_ID=123456789012 chroot --userspec=65532:65532 "$work/rootfs" /poseidon)
"\${image[@]}" serve --data /data --demo >"$work/server.log" 2>&1 &
server=\$!
. "$work/functions.sh"
wait_healthy http://127.0.0.1:8470 || { cat "$work/server.log" >&2; exit 1; }
"\${image[@]}" health --timeout 2s   # the HEALTHCHECK command, as the image gives it
api_checks http://127.0.0.1:8470
kill -TERM \$server
code=0; wait \$server || code=\$?
check "exit code after SIGTERM" "\$code" 0
grep -q 'poseidon stopped' "$work/server.log"
echo "== image: passed (root file system under chroot; podman run does not work here)"
EOF
{ declare -f say fail check wait_healthy api_checks; echo "host_poseidon=$work/host-poseidon work=$work"; } >"$work/functions.sh"
unshare --mount --pid --net --fork --kill-child bash "$work/inside.sh"
