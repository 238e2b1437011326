/**
 * The data plane with a real HAProxy on loopback: rendered config + maps, instances placed in
 * server slots and hosts added through the runtime API, never a reload.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createRuntimeApi,
  mapValue,
  PREFIX_MAP,
  type RuntimeApi,
  renderHaproxyConfig,
  routeTable,
  spareBackendName,
} from "../src/router/index.js";
import { type AppSpec, normalize } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";
import { waitFor } from "./helpers/wait-for.js";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function httpGet(
  port: number,
  host: string,
  path: string,
  extra: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: extra.method ?? "GET",
        headers: { ...extra.headers, host },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`no answer for ${host}${path}`)));
    req.on("error", reject);
    req.end();
  });
}

/** A server answering `<name> <path>`. */
async function startEcho(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => res.end(`${name} ${req.url ?? ""}`));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

const appA: AppSpec = { name: "a", services: [{ name: "web", http_port: 3000 }] };
const appB: AppSpec = {
  name: "b",
  services: [{ name: "api", http_port: 3001 }],
  ingress: {
    rules: [
      {
        match: { path: { prefix: "/api" } },
        component: { name: "api" },
        cors: { allow_origins: [{ exact: "https://app.example.com" }], allow_methods: ["GET", "PUT"] },
      },
      { match: { path: { prefix: "/old" } }, redirect: { uri: "/new", authority: "a.localhost" } },
      { match: { path: { prefix: "/v2" } }, component: { name: "api", rewrite: "/v1/" } },
      { match: { path: { exact: "/moved" } }, redirect: { scheme: "http", port: 8443, redirect_code: 308 } },
    ],
  },
};

async function pidOf(api: RuntimeApi): Promise<number> {
  const info = await api.command("show info");
  return Number(/^Pid: (\d+)$/m.exec(info)?.[1]);
}

describe("router on a real HAProxy", { timeout: 60_000 }, () => {
  let dir = "";
  let haproxy: ChildProcess | undefined;
  let api: RuntimeApi;
  let port = 0;
  const echoes: Server[] = [];
  const echoPorts: Record<string, number> = {};
  let mapFile = "";

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "slipway-router-"));
    for (const name of ["a", "b1", "b2", "c"]) {
      const echo = await startEcho(name);
      echoes.push(echo.server);
      echoPorts[name] = echo.port;
    }
    port = await freePort();
    const statsSocket = join(dir, "haproxy.sock");
    const table = routeTable([
      { name: "a", spec: normalize(appA) },
      { name: "b", spec: normalize(appB) },
    ]);
    assert.deepEqual(table.issues, []);
    const rendered = renderHaproxyConfig(table, {
      httpPort: port,
      statsSocket,
      mapDir: dir,
      slots: 2,
      spareBackends: 1,
    });
    for (const [name, text] of Object.entries(rendered.maps)) await writeFile(join(dir, name), text);
    await writeFile(join(dir, "haproxy.cfg"), rendered.config);
    mapFile = join(dir, PREFIX_MAP);
    const proc = spawn("haproxy", ["-f", join(dir, "haproxy.cfg"), "-db"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    haproxy = proc;
    let stderr = "";
    proc.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    proc.on("error", (err) => {
      stderr += `${err.message} (is haproxy installed? scripts/install.sh installs it)`;
    });
    api = createRuntimeApi({ socketPath: statsSocket, timeoutMs: 2000 });
    const ready = async () =>
      proc.exitCode === null &&
      (await api.command("show info").then(
        () => true,
        () => false,
      ));
    await waitFor(ready, 10_000, "haproxy's runtime API").catch((err: Error) => {
      throw new Error(`${err.message}; haproxy said: ${stderr}`);
    });
    await place("a__web", 1, "a");
    await place("b__api", 1, "b1");
    await place("b__api", 2, "b2");
  });

  async function place(backend: string, slot: number, echo: string): Promise<void> {
    await api.setServer(backend, slot, "127.0.0.1", echoPorts[echo] ?? 0);
    await api.enableServer(backend, slot);
  }

  after(async () => {
    if (haproxy && haproxy.exitCode === null) {
      haproxy.kill("SIGTERM");
      await once(haproxy, "exit");
    }
    await Promise.all(echoes.map((s) => new Promise((resolve) => s.close(resolve))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("routes <app>.localhost to the app's instances", async () => {
    const reply = await httpGet(port, "a.localhost", "/hello?x=1");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "a /hello?x=1");
  });

  it("strips the matched prefix before the backend sees the path", async () => {
    const reply = await httpGet(port, "b.localhost:80", "/api/x?q=1");
    assert.match(reply.body, /^b[12] \/x\?q=1$/);
  });

  it("routes a Host in capitals or with a port like the plain name, exact rules included", async () => {
    // The plain lower-case name is looked up as sent; the others are normalized first.
    assert.equal((await httpGet(port, "A.LocalHost:8080", "/hello")).body, "a /hello");
    assert.match((await httpGet(port, "B.LOCALHOST", "/api/x")).body, /^b[12] \/x$/);
    const exact = await httpGet(port, "b.localhost:8080", "/moved");
    assert.equal(exact.status, 308, "the exact rule is found for a Host with a port");
    assert.equal(exact.headers.location, "http://b.localhost:8443/moved");
    assert.equal((await httpGet(port, "B.Localhost", "/moved")).status, 308);
    assert.equal((await httpGet(port, "a.localhost:x", "/")).status, 400);
  });

  it("answers a redirect rule with 302 and the stated authority and URI", async () => {
    const reply = await httpGet(port, "b.localhost", "/old/page");
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, "https://a.localhost/new");
  });

  it("replaces the matched prefix with rewrite, without a double slash", async () => {
    assert.match((await httpGet(port, "b.localhost", "/v2/list")).body, /^b[12] \/v1\/list$/);
    assert.match((await httpGet(port, "b.localhost", "/v2")).body, /^b[12] \/v1\/$/);
  });

  it("keeps the request's host and URI in a redirect that names neither", async () => {
    const reply = await httpGet(port, "b.localhost", "/moved?x=1");
    assert.equal(reply.status, 308);
    assert.equal(reply.headers.location, "http://b.localhost:8443/moved?x=1");
  });

  it("answers an unknown host, and a path no rule matches, with HAProxy's own 404", async () => {
    const reply = await httpGet(port, "nobody.localhost", "/");
    assert.equal(reply.status, 404);
    assert.equal(reply.body, "No app is routed here.\n");
    assert.equal((await httpGet(port, "b.localhost", "/elsewhere")).status, 404);
  });

  it("answers a CORS preflight for an allowed origin with 204, and not for another origin", async () => {
    const headers = { origin: "https://app.example.com", "access-control-request-method": "PUT" };
    const ok = await httpGet(port, "b.localhost", "/api/x", { method: "OPTIONS", headers });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers["access-control-allow-origin"], "https://app.example.com");
    assert.equal(ok.headers["access-control-allow-methods"], "GET, PUT");
    const other = await httpGet(port, "b.localhost", "/api/x", {
      method: "OPTIONS",
      headers: { ...headers, origin: "https://evil.example" },
    });
    assert.notEqual(other.status, 204);
    assert.equal(other.headers["access-control-allow-origin"], undefined);
  });

  it("moves all traffic to the other slot when a server is drained", async () => {
    const seen = async (n: number) => {
      const bodies = [];
      for (let i = 0; i < n; i++)
        bodies.push((await httpGet(port, "b.localhost", "/api/")).body.split(" ")[0]);
      return new Set(bodies);
    };
    assert.deepEqual(await seen(4), new Set(["b1", "b2"]));
    await api.drainServer("b__api", 1);
    assert.deepEqual(await seen(6), new Set(["b2"]));
    const states = await api.showServers("b__api");
    const drained = 0x08; // SRV_ADMF_FDRAIN
    assert.equal((states.find((s) => s.name === "s1")?.adminState ?? 0) & drained, drained);
    assert.equal(states.find((s) => s.name === "s2")?.port, echoPorts.b2);
    await api.enableServer("b__api", 1);
  });

  it("starts routing a third app added through the runtime API, without a restart", async () => {
    const pidBefore = await pidOf(api);
    assert.equal((await httpGet(port, "c.localhost", "/")).status, 404);
    const backend = spareBackendName(0);
    await api.addMapEntry(mapFile, "c.localhost/", mapValue({ kind: "backend", backend }));
    await place(backend, 1, "c");
    const reply = await httpGet(port, "c.localhost", "/x");
    assert.equal(reply.body, "c /x");
    assert.equal(await pidOf(api), pidBefore);
    assert.equal(pidBefore, haproxy?.pid);
    assert.equal(haproxy?.exitCode, null);
  });

  it("reports HAProxy's refusals as invalid_argument with its text", async () => {
    await assert.rejects(api.enableServer("no_such_backend", 1), {
      code: "invalid_argument",
      message: /No such backend/,
    });
    await assert.rejects(api.delMapEntry(mapFile, "never.localhost/"), {
      code: "invalid_argument",
      message: /not found/i,
    });
  });

  it("reports a socket nobody listens on as unavailable", async () => {
    const gone = createRuntimeApi({ socketPath: join(dir, "missing.sock") });
    await assert.rejects(gone.command("show info"), { code: "unavailable" });
  });
});
