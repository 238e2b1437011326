/**
 * Apps deployed from inline source files through a running `slipway server` (the fastest way to
 * a live app): create, wait until its deployment is ACTIVE and HAProxy routes to it.
 */
import type { Client } from "../../src/api/index.js";
import type { AppSpec } from "../../src/spec/index.js";
import { getViaRouter, NOT_ROUTED } from "./router-get.js";
import { waitFor } from "./wait-for.js";

/** A small node service: 404 for `/missing`, its name and path for anything else. */
export const NODE_SERVICE_FILES = [
  {
    path: "package.json",
    content: `${JSON.stringify({ name: "svc", version: "1.0.0", private: true, scripts: { start: "node server.js" } })}\n`,
  },
  {
    path: "server.js",
    content: [
      'const http = require("node:http");',
      "http.createServer((req, res) => {",
      '  if (req.url === "/missing") { res.statusCode = 404; return res.end("missing\\n"); }',
      '  res.end("svc " + req.url + "\\n");',
      "}).listen(Number(process.env.PORT || 8080));",
      "",
    ].join("\n"),
  },
];

/**
 * Creates `spec` with inline `files`, waits (up to `timeoutMs`, default 5 min) for its first
 * deployment to be ACTIVE and for `GET path` through the router on `routerPort` to be answered
 * by the app (not HAProxy's "not routed" or a 503). Throws with the deployment's progress if it
 * fails.
 */
export async function deployInline(
  client: Client,
  routerPort: number,
  spec: AppSpec,
  files: readonly { path: string; content: string }[],
  path = "/",
  timeoutMs = 300_000,
): Promise<void> {
  await client.createApp({ body: { spec, source: { files: [...files] } } });
  let phase = "";
  let progress = "";
  await waitFor(
    async () => {
      const d = (await client.listDeployments({ params: { app: spec.name }, query: {} })).deployments[0];
      phase = d?.phase ?? "";
      progress = JSON.stringify(d?.progress ?? {});
      if (phase === "ERROR" || phase === "CANCELED") throw new Error(`${spec.name}: ${phase} ${progress}`);
      return phase === "ACTIVE";
    },
    timeoutMs,
    `${spec.name} to go ACTIVE`,
  );
  const host = `${spec.name}.localhost:${routerPort}`;
  await waitFor(
    async () => {
      const r = await getViaRouter(routerPort, host, path);
      return r.status !== 0 && r.status !== 503 && r.body !== NOT_ROUTED;
    },
    30_000,
    `${spec.name} to be routed`,
  );
}
