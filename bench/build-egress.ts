/**
 * Benchmark: what restricted build egress costs (ADR 0019). examples/python-flask (pip from PyPI)
 * and examples/node-vite-static (npm) built cold (fresh artifact and dependency cache folders) in
 * gVisor, interleaved over ROUNDS rounds:
 *  - proxy: `network: "registries"` — a fresh isolated namespace of the builds network per
 *    command, downloads through the egress proxy (what the server does);
 *  - host: the same requests with `network: "host"` (what builds did before).
 * Medians and the proxy/host ratio go to bench/results/build-egress.json. Needs root; uses the
 * shared test stack (built once).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunBuildOptions, type RunInSandbox, runBuild } from "../src/build/index.js";
import { createGvisorBuildSandbox } from "../src/main/build-sandbox.js";
import { startTestBuildEgress } from "../test/helpers/build-egress.js";
import { repoRoot } from "../test/helpers/repo-root.js";
import { sharedTestStack } from "../test/helpers/test-stack.js";

const EXAMPLES = ["python-flask", "node-vite-static"];
const ROUNDS = Number(process.env.BENCH_EGRESS_ROUNDS ?? 3);
const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : Math.round(((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2);
}

async function main(): Promise<void> {
  const built = await sharedTestStack();
  const stack = { version: built.info.version, rootfs: built.rootfs };
  const work = await mkdtemp(join(tmpdir(), "slipway-bench-egress-"));
  let tunnels = 0;
  const egress = await startTestBuildEgress("x", (d) => {
    if (d.allowed) tunnels++;
    else process.stdout.write(`refused ${d.target}: ${d.reason ?? ""}\n`);
  });
  const proxied = createGvisorBuildSandbox({ workDir: join(work, "sandboxes"), egress });
  const plain = createGvisorBuildSandbox({ workDir: join(work, "sandboxes") });
  const host: RunInSandbox = (req) => plain({ ...req, network: "host" });
  const times: Record<string, Record<string, number[]>> = {};
  const options = (example: string, root: string, runInSandbox: RunInSandbox): RunBuildOptions => ({
    source: join(repoRoot(), "examples", example),
    component: {},
    stack,
    artifactsRoot: join(root, "artifacts"),
    cacheRoot: join(root, "cache"),
    workRoot: join(root, "work"),
    runInSandbox,
    limits: { memoryMiB: 2048, cpus: 1, timeoutMs: 600_000 },
    log: () => {},
    ...(existsSync(HOST_CA) ? { caFile: HOST_CA } : {}),
  });
  try {
    for (let round = 0; round < ROUNDS; round++)
      for (const example of EXAMPLES) {
        // Alternate which goes first, so neither always meets the warmer upstream caches.
        const order = round % 2 === 0 ? (["proxy", "host"] as const) : (["host", "proxy"] as const);
        for (const kind of order) {
          const root = join(work, `${kind}-${example}-${round}`);
          const result = await runBuild(options(example, root, kind === "proxy" ? proxied : host));
          const perExample = times[example] ?? {};
          times[example] = perExample;
          perExample[kind] = [...(perExample[kind] ?? []), result.durationMs];
          await rm(root, { recursive: true, force: true });
        }
        process.stdout.write(`round ${round + 1}/${ROUNDS} ${example} done\n`);
      }
  } finally {
    await egress.stop();
    await rm(work, { recursive: true, force: true });
  }
  const results = Object.fromEntries(
    EXAMPLES.map((example) => {
      const t = times[example] ?? {};
      const proxy = median(t.proxy ?? []);
      const hostMs = median(t.host ?? []);
      return [
        example,
        { medianMs: { proxy, host: hostMs }, proxyOverHost: Number((proxy / hostMs).toFixed(2)), samples: t },
      ];
    }),
  );
  const out = {
    bench: "build-egress",
    rounds: ROUNDS,
    stack: stack.version,
    cpus: 1,
    tunnelsOpened: tunnels,
    at: new Date().toISOString(),
    results,
  };
  mkdirSync(join(repoRoot(), "bench", "results"), { recursive: true });
  writeFileSync(
    join(repoRoot(), "bench", "results", "build-egress.json"),
    `${JSON.stringify(out, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

await main();
