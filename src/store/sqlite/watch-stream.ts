/**
 * One open watch of the embedded store: a queue fed synchronously by the store (replayed events
 * first, then live ones after each commit) and drained by an async iterator. Periodic BOOKMARKs
 * while idle; ends on abort, on `return()` (a `break` out of `for await`) or when the store closes.
 */
import { SlipwayError } from "../../resources/errors.js";
import type { Resource } from "../../resources/meta.js";
import type { LabelSelector } from "../label-selector.js";
import { matchesSelector } from "../label-selector.js";
import type { WatchEvent } from "../store.js";

/** A committed change as the store hands it to watches. */
export interface ChangeEvent {
  rv: number;
  kind: string;
  namespace: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** The object after the change (for DELETED: as it was last, at the deletion's version), as JSON. */
  object: string;
  labels: Record<string, string> | undefined;
  /** Labels before the change (MODIFIED only): lets a selector watch see objects leave or enter it. */
  oldLabels: Record<string, string> | undefined;
}

/** Which changes a watch wants. */
export interface WatchFilter {
  kind: string;
  namespace: string | undefined;
  selector: LabelSelector;
}

/**
 * The event a watch with `filter` sees for `change`, or undefined. As in Kubernetes, an object
 * modified into a selector arrives as ADDED and one modified out of it as DELETED.
 */
export function filterChange(change: ChangeEvent, filter: WatchFilter): ChangeEvent["type"] | undefined {
  if (change.kind !== filter.kind) return undefined;
  if (filter.namespace !== undefined && change.namespace !== filter.namespace) return undefined;
  const now = matchesSelector(filter.selector, change.labels);
  if (change.type !== "MODIFIED" || filter.selector.length === 0) return now ? change.type : undefined;
  const before = matchesSelector(filter.selector, change.oldLabels);
  if (now) return before ? "MODIFIED" : "ADDED";
  return before ? "DELETED" : undefined;
}

/** Options of a `WatchStream`. */
export interface WatchStreamOptions {
  filter: WatchFilter;
  /** The store's current version, for BOOKMARKs. */
  currentVersion: () => number;
  bookmarkIntervalMs: number | undefined;
  signal: AbortSignal | undefined;
  /** Called once when the watch ends, to unsubscribe. */
  onEnd: () => void;
}

/** An open watch. The store calls `push` for every change in version order; the consumer iterates. */
export class WatchStream<R extends Resource> implements AsyncIterableIterator<WatchEvent<R>> {
  readonly #options: WatchStreamOptions;
  readonly #queue: WatchEvent<R>[] = [];
  #waiter: ((result: IteratorResult<WatchEvent<R>>) => void) | undefined;
  #error: SlipwayError | undefined;
  #ended = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.end();

  constructor(options: WatchStreamOptions) {
    this.#options = options;
    const { signal, bookmarkIntervalMs } = options;
    if (signal?.aborted) {
      // Nothing is subscribed yet, so there is nothing to undo.
      this.#ended = true;
      return;
    }
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (bookmarkIntervalMs !== undefined) {
      this.#timer = setTimeout(() => this.#bookmark(), Math.max(1, bookmarkIntervalMs));
    }
  }

  /** The kind this watch follows. */
  get kind(): string {
    return this.#options.filter.kind;
  }

  /** True once the watch ended; pushes are then ignored. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Delivers `change` if the filter lets it through. */
  push(change: ChangeEvent): void {
    const type = filterChange(change, this.#options.filter);
    if (type !== undefined) this.#deliver({ type, object: JSON.parse(change.object) as R });
  }

  /** Ends the watch with an error, thrown by the next `next()`. */
  fail(error: unknown): void {
    this.#error = SlipwayError.from(error);
    this.end();
  }

  /** Ends the watch: pending and future `next()` calls return done; queued events are dropped. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue.length = 0;
    clearTimeout(this.#timer);
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    this.#options.onEnd();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<WatchEvent<R>>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<WatchEvent<R>>> {
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent<R>> {
    return this;
  }

  #deliver(event: WatchEvent<R>): void {
    if (this.#ended) return;
    this.#timer?.refresh();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) waiter({ done: false, value: event });
    else this.#queue.push(event);
  }

  #bookmark(): void {
    const resourceVersion = String(this.#options.currentVersion());
    // Delivering re-arms the timer (it has fired, so refresh() starts it again).
    this.#deliver({ type: "BOOKMARK", object: { metadata: { resourceVersion } } });
  }
}
