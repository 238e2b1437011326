/**
 * Connects a command to the server of the current context (or SLIPWAY_URL/SLIPWAY_TOKEN), and
 * waits for deployments the way `doctl ... --wait` does.
 */
import { type Client, createClient, type DeploymentJson } from "../api/index.js";
import { resolveServer } from "./config.js";
import type { CliIo } from "./io.js";
import { progressText } from "./output.js";
import { describeFetchError } from "./reach.js";

/** A client for the configured server; network failures become sentences naming the server. */
export async function connect(io: CliIo, context: string | undefined): Promise<Client> {
  const { url, token } = await resolveServer(io, context);
  const wrapped: typeof fetch = async (input, init) => {
    try {
      return await io.fetch(input, init);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new Error(describeFetchError(url, err));
    }
  };
  return createClient({ baseUrl: url, token, fetch: wrapped });
}

const DONE = new Set(["ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"]);

/** Options of `waitForDeployment`. */
export interface WaitOptions {
  /** Give up after this long (default 30 minutes, as doctl). */
  timeoutMs?: number;
  /** Time between polls (default 1 s). */
  intervalMs?: number;
}

/**
 * Polls a deployment until it ends, printing progress whenever it changes. Returns 0 when it
 * became ACTIVE, 1 on ERROR, CANCELED or timeout (with the failed steps' reasons).
 */
export async function waitForDeployment(
  io: CliIo,
  client: Client,
  app: string,
  id: string,
  options: WaitOptions = {},
): Promise<number> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let last = "";
  for (;;) {
    const { deployment } = await client.getDeployment({ params: { app, deployment: id } });
    const line = `${deployment.id} ${deployment.phase} ${progressText(deployment)}`;
    if (line !== last) io.stderr(`${line}\n`);
    last = line;
    if (DONE.has(deployment.phase)) return finish(io, deployment);
    if (Date.now() > deadline) {
      io.stderr(
        `gave up waiting for ${id} (still ${deployment.phase}); follow it with \`slipway apps get-deployment ${app} ${id}\`\n`,
      );
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}

function finish(io: CliIo, d: DeploymentJson): number {
  if (d.phase === "ACTIVE" || d.phase === "SUPERSEDED") return 0;
  const reasons: string[] = [];
  const visit = (steps: DeploymentJson["progress"]["steps"]) => {
    for (const s of steps) {
      if (s.status === "ERROR" && s.reason !== undefined) reasons.push(`${s.name}: ${s.reason.message}`);
      if (s.steps) visit(s.steps);
    }
  };
  visit(d.progress.steps);
  io.stderr(
    `deployment ${d.id} ended ${d.phase}${reasons.length > 0 ? `:\n  ${reasons.join("\n  ")}` : ""}\n`,
  );
  return 1;
}
