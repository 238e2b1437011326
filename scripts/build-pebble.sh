#!/usr/bin/env bash
# Builds Pebble (Let's Encrypt's small ACME test server) and pebble-challtestsrv (its test DNS
# server) from Go modules into a cache folder outside the repository, and reuses them when the
# pinned version is already there. Only the Go module proxy is needed (no Git host). Prints the
# folder holding the binaries on stdout. Used by test/acme-pebble.test.ts (through
# test/helpers/pebble.ts) and by scripts/test.sh.
# SLIPWAY_GO_BIN: where binaries go (scripts/lib/go-build.sh).
set -euo pipefail

# Pebble v2.10.1 (2026-04) needs Go >= 1.24 (its go.mod says `go 1.24.0`).
PEBBLE_VERSION=v2.10.1
MIN_GO=1.24
# When the installed Go is older (Debian 12's golang-go is 1.19), this toolchain is fetched from
# the Go module proxy (golang.org/toolchain is a Go module like any other).
FALLBACK_TOOLCHAIN=go1.24.13

. "$(dirname "$0")/lib/go-build.sh"
bin_dir=$(go_bin_dir)
stamp="$bin_dir/pebble.version"
built() { [ -x "$bin_dir/pebble" ] && [ -x "$bin_dir/pebble-challtestsrv" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$PEBBLE_VERSION" ]; }

if built; then
  echo "$bin_dir"
  exit 0
fi
# One build at a time (test files may start at once); the second one finds the first one's result.
exec 9>"$bin_dir/.build-pebble.lock"
flock 9
if built; then
  echo "$bin_dir"
  exit 0
fi
use_go build-pebble "$MIN_GO" "$FALLBACK_TOOLCHAIN" "$bin_dir"

echo "build-pebble: go install github.com/letsencrypt/pebble/v2/cmd/...@$PEBBLE_VERSION into $bin_dir" >&2
# CGO off: static binaries, no C toolchain needed. -trimpath: reproducible paths in the binaries.
GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS=-trimpath \
  go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
  "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION" >&2
echo "$PEBBLE_VERSION" >"$stamp"
echo "$bin_dir"
