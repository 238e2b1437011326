/**
 * Benchmark: requests/s and p50/p99 latency through Slipway's rendered HAProxy config (maps,
 * path handling, per-app limits, set up by createRouterSync) vs the same HAProxy with a
 * minimal config (one frontend, one backend, `mode http`), the same with L7 retries
 * (`retry-on conn-failure empty-response`, which Slipway does not use), and the app directly. Load from `wrk`
 * (Debian's, installed by scripts/install.sh), keep-alive and one-connection-per-request,
 * interleaved round by round on loopback; medians over the rounds, and the median of the
 * per-round ratios (the machine is shared, so load drifts between rounds). The "app" is a third HAProxy
 * answering a fixed 200 itself, so the app is not the bottleneck and the routers' cost shows.
 * Writes bench/results/router.json.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRouterSync, routeTable } from "../src/router/index.js";
import { normalize } from "../src/spec/index.js";
import { freePort, startHaproxy, type TestHaproxy } from "../test/helpers/haproxy.js";
import { repoRoot } from "../test/helpers/repo-root.js";

const ROUNDS = 7;
const SECONDS = 2;
const CONNECTIONS = 32;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time the serving HAProxy worker spent per request, microseconds (robust to a busy machine). */
  cpuUs: number;
  requests: number;
}

/** user + system CPU of a process so far, ms (Linux /proc; clock ticks are 10 ms). */
function cpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measured(pid: number, run: () => Promise<Omit<Run, "cpuUs">>): Promise<Run> {
  const before = cpuMs(pid);
  const r = await run();
  return { ...r, cpuUs: Number((((cpuMs(pid) - before) * 1000) / Math.max(1, r.requests)).toFixed(2)) };
}

/** Runs wrk once and parses requests/s, the latency distribution and errors. */
function wrk(port: number, host: string, close: boolean): Promise<Omit<Run, "cpuUs">> {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-H", `Host: ${host}`];
  if (close) args.push("-H", "Connection: close");
  args.push(`http://127.0.0.1:${port}/`);
  return new Promise((resolve, reject) => {
    execFile("wrk", args, { timeout: (SECONDS + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed (scripts/install.sh installs it): ${err.message}`));
      const ms = (label: string) => {
        const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)`, "m").exec(stdout);
        const unit = { us: 0.001, ms: 1, s: 1000 }[m?.[2] ?? "ms"] ?? 1;
        return Number(m?.[1] ?? Number.NaN) * unit;
      };
      const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? 0);
      resolve({
        rps: num(/Requests\/sec:\s+([\d.]+)/),
        p50: ms("50%"),
        p99: ms("99%"),
        errors: num(/Non-2xx or 3xx responses: (\d+)/) + num(/Socket errors: connect (\d+)/),
        requests: num(/(\d+) requests in/),
      });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.floor(s.length / 2)] ?? 0).toFixed(3));
};

const dir = await mkdtemp(join(tmpdir(), `slipway-bench-router-${process.pid}-`));
const started: TestHaproxy[] = [];
const global = (name: string) => [
  "global",
  `  stats socket ${join(dir, `${name}.sock`)} mode 600 level admin`,
  "  maxconn 4096",
];
const defaults = [
  "defaults",
  "  mode http",
  "  timeout connect 5s",
  "  timeout client 60s",
  "  timeout server 60s",
];
async function haproxy(name: string, lines: string[]): Promise<void> {
  const file = join(dir, `${name}.cfg`);
  await writeFile(file, `${[...global(name), ...defaults, ...lines].join("\n")}\n`);
  started.push(await startHaproxy(file, join(dir, `${name}.sock`)));
}
const syncDir = join(dir, "slipway");
await mkdir(syncDir);
try {
  const appPort = await freePort();
  await haproxy("app", [
    "frontend app",
    `  bind 127.0.0.1:${appPort}`,
    "  http-request return status 200 content-type text/plain string ok",
  ]);
  const onePort = await freePort();
  await haproxy("oneline", [
    "frontend f",
    `  bind 127.0.0.1:${onePort}`,
    "  default_backend b",
    "backend b",
    `  server s 127.0.0.1:${appPort}`,
  ]);
  // The one-line config plus L7 retries of requests answered with nothing, which Slipway does not
  // configure (ADR 0031): what they would cost, for comparison (HAProxy copies each request's
  // 16 KiB buffer to be able to send it again).
  const retryPort = await freePort();
  await haproxy("oneline-l7-retries", [
    "frontend f",
    `  bind 127.0.0.1:${retryPort}`,
    "  default_backend b",
    "backend b",
    "  retry-on conn-failure empty-response",
    `  server s 127.0.0.1:${appPort}`,
  ]);
  const slipwayPort = await freePort();
  const table = routeTable([
    { name: "bench", spec: normalize({ name: "bench", services: [{ name: "web", http_port: 3000 }] }) },
  ]);
  // The default request-rate limit (1,000 per second per app component) would answer 429 to the
  // benchmark: it is raised, so the limit's rules are still evaluated but never refuse.
  const router = await createRouterSync(
    { dir: syncDir, render: { httpPort: slipwayPort, fairness: { requestsPerSecond: 1_000_000_000 } } },
    {
      table,
      endpoints: [
        { app: "bench", component: "web", endpoints: [{ id: "app", address: "127.0.0.1", port: appPort }] },
      ],
    },
  );
  try {
    const [app, oneLine, oneLineL7Retries] = started;
    if (app === undefined || oneLine === undefined || oneLineL7Retries === undefined)
      throw new Error("haproxy processes missing");
    const targets = {
      slipway: { port: slipwayPort, pid: () => router.haproxy.workerPid() },
      oneLine: { port: onePort, pid: () => oneLine.workerPid() },
      oneLineL7Retries: { port: retryPort, pid: () => oneLineL7Retries.workerPid() },
      direct: { port: appPort, pid: () => app.workerPid() },
    } as const;
    const results: Record<string, Record<string, Run[]>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["keepAlive", "close"] as const) {
        for (const [name, target] of Object.entries(targets)) {
          const pid = await target.pid();
          const run = await measured(pid, () => wrk(target.port, "bench.localhost", mode === "close"));
          const byMode = results[mode] ?? {};
          byMode[name] = [...(byMode[name] ?? []), run];
          results[mode] = byMode;
        }
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([mode, byTarget]) => {
        const t = Object.fromEntries(
          Object.entries(byTarget).map(([name, runs]) => [
            name,
            {
              rps: median(runs.map((r) => r.rps)),
              p50Ms: median(runs.map((r) => r.p50)),
              p99Ms: median(runs.map((r) => r.p99)),
              errors: runs.reduce((n, r) => n + r.errors, 0),
              cpuUsPerRequest: median(runs.map((r) => r.cpuUs)),
            },
          ]),
        );
        const ratio = Number(((t.slipway?.rps ?? 0) / (t.oneLine?.rps ?? 1)).toFixed(3));
        // Each round runs the targets back to back, so the per-round ratio cancels the machine's drift.
        const pairedWith = (base: string) =>
          median((byTarget.slipway ?? []).map((r, i) => r.rps / (byTarget[base]?.[i]?.rps ?? Number.NaN)));
        const paired = pairedWith("oneLine");
        const cpu = Number(
          ((t.oneLine?.cpuUsPerRequest ?? 0) / (t.slipway?.cpuUsPerRequest ?? 1)).toFixed(3),
        );
        return [
          mode,
          {
            ...t,
            slipwayOverOneLine: ratio,
            slipwayOverOneLineMedianOfRounds: paired,
            slipwayOverOneLineWithL7RetriesMedianOfRounds: pairedWith("oneLineL7Retries"),
            oneLineCpuOverSlipwayCpu: cpu,
          },
        ];
      }),
    );
    const out = {
      benchmark: "router",
      when: new Date().toISOString(),
      haproxy: "2.6 (Debian), master-worker for slipway",
      load: { tool: "wrk", threads: 1, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS },
      target: "slipway / oneLine requests per second >= 0.9",
      ...summary,
    };
    const resultsDir = join(repoRoot(), "bench", "results");
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, "router.json"), `${JSON.stringify(out, null, 2)}\n`);
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await router.stop();
  }
} finally {
  for (const h of started) await h.stop();
  await rm(dir, { recursive: true, force: true });
}
