/**
 * A real SQLite store in a fresh temporary directory, for controller tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/store.js";

/** A temporary database file; `open` may be called again to reopen it (a restart). */
export interface TempStore {
  /** The database file. */
  path: string;
  /** Opens (or reopens) the store on the file; every store opened is closed by `cleanup`. */
  open(): Store;
  /** Closes every store opened and removes the directory. */
  cleanup(): Promise<void>;
}

/** Creates a temporary directory for a store; pass `watchHistory` to provoke `gone`. */
export async function tempStore(options: { watchHistory?: number } = {}): Promise<TempStore> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-ctrl-"));
  const path = join(dir, "state.db");
  const opened: Store[] = [];
  return {
    path,
    open() {
      const store = openSqliteStore({
        path,
        ...(options.watchHistory === undefined ? {} : { watchHistory: options.watchHistory }),
      });
      opened.push(store);
      return store;
    },
    async cleanup() {
      for (const store of opened) await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
