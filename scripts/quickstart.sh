#!/usr/bin/env bash
# Installs what Slipway needs and runs its main job: checks the example specs, starts
# `slipway server` in the background (data in $SLIPWAY_DATA_DIR, default /var/lib/slipway), and
# deploys the node-express example through the CLI, printing the app's URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

for spec in examples/*/.do/app.yaml; do
  node bin/slipway.js spec validate "$spec"
done

data_dir=${SLIPWAY_DATA_DIR:-/var/lib/slipway}
listen=${SLIPWAY_LISTEN:-127.0.0.1:8420}
url="http://$listen"
mkdir -p "$data_dir"
if ! curl -fsS -o /dev/null "$url/v1/openapi.json" 2>/dev/null; then
  echo "==> starting slipway server on $listen (log: $data_dir/server.log)"
  nohup node bin/slipway.js server --data-dir "$data_dir" --listen "$listen" >"$data_dir/server.log" 2>&1 &
  echo $! >"$data_dir/server.pid"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$url/v1/openapi.json" 2>/dev/null && break
    sleep 0.2
  done
fi
curl -fsS -o /dev/null "$url/v1/openapi.json" || { cat "$data_dir/server.log" >&2; exit 1; }

export SLIPWAY_URL="$url"
SLIPWAY_TOKEN=$(cat "$data_dir/admin-token")
export SLIPWAY_TOKEN
echo "==> slipway apps create --spec examples/node-express/.do/app.yaml --upsert"
node bin/slipway.js apps create --spec examples/node-express/.do/app.yaml --upsert
for _ in $(seq 1 50); do  # the App controller creates the deployment within moments
  [ "$(node bin/slipway.js apps list-deployments node-express -o json)" != "[]" ] && break
  sleep 0.1
done
node bin/slipway.js apps list-deployments node-express
app_url=$(node bin/slipway.js apps get node-express -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s);console.log(a.live_url||a.default_ingress)})')
echo
echo "node-express: $app_url"
echo "The deployment above is recorded and planned; this version of Slipway does not build or run apps yet."
echo "Server: $url (admin token in $data_dir/admin-token; stop it with: kill \$(cat $data_dir/server.pid))"
