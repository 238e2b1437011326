/**
 * createRouterSync with `survive` (ADR 0026) and a real HAProxy 2.6 under load on loopback: a
 * released sync leaves HAProxy serving; the next sync on the same directory adopts the same
 * master with no reload when nothing changed, applies what changed meanwhile through the runtime
 * API, and a HAProxy without a saved state is replaced rather than adopted.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createRouterSync,
  type DesiredRouterState,
  type RouterSync,
  routeTable,
} from "../src/router/index.js";
import { normalize } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";
import { type Load, startLoad } from "./helpers/http-load.js";
import { waitFor } from "./helpers/wait-for.js";

interface Backend {
  id: string;
  server: Server;
  port: number;
}

async function startBackend(id: string): Promise<Backend> {
  const server = createServer((_req, res) => res.end(id));
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { id, server, port: (server.address() as AddressInfo).port };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a router sync that outlives its process", { timeout: 120_000 }, () => {
  let dir = "";
  let port = 0;
  const backends: Backend[] = [];
  const syncs: RouterSync[] = [];
  const loads: Load[] = [];

  const desired = (list: readonly Backend[]): DesiredRouterState => ({
    table: routeTable([
      { name: "a", spec: normalize({ name: "a", services: [{ name: "web", http_port: 3000 }] }) },
    ]),
    endpoints: [
      {
        app: "a",
        component: "web",
        endpoints: list.map((b) => ({ id: b.id, address: "127.0.0.1", port: b.port })),
      },
    ],
  });

  const sync = async (list: readonly Backend[]): Promise<RouterSync> => {
    const s = await createRouterSync(
      {
        dir,
        render: { httpPort: port, slots: 4, spareBackends: 2, fairness: {} },
        drainMs: 150,
        survive: true,
      },
      desired(list),
    );
    syncs.push(s);
    return s;
  };

  const load = (): Load => {
    const l = startLoad({
      port,
      host: `a.localhost:${port}`,
      keepAliveClients: 2,
      closeClients: 1,
      maxRequests: 100_000,
      maxMs: 60_000,
      check: (body) => body.startsWith("b"),
    });
    loads.push(l);
    return l;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `slipway-radopt-${process.pid}-`));
    port = await freePort();
    for (const id of ["b1", "b2", "b3"]) backends.push(await startBackend(id));
  });

  after(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    for (const s of syncs) await s.stop().catch(() => undefined);
    for (const b of backends) {
      b.server.closeAllConnections();
      await new Promise((resolve) => b.server.close(resolve));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("adopts the same HAProxy with no reload, and applies later changes through the runtime API", async () => {
    const first = await sync(backends.slice(0, 2));
    assert.equal(first.adopted, false);
    const master = first.haproxy.masterPid;
    const worker = await first.haproxy.workerPid();
    const l = load();
    await waitFor(() => l.report.ok > 20, 10_000, "load through HAProxy");
    await first.release();
    assert.ok(alive(master), "HAProxy runs on after release");
    const released = l.report.ok;
    await waitFor(() => l.report.ok > released + 50, 10_000, "HAProxy serving with no sync");

    const second = await sync(backends.slice(0, 2));
    assert.equal(second.adopted, true);
    assert.equal(second.haproxy.masterPid, master);
    assert.equal(await second.haproxy.workerPid(), worker, "nothing changed: no reload");

    // A change made while no sync ran (b3 instead of b1) arrives through the runtime API.
    await second.release();
    const third = await sync(backends.slice(1, 3));
    assert.equal(third.adopted, true);
    assert.equal(await third.haproxy.workerPid(), worker, "an endpoint change needs no reload");
    await waitFor(() => (l.report.bodies.get("b3") ?? 0) > 0, 10_000, "traffic to the new endpoint");
    const report = await l.stop();
    assert.deepEqual(report.failures.slice(0, 5), []);
    await third.release();
  });

  it("replaces a HAProxy whose state was not saved", async () => {
    const before = await sync(backends.slice(0, 2));
    const master = before.haproxy.masterPid;
    await before.release();
    await rm(join(dir, "router-state.json"));
    const fresh = await sync(backends.slice(0, 2));
    assert.equal(fresh.adopted, false);
    assert.notEqual(fresh.haproxy.masterPid, master);
    assert.equal(alive(master), false, "the unknown HAProxy was stopped");
    await fresh.stop();
    assert.equal(alive(fresh.haproxy.masterPid), false, "stop() stops a detached HAProxy");
  });
});
