/**
 * An informer: lists one kind through the Store, then watches from the list's resourceVersion,
 * keeping a cache of the objects and telling handlers what was added, updated and deleted.
 *
 * When the watch fails with `gone` (the store no longer keeps that version), fails otherwise, or
 * ends while the informer is still running, the informer lists again and diffs the new list
 * against its cache: objects that disappeared meanwhile are emitted as deletes, changed ones as
 * updates, so handlers never miss a transition that matters to a level-triggered controller.
 * Errors other than `gone` wait `retryDelayMs` before the next list, so a closed or failing
 * store does not spin.
 */
import { isErrorCode } from "../../resources/errors.js";
import type { ObjectKey, Resource } from "../../resources/meta.js";
import type { Store, WatchEvent } from "../../store/store.js";
import { type Logger, silentLogger } from "./logger.js";
import { keyString } from "./object-key.js";
import { systemTimers, type Timers } from "./timers.js";

/** What an informer tells about cache changes. Handlers run synchronously and should only enqueue. */
export interface InformerHandlers<R extends Resource> {
  onAdd?(object: R): void;
  onUpdate?(previous: R, object: R): void;
  /** `object` is the last state the informer knew. */
  onDelete?(object: R): void;
}

/** Options of `createInformer`. */
export interface InformerOptions {
  store: Store;
  kind: string;
  /** Only this namespace; all when omitted. */
  namespace?: string;
  /** Only objects matching this label selector; all when omitted. */
  labelSelector?: string;
  /** Objects per list page; default 500. */
  pageSize?: number;
  /** Wait after a failed list or watch (other than `gone`) before listing again; default 1000 ms. */
  retryDelayMs?: number;
  /** Default `systemTimers()`. */
  timers?: Timers;
  /** Default: silent. */
  log?: Logger;
}

/** A cache of one kind kept current by list-then-watch. */
export interface Informer<R extends Resource> {
  readonly kind: string;
  /** Registers handlers; if the informer has synced already, `onAdd` is called for every cached object. */
  addHandlers(handlers: InformerHandlers<R>): void;
  /** Starts listing and watching; a second call does nothing. */
  start(): void;
  /** True once the first list is in the cache (and its adds were emitted). */
  hasSynced(): boolean;
  /** Resolves once synced; rejects if the informer stops first. */
  waitForSync(): Promise<void>;
  /** The cached object with `key`. */
  get(key: ObjectKey): R | undefined;
  /** Every cached object. */
  list(): R[];
  /** Ends the watch and the loop; resolves when they have ended. */
  stop(): Promise<void>;
}

class StoreInformer<R extends Resource> implements Informer<R> {
  readonly kind: string;
  readonly #options: InformerOptions;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #cache = new Map<string, R>();
  readonly #handlers: InformerHandlers<R>[] = [];
  readonly #abort = new AbortController();
  readonly #synced: Promise<void>;
  #resolveSynced: () => void = () => {};
  #rejectSynced: (err: Error) => void = () => {};
  #hasSynced = false;
  #running: Promise<void> | undefined;

  constructor(options: InformerOptions) {
    this.kind = options.kind;
    this.#options = options;
    this.#timers = options.timers ?? systemTimers();
    this.#log = options.log ?? silentLogger();
    this.#synced = new Promise<void>((resolve, reject) => {
      this.#resolveSynced = resolve;
      this.#rejectSynced = reject;
    });
    // A stop before sync rejects waitForSync; nobody may be waiting, so mark it handled.
    this.#synced.catch(() => {});
  }

  addHandlers(handlers: InformerHandlers<R>): void {
    this.#handlers.push(handlers);
    if (this.#hasSynced) for (const object of this.#cache.values()) handlers.onAdd?.(object);
  }

  start(): void {
    if (this.#running !== undefined || this.#abort.signal.aborted) return;
    this.#running = this.#run();
  }

  hasSynced(): boolean {
    return this.#hasSynced;
  }

  waitForSync(): Promise<void> {
    return this.#synced;
  }

  get(key: ObjectKey): R | undefined {
    return this.#cache.get(keyString(key));
  }

  list(): R[] {
    return [...this.#cache.values()];
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#rejectSynced(new Error(`the ${this.kind} informer stopped before it synced`));
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        const resourceVersion = await this.#relist();
        await this.#watch(resourceVersion);
        if (!signal.aborted) this.#log.info("watch ended; listing again", { kind: this.kind });
      } catch (err) {
        if (signal.aborted) break;
        if (isErrorCode(err, "gone")) {
          this.#log.info("watch version gone; listing again", { kind: this.kind });
          continue;
        }
        this.#log.error("list or watch failed; retrying", { kind: this.kind, error: String(err) });
        await this.#pause(this.#options.retryDelayMs ?? 1000);
      }
    }
  }

  /** Lists every page, replaces the cache and returns the list's resourceVersion. */
  async #relist(): Promise<string> {
    const { store, kind, namespace, labelSelector } = this.#options;
    const items: R[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    do {
      const page = await store.list<R>(kind, {
        ...(namespace === undefined ? {} : { namespace }),
        ...(labelSelector === undefined ? {} : { labelSelector }),
        ...(token === undefined ? {} : { continue: token }),
        limit: this.#options.pageSize ?? 500,
      });
      resourceVersion ??= page.resourceVersion;
      items.push(...page.items);
      token = page.continue;
    } while (token !== undefined && !this.#abort.signal.aborted);
    // A list cut short by stop() is partial: replacing the cache with it would emit false deletes.
    if (this.#abort.signal.aborted) return resourceVersion ?? "0";
    this.#replace(items);
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#resolveSynced();
    }
    return resourceVersion ?? "0";
  }

  #replace(items: R[]): void {
    const seen = new Set<string>();
    for (const object of items) {
      const key = keyString(object.metadata);
      seen.add(key);
      this.#upsert(key, object);
    }
    for (const [key, object] of this.#cache) {
      if (seen.has(key)) continue;
      this.#cache.delete(key);
      this.#emit((h) => h.onDelete?.(object));
    }
  }

  #upsert(key: string, object: R): void {
    const previous = this.#cache.get(key);
    this.#cache.set(key, object);
    if (previous === undefined) this.#emit((h) => h.onAdd?.(object));
    else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
      this.#emit((h) => h.onUpdate?.(previous, object));
    }
  }

  async #watch(resourceVersion: string): Promise<void> {
    const { store, kind, namespace, labelSelector } = this.#options;
    const events = store.watch<R>(kind, {
      resourceVersion,
      signal: this.#abort.signal,
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
    });
    for await (const event of events) this.#apply(event);
  }

  #apply(event: WatchEvent<R>): void {
    if (event.type === "BOOKMARK") return;
    const key = keyString(event.object.metadata);
    if (event.type !== "DELETED") {
      this.#upsert(key, event.object);
      return;
    }
    this.#cache.delete(key);
    this.#emit((h) => h.onDelete?.(event.object));
  }

  #emit(call: (handlers: InformerHandlers<R>) => void): void {
    for (const handlers of this.#handlers) {
      try {
        call(handlers);
      } catch (err) {
        this.#log.error("informer handler threw", { kind: this.kind, error: String(err) });
      }
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#abort.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        cancel();
        signal.removeEventListener("abort", done);
        resolve();
      };
      const cancel = this.#timers.schedule(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** A new informer of `options.kind`; call `start()` to begin. */
export function createInformer<R extends Resource>(options: InformerOptions): Informer<R> {
  return new StoreInformer<R>(options);
}
