/**
 * Reads a detached sandbox's output file as it grows (ADR 0026). How far it has read is kept in
 * `<file>.pos`, so a restarted control plane goes on where the previous one stopped (lines read
 * but not yet recorded when a control plane is killed are read twice; none are lost; a partial
 * last line is handed back on release and read again by the next one). What has
 * been read is given back to the file system with `fallocate --punch-hole` (the file keeps its
 * length, so offsets stay valid, while the writer appends), which bounds the disk an instance's
 * output takes without racing its writes.
 */
import { open, readFile, rm, writeFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { runBounded } from "./runsc-command.js";

/** Options of {@link tailOutput}. */
export interface OutputTailOptions {
  file: string;
  onChunk: (chunk: Buffer) => void;
  /** How often the end of the file is looked at again. Default 200 ms. */
  intervalMs?: number;
  /** Read bytes given back once this many have accumulated. Default 1 MiB. */
  punchAfterBytes?: number;
}

/** A running tail. */
export interface OutputTail {
  /** Reads to the current end of the file, then stops. */
  finish(): Promise<void>;
  /**
   * Stops at once, keeping the position for the next reader; `unconsumed` bytes at the end of
   * what was read (a partial line the caller still buffers) are left for it to read again.
   */
  release(unconsumed?: number): Promise<void>;
}

const CHUNK = 64 * 1024;
const BLOCK = 4096;
/** Bytes before the read position never given back (at most this much is handed back by release). */
const KEEP = 64 * 1024;

/** Starts reading `file` from its recorded position (or its start). */
export function tailOutput(options: OutputTailOptions): OutputTail {
  const posFile = `${options.file}.pos`;
  const interval = options.intervalMs ?? 200;
  const punchAfter = options.punchAfterBytes ?? 1024 * 1024;
  const abort = new AbortController();
  let finishing = false;
  let pos = 0;
  const loop = (async () => {
    pos = Number.parseInt(await readFile(posFile, "utf8").catch(() => "0"), 10) || 0;
    let punched = Math.max(0, Math.floor((pos - KEEP) / BLOCK) * BLOCK);
    const buffer = Buffer.alloc(CHUNK);
    while (!abort.signal.aborted) {
      // finish() asked before this pass began: this pass reads everything written before it.
      const last = finishing;
      const handle = await open(options.file, "r").catch(() => undefined);
      let read = 0;
      if (handle !== undefined) {
        try {
          for (;;) {
            const { bytesRead } = await handle.read(buffer, 0, CHUNK, pos);
            if (bytesRead === 0 || abort.signal.aborted) break;
            options.onChunk(Buffer.from(buffer.subarray(0, bytesRead)));
            pos += bytesRead;
            read += bytesRead;
          }
        } finally {
          await handle.close();
        }
      }
      if (read > 0) await writeFile(posFile, String(pos)).catch(() => undefined);
      // The last KEEP bytes stay: release() may hand a partial line back.
      if (pos - KEEP - punched >= punchAfter) {
        const upTo = Math.floor((pos - KEEP) / BLOCK) * BLOCK;
        const args = ["--punch-hole", "--offset", "0", "--length", String(upTo), options.file];
        await runBounded("fallocate", args, 5000);
        punched = upTo;
      }
      if (last) return;
      await delay(interval, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  })();
  return {
    finish: async () => {
      finishing = true;
      await loop;
    },
    release: async (unconsumed = 0) => {
      abort.abort();
      await loop;
      if (unconsumed > 0) await writeFile(posFile, String(Math.max(0, pos - Math.min(unconsumed, KEEP))));
    },
  };
}

/** Removes an output file and its position. */
export async function removeOutput(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.pos`, { force: true });
}
