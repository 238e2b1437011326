/**
 * A controller as in controller-runtime: watched events become keys in a rate-limited work
 * queue; workers hand each key to the reconciler, never the same key to two workers at once.
 * The reconciler gets only `{ namespace, name }` and reads what it needs from the store.
 *
 * Outcomes: a returned `{ requeueAfter }` reconciles the key again after that many
 * milliseconds; any other return forgets the key's backoff; a thrown `TerminalError` is logged,
 * counted and passed to `onTerminalError`, and not retried; any other thrown error retries the
 * key with per-key exponential backoff.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { ObjectKey, Resource } from "../../resources/meta.js";
import { type Logger, silentLogger } from "./logger.js";
import { keyString, parseKeyString } from "./object-key.js";
import { createWorkQueue, type WorkQueue, type WorkQueueOptions } from "./work-queue.js";

/** What a reconcile asks for next. */
export interface Result {
  /** Reconcile the key again after this many milliseconds (periodic checks, waiting on time). */
  requeueAfter?: number;
}

/** Given to every reconcile. */
export interface ReconcileContext {
  /** Aborted when the controller stops: long work should give up early. */
  signal: AbortSignal;
  log: Logger;
  /** How many times this key failed in a row before this attempt. */
  retries: number;
}

/** Reconciles one object, from its key only. */
export type Reconciler = (key: ObjectKey, context: ReconcileContext) => Promise<Result>;

/**
 * An error that retrying cannot fix (bad input, a missing prerequisite only a user can supply).
 * The reconciler should record it in status before throwing, or the controller's
 * `onTerminalError` does; the key is not retried until an event enqueues it again.
 */
export class TerminalError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TerminalError";
  }
}

/** Which events of which kind enqueue which keys of the controller's kind. */
export interface WatchSpec {
  kind: string;
  /** The keys to reconcile when `object` is added, updated or deleted. */
  toKeys(object: Resource): ObjectKey[];
}

/** Watches the controller's own kind: an event enqueues the object's key. */
export function watchOwn(kind: string): WatchSpec {
  return { kind, toKeys: (object) => [objectKey(object)] };
}

/**
 * Watches an owned kind: an event enqueues the object's owners of `ownerKind` (from
 * `metadata.ownerReferences`, in the object's namespace).
 */
export function watchOwned(kind: string, ownerKind: string): WatchSpec {
  return {
    kind,
    toKeys: (object) =>
      (object.metadata.ownerReferences ?? [])
        .filter((ref) => ref.kind === ownerKind)
        .map((ref) =>
          object.metadata.namespace === undefined
            ? { name: ref.name }
            : { namespace: object.metadata.namespace, name: ref.name },
        ),
  };
}

function objectKey(object: Resource): ObjectKey {
  const { name, namespace } = object.metadata;
  return namespace === undefined ? { name } : { namespace, name };
}

/** Options of `createController`. */
export interface ControllerOptions {
  /** Names the controller in logs. */
  name: string;
  /** The kind the controller reconciles. */
  forKind: string;
  /** Kinds whose objects are owned by `forKind` objects; their events enqueue the owner. */
  owns?: string[];
  /** Further watches with their own mapping to keys. */
  watches?: WatchSpec[];
  reconcile: Reconciler;
  /** Workers reconciling different keys at once; default 1. */
  concurrency?: number;
  /** The queue's rate limiter and timers; defaults as `createWorkQueue`. */
  queue?: WorkQueueOptions;
  /** Default: silent. */
  log?: Logger;
  /** Called after a reconcile threw a `TerminalError`. */
  onTerminalError?(key: ObjectKey, error: TerminalError): void;
}

/** Counters of a controller since it was created. */
export interface ControllerStats {
  reconciles: number;
  errors: number;
  terminalErrors: number;
}

/** A running or stopped controller. */
export interface Controller {
  readonly name: string;
  /** What the manager must watch for this controller. */
  readonly watches: readonly WatchSpec[];
  /** Queues `key` for reconciling. */
  enqueue(key: ObjectKey): void;
  /** Starts the workers; a second call does nothing. */
  start(): void;
  /** True when no key waits, is delayed or is being reconciled. */
  idle(): boolean;
  stats(): ControllerStats;
  /**
   * Stops: keys still waiting are dropped (the next start lists everything again), in-flight
   * reconciles see their signal aborted and are awaited.
   */
  stop(): Promise<void>;
}

class QueueController implements Controller {
  readonly name: string;
  readonly watches: readonly WatchSpec[];
  readonly #options: ControllerOptions;
  readonly #queue: WorkQueue;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #stats: ControllerStats = { reconciles: 0, errors: 0, terminalErrors: 0 };
  #workers: Promise<void>[] | undefined;

  constructor(options: ControllerOptions) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency: must be a positive integer, got ${concurrency}`);
    }
    this.name = options.name;
    this.#options = options;
    this.#queue = createWorkQueue(options.queue);
    this.#log = options.log ?? silentLogger();
    this.watches = [
      watchOwn(options.forKind),
      ...(options.owns ?? []).map((kind) => watchOwned(kind, options.forKind)),
      ...(options.watches ?? []),
    ];
  }

  enqueue(key: ObjectKey): void {
    this.#queue.add(keyString(key));
  }

  start(): void {
    if (this.#workers !== undefined || this.#abort.signal.aborted) return;
    const concurrency = this.#options.concurrency ?? 1;
    this.#workers = Array.from({ length: concurrency }, () => this.#work());
  }

  idle(): boolean {
    return this.#queue.idle();
  }

  stats(): ControllerStats {
    return { ...this.#stats };
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    const drained = this.#queue.shutDown();
    await Promise.all(this.#workers ?? []);
    if (this.#workers !== undefined) await drained;
  }

  async #work(): Promise<void> {
    for (;;) {
      const item = await this.#queue.get();
      if (item === undefined) return;
      try {
        if (!this.#abort.signal.aborted) await this.#reconcile(item);
      } catch (err) {
        // Only a throwing onTerminalError gets here; a worker must outlive it.
        this.#log.error("onTerminalError threw", this.#fields(item, err));
      } finally {
        this.#queue.done(item);
      }
      // The embedded store answers without real I/O, so a reconcile whose writes re-enqueue its
      // own key would otherwise run on microtasks alone and starve timers, sockets and stop().
      await yieldToEventLoop();
    }
  }

  async #reconcile(item: string): Promise<void> {
    const key = parseKeyString(item);
    const retries = this.#queue.retries(item);
    this.#stats.reconciles++;
    try {
      const result = await this.#options.reconcile(key, {
        signal: this.#abort.signal,
        log: this.#log,
        retries,
      });
      this.#queue.forget(item);
      if (result.requeueAfter !== undefined) this.#queue.addAfter(item, result.requeueAfter);
    } catch (err) {
      if (err instanceof TerminalError) {
        this.#stats.terminalErrors++;
        this.#queue.forget(item);
        this.#log.error("reconcile failed terminally; not retrying", this.#fields(item, err));
        this.#options.onTerminalError?.(key, err);
        return;
      }
      this.#stats.errors++;
      this.#log.error("reconcile failed; retrying with backoff", { ...this.#fields(item, err), retries });
      this.#queue.addRateLimited(item);
    }
  }

  #fields(item: string, err: unknown): Record<string, unknown> {
    return { controller: this.name, key: item, error: err instanceof Error ? err.message : String(err) };
  }
}

/** A new controller; the manager wires its watches and starts it. Throws `RangeError` for a bad concurrency. */
export function createController(options: ControllerOptions): Controller {
  return new QueueController(options);
}
