#!/usr/bin/env bash
# The Testcontainers for Go module (testcontainers/, a module of its own):
# go vet, the gofmt check, and its tests against an image already built.
# Usage: .ci/testcontainers-test.sh IMAGE (a Docker engine must be running;
# .ci/image-test.sh calls it with the image it has just built).
set -euo pipefail
cd "$(dirname "$0")/../testcontainers"

say() { printf 'testcontainers-test: %s\n' "$*"; }
die() { printf 'testcontainers-test: FAIL: %s\n' "$*" >&2; exit 1; }

image=${1:-}
[ -n "$image" ] || die "usage: $0 IMAGE (build one with: make docker IMAGE=postbacksim:dev)"
GO=${GO:-go}

timeout 300 "$GO" vet ./... || die "go vet"
out=$(gofmt -l .)
[ -z "$out" ] || die "gofmt would change: $out"
say "ok: go vet and gofmt"

# Ryuk, the reaper, is an image on Docker Hub, which CI cannot reach: the
# tests terminate their own containers.
POSTBACKSIM_IMAGE="$image" TESTCONTAINERS_RYUK_DISABLED=true \
  timeout 600 "$GO" test -count=1 ./... || die "go test in testcontainers/ against $image"
say "PASS"
