#!/usr/bin/env bash
# Build the container image of poseidon with podman, pulling nothing: the
# Containerfile starts FROM scratch and takes the static binary built here.
# Usage: scripts/image.sh [TAG]   (default: localhost/poseidon:latest)
# Env: PODMAN (default podman), GOFLAGS as for any go build.
# Prints the image ID on the last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${1:-localhost/poseidon:latest}"
podman="${PODMAN:-podman}"

ctx="$(mktemp -d "${TMPDIR:-/tmp}/poseidon-image-XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
# The build context: the static binary and the two folders of the image
# with their modes (git keeps neither empty folders nor modes).
mkdir -p "$ctx/skel-tmp/tmp" "$ctx/skel-data/data"
chmod 1777 "$ctx/skel-tmp/tmp"
chmod 0700 "$ctx/skel-data/data"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$ctx/poseidon" ./cmd/poseidon)
version="$("$ctx/poseidon" version)"
"$podman" build --format docker --file "$root/Containerfile" --build-arg "VERSION=$version" \
  --tag "$tag" --quiet "$ctx"
