/**
 * Helpers of the Store conformance suite: the test resource, store lifetimes and watch readers.
 */
import assert from "node:assert/strict";
import { SlipwayError } from "../resources/errors.js";
import { API_VERSION, type NewResource, type Resource } from "../resources/meta.js";
import type { Store, WatchEvent } from "./store.js";

/** The resource the suite stores. */
export type Widget = Resource<"Widget", { size: number; color?: string }, { ready: boolean }>;

/** Options the suite asks of a store it opens; an implementation honours what it can. */
export interface ConformanceOpenOptions {
  /** How many events a watch can resume from (small, to provoke `gone`). */
  watchHistory?: number;
}

/** Opens a fresh, empty store for one test; `cleanup` closes it and removes what it made. */
export type OpenStore = (
  options: ConformanceOpenOptions,
) => Promise<{ store: Store; cleanup(): Promise<void> }>;

/** A new Widget named `name`. */
export function widget(
  name: string,
  options: { namespace?: string; size?: number; labels?: Record<string, string>; finalizers?: string[] } = {},
): NewResource<Widget> {
  const metadata: NewResource<Widget>["metadata"] = { name };
  if (options.namespace !== undefined) metadata.namespace = options.namespace;
  if (options.labels !== undefined) metadata.labels = options.labels;
  if (options.finalizers !== undefined) metadata.finalizers = options.finalizers;
  return { apiVersion: API_VERSION, kind: "Widget", metadata, spec: { size: options.size ?? 1 } };
}

/** Runs `body` with a fresh store and always cleans up. */
export async function withStore(
  open: OpenStore,
  body: (store: Store) => Promise<void>,
  options: ConformanceOpenOptions = {},
): Promise<void> {
  const { store, cleanup } = await open(options);
  try {
    await body(store);
  } finally {
    await cleanup();
  }
}

/** Asserts that `promise` rejects with a SlipwayError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: SlipwayError["code"]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SlipwayError, `expected a SlipwayError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** How long a reader waits for an expected watch event before failing the case. */
export const EVENT_DEADLINE_MS = 5000;

/** A resourceVersion as a number, for ordering checks (both stores use integer versions). */
export function rv(version: string): bigint {
  return BigInt(version);
}

/** Reads events of a watch one at a time. */
export class WatchReader {
  readonly #iterator: AsyncIterator<WatchEvent<Widget>>;

  constructor(watch: AsyncIterable<WatchEvent<Widget>>) {
    this.#iterator = watch[Symbol.asyncIterator]();
  }

  /** The next event; fails if the watch ended or no event came within `EVENT_DEADLINE_MS`. */
  async next(): Promise<WatchEvent<Widget>> {
    const result = await this.#withDeadline(this.#iterator.next());
    assert.equal(result.done, false, "the watch ended unexpectedly");
    return result.value as WatchEvent<Widget>;
  }

  /** A missing event fails the case with a clear message instead of hanging the run. */
  async #withDeadline<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new assert.AssertionError({ message: `no watch event within ${EVENT_DEADLINE_MS} ms` })),
        EVENT_DEADLINE_MS,
      );
    });
    try {
      return await Promise.race([promise, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next `count` events that are not BOOKMARKs, as `TYPE name@rv` strings. */
  async take(count: number): Promise<string[]> {
    const seen: string[] = [];
    while (seen.length < count) {
      const event = await this.next();
      if (event.type !== "BOOKMARK") seen.push(describe(event));
    }
    return seen;
  }

  /** Resolves with true when the watch ends, reading away any events still queued. */
  async ended(): Promise<boolean> {
    for (;;) {
      const result = await this.#withDeadline(this.#iterator.next());
      if (result.done === true) return true;
    }
  }

  /** Stops the watch from the consumer's side. */
  async stop(): Promise<void> {
    await this.#iterator.return?.();
  }
}

/** `TYPE name@rv`, the form the suite compares events in. */
export function describe(event: WatchEvent<Widget>): string {
  if (event.type === "BOOKMARK") return `BOOKMARK@${event.object.metadata.resourceVersion}`;
  return `${event.type} ${event.object.metadata.name}@${event.object.metadata.resourceVersion}`;
}

/** `TYPE name@rv` for a write's result. */
export function expected(type: "ADDED" | "MODIFIED" | "DELETED", object: Widget): string {
  return `${type} ${object.metadata.name}@${object.metadata.resourceVersion}`;
}
