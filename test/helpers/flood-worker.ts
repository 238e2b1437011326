/**
 * A worker thread for fairness tests and benchmarks: a slow app (`delayMs` per request) and a
 * bounded flood of keep-alive clients against the router, kept off the main thread's event
 * loop so the main thread's latency measurements see the router, not the flood's JavaScript.
 * Protocol: the worker posts `{ port }` once its server listens; `"flood"` starts the clients;
 * `"stop"` stops them and the worker posts the counts so far (a flood may start again), and
 * `"close"` ends it.
 */
import { once } from "node:events";
import { Agent, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import { get } from "./http-load.js";

/** What the parent passes in `workerData`. */
export interface FloodConfig {
  delayMs: number;
  routerPort: number;
  host: string;
  clients: number;
  /** How long a client refused with 429 waits before it tries again. */
  backoffMs: number;
  /** Upper bound on the flood's duration. */
  maxMs: number;
}

/** What the worker posts after `"stop"`. */
export interface FloodCounts {
  ok: number;
  limited: number;
  other: number;
}

async function main(port: NonNullable<typeof parentPort>, config: FloodConfig): Promise<void> {
  const server = createServer((_q, res) => void delay(config.delayMs).then(() => res.end("a")));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  let stop = false;
  const counts: FloodCounts = { ok: 0, limited: 0, other: 0 };
  let clients: Promise<void>[] = [];
  port.on("message", async (msg: string) => {
    if (msg === "flood") {
      stop = false;
      const deadline = Date.now() + config.maxMs;
      clients = Array.from({ length: config.clients }, async () => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        while (!stop && Date.now() < deadline) {
          const reply = await get(
            { port: config.routerPort, host: config.host, timeoutMs: 60_000 },
            agent,
          ).catch(() => undefined);
          if (reply?.status === 200) counts.ok++;
          else if (reply?.status === 429) {
            counts.limited++;
            await delay(config.backoffMs);
          } else counts.other++;
        }
        agent.destroy();
      });
    } else if (msg === "stop") {
      stop = true;
      await Promise.all(clients);
      port.postMessage(counts);
    } else if (msg === "close") {
      server.closeAllConnections();
      server.close();
      port.close();
    }
  });
  port.postMessage({ port: (server.address() as AddressInfo).port });
}

if (parentPort !== null) void main(parentPort, workerData as FloodConfig);
