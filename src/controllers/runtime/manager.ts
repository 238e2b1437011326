/**
 * The manager: one shared informer per watched kind, event handlers that map events to the
 * controllers' keys, and the start/stop order: informers first and synced, then controllers;
 * on stop, controllers first (in reverse order, awaiting in-flight reconciles), then informers.
 */
import type { Resource } from "../../resources/meta.js";
import type { Store } from "../../store/store.js";
import type { Controller, WatchSpec } from "./controller.js";
import { createInformer, type Informer } from "./informer.js";
import { type Logger, silentLogger } from "./logger.js";
import type { Timers } from "./timers.js";

/** Options of `createManager`. */
export interface ManagerOptions {
  store: Store;
  controllers: Controller[];
  /** Default: silent. */
  log?: Logger;
  /** Informers' wait before listing again after a failure; default 1000 ms. */
  informerRetryDelayMs?: number;
  /** Timers of the informers; default the system's. */
  timers?: Timers;
}

/** Runs informers and controllers together. */
export interface Manager {
  /**
   * Starts the informers, waits until all have synced, then starts the controllers. Rejects if
   * `stop` is called before the informers synced. Call at most once, and not after `stop`.
   */
  start(): Promise<void>;
  /** Stops the controllers (reverse order, in-flight reconciles awaited), then the informers. Idempotent. */
  stop(): Promise<void>;
  /** The shared informer of `kind`, if a controller watches it. */
  informer<R extends Resource>(kind: string): Informer<R> | undefined;
}

class ControllerManager implements Manager {
  readonly #options: ManagerOptions;
  readonly #informers = new Map<string, Informer<Resource>>();
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(options: ManagerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error("the manager was started already");
    if (this.#stopping !== undefined) throw new Error("the manager was stopped; create a new one");
    this.#started = true;
    for (const controller of this.#options.controllers) {
      for (const watch of controller.watches) this.#wire(controller, watch);
    }
    for (const informer of this.#informers.values()) informer.start();
    await Promise.all([...this.#informers.values()].map((informer) => informer.waitForSync()));
    if (this.#stopping !== undefined) return;
    for (const controller of this.#options.controllers) controller.start();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  informer<R extends Resource>(kind: string): Informer<R> | undefined {
    return this.#informers.get(kind) as Informer<R> | undefined;
  }

  async #stopAll(): Promise<void> {
    for (const controller of [...this.#options.controllers].reverse()) await controller.stop();
    for (const informer of [...this.#informers.values()].reverse()) await informer.stop();
  }

  #wire(controller: Controller, watch: WatchSpec): void {
    let informer = this.#informers.get(watch.kind);
    if (informer === undefined) {
      informer = createInformer({
        store: this.#options.store,
        kind: watch.kind,
        log: this.#options.log ?? silentLogger(),
        ...(this.#options.informerRetryDelayMs === undefined
          ? {}
          : { retryDelayMs: this.#options.informerRetryDelayMs }),
        ...(this.#options.timers === undefined ? {} : { timers: this.#options.timers }),
      });
      this.#informers.set(watch.kind, informer);
    }
    const enqueue = (object: Resource) => {
      for (const key of watch.toKeys(object)) controller.enqueue(key);
    };
    informer.addHandlers({
      onAdd: enqueue,
      // Both: a changed owner reference must reconcile the old owner too.
      onUpdate: (previous, object) => {
        enqueue(previous);
        enqueue(object);
      },
      onDelete: enqueue,
    });
  }
}

/** A new manager of `options.controllers`; nothing runs until `start`. */
export function createManager(options: ManagerOptions): Manager {
  return new ControllerManager(options);
}

/** What `stopOnSignals` listens on; `process` fits. */
export interface SignalSource {
  once(event: "SIGTERM" | "SIGINT", listener: () => void): unknown;
  off(event: "SIGTERM" | "SIGINT", listener: () => void): unknown;
}

/**
 * Stops `manager` on the first SIGTERM or SIGINT from `source` (default `process`, read at call
 * time), then calls `onStopped` with the error of the stop, if any. The listeners are removed at
 * the first signal, so a second one gets the default behaviour (the process exits at once).
 * Returns a function that removes the listeners without stopping.
 */
export function stopOnSignals(
  manager: Pick<Manager, "stop">,
  options: { source?: SignalSource; onStopped?: (error?: unknown) => void } = {},
): () => void {
  const source: SignalSource = options.source ?? process;
  const signals = ["SIGTERM", "SIGINT"] as const;
  const remove = () => {
    for (const signal of signals) source.off(signal, onSignal);
  };
  function onSignal(): void {
    remove();
    manager.stop().then(
      () => options.onStopped?.(),
      (err: unknown) => options.onStopped?.(err),
    );
  }
  for (const signal of signals) source.once(signal, onSignal);
  return remove;
}
