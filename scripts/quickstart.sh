#!/usr/bin/env bash
# Installs what Slipway needs and runs its main job. For now Slipway checks and normalizes the
# example apps' specs; later it starts the platform and deploys an example app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
for spec in examples/*/.do/app.yaml; do
  node bin/slipway.js spec validate "$spec"
done
echo "--- normalized spec of examples/node-express:"
node bin/slipway.js spec normalize examples/node-express/.do/app.yaml
