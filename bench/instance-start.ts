/**
 * Benchmark: start-to-ready of one app instance in a gVisor sandbox as the server starts it
 * (startDetachedInstance: its own network namespace on an app bridge, the real stack, the startup
 * CPU boost, test/fixtures/runtime-probe as the artifact) against the same app as a bare process,
 * in interleaved rounds; "ready" is the first HTTP 200 from the host. The target (<= 3x) is
 * against the bare process on the stack's own Node 18 (ADR 0029): the same binary and files
 * without the sandbox. The host's Node (an official build, linked statically) starts several
 * times faster than Debian's, so the ratio to it measures the runtime as much as the sandbox; it
 * is reported too. Medians and ratios go to bench/results/instance-start.json. Needs root and the
 * shared test stack (built on first use). RUNSC overrides the runsc binary.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import {
  createAppNetworkHost,
  type InstanceHandle,
  instanceLimits,
  type StartInstanceOptions,
  startDetachedInstance,
  startHostInstance,
} from "../src/runtime/local/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";
import { sharedTestStack } from "../test/helpers/test-stack.js";

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const appDir = join(repoRoot(), "test", "fixtures", "runtime-probe");

/** Polls GET / every 5 ms (each try bounded to 250 ms) until it answers 200; returns when it did. */
async function untilReady(host: string, port: number, limitMs = 30_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host, port, path: "/", timeout: 250 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(false));
      req.end();
    });
    if (ok) return;
    await delay(5);
  }
  throw new Error(`${host}:${port} did not answer within ${limitMs} ms`);
}

/** SIGKILLs `child` and waits until it is gone (at once when it has already exited). */
async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

/** Spawns a bare process of the app on `port` and measures until it answers; kills it after. */
async function readyAfterSpawn(port: number, start: () => ChildProcess): Promise<number> {
  const started = performance.now();
  const child = start();
  try {
    await untilReady("127.0.0.1", port);
    return performance.now() - started;
  } finally {
    await killed(child);
  }
}

/** The app on the host's node. */
const bare = (port: number) =>
  readyAfterSpawn(port, () =>
    spawn(process.execPath, ["server.js"], {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? "", PORT: String(port) },
      stdio: "ignore",
    }),
  );

/**
 * The same app on the stack's own Node as a bare host process: a private mount namespace binds
 * the app at the stack's /mnt and chroots into the stack; no other namespace, no cgroup,
 * no sandbox. This is the sandboxed instance minus the sandbox: the same binary reading the same
 * files. (The stack has no /workspace, the sandbox's spec makes it; /mnt is empty in every Debian root.)
 */
const bareOnStack = (rootfs: string, port: number) =>
  readyAfterSpawn(port, () =>
    spawn(
      "unshare",
      [
        ...["--mount", "--propagation", "private", "sh", "-c"],
        `mount --bind -o ro "$1" "$2/mnt" && exec chroot "$2" /usr/bin/node /mnt/server.js`,
        ...["sh", appDir, rootfs],
      ],
      { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", PORT: String(port) }, stdio: "ignore" },
    ),
  );

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const rootfs = (await sharedTestStack()).rootfs;
  const work = mkdtempSync(join(tmpdir(), "slipway-bench-instance-"));
  const net = createAppNetworkHost({ prefix: `b${process.pid.toString(36)}` });
  const appId = `bench-${process.pid}`;
  const sandboxed: number[] = [];
  const host: number[] = [];
  const hostOnStack: number[] = [];
  // The same sandboxed start without the startup CPU boost: at the plan's 1 CPU from the first instant.
  const unboosted: number[] = [];
  // The same instance machinery (namespace, cgroup, hosts file, spec) without gVisor: what the
  // sandbox itself costs, apart from everything else a start does.
  const bwrap: number[] = [];
  const plain: number[] = [];
  try {
    await net.ensureApp(appId);
    const network = await net.attach(appId);
    const artifact = {
      appDir,
      metadata: { id: "bench", runCommand: "node server.js", httpPort: 8080, workdir: "/workspace", env: {} },
    };
    /** One instance started through `start` in the instance's namespace, until it answers. */
    const timed = async (
      round: number,
      kind: string,
      start: (o: StartInstanceOptions) => Promise<InstanceHandle>,
    ): Promise<number> => {
      await net.reset(network);
      const started = performance.now();
      const instance = await start({
        id: `bench-${process.pid}-${kind}-${round}`,
        artifact,
        stackRootfs: rootfs,
        size: instanceLimits(),
        network,
        stateRoot: join(work, "state"),
        bundleRoot: join(work, "bundles"),
        ...(process.env.RUNSC ? { runscPath: process.env.RUNSC } : {}),
      });
      try {
        await untilReady(network.ip, 8080);
        return performance.now() - started;
      } finally {
        await instance.stop({ graceMs: 0 });
      }
    };
    for (let round = 0; round < ROUNDS; round++) {
      host.push(await bare(20_000 + (process.pid % 20_000) + round));
      hostOnStack.push(await bareOnStack(rootfs, 40_000 + (process.pid % 20_000) + round));
      sandboxed.push(
        await timed(round, "runsc", (o) => startDetachedInstance({ ...o, outputDir: join(work, "output") })),
      );
      unboosted.push(
        await timed(round, "runsc-plan-cpus", (o) =>
          startDetachedInstance({ ...o, outputDir: join(work, "output"), startupBoost: false }),
        ),
      );
      bwrap.push(await timed(round, "bwrap", (o) => startHostInstance({ ...o, runtime: "bwrap" })));
      plain.push(await timed(round, "process", (o) => startHostInstance({ ...o, runtime: "process" })));
    }
  } finally {
    await net.removeAll();
    rmSync(work, { recursive: true, force: true });
  }
  const round2 = (xs: number[]) => xs.map((x) => Math.round(x));
  const result = {
    benchmark: "instance-start",
    date: new Date().toISOString(),
    rounds: ROUNDS,
    unit: "ms, spawn to first HTTP 200 from the host",
    sandboxed: { medianMs: Math.round(median(sandboxed)), samples: round2(sandboxed) },
    bareHostProcess: { medianMs: Math.round(median(host)), samples: round2(host) },
    bareOnStack: { medianMs: Math.round(median(hostOnStack)), samples: round2(hostOnStack) },
    target: "sandboxed / bareOnStack <= 3",
    ratioToBareOnStack: Number((median(sandboxed) / median(hostOnStack)).toFixed(2)),
    ratio: Number((median(sandboxed) / median(host)).toFixed(2)),
    sandboxedWithoutBoost: { medianMs: Math.round(median(unboosted)), samples: round2(unboosted) },
    boostedOverUnboosted: Number((median(sandboxed) / median(unboosted)).toFixed(2)),
    bwrapInstance: { medianMs: Math.round(median(bwrap)), samples: round2(bwrap) },
    processInstance: { medianMs: Math.round(median(plain)), samples: round2(plain) },
    ratioToProcessInstance: Number((median(sandboxed) / median(plain)).toFixed(2)),
    notes:
      "sandboxed: startDetachedInstance as the server starts instances (bundle, runsc create + start --network=sandbox in a netns on an app bridge, startup CPU boost, stack Node 18, sh -c) to ready; bareOnStack: the stack's node in a chroot on 127.0.0.1; bare: the host's node on 127.0.0.1; bwrapInstance/processInstance: the same instance (namespace, own cgroup, hosts file) under bubblewrap on the stack / as a plain host process (host node), ADR 0027",
  };
  mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
  writeFileSync(
    join(repoRoot(), "bench", "results", "instance-start.json"),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
