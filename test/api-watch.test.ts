import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { bootstrapAdmin, createApi, createClient, startApiServer } from "../src/api/index.js";
import type { Resource } from "../src/resources/index.js";
import { createSpecValidator } from "../src/spec/index.js";
import { openSqliteStore, type Store, type WatchEvent, type WatchOptions } from "../src/store/index.js";
import { specNamed } from "./helpers/api-fixture.js";

/** The real store, counting the watches that are open. */
function countingWatches(store: Store): { store: Store; open: () => number } {
  let open = 0;
  const watch = <R extends Resource>(
    kind: R["kind"],
    options?: WatchOptions,
  ): AsyncIterable<WatchEvent<R>> => ({
    async *[Symbol.asyncIterator]() {
      open++;
      try {
        yield* store.watch<R>(kind, options);
      } finally {
        open--;
      }
    },
  });
  const wrapped = new Proxy(store, {
    get(target, key) {
      if (key === "watch") return watch;
      const value: unknown = Reflect.get(target, key);
      // The store keeps #private fields: its methods must run with the store itself as `this`.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, open: () => open };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("watch over HTTP", () => {
  it("ends the store watch when the client disconnects", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-watch-"));
    const real = openSqliteStore({ path: join(dir, "db") });
    const counted = countingWatches(real);
    const token = (await readFile(await bootstrapAdmin({ store: real, dataDir: dir }), "utf8")).trim();
    const api = createApi({
      store: counted.store,
      validator: createSpecValidator(),
      now: () => new Date(),
      randomId: randomUUID,
      baseDomain: "apps.test",
    });
    const server = await startApiServer({ app: api, host: "127.0.0.1", port: 0 });
    try {
      const client = createClient({ baseUrl: server.url, token });
      const abort = new AbortController();
      const events = client.watch("listApps", {}, abort.signal)[Symbol.asyncIterator]();
      const first = events.next();
      await client.createApp({ body: { spec: specNamed("watched-app") } });
      const event = await first;
      assert.equal(event.value?.type, "ADDED");
      assert.equal(event.value?.object.spec.name, "watched-app");
      assert.equal(counted.open(), 1);
      abort.abort();
      await until(() => counted.open() === 0, "the server's watch ends");
    } finally {
      await server.close();
      await real.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
