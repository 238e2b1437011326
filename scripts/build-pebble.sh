#!/usr/bin/env bash
# Builds Pebble (Let's Encrypt's small ACME test server) and pebble-challtestsrv (its test DNS
# server) from Go modules into a cache folder outside the repository, and reuses them when the
# pinned version is already there. Only the Go module proxy is needed (no Git host). Prints the
# folder holding the binaries on stdout. Used by test/acme-pebble.test.ts (through
# test/helpers/pebble.ts) and by scripts/test.sh.
#
#   SLIPWAY_GO_BIN  where binaries go (default /var/cache/slipway/go-bin, or ~/.cache/slipway/go-bin
#                   when /var/cache is not writable)
set -euo pipefail

# Pebble v2.10.1 (2026-04) needs Go >= 1.24 (its go.mod says `go 1.24.0`).
PEBBLE_VERSION=v2.10.1
MIN_GO=1.24
# When the installed Go is older (Debian 12's golang-go is 1.19), this toolchain is fetched from
# the Go module proxy (golang.org/toolchain is a Go module like any other).
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

# The Go tarball's usual place, when it is not on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-pebble: no 'go' command; run scripts/install.sh (it installs golang-go) or install Go >= $MIN_GO" >&2
  exit 1
fi
mkdir -p "$bin_dir"
# One build at a time (test files may start at once); the second one finds the first one's result.
exec 9>"$bin_dir/.build-pebble.lock"
flock 9
if [ -x "$bin_dir/pebble" ] && [ -x "$bin_dir/pebble-challtestsrv" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$PEBBLE_VERSION" ]; then
  echo "$bin_dir"
  exit 0
fi

go_version=$(go env GOVERSION 2>/dev/null || go version | awk '{print $3}')
go_version=${go_version#go}
older() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ] && [ "$1" != "$2" ]; }
if older "$go_version" "$MIN_GO"; then
  # The toolchain is a module on the proxy (golang.org/toolchain@v0.0.1-<version>.<os>-<arch>):
  # download it with the old go, copy it out of the read-only module cache and give its programs
  # back their exec bits. (GOTOOLCHAIN would do this by itself, but only from Go 1.21 on.)
  tc_dir="$bin_dir/../toolchains/$FALLBACK_TOOLCHAIN"
  if [ ! -x "$tc_dir/bin/go" ]; then
    mod="golang.org/toolchain@v0.0.1-$FALLBACK_TOOLCHAIN.$(go env GOOS)-$(go env GOARCH)"
    echo "build-pebble: go $go_version is older than $MIN_GO; downloading $mod from the Go module proxy" >&2
    src=$(cd / && GO111MODULE=on GOTOOLCHAIN=local go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -n "$src" ] && [ -f "$src/bin/go" ] || { echo "build-pebble: could not download $mod" >&2; exit 1; }
    rm -rf "$tc_dir.tmp" && mkdir -p "$(dirname "$tc_dir")"
    cp -R "$src" "$tc_dir.tmp"
    chmod -R u+w "$tc_dir.tmp"
    chmod +x "$tc_dir.tmp"/bin/* "$tc_dir.tmp"/pkg/tool/*/*
    rm -rf "$tc_dir" && mv "$tc_dir.tmp" "$tc_dir"
  fi
  export PATH="$tc_dir/bin:$PATH" GOROOT="$tc_dir" GOTOOLCHAIN=local
fi

echo "build-pebble: go install github.com/letsencrypt/pebble/v2/cmd/...@$PEBBLE_VERSION into $bin_dir" >&2
# CGO off: static binaries, no C toolchain needed. -trimpath: reproducible paths in the binaries.
GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS=-trimpath \
  go install "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
  "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION" >&2
echo "$PEBBLE_VERSION" >"$stamp"
echo "$bin_dir"
