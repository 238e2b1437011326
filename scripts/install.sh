#!/usr/bin/env bash
# Installs everything Slipway needs on a fresh Debian 12 machine (as root) and builds it.
# Idempotent: packages already present are left alone. Used by quickstart.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

# runsc: gVisor sandboxes for builds and instances; busybox-static: the sandbox tests' root file
# system; debootstrap (and zstd for the stack cache) are for `slipway stack build`, which is not run here.
# haproxy: the data plane. Debian's package also enables a system service on port 80 with
# /run/haproxy/admin.sock; Slipway and its tests never use either: they run their own haproxy
# process with their own config, loopback ports and socket, so that service may run or not.
# nftables: the app networks' isolation rules (Slipway's own table, ADR 0012).
# wrk: the HTTP load generator of bench/router.ts (router vs one-line HAProxy vs the app directly).
# buildah, skopeo, umoci: Dockerfile builds (RUN steps in runsc) and image pulls into image
# artifacts; docker-registry: the loopback OCI registry the image tests start (its own process on a
# random port; the system service Debian may enable on :5000 is never used).
# bubblewrap: the sandbox runtime Slipway falls back to where runsc cannot run (ADR 0027).
apt_packages=(ca-certificates curl git build-essential python3 runsc iproute2 busybox-static debootstrap zstd haproxy
  nftables wrk buildah skopeo umoci docker-registry bubblewrap)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' || echo 0; }
if [ "$(node_major)" -lt 20 ] && ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
# golang-go: builds runsc (scripts/build-runsc.sh, below) and Pebble, the ACME test server
# (scripts/build-pebble.sh, run by test.sh), from Go modules. Only when no Go is there: Debian's
# 1.19 is enough, the scripts fetch a newer toolchain from the Go module proxy.
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then missing+=(golang-go); fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# runsc from Go modules (ADR 0029): a current gVisor as /usr/local/bin/runsc, ahead of Debian's
# 2022 one on PATH, which stays as the fallback when this build cannot be made.
if runsc_path=$(bash scripts/build-runsc.sh); then
  log "runsc: $runsc_path"
else
  log "WARNING: could not build runsc from Go modules; instances run on Debian's runsc ($(runsc --version 2>/dev/null | head -n1)), which starts them about 30% slower"
fi

# Debian 12 ships Node 18; Slipway needs 20. The npm registry carries Node binaries as packages.
if [ "$(node_major)" -lt 20 ]; then
  log "installing Node.js 20 from the npm registry"
  npm install -g --no-audit --no-fund node@20 >/dev/null
  hash -r
fi
log "node $(node --version), npm $(npm --version)"

# Native modules compile against the installed Node's headers rather than downloading them.
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

# `npm install` (not `npm ci`): the lockfile pins every version, but the registry here lacks some
# optional platform packages (Biome for other systems), which `npm ci` treats as a lockfile mismatch.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  log "npm install"
  npm install --no-audit --no-fund --loglevel=error
fi
log "building"
npm run --silent build
