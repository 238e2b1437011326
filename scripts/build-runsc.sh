#!/usr/bin/env bash
# Builds runsc (gVisor) from Go modules at a pinned version into a cache folder outside the
# repository, reusing it when that version is already there, and installs it as
# /usr/local/bin/runsc (ahead of Debian's /usr/bin/runsc on PATH) when run as root. Debian 12's
# runsc is from 2022 and only has the ptrace platform; this one uses systrap, which starts an
# instance about 30% sooner, with four years of fixes (ADR 0029). Debian's stays installed as the
# fallback: if this build fails, Slipway runs on it. Prints the binary's path on stdout.
# SLIPWAY_GO_BIN: where binaries go (scripts/lib/go-build.sh).
set -euo pipefail

# gVisor's Go module is its `go` branch (pseudo-versions only); a commit of 2026-09-05.
GVISOR_VERSION=v0.0.0-20260905035102-160fafc42237
# Its go.mod says `go 1.26.3`.
MIN_GO=1.26.3
FALLBACK_TOOLCHAIN=go1.27.3

. "$(dirname "$0")/lib/go-build.sh"
bin_dir=$(go_bin_dir)
target="$bin_dir/runsc-$GVISOR_VERSION/runsc"

install_it() {
  if [ "$(id -u)" = 0 ] && ! cmp -s "$target" /usr/local/bin/runsc; then
    install -m 0755 "$target" /usr/local/bin/runsc.tmp && mv /usr/local/bin/runsc.tmp /usr/local/bin/runsc
  fi
  echo "$target"
}

if [ -x "$target" ]; then install_it; exit 0; fi
exec 9>"$bin_dir/.build-runsc.lock"
flock 9
if [ -x "$target" ]; then install_it; exit 0; fi
use_go build-runsc "$MIN_GO" "$FALLBACK_TOOLCHAIN" "$bin_dir"

echo "build-runsc: go install gvisor.dev/gvisor/runsc@$GVISOR_VERSION into $(dirname "$target")" >&2
mkdir -p "$(dirname "$target").tmp"
# CGO off: a static binary, as gVisor's own builds are. The version shows in `runsc --version`.
GOBIN="$(dirname "$target").tmp" CGO_ENABLED=0 GOFLAGS=-trimpath \
  go install -ldflags "-X gvisor.dev/gvisor/runsc/version.version=$GVISOR_VERSION" \
  "gvisor.dev/gvisor/runsc@$GVISOR_VERSION" >&2
rm -rf "$(dirname "$target")" && mv "$(dirname "$target").tmp" "$(dirname "$target")"
install_it
