#!/usr/bin/env bash
# Builds Pebble (Let's Encrypt's small ACME test server) and pebble-challtestsrv (its test DNS
# server) from Go modules into a cache folder outside the repository, and reuses them when the
# pinned version is already there. Only the Go module proxy is needed (no Git host). Prints the
# folder holding the binaries on stdout. Used by test/acme-pebble.test.ts (through
# test/helpers/pebble.ts) and by scripts/install.sh.
#
#   SLIPWAY_GO_BIN  where binaries go (default /var/cache/slipway/go-bin, or ~/.cache/slipway/go-bin
#                   when /var/cache is not writable)
set -euo pipefail

# Pebble v2.10.1 (2026-04) needs Go >= 1.24 (its go.mod says `go 1.24.0`).
PEBBLE_VERSION=v2.10.1
MIN_GO=1.24
# When the installed Go is older (Debian 12's golang-go is 1.19), the go command downloads this
# toolchain from the Go module proxy (golang.org/toolchain), which is a Go module like any other.
FALLBACK_TOOLCHAIN=go1.24.13

default_dir=/var/cache/slipway/go-bin
if ! mkdir -p "$default_dir" 2>/dev/null || [ ! -w "$default_dir" ]; then
  default_dir="${XDG_CACHE_HOME:-$HOME/.cache}/slipway/go-bin"
fi
bin_dir="${SLIPWAY_GO_BIN:-$default_dir}"
stamp="$bin_dir/pebble.version"

if [ -x "$bin_dir/pebble" ] && [ -x "$bin_dir/pebble-challtestsrv" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$PEBBLE_VERSION" ]; then
  echo "$bin_dir"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-pebble: no 'go' command; run scripts/install.sh (it installs golang-go) or install Go >= $MIN_GO" >&2
  exit 1
fi
mkdir -p "$bin_dir"

go_version=$(go env GOVERSION | sed 's/^go//')
older() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ] && [ "$1" != "$2" ]; }
if older "$go_version" "$MIN_GO"; then
  export GOTOOLCHAIN="$FALLBACK_TOOLCHAIN"
  echo "build-pebble: go $go_version is older than $MIN_GO; using $GOTOOLCHAIN from the Go module proxy" >&2
fi

echo "build-pebble: go install github.com/letsencrypt/pebble/v2/cmd/...@$PEBBLE_VERSION into $bin_dir" >&2
# CGO off: static binaries, no C toolchain needed. -trimpath: reproducible paths in the binaries.
GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS=-trimpath \
  go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
  "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION" >&2
echo "$PEBBLE_VERSION" >"$stamp"
echo "$bin_dir"
