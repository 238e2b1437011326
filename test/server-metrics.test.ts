/**
 * `GET /metrics` of the real `slipway server` (ADR 0022): a node service deployed from inline
 * files, requests sent through HAProxy, and the per-app numbers read back from the API — derived
 * from HAProxy's Prometheus exporter on its UNIX socket. Needs root (gVisor instances).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "../src/api/index.js";
import { parsePrometheusText } from "../src/observe/index.js";
import { deployInline, NODE_SERVICE_FILES } from "./helpers/inline-app.js";
import { getViaRouter, NOT_ROUTED } from "./helpers/router-get.js";
import { type ServerProcess, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";

const APP = "metered";
const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";

describe("slipway server's /metrics", { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-metrics-${process.pid}-`));
  const dataDir = join(dir, "data");
  let server: ServerProcess | undefined;
  let client: Client;
  let token = "";

  async function scrape(auth = `Bearer ${token}`): Promise<{ status: number; text: string; type: string }> {
    const res = await fetch(`${server?.url}/metrics`, { headers: { authorization: auth } });
    return { status: res.status, text: await res.text(), type: res.headers.get("content-type") ?? "" };
  }

  /** The app's component `web` numbers in one scrape. */
  function numbers(text: string): {
    requests: number;
    byClass: Record<string, number>;
    router4xx: number;
    latency?: number;
  } {
    const samples = parsePrometheusText(text).filter(
      (s) => s.labels.app === APP && s.labels.component === "web",
    );
    const one = (name: string) => samples.find((s) => s.name === name)?.value;
    const byClass: Record<string, number> = {};
    for (const s of samples)
      if (s.name === "slipway_app_http_responses_total") byClass[s.labels.code ?? ""] = s.value;
    const latency = one("slipway_app_http_response_time_average_seconds");
    const router4xx = parsePrometheusText(text).find(
      (s) => s.name === "slipway_router_http_responses_total" && s.labels.code === "4xx",
    )?.value;
    return {
      requests: one("slipway_app_http_requests_total") ?? 0,
      byClass,
      router4xx: router4xx ?? 0,
      ...(latency === undefined ? {} : { latency }),
    };
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    await sharedTestStack();
    const extra = ["--stacks-dir", TEST_STACK_ROOT];
    if (existsSync(HOST_CA)) extra.push("--build-ca-file", HOST_CA);
    server = await startServer(dataDir, extra);
    token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    client = createClient({ baseUrl: server.url, token });
    await deployInline(
      client,
      server.httpPort,
      { name: APP, services: [{ name: "web", http_port: 8080 }] },
      NODE_SERVICE_FILES,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nserver log:\n${server?.stderr().slice(-3000)}`);
    });
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a scrape without the admin token", async () => {
    assert.equal((await scrape("")).status, 401);
    assert.equal((await scrape("Bearer slw_nope.nope")).status, 401);
  });

  it("keeps HAProxy's exporter on a UNIX socket only the server's user can open", () => {
    const socket = join(dataDir, "router", "metrics.sock");
    assert.ok(statSync(socket).isSocket());
    assert.equal(statSync(socket).mode & 0o077, 0);
  });

  it("counts an app's requests through HAProxy by status class, and not other hosts' 404s", async () => {
    const port = server?.httpPort ?? 0;
    const host = `${APP}.localhost:${port}`;
    const first = await scrape();
    assert.equal(first.status, 200, first.text);
    assert.match(first.type, /^text\/plain; version=0\.0\.4/);
    const before = numbers(first.text);
    const N = 25;
    for (let i = 0; i < N; i++) assert.equal((await getViaRouter(port, host, `/ok/${i}`)).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await getViaRouter(port, host, "/missing")).status, 404);
    const unrouted = await getViaRouter(port, `nobody.localhost:${port}`, "/");
    assert.equal(unrouted.body, NOT_ROUTED);

    const second = await scrape();
    const now = numbers(second.text);
    assert.ok(now.requests - before.requests >= N + 3, `requests ${before.requests} -> ${now.requests}`);
    assert.ok((now.byClass["2xx"] ?? 0) - (before.byClass["2xx"] ?? 0) >= N, JSON.stringify(now.byClass));
    assert.equal((now.byClass["4xx"] ?? 0) - (before.byClass["4xx"] ?? 0), 3, JSON.stringify(now.byClass));
    assert.equal(now.byClass["5xx"] ?? 0, before.byClass["5xx"] ?? 0);
    assert.ok(now.latency !== undefined && now.latency >= 0, "a latency figure for the component");
    // The router's own totals include the 404 for the unrouted host, which no app answered.
    assert.ok(now.router4xx - before.router4xx >= 4, `router 4xx ${before.router4xx} -> ${now.router4xx}`);
    assert.match(second.text, /^slipway_edge_scrape_up 1$/m);
    assert.match(second.text, /^process_cpu_user_seconds_total /m, "the server's own process metrics");
    assert.doesNotMatch(second.text, /app="nobody"/);
  });
});
