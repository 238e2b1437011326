/**
 * createRouterSync with a real HAProxy 2.6 in master-worker mode on loopback, under continuous
 * load (test/helpers/http-load.ts): endpoint changes through the runtime API with no reload,
 * structural changes through seamless reloads, a refused config, crash reporting. Backends are
 * Node HTTP servers in this process answering with their own name.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import {
  type ApplyResult,
  type BackendEndpoints,
  createRouterSync,
  type DesiredRouterState,
  type Endpoint,
  type HaproxyExit,
  type RouterSync,
  routeTable,
  startHaproxy,
} from "../src/router/index.js";
import { type AppSpec, normalize } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";
import { get, type Load, startLoad } from "./helpers/http-load.js";
import { waitFor } from "./helpers/wait-for.js";

interface Instance {
  id: string;
  server: Server;
  port: number;
}

/** A backend instance answering its own id. */
async function startInstance(id: string): Promise<Instance> {
  const server = createServer((_req, res) => res.end(id));
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { id, server, port: (server.address() as AddressInfo).port };
}

function endpoint(i: Instance, extra: Partial<Endpoint> = {}): Endpoint {
  return { id: i.id, address: "127.0.0.1", port: i.port, ...extra };
}

const web = (name: string, extra: Partial<NonNullable<AppSpec["services"]>[number]> = {}): AppSpec => ({
  name,
  services: [{ name: "web", http_port: 3000, ...extra }],
});

function desired(specs: readonly AppSpec[], endpoints: BackendEndpoints[]): DesiredRouterState {
  return { table: routeTable(specs.map((s) => ({ name: s.name, spec: normalize(s) }))), endpoints };
}

async function closeAll(instances: Iterable<Instance>): Promise<void> {
  for (const i of instances) {
    i.server.closeAllConnections();
    await new Promise((resolve) => i.server.close(resolve));
  }
}

describe("router sync with a real HAProxy under load", { timeout: 120_000 }, () => {
  const prefix = `slipway-rsync-${process.pid}`;
  let dir = "";
  let port = 0;
  let sync: RouterSync | undefined;
  const instances = new Map<string, Instance>();
  const exits: HaproxyExit[] = [];
  let apps: AppSpec[] = [];
  let aEndpoints: Endpoint[] = [];
  let bInstance: Instance | undefined;

  const add = async (id: string) => {
    const i = await startInstance(id);
    instances.set(id, i);
    return i;
  };
  const state = (): DesiredRouterState => {
    const b = bInstance;
    assert.ok(b);
    return desired(apps, [
      { app: "a", component: "web", endpoints: aEndpoints },
      { app: "b", component: "web", endpoints: [endpoint(b)] },
    ]);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
    port = await freePort();
    apps = [web("a"), web("b")];
    aEndpoints = [endpoint(await add("a-0"))];
    bInstance = await add("b-0");
    const statics = createServer((req, res) => res.end(`static ${String(req.headers["x-slipway-site"])}`));
    statics.listen(0, "127.0.0.1");
    await once(statics, "listening");
    instances.set("static", { id: "static", server: statics, port: (statics.address() as AddressInfo).port });
    const staticServer = { host: "127.0.0.1", port: (statics.address() as AddressInfo).port };
    sync = await createRouterSync(
      {
        dir,
        render: { httpPort: port, slots: 4, spareBackends: 2, fairness: {} },
        drainMs: 150,
        static: { server: staticServer },
      },
      state(),
    );
    sync.haproxy.exited.then((e) => exits.push(e));
  });

  after(async () => {
    await sync?.stop();
    await closeAll(instances.values());
    await rm(dir, { recursive: true, force: true });
  });

  // Loads still running when a test fails are stopped here, not left to run out their budget.
  const running: Load[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((l) => l.stop()));
  });
  const loadOn = (host: string, app: string) => {
    const load = startLoad({
      port,
      host,
      keepAliveClients: 4,
      closeClients: 4,
      maxRequests: 200_000,
      maxMs: 60_000,
      check: (body) => body.startsWith(`${app}-`),
    });
    running.push(load);
    return load;
  };

  it("serves both apps from the start", async () => {
    assert.equal((await get({ port, host: "a.localhost" })).body, "a-0");
    assert.equal((await get({ port, host: "b.localhost" })).body, "b-0");
  });

  it("applies 20 endpoint changes through the runtime API: no failed request, same worker", async () => {
    const s = sync;
    assert.ok(s);
    const pid = await s.haproxy.workerPid();
    const load = loadOn("a.localhost", "a");
    const loadB = loadOn("b.localhost", "b");
    for (let n = 1; n <= 10; n++) {
      const fresh = await add(`a-${n}`);
      const old = aEndpoints;
      aEndpoints = [...old, endpoint(fresh)];
      const added = await s.apply(state());
      assert.equal(added.reloaded, false, added.reasons.join("; "));
      // Traffic reaches the new instance before the old one goes.
      const seen = load.report.bodies.get(fresh.id) ?? 0;
      await waitFor(() => (load.report.bodies.get(fresh.id) ?? 0) > seen, 5000, `traffic on ${fresh.id}`);
      aEndpoints = [endpoint(fresh)];
      const removed = await s.apply(state());
      assert.equal(removed.reloaded, false, removed.reasons.join("; "));
      // The old slot drains, then is freed by the sync's timer; only then does the instance stop.
      const gone = old.map((e) => e.id);
      await waitFor(
        () =>
          !Object.values(s.state().slots).some((slots) => slots.some((x) => x && gone.includes(x.endpoint))),
        5000,
        `slots of ${gone.join(", ")} freed`,
      );
      await closeAll(gone.flatMap((id) => instances.get(id) ?? []));
      for (const id of gone) instances.delete(id);
    }
    const [a, b] = [await load.stop(), await loadB.stop()];
    assert.deepEqual(
      a.failures.slice(0, 5),
      [],
      `${a.failures.length} failed of ${a.ok + a.failures.length}`,
    );
    assert.deepEqual(b.failures.slice(0, 5), []);
    assert.ok(a.ok > 100 && b.ok > 100, `too little load: ${a.ok}, ${b.ok}`);
    assert.equal(await s.haproxy.workerPid(), pid, "an endpoint change reloaded HAProxy");
    assert.equal(a.bodies.size, 11, `every instance served: ${[...a.bodies.keys()].join(", ")}`);
    console.log(`endpoint changes: ${a.ok} + ${b.ok} requests, 0 failed, worker ${pid} throughout`);
  });

  it("applies 5 structural changes with seamless reloads: no failed request, new workers", async () => {
    const s = sync;
    assert.ok(s);
    const load = loadOn("a.localhost", "a");
    const loadB = loadOn("b.localhost", "b");
    const pids = new Set([await s.haproxy.workerPid()]);
    const extra: BackendEndpoints[] = [];
    for (let n = 1; n <= 5; n++) {
      // A health-checked app cannot run on a spare backend: it needs its own, hence a reload.
      const name = `c${n}`;
      apps = [...apps, web(name, { health_check: { http_path: "/" } })];
      const inst = await add(`${name}-0`);
      extra.push({ app: name, component: "web", endpoints: [endpoint(inst)] });
      const next = state();
      const result: ApplyResult = await s.apply({ ...next, endpoints: [...next.endpoints, ...extra] });
      assert.equal(result.reloaded, true);
      assert.match(result.reasons.join("; "), new RegExp(`${name}__web is new`));
      pids.add(result.workerPid);
      assert.equal((await get({ port, host: `${name}.localhost` })).body, `${name}-0`);
    }
    const [a, b] = [await load.stop(), await loadB.stop()];
    assert.deepEqual(
      a.failures.slice(0, 5),
      [],
      `${a.failures.length} failed of ${a.ok + a.failures.length}`,
    );
    assert.deepEqual(b.failures.slice(0, 5), []);
    assert.ok(a.ok > 100 && b.ok > 100, `too little load: ${a.ok}, ${b.ok}`);
    assert.equal(pids.size, 6, "each reload started a new worker");
    console.log(`reloads: ${a.ok} + ${b.ok} requests, 0 failed, workers ${[...pids].join(", ")}`);
    apps = apps.filter((x) => !x.name.startsWith("c"));
  });

  it("serves a static site through the static server's backend, added with a reload", async () => {
    const s = sync;
    assert.ok(s);
    const site: AppSpec = { name: "docs", static_sites: [{ name: "site" }] };
    apps = [...apps, site];
    const result = await s.apply({ ...state(), staticSites: [{ app: "docs", component: "site" }] });
    assert.equal(result.reloaded, true);
    assert.equal((await get({ port, host: "docs.localhost" })).body, "static docs/site");
    apps = apps.filter((x) => x !== site);
  });

  it("refuses a bad config and keeps serving the old one", async () => {
    const s = sync;
    assert.ok(s);
    const pid = await s.haproxy.workerPid();
    const load = loadOn("a.localhost", "a");
    const good = state();
    // A health path with a line break would inject a directive HAProxy does not know.
    const bad: DesiredRouterState = {
      ...good,
      table: {
        ...good.table,
        backends: good.table.backends.map((b) => ({ ...b, healthPath: "/\n  no-such-directive here" })),
      },
    };
    await assert.rejects(s.apply(bad), (err: Error & { code?: string }) => {
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, /no-such-directive|unknown keyword/);
      return true;
    });
    assert.equal(await s.haproxy.workerPid(), pid);
    assert.equal((await get({ port, host: "a.localhost" })).body.startsWith("a-"), true);
    // The sync still works afterwards (its state was not advanced by the refused plan).
    const again = await s.apply(good);
    const report = await load.stop();
    assert.deepEqual(report.failures.slice(0, 5), []);
    assert.equal(again.workerPid, await s.haproxy.workerPid());
  });

  it("reports a crash: the worker killed, the master exits and onExit-style exited resolves", async () => {
    const s = sync;
    assert.ok(s);
    const pid = await s.haproxy.workerPid();
    process.kill(pid, "SIGKILL");
    const exit = await s.haproxy.exited;
    assert.equal(exits.length, 1);
    assert.ok(exit.code !== 0 || exit.signal !== null, JSON.stringify(exit));
  });
});

describe("startHaproxy", { timeout: 60_000 }, () => {
  it("refuses a bad first config before starting anything", async () => {
    const dir = await mkdtemp(join(tmpdir(), `slipway-hproc-${process.pid}-`));
    try {
      const config = { config: "global\n  no-such-keyword\n", maps: {} };
      const options = { dir, config, statsSocket: join(dir, "a.sock"), serverStateFile: join(dir, "state") };
      await assert.rejects(startHaproxy(options), (err: Error & { code?: string }) => {
        assert.equal(err.code, "invalid_argument");
        assert.match(err.message, /no-such-keyword/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
