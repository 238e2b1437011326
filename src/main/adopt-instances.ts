/**
 * What `slipway server` does at start with the sandboxes a previous server left (ADR 0026): each
 * running sandbox whose labels name an Instance that still should run (same uid, not draining,
 * its Deployment still there, its network namespace still there) is kept for the driver to adopt
 * (`claim`); every other container is stopped (SIGTERM, SIGKILL after a grace) and removed with
 * its bundle, output and hosts files; network namespaces no kept sandbox uses are removed, and
 * Slipway's nft table is written again. Sandboxes kept but never claimed (the instance controller
 * decided otherwise) are stopped by `sweepUnclaimed`.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { DEPLOYMENT_KIND, type Deployment, INSTANCE_KIND, type Instance } from "../resources/index.js";
import {
  type AppNetworkHost,
  type InstanceNetwork,
  type ListedInstance,
  listContainers,
  listInstances,
  removeOutput,
  sandboxOutputFiles,
  stopContainer,
} from "../runtime/local/index.js";
import type { Store } from "../store/index.js";

/** Where the driver keeps what belongs to sandboxes (all under the runtime's work root). */
export interface RuntimePaths {
  stateRoot: string;
  bundleRoot: string;
  outputRoot: string;
  hostsRoot: string;
}

/** A running sandbox handed to the driver for one Instance. */
export interface AdoptedSandbox {
  listed: ListedInstance;
  net: InstanceNetwork;
  /** The attempt number in its id (`<instance>-<attempt>`); the next start uses a higher one. */
  attempt: number;
  /** Its hosts file (mounted in the sandbox; kept while it runs). */
  hostsFile: string;
}

/** The sandboxes kept at start, until the driver claims them. */
export interface Adoption {
  /** The kept sandbox of this Instance (by uid), once; undefined when none was kept. */
  claim(instance: Instance): AdoptedSandbox | undefined;
  /** Stops the kept sandboxes nobody claimed; returns their ids. */
  sweepUnclaimed(): Promise<string[]>;
  /** Ids kept at start (for logs and tests). */
  readonly kept: readonly string[];
  /** Ids stopped at start. */
  readonly stopped: readonly string[];
}

/** Labels the driver puts on each sandbox (stored as annotations, read back by listInstances). */
export function sandboxLabels(instance: Instance): Record<string, string> {
  return {
    instance: instance.metadata.name,
    namespace: instance.metadata.namespace ?? "",
    uid: instance.metadata.uid,
    app: instance.spec.app,
    component: instance.spec.component,
    deployment: instance.spec.deployment,
  };
}

/** Options of {@link prepareAdoption}. */
export interface PrepareAdoptionOptions {
  store: Store;
  network: AppNetworkHost;
  paths: RuntimePaths;
  /** Grace of the SIGTERM given to sandboxes that are not adopted. Default 5 s. */
  graceMs?: number;
}

const attemptOf = (id: string) => Number(/-(\d+)$/.exec(id)?.[1] ?? 0);

/** Sorts what a previous server left into kept and stopped, and cleans up the rest. */
export async function prepareAdoption(options: PrepareAdoptionOptions): Promise<Adoption> {
  const { store, network, paths } = options;
  const graceMs = options.graceMs ?? 5000;
  const running = await listInstances(paths.stateRoot).catch(() => [] as ListedInstance[]);
  const all = await listContainers(paths.stateRoot);
  const instances = (await store.list<Instance>(INSTANCE_KIND, {})).items;
  const deployments = (await store.list<Deployment>(DEPLOYMENT_KIND, {})).items;
  const deploymentNames = new Set(deployments.map((d) => `${d.metadata.namespace ?? ""}/${d.metadata.name}`));
  const byUid = new Map(instances.map((i) => [i.metadata.uid, i]));
  const kept = new Map<string, AdoptedSandbox>();
  // The newest attempt first, so a crash between two attempts keeps one sandbox per instance.
  for (const listed of [...running].sort((a, b) => attemptOf(b.id) - attemptOf(a.id))) {
    const instance = byUid.get(listed.labels.uid ?? "");
    if (instance === undefined || instance.spec.draining === true || kept.has(instance.metadata.uid))
      continue;
    if (!deploymentNames.has(`${instance.metadata.namespace ?? ""}/${instance.spec.deployment}`)) continue;
    const net = (await network.listAttached(instance.spec.appUid)).find((n) => n.ip === listed.ip);
    if (net === undefined) continue;
    kept.set(instance.metadata.uid, {
      listed,
      net,
      attempt: attemptOf(listed.id),
      hostsFile: join(paths.hostsRoot, listed.id),
    });
  }
  const keptIds = new Set([...kept.values()].map((k) => k.listed.id));
  const leftovers = all.filter((c) => !keptIds.has(c.id)).map((c) => c.id);
  await Promise.all(leftovers.map((id) => removeSandbox(paths, id, graceMs)));
  // Namespaces of kept sandboxes stay; the rest (and bridges left with none) go.
  const keptNetns = new Set([...kept.values()].map((k) => k.net.netns));
  for (const app of await network.listApps()) {
    const attached = await network.listAttached(app.appId);
    for (const net of attached) if (!keptNetns.has(net.netns)) await network.detach(net.netns);
    if (!attached.some((n) => keptNetns.has(n.netns))) await network.removeApp(app.appId);
  }
  await network.syncRules();
  const claimed = new Set<string>();
  return {
    kept: [...keptIds],
    stopped: leftovers,
    claim: (instance) => {
      const found = kept.get(instance.metadata.uid);
      if (found === undefined || claimed.has(found.listed.id)) return undefined;
      claimed.add(found.listed.id);
      return found;
    },
    sweepUnclaimed: async () => {
      const left = [...kept.values()].filter((k) => !claimed.has(k.listed.id));
      for (const k of left) claimed.add(k.listed.id);
      await Promise.all(
        left.map(async (k) => {
          await removeSandbox(paths, k.listed.id, graceMs);
          await network.detach(k.net.netns);
        }),
      );
      return left.map((k) => k.listed.id);
    },
  };
}

/** Stops and removes one sandbox and the files that belong to it. */
async function removeSandbox(paths: RuntimePaths, id: string, graceMs: number): Promise<void> {
  await stopContainer({ stateRoot: paths.stateRoot, id, graceMs });
  await rm(join(paths.bundleRoot, id), { recursive: true, force: true });
  await rm(join(paths.hostsRoot, id), { force: true });
  const files = sandboxOutputFiles(paths.outputRoot, id);
  await removeOutput(files.out);
  await removeOutput(files.err);
}

/**
 * How the driver first reports an instance after a restart: an adopted sandbox goes on as its
 * Instance's status said (ready stays ready, so the router keeps it); one whose sandbox is gone
 * while its status said it ran counts as a crash (`restarts` + 1).
 */
export function resumedObservation(
  instance: Instance,
  adopted: AdoptedSandbox | undefined,
): { restarts: number; everReady: boolean; crashedWhileDown: boolean; ready: boolean } {
  const previous = instance.status;
  const restarts = previous?.restarts ?? 0;
  const ran =
    previous?.startedAt !== undefined && (previous.phase === "Running" || previous.phase === "Starting");
  if (adopted !== undefined)
    return {
      restarts,
      everReady: previous?.readyAt !== undefined,
      crashedWhileDown: false,
      ready: previous?.ready === true,
    };
  return {
    restarts: ran ? restarts + 1 : restarts,
    everReady: previous?.readyAt !== undefined,
    crashedWhileDown: ran,
    ready: false,
  };
}
