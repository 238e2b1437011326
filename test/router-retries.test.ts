/**
 * What the router retries, through createRouterSync's real HAProxy 2.6 on loopback with Node
 * servers as instances (ADR 0031): a request that meets a keep-alive connection the instance is
 * closing still succeeds; a request whose connection cannot be made goes to another instance; a
 * request an instance took and never answered is not sent again.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRouterSync, type RouterSync, routeTable } from "../src/router/index.js";
import { normalize } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** One request through the router; the status, or the client-side error code. */
function send(port: number, host: string, method: string, agent: Agent | false): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, method, path: "/", headers: { host }, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("no answer in 10 s")));
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

function count(xs: (number | string)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

describe("router retries", { timeout: 120_000 }, () => {
  let dir = "";
  let port = 0;
  let sync: RouterSync | undefined;
  const servers: Server[] = [];
  /** Requests the instance that takes POSTs and never answers has seen. */
  let swallowed = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `slipway-retries-${process.pid}-`));
    // Closes every idle keep-alive connection after 5 ms: clients below reuse connections at 0-10 ms.
    const brief = createServer((_req, res) => res.end("ok"));
    brief.keepAliveTimeout = 5;
    // Takes a request and closes the connection without a byte of answer (it crashed mid-request).
    const crashing = createServer((req) => {
      swallowed++;
      req.socket.destroy();
    });
    // A port nothing listens on: connections are refused.
    const closed = createServer();
    const [briefPort, crashingPort, closedPort] = [
      await listen(brief),
      await listen(crashing),
      await listen(closed),
    ];
    await new Promise((r) => closed.close(r));
    const healthy = createServer((_req, res) => res.end("ok"));
    const healthyPort = await listen(healthy);
    servers.push(brief, crashing, healthy);
    port = await freePort();
    const apps = ["brief", "crash", "refused"].map((name) => ({
      name,
      spec: normalize({ name, services: [{ name: "web", http_port: 3000 }] }),
    }));
    const ep = (id: string, p: number) => ({ id, address: "127.0.0.1", port: p });
    sync = await createRouterSync(
      { dir, render: { httpPort: port, fairness: {} } },
      {
        table: routeTable(apps),
        endpoints: [
          { app: "brief", component: "web", endpoints: [ep("brief-1", briefPort)] },
          { app: "crash", component: "web", endpoints: [ep("crash-1", crashingPort)] },
          { app: "refused", component: "web", endpoints: [ep("gone", closedPort), ep("up", healthyPort)] },
        ],
      },
    );
  });

  after(async () => {
    await sync?.stop();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves every request that meets a keep-alive connection the instance is closing", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    const statuses: (number | string)[] = [];
    // 20 clients x 150 requests with 0-10 ms between them: the instance closes its side of
    // HAProxy's idle connections all the while, often just as HAProxy reuses one.
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 150; i++) {
          statuses.push(await send(port, "brief.localhost", "GET", agent));
          await new Promise((r) => setTimeout(r, Math.random() * 10));
        }
      }),
    ).finally(() => agent.destroy());
    assert.deepEqual(count(statuses), { 200: 3000 });
  });

  it("sends a request whose connection is refused to the app's other instance", async () => {
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await send(port, "refused.localhost", "GET", false));
    assert.deepEqual(count(statuses), { 200: 20 });
  });

  it("does not send again a request an instance took and never answered", async () => {
    const before = swallowed;
    const status = await send(port, "crash.localhost", "POST", false);
    assert.equal(status, 502);
    assert.equal(swallowed - before, 1, "the POST reached the app exactly once");
  });
});
