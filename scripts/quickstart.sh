#!/usr/bin/env bash
# Installs what Slipway needs and runs its main job: checks the example specs, builds the stack
# (once; restored from /var/cache/slipway/stacks when a tarball is there), starts `slipway server`
# in the background (data in $SLIPWAY_DATA_DIR, default /var/lib/slipway), uploads and deploys the
# node-express example (built in gVisor, run in a gVisor sandbox, routed by HAProxy) and prints
# its URL and its answer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

for spec in examples/*/.do/app.yaml; do
  node bin/slipway.js spec validate "$spec"
done

data_dir=${SLIPWAY_DATA_DIR:-/var/lib/slipway}
listen=${SLIPWAY_LISTEN:-127.0.0.1:8420}
http_listen=${SLIPWAY_HTTP_LISTEN:-127.0.0.1:8080}
url="http://$listen"
mkdir -p "$data_dir" /var/cache/slipway/stacks

echo "==> slipway stack build (the Debian stack builds and apps run on)"
node bin/slipway.js stack build --root "$data_dir/stacks" --cache-dir /var/cache/slipway/stacks

if ! curl -fsS -o /dev/null "$url/v1/openapi.json" 2>/dev/null; then
  echo "==> starting slipway server on $listen, apps on $http_listen (log: $data_dir/server.log)"
  nohup node bin/slipway.js server --data-dir "$data_dir" --listen "$listen" --http-listen "$http_listen" \
    >"$data_dir/server.log" 2>&1 &
  echo $! >"$data_dir/server.pid"
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$url/v1/openapi.json" 2>/dev/null && break
    sleep 0.2
  done
fi
curl -fsS -o /dev/null "$url/v1/openapi.json" || { cat "$data_dir/server.log" >&2; exit 1; }

export SLIPWAY_URL="$url"
SLIPWAY_TOKEN=$(cat "$data_dir/admin-token")
export SLIPWAY_TOKEN
# The example's own spec names its GitHub repository; here the folder is uploaded instead, so the
# spec leaves the source out and the app is built from the upload.
echo "==> slipway apps create --spec - --source examples/node-express --upsert --wait"
node bin/slipway.js apps create --spec - --source examples/node-express --upsert --wait <<'EOF'
name: node-express
services:
  - name: web
    http_port: 8080
    instance_count: 2
    instance_size_slug: apps-s-1vcpu-1gb
    health_check:
      http_path: /healthz
    envs:
      - key: NODE_ENV
        value: production
        scope: RUN_AND_BUILD_TIME
EOF
node bin/slipway.js apps list-instances node-express
app_url=$(node bin/slipway.js apps get node-express -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s);console.log(a.live_url||a.default_ingress)})')
host_port=${app_url#http://}
answer=""
for _ in $(seq 1 50); do  # the router applies the new deployment a moment after it goes ACTIVE
  answer=$(curl -fsS --resolve "${host_port}:127.0.0.1" "$app_url/" 2>/dev/null) && break
  sleep 0.2
done
echo
echo "node-express is live at $app_url"
echo "GET $app_url/ -> ${answer:-no answer yet (see $data_dir/server.log)}"
echo "Build log: SLIPWAY_URL=$url SLIPWAY_TOKEN=\$(cat $data_dir/admin-token) node bin/slipway.js apps logs node-express"
echo "Server: $url (admin token in $data_dir/admin-token; stop it with: kill \$(cat $data_dir/server.pid))"
echo "Apps keep serving without it; to stop everything after it: node bin/slipway.js stop --all --data-dir $data_dir"
[ -n "$answer" ]
