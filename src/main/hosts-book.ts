/**
 * Keeps every running sandbox's /etc/hosts true while the app's instances come and go (ADR 0027):
 * the driver tells the book about each instance (component, address, ready, running) and which
 * hosts files each one has mounted; whenever an app's instances change, every hosts file of that
 * app is rewritten in place (rewriteHostsFile keeps the inode the bind mount follows).
 */
import { type HostsEntry, renderHostsFile, rewriteHostsFile } from "../runtime/local/index.js";

/** What the book knows of one instance. */
export interface BookedInstance {
  component: string;
  ip: string;
  ready: boolean;
}

/** The hosts book of one driver. */
export interface HostsBook {
  /** Records the instance's state (upsert) and rewrites the app's hosts files if names changed. */
  set(app: string, instance: string, state: BookedInstance): Promise<void>;
  /** Adds a hosts file the instance has mounted (written by the caller before the sandbox starts). */
  addFile(app: string, instance: string, file: string): void;
  /** Forgets the instance (stopped) and rewrites the rest of the app's hosts files. */
  remove(app: string, instance: string): Promise<void>;
  /** The entries the app's instances should see now. */
  entries(app: string): HostsEntry[];
}

interface Entry extends BookedInstance {
  /** Order of first registration: newer instances win a name among the ready ones. */
  seq: number;
  files: Map<string, string>;
}

/**
 * A component's name goes to its ready instances, newest first (a redeploy's new instance takes
 * the name as soon as it is ready, before the old one stops); a component with no ready instance
 * keeps its starting ones, so that a client starting at the same time finds them.
 */
export function hostsEntries(instances: readonly (BookedInstance & { seq: number })[]): HostsEntry[] {
  const byComponent = new Map<string, (BookedInstance & { seq: number })[]>();
  for (const i of instances) byComponent.set(i.component, [...(byComponent.get(i.component) ?? []), i]);
  const out: HostsEntry[] = [];
  for (const [name, list] of [...byComponent].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ready = list.filter((i) => i.ready);
    const chosen = (ready.length > 0 ? ready : list).sort((a, b) => b.seq - a.seq);
    for (const i of chosen)
      if (!out.some((e) => e.name === name && e.ip === i.ip)) out.push({ name, ip: i.ip });
  }
  return out;
}

/** A book; `onError` hears a hosts file that could not be rewritten (the sandbox keeps the old one). */
export function createHostsBook(onError: (file: string, error: unknown) => void = () => {}): HostsBook {
  const apps = new Map<string, Map<string, Entry>>();
  const queues = new Map<string, Promise<void>>();
  let seq = 0;
  const entries = (app: string) => hostsEntries([...(apps.get(app)?.values() ?? [])]);
  // One rewrite at a time per app, always from the latest state.
  const refresh = (app: string): Promise<void> => {
    const next = (queues.get(app) ?? Promise.resolve()).then(async () => {
      const text = renderHostsFile(entries(app));
      for (const entry of apps.get(app)?.values() ?? [])
        for (const [file, written] of entry.files) {
          if (written === text) continue;
          await rewriteHostsFile(file, text).then(
            () => entry.files.set(file, text),
            (err: unknown) => onError(file, err),
          );
        }
    });
    queues.set(app, next);
    return next;
  };
  return {
    entries,
    set: async (app, instance, state) => {
      const list = apps.get(app) ?? new Map<string, Entry>();
      apps.set(app, list);
      const old = list.get(instance);
      list.set(instance, { ...state, seq: old?.seq ?? seq++, files: old?.files ?? new Map() });
      if (
        old === undefined ||
        old.ip !== state.ip ||
        old.ready !== state.ready ||
        old.component !== state.component
      )
        await refresh(app);
    },
    addFile: (app, instance, file) => {
      apps
        .get(app)
        ?.get(instance)
        ?.files.set(file, renderHostsFile(entries(app)));
    },
    remove: async (app, instance) => {
      if (apps.get(app)?.delete(instance) !== true) return;
      if (apps.get(app)?.size === 0) apps.delete(app);
      await refresh(app);
    },
  };
}
