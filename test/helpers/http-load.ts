/**
 * A bounded in-process HTTP load loop over loopback: N keep-alive clients (one socket each) and
 * M clients opening a new connection per request, until stopped or a request/time budget runs
 * out. Every failure is counted: refused or reset connections, timeouts, non-2xx answers, and
 * answers a caller-supplied check rejects.
 */
import { Agent, request } from "node:http";

/** Options of {@link startLoad}. */
export interface LoadOptions {
  port: number;
  /** Host header (picks the app). */
  host: string;
  path?: string;
  keepAliveClients: number;
  closeClients: number;
  /** Stop after this many requests in all (bound). */
  maxRequests: number;
  /** Stop after this long (bound). */
  maxMs: number;
  /** Extra check on a 2xx body; false counts as a failure. */
  check?: (body: string) => boolean;
  /** Per-request timeout. Default 5000 ms. */
  timeoutMs?: number;
}

/** What the load saw. */
export interface LoadReport {
  ok: number;
  failures: string[];
  /** Latency of every successful request, ms. */
  latencies: number[];
  /** Successful answers per body (the backend's name). */
  bodies: Map<string, number>;
}

/** A running load loop. */
export interface Load {
  /** Stops the clients after their current request and resolves with the report. */
  stop(): Promise<LoadReport>;
  /** The report so far. */
  report: LoadReport;
}

/** Starts the loop; it runs until `stop()`, `maxRequests` or `maxMs`. */
export function startLoad(o: LoadOptions): Load {
  const report: LoadReport = { ok: 0, failures: [], latencies: [], bodies: new Map() };
  const deadline = Date.now() + o.maxMs;
  let sent = 0;
  let stopped = false;
  const more = () => !stopped && sent < o.maxRequests && Date.now() < deadline;
  const client = async (keepAlive: boolean) => {
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
    try {
      while (more()) {
        sent++;
        const started = performance.now();
        try {
          const { status, body } = await get(o, agent);
          if (status < 200 || status > 299) report.failures.push(`HTTP ${status}: ${body.slice(0, 80)}`);
          else if (o.check !== undefined && !o.check(body)) report.failures.push(`unexpected body: ${body}`);
          else {
            report.ok++;
            report.latencies.push(performance.now() - started);
            report.bodies.set(body, (report.bodies.get(body) ?? 0) + 1);
          }
        } catch (err) {
          report.failures.push(`${keepAlive ? "keep-alive" : "close"}: ${(err as Error).message}`);
        }
      }
    } finally {
      agent?.destroy();
    }
  };
  const clients = [
    ...Array.from({ length: o.keepAliveClients }, () => client(true)),
    ...Array.from({ length: o.closeClients }, () => client(false)),
  ];
  const done = Promise.all(clients);
  return {
    report,
    stop: async () => {
      stopped = true;
      await done;
      return report;
    },
  };
}

/** One GET; resolves with the status and body. */
export function get(
  o: { port: number; host: string; path?: string; timeoutMs?: number },
  agent?: Agent,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: o.port,
        path: o.path ?? "/",
        headers: agent === undefined ? { host: o.host, connection: "close" } : { host: o.host },
        agent: agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(o.timeoutMs ?? 5000, () =>
      req.destroy(new Error(`no answer within ${o.timeoutMs ?? 5000} ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}
