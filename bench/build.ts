/**
 * Benchmark: build times per example and artifact sizes. For each example, interleaved over
 * ROUNDS rounds:
 *  - cold: no artifact and no dependency cache (fresh folders), in gVisor — the sandbox Slipway uses;
 *  - cold-chroot: the same build with the same commands, mounts and limits-free, in a plain chroot
 *    of the stack (an overlay so the stack stays read-only) — the baseline, to show what the
 *    sandbox costs;
 *  - warm: a changed BUILD_TIME env (new artifact id) with the dependency cache kept;
 *  - reused: identical inputs (no sandbox runs at all).
 * Medians and the gVisor/chroot ratio go to bench/results/build.json. Needs root; uses the
 * shared test stack (built once).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RunBuildOptions,
  type RunInSandbox,
  runBuild,
  type SandboxOutcome,
} from "../src/build/index.js";
import { createGvisorBuildSandbox } from "../src/main/build-sandbox.js";
import { repoRoot } from "../test/helpers/repo-root.js";
import { sharedTestStack } from "../test/helpers/test-stack.js";

const EXAMPLES = [
  "static-site",
  "node-express",
  "go-hello",
  "node-vite-static",
  "python-flask",
  "procfile-app",
];
const ROUNDS = Number(process.env.BENCH_BUILD_ROUNDS ?? 3);
const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";

/**
 * The baseline runner: the request's command in a chroot of the stack, through an overlay whose
 * upper layer is a throwaway tmpfs, with the request's mounts bound in — the same file system view
 * as the sandbox, without gVisor. Host network; no limits but the wall time.
 */
function chrootRunner(scratch: string): RunInSandbox {
  let n = 0;
  return (req) =>
    new Promise<SandboxOutcome>((resolve) => {
      const dir = join(scratch, `chroot-${n++}`);
      const binds = req.mounts
        .map(
          (m) =>
            `{ if [ -d "${m.source}" ]; then mkdir -p "$M${m.destination}"; else mkdir -p "$(dirname "$M${m.destination}")" && touch "$M${m.destination}"; fi; } && mount --bind "${m.source}" "$M${m.destination}"` +
            (m.readonly ? ` && mount -o remount,bind,ro "$M${m.destination}"` : ""),
        )
        .join(" && ");
      const env = Object.entries(req.env)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(" ");
      const script = [
        "set -e",
        `D=${JSON.stringify(dir)}; M="$D/merged"`,
        'mkdir -p "$D" && mount -t tmpfs tmpfs "$D" && mkdir -p "$D/upper" "$D/work" "$M"',
        `mount -t overlay overlay -o lowerdir=${JSON.stringify(req.rootfs)},upperdir="$D/upper",workdir="$D/work" "$M"`,
        'mount -t proc proc "$M/proc"',
        `mkdir -p "$M/tmp" && mount -t tmpfs -o size=${req.tmpMiB}m tmpfs "$M/tmp"`,
        binds,
        `exec chroot "$M" /usr/bin/env -i ${env} sh -c ${JSON.stringify(`cd ${req.cwd} && ${req.args.slice(2).join(" ")}`)}`,
      ].join("\n");
      const child = execFile("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
        timeout: req.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
      child.stdout?.on("data", (c: Buffer) => req.onOutput("stdout", c));
      child.stderr?.on("data", (c: Buffer) => req.onOutput("stderr", c));
      child.on("close", (code) => {
        void rm(dir, { recursive: true, force: true }).finally(() =>
          resolve({ exitCode: code, timedOut: false, oomKilled: false }),
        );
      });
    });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] ?? Number.NaN);
}

async function main(): Promise<void> {
  const built = await sharedTestStack();
  const stack = { version: built.info.version, rootfs: built.rootfs };
  const work = await mkdtemp(join(tmpdir(), "slipway-bench-build-"));
  const gvisor = createGvisorBuildSandbox({ workDir: join(work, "sandboxes") });
  const chroot = chrootRunner(join(work, "chroots"));
  const times: Record<string, Record<string, number[]>> = {};
  const sizes: Record<string, number> = {};
  const record = (example: string, kind: string, ms: number) => {
    const perExample = times[example] ?? {};
    times[example] = perExample;
    const samples = perExample[kind] ?? [];
    perExample[kind] = samples;
    samples.push(ms);
  };
  const options = (
    example: string,
    root: string,
    runInSandbox: RunInSandbox,
    round: string,
  ): RunBuildOptions => ({
    source: join(repoRoot(), "examples", example),
    component: { envs: [{ key: "BENCH_ROUND", value: round, scope: "BUILD_TIME" }] },
    stack,
    artifactsRoot: join(root, "artifacts"),
    cacheRoot: join(root, "cache"),
    workRoot: join(root, "work"),
    runInSandbox,
    limits: { memoryMiB: 2048, cpus: 2, timeoutMs: 600_000 },
    log: () => {},
    ...(existsSync(HOST_CA) ? { caFile: HOST_CA } : {}),
  });
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const example of EXAMPLES) {
        for (const [kind, runner] of [
          ["cold", gvisor],
          ["cold-chroot", chroot],
        ] as const) {
          const root = join(work, `${kind}-${example}-${round}`);
          const cold = await runBuild(options(example, root, runner, "a"));
          record(example, kind, cold.durationMs);
          sizes[example] = cold.metadata.sizeBytes;
          if (kind === "cold") {
            const warm = await runBuild(options(example, root, runner, "b"));
            record(example, "warm", warm.durationMs);
            const reused = await runBuild(options(example, root, runner, "b"));
            if (!reused.reused) throw new Error(`${example}: the third build was not reused`);
            record(example, "reused", reused.durationMs);
          }
          await rm(root, { recursive: true, force: true });
        }
        process.stdout.write(`round ${round + 1}/${ROUNDS} ${example} done\n`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const results = Object.fromEntries(
    EXAMPLES.map((example) => {
      const t = times[example] ?? {};
      const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
      const ratio = (m.cold ?? Number.NaN) / (m["cold-chroot"] ?? Number.NaN);
      return [
        example,
        {
          medianMs: m,
          gvisorOverChroot: Number(ratio.toFixed(2)),
          artifactBytes: sizes[example],
          samples: t,
        },
      ];
    }),
  );
  const out = { bench: "build", rounds: ROUNDS, stack: stack.version, at: new Date().toISOString(), results };
  mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
  writeFileSync(join(repoRoot(), "bench", "results", "build.json"), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write("example            cold   chroot  ratio   warm  reused   artifact\n");
  for (const [example, r] of Object.entries(results)) {
    const m = r.medianMs;
    process.stdout.write(
      `${example.padEnd(18)} ${String(m.cold).padStart(5)} ${String(m["cold-chroot"]).padStart(7)} ${String(r.gvisorOverChroot).padStart(6)} ${String(m.warm).padStart(6)} ${String(m.reused).padStart(7)} ${String(r.artifactBytes).padStart(10)}\n`,
    );
  }
}

await main();
