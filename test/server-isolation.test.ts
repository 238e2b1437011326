/**
 * Isolation through the real server (ADR 0027): `slipway server` runs app A (the isolation probe,
 * built from inline files) and app B in gVisor, then again in bubblewrap (the fallback must
 * hold the same lines); from inside A each attempt to leave its sandbox
 * is made and its outcome asserted: host files, other processes, app B's instance, the control
 * plane's port and other host loopback services, the memory limit (an OOM kill reported as a
 * restart with its reason) and a fork bomb (contained; the host and B keep answering). Needs root.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type InstanceJson } from "../src/api/index.js";
import { deployProbe } from "./helpers/probe-app.js";
import { getViaRouter } from "./helpers/router-get.js";
import { type ServerProcess, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

interface Outcome {
  ok: boolean;
  error?: string;
  content?: string;
  processes?: { pid: number; cmd: string }[];
  spawnError?: string | null;
  processesDuringBomb?: number;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

for (const runtime of ["runsc", "bwrap"] as const) {
  describe(`isolation of an app through the real server (${runtime})`, { timeout: 1_200_000 }, () => {
    const A = `isoa${runtime[0]}${process.pid}`;
    const B = `isob${runtime[0]}${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), "slipway-isolation-"));
    const dataDir = join(dir, "data");
    let server: ServerProcess | undefined;
    let client: Client;
    let hostService: Server | undefined;
    let hostServicePort = 0;

    const instance = async (app: string): Promise<InstanceJson> => {
      const { instances } = await client.listInstances({ params: { app } });
      const live = instances.find((i) => !i.draining && i.address !== undefined);
      assert.ok(live, `${app} has a running instance`);
      return live;
    };
    const tryFromA = async (query: string): Promise<Outcome> => {
      const res = await getViaRouter(server?.httpPort ?? 0, `${A}.localhost`, `/try?${query}`);
      assert.equal(res.status, 200, `GET /try?${query}: ${res.body}`);
      return JSON.parse(res.body) as Outcome;
    };
    const bAnswers = async () =>
      (await getViaRouter(server?.httpPort ?? 0, `${B}.localhost`, "/")).body.startsWith("probe");

    before(async () => {
      assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
      await sharedTestStack();
      hostService = createServer((s) => s.on("error", () => undefined).end("host secret\n"));
      await new Promise<void>((resolve) => hostService?.listen(0, "127.0.0.1", resolve));
      const address = hostService.address();
      hostServicePort = typeof address === "object" && address !== null ? address.port : 0;
      server = await startServer(dataDir, ["--stacks-dir", TEST_STACK_ROOT, "--sandbox-runtime", runtime]);
      client = createClient({
        baseUrl: server.url,
        token: readFileSync(join(dataDir, "admin-token"), "utf8").trim(),
      });
      const [a, b] = await Promise.all([deployProbe(client, A), deployProbe(client, B)]);
      assert.equal(a.phase, "ACTIVE", JSON.stringify(a.progress));
      assert.equal(b.phase, "ACTIVE", JSON.stringify(b.progress));
      await waitFor(
        async () => (await tryFromA("what=ps").catch(() => ({ ok: false }))).ok,
        60_000,
        "app A through the router",
      );
    });

    after(async () => {
      await server?.stop();
      await new Promise((resolve) => hostService?.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    it(`runs on ${runtime}, and says so in the node status`, async () => {
      const node = await client.getNode({});
      assert.equal(node.sandbox.runtime, runtime);
      assert.equal(node.sandbox.isolated, runtime === "runsc");
      assert.equal(node.sandbox.warnings.length === 0, runtime === "runsc");
    });

    it("cannot read the host's files: /etc/shadow is the stack's, the data directory is not there", async () => {
      const shadow = await tryFromA("what=read&path=/etc/shadow");
      assert.notEqual(shadow.content, readFileSync("/etc/shadow", "utf8"));
      const token = await tryFromA(`what=read&path=${encodeURIComponent(join(dataDir, "admin-token"))}`);
      assert.deepEqual(token, { ok: false, error: "ENOENT" });
      const db = await tryFromA(`what=read&path=${encodeURIComponent(join(dataDir, "slipway.db"))}`);
      assert.deepEqual(db, { ok: false, error: "ENOENT" });
    });

    it("sees only its own processes in /proc", async () => {
      const { processes = [] } = await tryFromA("what=ps");
      const commands = processes.map((p) => p.cmd);
      assert.ok(processes.length > 0 && processes.length < 10, JSON.stringify(commands));
      assert.ok(
        commands.some((c) => c.includes("node server.js")),
        "its own app",
      );
      assert.ok(!commands.some((c) => /slipway|haproxy|runsc/.test(c)), JSON.stringify(commands));
      assert.ok(
        processes.some((p) => p.pid === 1),
        "its own pid namespace",
      );
    });

    it("cannot connect to app B's instance, the control plane or other host loopback services", async () => {
      const b = await instance(B);
      const toB = await tryFromA(`what=connect&host=${b.address}&port=${b.port}`);
      assert.equal(toB.ok, false, "app B's instance");
      assert.match(toB.error ?? "", /ENETUNREACH|EHOSTUNREACH|timeout/);
      const apiPort = new URL(server?.url ?? "").port;
      const api = await tryFromA(`what=connect&host=127.0.0.1&port=${apiPort}`);
      assert.deepEqual(api, { ok: false, error: "ECONNREFUSED" }, "127.0.0.1 is the sandbox's own loopback");
      const loopback = await tryFromA(`what=connect&host=127.0.0.1&port=${hostServicePort}`);
      assert.deepEqual(loopback, { ok: false, error: "ECONNREFUSED" });
      const a = await instance(A);
      // The app's bridge (the host) is the first address of its /26 block.
      const octets = (a.address ?? "").split(".").map(Number);
      const gateway = [...octets.slice(0, 3), ((octets[3] ?? 0) & ~63) + 1].join(".");
      const viaGateway = await tryFromA(`what=connect&host=${gateway}&port=${apiPort}`);
      assert.equal(viaGateway.ok, false, `the host through the app's gateway ${gateway}`);
    });

    it("is killed at its memory limit, restarted, and the OOM is the reason in its events", async () => {
      const before = await instance(A);
      // 512 MiB instance: 700 MiB cannot fit. The request dies with the instance.
      const res = await getViaRouter(server?.httpPort ?? 0, `${A}.localhost`, "/try?what=alloc&mb=700");
      assert.notEqual(res.status, 200, "the allocation did not succeed");
      await waitFor(
        async () => {
          const now = await instance(A).catch(() => undefined);
          return now !== undefined && now.restarts > before.restarts && now.ready;
        },
        120_000,
        "app A restarted and ready again",
      );
      const after = await instance(A);
      assert.equal(after.last_termination?.oomKilled, true);
      assert.match(after.last_termination?.reason ?? "", /exceeding its memory limit of 512 MiB/);
      const restartedLog = filesUnder(join(dataDir, "logs"))
        .map((f) => readFileSync(f, "utf8"))
        .join("\n");
      assert.match(restartedLog, /killed for exceeding its memory limit of 512 MiB; restart 1/);
      assert.ok(await bAnswers(), "app B kept answering");
      // The router takes the restarted instance back once its own check passes.
      await waitFor(
        async () => (await tryFromA("what=ps").catch(() => ({ ok: false }))).ok,
        60_000,
        "A through the router again",
      );
    });

    it("holds a fork bomb at the size's pids limit; the host and app B keep answering", async () => {
      const { instance_name: name } = await instance(A);
      // runsc puts the sandbox in the cgroup `/<instance>-<attempt>` (ADR 0006), bwrap instances
      // are in Slipway's own `slipway/<instance>-<attempt>` (ADR 0027).
      const pidsRoot = runtime === "runsc" ? "/sys/fs/cgroup/pids" : "/sys/fs/cgroup/pids/slipway";
      const cgroup = () => {
        const found = readdirSync(pidsRoot).filter((d) => d.startsWith(`${name}-`));
        return found.length === 1 ? join(pidsRoot, found[0] as string) : undefined;
      };
      const read = (file: string) => readFileSync(join(cgroup() ?? "/nonexistent", file), "utf8").trim();
      assert.equal(read("pids.max"), String(512 + 64), "apps-s-1vcpu-0.5gb: 512 + 64 per CPU host tasks");
      const refused = () => Number(/^max (\d+)$/m.exec(read("pids.events"))?.[1] ?? Number.NaN);
      const refusedBefore = refused();
      let answered: { status: number; body: string } | undefined;
      const bomb = getViaRouter(server?.httpPort ?? 0, `${A}.localhost`, "/try?what=forkbomb").then((r) => {
        answered = r;
        return r;
      });
      await waitFor(
        () => refused() > refusedBefore || answered !== undefined,
        60_000,
        "the bomb to reach the pids limit",
      );
      assert.ok(
        refused() > refusedBefore,
        `no fork was refused (pids.current ${read("pids.current")}); the probe answered ${answered?.status} ${answered?.body}`,
      );
      // While it runs: held at the limit, and everything else answers.
      assert.ok(Number(read("pids.current")) <= 576, `pids.current ${read("pids.current")}`);
      assert.ok(await bAnswers(), "app B still answers");
      const node = await client.getNode({});
      assert.equal(node.sandbox.runtime, runtime, "the control plane still answers");
      const refusedDuring = refused() - refusedBefore;
      const outcome = await bomb;
      const restarts = (await instance(A).catch(() => undefined))?.restarts;
      process.stdout.write(
        `# fork bomb (${runtime}): ${refusedDuring} forks refused at the limit; the probe answered ${outcome.status} ${outcome.body}; restarts of A now ${restarts}\n`,
      );
      await waitFor(
        async () => (await tryFromA("what=ps").catch(() => ({ ok: false }))).ok,
        120_000,
        "A answers again",
      );
    });
  });
}
