/**
 * What a control plane finds under its runsc state root when it starts (ADR 0026): every
 * container, running or not, and a bounded way to stop and remove one nobody adopts.
 */
import { setTimeout as delay } from "node:timers/promises";
import { runBounded } from "./runsc-command.js";
import { type ContainerRef, removeContainer } from "./sandbox.js";

/** One container in runsc's state. */
export interface ListedContainer {
  id: string;
  /** `created`, `running`, `stopped`, … as runsc says. */
  status: string;
  pid: number;
}

/** Every container under `stateRoot` (an empty list when the root does not exist yet). */
export async function listContainers(stateRoot: string, runscPath = "runsc"): Promise<ListedContainer[]> {
  const listed = await runBounded(runscPath, ["--root", stateRoot, "list", "--format=json"], 10_000);
  if (listed.code !== 0) {
    if (/no such file or directory/i.test(listed.stderr)) return [];
    throw new Error(`runsc list under ${stateRoot} failed: ${listed.stderr.trim() || "timed out"}`);
  }
  const text = listed.stdout.trim();
  const entries = (text === "" || text === "null" ? [] : JSON.parse(text)) as ListedContainer[];
  return entries.map((e) => ({ id: e.id, status: e.status, pid: e.pid }));
}

/**
 * Stops a container nobody adopts: SIGTERM to every process in it, SIGKILL after `graceMs`,
 * then removes it (bounded, see removeContainer). Never throws for a container already gone.
 */
export async function stopContainer(ref: ContainerRef & { graceMs: number }): Promise<void> {
  const runsc = ref.runscPath ?? "runsc";
  const base = ["--root", ref.stateRoot];
  const running = async () => {
    const state = await runBounded(runsc, [...base, "state", ref.id], 5000);
    return state.code === 0 && /"status":\s*"(running|created)"/.test(state.stdout);
  };
  if (ref.graceMs > 0 && (await running())) {
    await runBounded(runsc, [...base, "kill", "--all", ref.id, "SIGTERM"], 5000);
    const deadline = Date.now() + ref.graceMs;
    while (Date.now() < deadline && (await running())) await delay(250);
  }
  await runBounded(runsc, [...base, "kill", ref.id, "SIGKILL"], 5000);
  await removeContainer(ref).catch(() => undefined);
}
