/**
 * The stack the integration tests build and run on, shared by every test file (and by test runs in
 * other checkouts on the same machine): `/var/lib/slipway-test/stacks/<name>`, restored from
 * /var/cache/slipway/stacks when a tarball is there, else built (about two minutes, once).
 * Test files run in separate processes, so the first caller holds a lock folder while it builds;
 * a lock whose holder has died is taken over.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type BuildStackResult, buildStack, createProcessRunner } from "../../src/build/index.js";

/** Where the shared test stacks live. */
export const TEST_STACK_ROOT = "/var/lib/slipway-test/stacks";
/** The stack tarball cache shared with `slipway stack build`'s default. */
export const STACK_CACHE = "/var/cache/slipway/stacks";

const LOCK = `${TEST_STACK_ROOT}.lock`;
const WAIT_LIMIT_MS = 900_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function acquire(): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  await mkdir(join(TEST_STACK_ROOT, ".."), { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, "pid"), String(process.pid));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number(await readFile(join(LOCK, "pid"), "utf8").catch(() => ""));
    // A lock without a pid file may be one being written this instant: only a dead pid is stale.
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      await rm(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`waited ${WAIT_LIMIT_MS} ms for ${LOCK} (held by pid ${holder})`);
    await sleep(250);
  }
}

/**
 * The shared test stack, ready to mount read-only. `log` receives the stack build's lines (only
 * when this call builds or restores it). Needs root.
 */
export async function sharedTestStack(log: (line: string) => void = () => {}): Promise<BuildStackResult> {
  await acquire();
  try {
    await mkdir(STACK_CACHE, { recursive: true });
    return await buildStack({
      root: TEST_STACK_ROOT,
      cacheDir: STACK_CACHE,
      run: createProcessRunner(),
      log,
    });
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}
