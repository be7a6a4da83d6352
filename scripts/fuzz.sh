#!/usr/bin/env bash
# Runs every fuzz target in turn for FUZZTIME (default 20s) each, printing
# each target's execution count and the total; exits non-zero if any target
# fails (a crasher is then written to the package's testdata/fuzz/<Name>/,
# where it stays as a regression seed once fixed).
#
#   scripts/fuzz.sh                      # every target, 20 s each
#   FUZZTIME=3s scripts/fuzz.sh          # a quick pass
#   scripts/fuzz.sh FuzzServeAPI FuzzOpen  # only the named targets
#
# Environment:
#   FUZZTIME          -fuzztime per target (a duration, or Nx for N runs); default 20s
#   FUZZPARALLEL      fuzzing worker processes per target (-parallel); default 1
#   FUZZMINIMIZETIME  -fuzzminimizetime; default 0s: new corpus entries are kept
#                     unminimized, as minimizing each one (60 s by default) would
#                     eat a short run. Set e.g. 30s to minimize crashers.
#   FUZZCACHEDIR      where generated corpus entries accumulate across runs (one
#                     subdirectory per package). Default: a fresh directory per
#                     run, so that each target starts from its testdata seeds
#                     only; replaying a big accumulated corpus (go's own cache)
#                     can eat a whole short run, FuzzServeAPI's above all.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-20s}
FUZZPARALLEL=${FUZZPARALLEL:-1}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-0s}

# package and target name; keep in step with the Fuzz* functions.
targets=(
  "./internal/adsapi FuzzDecodeValidate"
  "./internal/pagetoken FuzzOpen"
  "./internal/sigv4 FuzzParse"
  "./internal/agentdata FuzzDecodeBatch"
  "./internal/imports FuzzImportCSV"
  "./internal/imports FuzzResolve"
  "./cmd/poseidon FuzzServeAPI"
  "./internal/exportfile FuzzAppendRow"
  "./internal/adsapi FuzzAppendJSON"
  "./internal/mghapi FuzzAppendJSON"
  "./internal/shapegen/internal/synthapi FuzzAppendJSON"
  "./internal/awsjson FuzzAppendString"
  "./internal/awsjson FuzzAppendFloat"
)

# Every Fuzz function of the module must be in the list above.
for f in $(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/^func //' | sort -u); do
  if ! printf '%s\n' "${targets[@]}" | grep -q " $f\$"; then
    echo "scripts/fuzz.sh: $f is not in the target list" >&2
    exit 2
  fi
done

wanted=("$@")
selected() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local w
  for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

total=0
failed=()
ran=0
log=$(mktemp)
scratch=$(mktemp -d)
trap 'rm -rf "$log" "$scratch"' EXIT
cachedir=${FUZZCACHEDIR:-$scratch}
printf '%-22s %-22s %12s  %s\n' package target execs result
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  selected "$name" || continue
  ran=$((ran + 1))
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" \
    -parallel "$FUZZPARALLEL" "$pkg" -args -test.fuzzcachedir="$cachedir/${pkg//[^A-Za-z0-9]/_}" >"$log" 2>&1
  rc=$?
  # go prints "fuzz: elapsed: 20s, execs: 123456 (6172/sec), new interesting: ..."
  execs=$(sed -n 's/^fuzz: elapsed: [^,]*, execs: \([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
  execs=${execs:-0}
  total=$((total + execs))
  result=ok
  if [ $rc -ne 0 ] && [ "$(grep -c . "$log")" -gt 0 ] && ! grep -q 'Failing input written\|failure while testing seed corpus' "$log" &&
    [ "$(grep -v '^fuzz: elapsed' "$log" | grep -vc '^--- FAIL: \|^    context deadline exceeded$\|^FAIL\|^exit status 1$')" -eq 0 ]; then
    # Go's coordinator may report its own -fuzztime deadline as a failure
    # (golang/go#75804, fixed in Go 1.27): no input failed, none was written.
    result="ok (go#75804: spurious 'context deadline exceeded' at the end, no failing input)"
    rc=0
  fi
  if [ $rc -ne 0 ]; then
    result=FAIL
    failed+=("$pkg $name")
  fi
  printf '%-22s %-22s %12s  %s\n' "$pkg" "$name" "$execs" "$result"
  if [ $rc -ne 0 ]; then
    grep -v '^fuzz: elapsed' "$log" | sed 's/^/    /'
  fi
done
if [ "$ran" -eq 0 ]; then
  echo "no fuzz target named $*" >&2
  exit 2
fi
printf '%-22s %-22s %12s\n' total "$ran targets x $FUZZTIME" "$total"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
