/**
 * The activators of `slipway server` (scale to zero, ADR 0023): one loopback HTTP server per
 * sleeping component, created when the router first needs it (the component has no ready
 * instance) and closed a while after it stops being needed. The router puts it in the component's
 * backend as an ordinary slot (runtime API only, no reload); it wakes the component by clearing
 * `suspended` on its instances and holds requests until one of them accepts connections, then
 * proxies them there, before the router has even switched back.
 */
import { connect } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { type App, INSTANCE_KIND, type Instance, isErrorCode, LABELS } from "../resources/index.js";
import { type Activator, type ActivatorTarget, type Endpoint, startActivator } from "../router/index.js";
import type { ServiceSpec } from "../spec/index.js";
import type { Store } from "../store/index.js";

/** Options of {@link createActivatorRuntime}. */
export interface ActivatorRuntimeOptions {
  store: Store;
  /** How long a request is held while its component wakes; default 30 s (below HAProxy's 60 s server timeout). */
  holdMs?: number;
  /** How long an activator no longer needed stays open (requests HAProxy routed just before); default 30 s. */
  lingerMs?: number;
  /** Told of each proxied request's wait (ms). */
  onProxied?(app: string, component: string, waitedMs: number): void;
}

/** The server's activators. */
export interface ActivatorRuntime {
  /**
   * The endpoint the router gives a sleeping component while it has no ready instance: its
   * activator, started on first use. `component` is the serving deployment's (loading page).
   */
  endpointFor(app: App, component: ServiceSpec): Promise<Endpoint>;
  /** Schedules the activators of components not in `keep` (`<app>/<component>`) to close. */
  retain(keep: ReadonlySet<string>): void;
  stop(): Promise<void>;
}

/** How often a waking component's instances are looked at, and how long one TCP probe may take. */
const PROBE_EVERY_MS = 20;
const PROBE_TIMEOUT_MS = 250;

function tcpReachable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: PROBE_TIMEOUT_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

async function componentInstances(store: Store, app: App, component: string): Promise<Instance[]> {
  const namespace = app.metadata.namespace;
  const { items } = await store.list<Instance>(INSTANCE_KIND, {
    ...(namespace === undefined ? {} : { namespace }),
    labelSelector: `${LABELS.app}=${app.metadata.name}`,
  });
  return items.filter(
    (i) => i.spec.appUid === app.metadata.uid && i.spec.component === component && i.spec.draining !== true,
  );
}

/** Clears `suspended` on the component's instances (retrying a write that raced another). */
async function unsuspend(store: Store, app: App, component: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const asleep = (await componentInstances(store, app, component)).filter((i) => i.spec.suspended === true);
    try {
      for (const i of asleep) {
        const { suspended: _, ...spec } = i.spec;
        await store.update<Instance>({ ...i, spec });
      }
      return;
    } catch (err) {
      if (!isErrorCode(err, "conflict") || attempt >= 5) throw err;
    }
  }
}

/**
 * Wakes the component and resolves once one of its instances accepts connections. Probes overlap
 * (a new one every 20 ms, each bounded to 250 ms): a SYN sent before the sandbox's network stack
 * is up goes unanswered, and waiting it out would add its whole timeout to the wake-up.
 */
async function wake(
  store: Store,
  app: App,
  component: string,
  signal: AbortSignal,
): Promise<ActivatorTarget> {
  await unsuspend(store, app, component);
  let reached: (target: ActivatorTarget) => void = () => undefined;
  const first = new Promise<ActivatorTarget>((resolve) => {
    reached = resolve;
  });
  let found: ActivatorTarget | undefined;
  first.then((t) => {
    found = t;
  });
  while (!signal.aborted && found === undefined) {
    const candidates = (await componentInstances(store, app, component)).filter(
      (i) =>
        i.spec.suspended !== true &&
        (i.status?.phase === "Starting" || i.status?.phase === "Running") &&
        i.status.address !== undefined &&
        i.status.port !== undefined,
    );
    for (const i of candidates) {
      const target = { address: i.status?.address as string, port: i.status?.port as number };
      void tcpReachable(target.address, target.port).then((ok) => {
        if (ok) reached(target);
      });
    }
    const next = delay(PROBE_EVERY_MS, undefined, { signal }).catch(() => undefined);
    const winner = await Promise.race([first, next]);
    if (winner !== undefined) return winner;
  }
  if (found !== undefined) return found;
  throw new Error("it stopped waiting (its hold time is over, or the server is stopping)");
}

interface Entry {
  activator: Activator;
  component: ServiceSpec;
  app: App;
  closeTimer?: NodeJS.Timeout;
}

/** Creates the runtime; activators start on demand. */
export function createActivatorRuntime(options: ActivatorRuntimeOptions): ActivatorRuntime {
  const entries = new Map<string, Promise<Entry>>();
  const abort = new AbortController();
  const holdMs = options.holdMs ?? 30_000;
  const start = async (app: App, component: ServiceSpec): Promise<Entry> => {
    const activator = await startActivator({
      label: `${component.name} of app ${app.metadata.name}`,
      holdMs: () => holdMs,
      loadingPage: () => entry.component.inactivity_sleep?.loading_page?.enabled === true,
      wake: () => {
        // Bounded like the requests it serves: a wake that cannot finish stops looking.
        const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(holdMs)]);
        return wake(options.store, entry.app, entry.component.name, signal);
      },
      onProxied: (ms) => options.onProxied?.(entry.app.metadata.name, entry.component.name, ms),
    });
    const entry: Entry = { activator, component, app };
    return entry;
  };
  return {
    endpointFor: async (app, component) => {
      const key = `${app.metadata.name}/${component.name}`;
      let pending = entries.get(key);
      if (pending === undefined) {
        pending = start(app, component);
        entries.set(key, pending);
        pending.catch(() => entries.delete(key));
      }
      const entry = await pending;
      clearTimeout(entry.closeTimer);
      delete entry.closeTimer;
      entry.app = app;
      entry.component = component;
      return {
        id: `activator-${key.replace("/", "-")}`,
        address: entry.activator.host,
        port: entry.activator.port,
      };
    },
    retain: (keep) => {
      for (const [key, pending] of entries) {
        if (keep.has(key)) continue;
        void pending.then(
          (entry) => {
            if (entry.closeTimer !== undefined || keep.has(key)) return;
            entry.closeTimer = setTimeout(() => {
              entries.delete(key);
              void entry.activator.close();
            }, options.lingerMs ?? 30_000);
            entry.closeTimer.unref();
          },
          () => undefined,
        );
      }
    },
    stop: async () => {
      abort.abort();
      const all = await Promise.allSettled(entries.values());
      entries.clear();
      for (const r of all) {
        if (r.status !== "fulfilled") continue;
        clearTimeout(r.value.closeTimer);
        await r.value.activator.close();
      }
    },
  };
}
