# Shared by the scripts that build programs from Go modules (build-pebble.sh, build-runsc.sh):
# the cache folder for binaries, a lock so that one build runs at a time, and a Go new enough.
# Only the Go module proxy is needed (no Git host). Source it, then call the functions.
#
#   SLIPWAY_GO_BIN  where binaries go (default /var/cache/slipway/go-bin, or ~/.cache/slipway/go-bin
#                   when /var/cache is not writable)

# Prints the folder binaries are kept in (created).
go_bin_dir() {
  local default_dir=/var/cache/slipway/go-bin
  if ! mkdir -p "$default_dir" 2>/dev/null || [ ! -w "$default_dir" ]; then
    default_dir="${XDG_CACHE_HOME:-$HOME/.cache}/slipway/go-bin"
  fi
  mkdir -p "${SLIPWAY_GO_BIN:-$default_dir}"
  echo "${SLIPWAY_GO_BIN:-$default_dir}"
}

# use_go NAME MIN_GO FALLBACK_TOOLCHAIN BIN_DIR: puts a Go >= MIN_GO first on PATH. When the
# installed Go is older (Debian 12's golang-go is 1.19), FALLBACK_TOOLCHAIN is fetched from the Go
# module proxy (golang.org/toolchain is a Go module like any other) into BIN_DIR/../toolchains.
use_go() {
  local name=$1 min_go=$2 fallback=$3 bin_dir=$4
  # The Go tarball's usual place, when it is not on PATH.
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "$name: no 'go' command; run scripts/install.sh (it installs golang-go) or install Go >= $min_go" >&2
    return 1
  fi
  local go_version
  go_version=$(go env GOVERSION 2>/dev/null || go version | awk '{print $3}')
  go_version=${go_version#go}
  if [ "$(printf '%s\n%s\n' "$go_version" "$min_go" | sort -V | head -n1)" = "$min_go" ]; then return 0; fi
  # Download the toolchain module with the old go, copy it out of the read-only module cache and
  # give its programs back their exec bits. (GOTOOLCHAIN would do this by itself, but only from
  # Go 1.21 on.)
  local tc_dir="$bin_dir/../toolchains/$fallback"
  if [ ! -x "$tc_dir/bin/go" ]; then
    local mod src
    mod="golang.org/toolchain@v0.0.1-$fallback.$(go env GOOS)-$(go env GOARCH)"
    echo "$name: go $go_version is older than $min_go; downloading $mod from the Go module proxy" >&2
    src=$(cd / && GO111MODULE=on GOTOOLCHAIN=local go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -n "$src" ] && [ -f "$src/bin/go" ] || { echo "$name: could not download $mod" >&2; return 1; }
    rm -rf "$tc_dir.tmp" && mkdir -p "$(dirname "$tc_dir")"
    cp -R "$src" "$tc_dir.tmp"
    chmod -R u+w "$tc_dir.tmp"
    chmod +x "$tc_dir.tmp"/bin/* "$tc_dir.tmp"/pkg/tool/*/*
    rm -rf "$tc_dir" && mv "$tc_dir.tmp" "$tc_dir"
  fi
  export PATH="$tc_dir/bin:$PATH" GOROOT="$tc_dir" GOTOOLCHAIN=local
}
