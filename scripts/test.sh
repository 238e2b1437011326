#!/usr/bin/env bash
# Installs what the tests need and runs every test: build, lint, dependency rules, schema check,
# then the unit, integration and end-to-end tests (node's test runner prints the summary last).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Pebble (ACME test server) from Go modules, cached outside the repository (test/acme-pebble.test.ts).
bash scripts/build-pebble.sh >/dev/null
npm test --silent
