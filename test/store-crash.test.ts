import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { openSqliteStore } from "../src/store/index.js";
import type { Counter } from "./helpers/store-writer.js";

const WRITER = fileURLToPath(new URL("./helpers/store-writer.js", import.meta.url));
const RUNS = 50;

interface Ack {
  name: string;
  rv: string;
  seq: number;
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the writer, kills it with SIGKILL `killAfterMs` after it is ready, returns its acknowledged writes. */
async function crashRun(path: string, run: number, killAfterMs: number): Promise<Ack[]> {
  const child = spawn(process.execPath, [WRITER, path, String(run)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  let output = "";
  let killTimer: Promise<void> | undefined;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    output += chunk;
    if (killTimer === undefined && output.startsWith("ready\n")) {
      killTimer = delay(killAfterMs).then(() => {
        child.kill("SIGKILL");
      });
    }
  });
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  await killTimer;
  assert.equal(signal, "SIGKILL", `run ${run}: the writer exited by itself (code ${code})`);
  const lines = output.split("\n");
  lines.pop(); // the last element is an incomplete line (or empty)
  assert.equal(lines.shift(), "ready", `run ${run}: the store did not open after the previous crash`);
  return lines.map((line) => JSON.parse(line) as Ack);
}

async function verify(path: string, acks: readonly Ack[]): Promise<void> {
  const db = new Database(path, { readonly: true });
  try {
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  } finally {
    db.close();
  }
  const store = openSqliteStore({ path });
  try {
    for (const ack of acks) {
      const stored = await store.get<Counter>("Counter", { name: ack.name });
      assert.ok(
        BigInt(stored.metadata.resourceVersion) >= BigInt(ack.rv),
        `${ack.name} went back before ${ack.rv}`,
      );
      assert.ok(stored.spec.seq >= ack.seq, `${ack.name} lost the acknowledged seq ${ack.seq}`);
      if (stored.metadata.resourceVersion === ack.rv) assert.equal(stored.spec.seq, ack.seq);
    }
  } finally {
    await store.close();
  }
}

it("no acknowledged write is lost when the writer is killed at random points", {
  timeout: 90_000,
}, async () => {
  const seed = Date.now();
  const next = random(seed);
  const dir = await mkdtemp(join(tmpdir(), "slipway-crash-"));
  try {
    const path = join(dir, "store.db");
    const acks: Ack[] = [];
    for (let run = 0; run < RUNS; run++) {
      acks.push(...(await crashRun(path, run, 20 + Math.floor(next() * 281))));
    }
    assert.ok(acks.length >= RUNS * 2, `seed ${seed}: only ${acks.length} writes were acknowledged`);
    for (let i = 1; i < acks.length; i++) {
      const [before, after] = [acks[i - 1], acks[i]];
      assert.ok(
        BigInt(after?.rv ?? 0) > BigInt(before?.rv ?? 0),
        `seed ${seed}: resourceVersion went backwards at ack ${i}`,
      );
    }
    await verify(path, acks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
