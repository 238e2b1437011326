/**
 * App instances with real runsc on the real stack, as root: two apps, each with its own bridge,
 * address block and nft rules; examples/node-express and test/fixtures/runtime-probe built into
 * artifacts by the build lifecycle and run as components `web` and `meta` of app A and `other` of
 * app B. The probe looks at its sandbox from inside (fetch by name, TCP connects, files,
 * processes, memory). Also: readiness, OOM and kill -9 under the supervisor, stop()'s grace, and
 * that nothing (netns, links, nft table, runsc container) is left.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { availableParallelism, networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunBuildOptions, runBuild, type StoredArtifact } from "../src/build/index.js";
import type { BuildEgress } from "../src/main/build-egress.js";
import { createGvisorBuildSandbox } from "../src/main/build-sandbox.js";
import {
  type AppNetwork,
  createAppNetworkHost,
  healthCheckSettings,
  type InstanceHandle,
  type InstanceNetwork,
  instanceLimits,
  listInstances,
  readSandboxCpus,
  renderHostsFile,
  type StartInstanceOptions,
  type Supervisor,
  type SupervisorEvent,
  startHealthCheck,
  startInstance,
  superviseInstance,
} from "../src/runtime/local/index.js";
import { startTestBuildEgress } from "./helpers/build-egress.js";
import { repoRoot } from "./helpers/repo-root.js";
import { sharedTestStack } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";
const prefix = `t${process.pid.toString(36)}`;

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(8000) });
  return res.text();
}

async function answers(url: string): Promise<boolean> {
  return get(url).then(
    () => true,
    () => false,
  );
}

async function listen(host: string): Promise<{ server: Server; port: number }> {
  // A probe that connects and resets at once must not crash the test with ECONNRESET.
  const server = createServer((socket) => socket.on("error", () => undefined).end("host-service\n"));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return { server, port: address.port };
}

function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = connect({ host, port }, () => undefined);
    socket.on("data", (chunk) => {
      text += chunk.toString();
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

function primaryIpv4(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? [])
      if (a.family === "IPv4" && !a.internal && !a.address.startsWith("10.89.")) return a.address;
  throw new Error("this host has no non-loopback IPv4 address to test against");
}

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: "utf8" });

describe("app instances (gVisor, per-app networks)", { timeout: 900_000 }, () => {
  const net = createAppNetworkHost({ prefix });
  const appA = `app-a-${process.pid}`;
  const appB = `app-b-${process.pid}`;
  let work = "";
  let rootfs = "";
  let web: StoredArtifact | undefined;
  let probe: StoredArtifact | undefined;
  let netA: AppNetwork | undefined;
  const nets = new Map<string, InstanceNetwork>();
  const handles = new Map<string, InstanceHandle>();
  const supervisors: Supervisor[] = [];
  const output = new Map<string, string[]>();
  const stateRoot = () => join(work, "state");
  let egress: BuildEgress | undefined;

  async function build(source: string): Promise<StoredArtifact> {
    const lines: string[] = [];
    const options: RunBuildOptions = {
      source,
      component: {},
      stack: {
        version: JSON.parse(await readFile(join(rootfs, "..", "stack.json"), "utf8")).version,
        rootfs,
      },
      artifactsRoot: join(work, "artifacts"),
      cacheRoot: join(work, "cache"),
      workRoot: join(work, "work"),
      runInSandbox: createGvisorBuildSandbox({
        workDir: join(work, "sandboxes"),
        ...(egress === undefined ? {} : { egress }),
      }),
      limits: { memoryMiB: 1024, cpus: 2, timeoutMs: 300_000 },
      log: (l) => lines.push(l),
      caFile: HOST_CA,
    };
    return runBuild(options).catch((err: unknown) => {
      throw new Error(`runBuild of ${source} failed; its log:\n${lines.join("\n")}`, { cause: err });
    });
  }

  function options(
    id: string,
    artifact: StoredArtifact,
    network: InstanceNetwork,
    extra: Partial<StartInstanceOptions> = {},
  ): StartInstanceOptions {
    const lines: string[] = [];
    output.set(id, lines);
    return {
      id: `${prefix}-${id}`,
      artifact,
      stackRootfs: rootfs,
      size: instanceLimits(),
      network,
      hostsFile: join(work, `hosts-${network.appId}`),
      labels: { app: network.appId, component: id.replace(/-\d+$/, "") },
      stateRoot: stateRoot(),
      bundleRoot: join(work, "bundles"),
      onLine: (_stream, line) => lines.push(line),
      ...(artifact === probe ? { runCommand: "node server.js" } : {}),
      ...extra,
    };
  }

  async function start(name: string, artifact: StoredArtifact, network: InstanceNetwork) {
    const started = performance.now();
    const handle = await startInstance(options(name, artifact, network, { env: { NAME: name } }));
    handles.set(name, handle);
    await waitFor(() => answers(`http://${handle.ip}:${handle.port}/`), 30_000, `${name} to answer`);
    return Math.round(performance.now() - started);
  }

  const ip = (name: string) => nets.get(name)?.ip ?? assert.fail(`no network for ${name}`);
  const probeFrom = (name: string, path: string) => get(`http://${ip(name)}:8080${path}`);

  before(
    async () => {
      assert.equal(process.getuid?.(), 0, "the instance test must run as root");
      work = await mkdtemp(join(tmpdir(), "slipway-instance-"));
      rootfs = (await sharedTestStack()).rootfs;
      // Builds reach npm through their own restricted network (ADR 0019), gone before the apps'.
      egress = await startTestBuildEgress("r");
      web = await build(join(repoRoot(), "examples", "node-express"));
      probe = await build(join(repoRoot(), "test", "fixtures", "runtime-probe"));
      await egress.stop();
      egress = undefined;
      await net.removeAll();
      netA = await net.ensureApp(appA, { egress: true });
      await net.ensureApp(appB);
      for (const [name, app] of [
        ["web", appA],
        ["meta", appA],
        ["hog", appA],
        ["spare", appA],
        ["other", appB],
      ] as const)
        nets.set(name, await net.attach(app));
      const hosts = (names: string[]) => renderHostsFile(names.map((name) => ({ name, ip: ip(name) })));
      await writeFile(join(work, `hosts-${appA}`), hosts(["web", "meta", "hog"]));
      await writeFile(join(work, `hosts-${appB}`), hosts(["other"]));
      const times = [
        await start("web", web, nets.get("web")!),
        await start("meta", probe, nets.get("meta")!),
        await start("other", probe, nets.get("other")!),
      ];
      process.stdout.write(`# start-to-first-response (web, meta, other): ${times.join(", ")} ms\n`);
    },
    { timeout: 600_000 },
  );

  after(async () => {
    await egress?.stop();
    for (const s of supervisors) await s.stop({ graceMs: 0 }).catch(() => undefined);
    for (const h of handles.values()) await h.stop({ graceMs: 0 }).catch(() => undefined);
    await net.removeAll();
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  it("answers HTTP at its IP:port from the host, and its readiness check passes", async () => {
    assert.match(await get(`http://${ip("web")}:8080/`), /^Hello from Slipway/);
    const settings = healthCheckSettings({ http_path: "/healthz", period_seconds: 1 }, 8080);
    const check = startHealthCheck({ settings, host: ip("web") });
    try {
      await waitFor(() => check.status().state === "ready", 10_000, "the readiness check");
    } finally {
      await check.stop();
    }
    const tcp = startHealthCheck({ settings: healthCheckSettings({ port: 9 }, 8080), host: ip("web") });
    await waitFor(() => tcp.status().probes === 1, 10_000, "a TCP probe of a closed port");
    await tcp.stop();
    assert.equal(tcp.status().state, "not-ready");
    assert.match(tcp.status().lastError ?? "", /ECONNREFUSED|timed out/);
  });

  it("reaches the other component of its app by name", async () => {
    assert.match(await probeFrom("meta", "/fetch?url=http://web:8080/"), /^Hello from Slipway/);
    assert.equal(await probeFrom("meta", `/connect?host=web&port=8080`), "connected");
  });

  it("lists the running instances with their labels", async () => {
    const listed = await listInstances(stateRoot());
    const byId = new Map(listed.map((l) => [l.id, l]));
    assert.deepEqual(byId.get(`${prefix}-meta`)?.labels, { app: appA, component: "meta" });
    assert.equal(byId.get(`${prefix}-other`)?.ip, ip("other"));
    assert.equal(byId.get(`${prefix}-web`)?.port, 8080);
    assert.equal(byId.get(`${prefix}-web`)?.artifactId, web?.metadata.id);
  });

  it("cannot connect to another app, the host's services or the gateway's other ports", async (t) => {
    assert.ok(netA);
    const loop = await listen("127.0.0.1");
    const all = await listen("0.0.0.0");
    try {
      const host = primaryIpv4();
      assert.equal(await readFrom(host, all.port), "host-service\n", "reachable from the host itself");
      const tries: [string, string, number][] = [
        ["meta", ip("other"), 8080],
        ["meta", "127.0.0.1", loop.port],
        ["meta", netA.gateway, loop.port],
        ["meta", netA.gateway, all.port],
        ["meta", host, all.port],
        ["meta", host, loop.port],
        ["other", ip("web"), 8080],
        ["other", host, all.port],
      ];
      for (const [from, to, port] of tries) {
        const outcome = await probeFrom(from, `/connect?host=${to}&port=${port}`);
        t.diagnostic(`${from} -> ${to}:${port}: ${outcome}`);
        assert.match(outcome, /^failed: /, `${from} -> ${to}:${port}: ${outcome}`);
      }
      // The control: without Slipway's table the host's own addresses answer the app.
      sh("nft", ["delete", "table", "inet", net.table]);
      try {
        assert.equal(await probeFrom("meta", `/connect?host=${netA.gateway}&port=${all.port}`), "connected");
        assert.equal(await probeFrom("meta", `/connect?host=${host}&port=${all.port}`), "connected");
      } finally {
        await net.syncRules();
      }
      assert.match(await probeFrom("meta", `/connect?host=${host}&port=${all.port}`), /^failed: /);
      assert.equal(await probeFrom("meta", `/connect?host=${ip("web")}&port=8080`), "connected");
    } finally {
      loop.server.close();
      all.server.close();
    }
    const rules = sh("nft", ["list", "table", "inet", net.table]);
    assert.match(rules, new RegExp(`iifname "${prefix}-b\\*" drop`));
  });

  it("sees the stack's files, not the host's, and only its own processes", async () => {
    const shadow = await probeFrom("meta", "/read?path=/etc/shadow");
    assert.equal(shadow, await readFile(join(rootfs, "etc/shadow"), "utf8"));
    assert.notEqual(shadow, await readFile("/etc/shadow", "utf8"));
    const ps = JSON.parse(await probeFrom("meta", "/ps")) as { pid: number; cmd: string }[];
    assert.deepEqual(
      ps.map((p) => [p.pid, p.cmd.split(" ")[0]]),
      [
        [1, "sh"],
        [2, "node"],
      ],
    );
    assert.match(
      await probeFrom("meta", "/read?path=/workspace/server.js"),
      /runtime-probe|test\/runtime-instance/,
    );
  });

  it("kills an instance over its memory limit alone, and the supervisor restarts it; so after kill -9", async (t) => {
    assert.ok(probe);
    const artifact = probe;
    const hogNet = nets.get("hog")!;
    const events: SupervisorEvent[] = [];
    const supervisor = superviseInstance({
      start: async (attempt) => {
        await net.reset(hogNet);
        const size = { cpus: 1, memoryMiB: 128 };
        return startInstance(options(`hog-${attempt}`, artifact, hogNet, { size }));
      },
      onEvent: (e) => events.push(e),
    });
    supervisors.push(supervisor);
    const restarts = () => events.filter((e) => e.type === "RUN_RESTARTED");
    const hogUrl = `http://${hogNet.ip}:8080/`;
    await waitFor(() => answers(hogUrl), 30_000, "the hog to answer");
    await get(`${hogUrl}alloc?mb=400`).catch(() => "connection lost");
    await waitFor(() => restarts().length === 1, 30_000, "a restart after the OOM kill");
    assert.deepEqual(
      restarts().map((e) => [
        e.type === "RUN_RESTARTED" && e.oomKilled,
        e.type === "RUN_RESTARTED" && e.exitCode,
      ]),
      [[true, 137]],
    );
    assert.match(await get(`http://${ip("web")}:8080/`), /^Hello/, "the neighbour still answers");
    await waitFor(() => answers(hogUrl), 30_000, "the hog to answer after its restart");

    const id = supervisor.current()?.id ?? assert.fail("no current instance");
    const state = JSON.parse(sh("runsc", ["--root", stateRoot(), "state", id])) as { pid: number };
    const killed = performance.now();
    process.kill(state.pid, "SIGKILL");
    await waitFor(() => restarts().length === 2, 30_000, "a restart after kill -9");
    await waitFor(() => answers(hogUrl), 30_000, "the hog to answer after kill -9");
    t.diagnostic(`kill -9 of the sentry to answering again: ${Math.round(performance.now() - killed)} ms`);
    const second = restarts()[1];
    assert.ok(second?.type === "RUN_RESTARTED");
    assert.deepEqual([second.oomKilled, second.restartCount, second.delayMs], [false, 2, 2000]);
    await supervisor.stop({ graceMs: 2000 });
    assert.equal(supervisor.current(), undefined);
  });

  it("starts with a CPU boost and drops to the plan's quota once it is reported started", async () => {
    const spare = nets.get("spare")!;
    await net.reset(spare);
    const boosted = await startInstance(options("boost", probe!, spare));
    try {
      // The plan (instanceLimits()) has 1 CPU: twice that, but never more than the host has.
      const startup = Math.min(2, availableParallelism());
      // Answering: the sandbox and its cgroup exist (runsc makes the cgroup as it boots).
      await waitFor(() => answers(`http://${spare.ip}:8080/`), 30_000, "boost to answer");
      assert.equal(await readSandboxCpus(boosted.id), startup);
      const listed = (await listInstances(stateRoot())).find((l) => l.id === boosted.id);
      assert.equal(listed?.cpus, 1, "the plan's CPUs are recorded for the next control plane");
      await boosted.started();
      assert.equal(await readSandboxCpus(boosted.id), 1);
    } finally {
      await boosted.stop({ graceMs: 0 });
    }
  });

  it("stop() drains with SIGTERM, and SIGKILLs after the grace period", async () => {
    assert.ok(probe);
    const spare = nets.get("spare")!;
    await net.reset(spare);
    const polite = await startInstance(options("drain", probe, spare, { env: { NAME: "drain" } }));
    await waitFor(() => answers(`http://${spare.ip}:8080/`), 30_000, "drain to answer");
    const drained = await polite.stop({ graceMs: 10_000 });
    assert.deepEqual([drained.exitCode, drained.signal, drained.oomKilled], [0, undefined, false]);
    assert.ok(output.get("drain")?.includes("draining"), output.get("drain")?.join("\n"));

    await net.reset(spare);
    const stubborn = await startInstance(options("stubborn", probe, spare, { env: { IGNORE_TERM: "1" } }));
    await waitFor(() => answers(`http://${spare.ip}:8080/`), 30_000, "stubborn to answer");
    const stopping = performance.now();
    const killed = await stubborn.stop({ graceMs: 1500 });
    assert.deepEqual([killed.exitCode, killed.signal, killed.oomKilled], [137, "SIGKILL", false]);
    assert.ok(performance.now() - stopping >= 1500, "the grace period was given");
    assert.ok(output.get("stubborn")?.includes("ignoring SIGTERM"), output.get("stubborn")?.join("\n"));
  });

  it("removes every container, namespace, link and rule, also a crashed run's by prefix", async () => {
    for (const h of handles.values()) await h.stop({ graceMs: 2000 });
    handles.clear();
    assert.equal(sh("runsc", ["--root", stateRoot(), "list", "-quiet"]).trim(), "");
    await net.removeApp(appB);
    assert.deepEqual(
      (await net.listApps()).map((a) => a.appId),
      [appA],
    );
    await net.removeApp(appB);
    // A new host object with the same prefix finds what "crashed" before it and removes it.
    await createAppNetworkHost({ prefix }).removeAll();
    assert.equal(
      sh("ip", ["netns", "list"])
        .split("\n")
        .filter((l) => l.startsWith(`${prefix}-`)).length,
      0,
    );
    const links = JSON.parse(sh("ip", ["-j", "link", "show"])) as { ifname: string }[];
    assert.deepEqual(
      links.filter((l) => l.ifname.startsWith(`${prefix}-`)),
      [],
    );
    assert.doesNotMatch(sh("nft", ["list", "tables"]), new RegExp(net.table));
  });
});
