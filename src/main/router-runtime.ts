/**
 * The data plane of `slipway server`: one HAProxy (master-worker) kept in step with the store,
 * and one static file server for every static site. The desired state is recomputed from the
 * stored Apps, Deployments and Instances whenever one of them changes (watched, debounced):
 * routes and static sites from each app's ACTIVE deployment, endpoints from its ready, not
 * draining instances of ACTIVE and DEPLOYING deployments. Applying goes through createRouterSync,
 * which uses the runtime API where it can and a seamless reload where it must (ADR 0017).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type App, type Deployment, INSTANCE_KIND, type Instance, isErrorCode } from "../resources/index.js";
import {
  type BackendEndpoints,
  createRouterSync,
  type DesiredRouterState,
  type RoutedApp,
  type RouterSync,
  routeTable,
  type StaticBackendSite,
  type StaticSite,
  startStaticServer,
  staticSiteKey,
  staticSiteOf,
} from "../router/index.js";
import { normalize, type StaticSiteSpec } from "../spec/index.js";
import type { Store } from "../store/index.js";

/** Options of {@link startRouterRuntime}. */
export interface RouterRuntimeOptions {
  store: Store;
  /** Holds `router/` (haproxy.cfg, maps, sockets). */
  dataDir: string;
  artifactsRoot: string;
  /** Where apps are served: `http://<app>.<baseDomain>:<port>`. */
  bindAddress: string;
  httpPort: number;
  baseDomain: string;
  onError?: (err: unknown) => void;
  /** Told what each apply did (verbose logging). */
  onApplied?: (summary: {
    hosts: number;
    endpoints: number;
    reloaded: boolean;
    reasons: string[];
    ms: number;
  }) => void;
}

/** The running data plane. */
export interface RouterRuntime {
  /** The URL an app is served at. */
  urlOf(app: string): string;
  /** Recomputes and applies now (tests; changes are applied on their own). */
  sync(): Promise<void>;
  /** Stops HAProxy and the static server. */
  stop(): Promise<void>;
  /** Stops following the store and the static server; HAProxy keeps serving (ADR 0026). */
  release(): Promise<void>;
  /** True when a HAProxy a previous server left was adopted. */
  readonly adopted: boolean;
}

const DEBOUNCE_MS = 50;

interface Snapshot {
  desired: DesiredRouterState;
  sites: Map<string, StaticSite>;
}

/**
 * The deployment whose spec routes the app: its newest ACTIVE one, read from the Deployments
 * themselves (the App's status follows a moment later, and a route must never disappear in
 * between), else the one the App still names while it drains.
 */
function servingDeployment(
  app: App,
  deployments: readonly Deployment[],
  byName: ReadonlyMap<string, Deployment>,
): Deployment | undefined {
  const ns = app.metadata.namespace ?? "";
  const active = deployments
    .filter((d) => d.spec.appUid === app.metadata.uid && d.status?.phase === "ACTIVE")
    .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp))[0];
  if (active !== undefined) return active;
  const named = byName.get(`${ns}/${app.status?.activeDeployment ?? ""}`);
  return named?.status?.phase === "SUPERSEDED" ? named : undefined;
}

async function snapshot(store: Store, artifactsRoot: string, baseDomain: string): Promise<Snapshot> {
  const apps = (await store.list<App>("App", {})).items;
  const deployments = (await store.list<Deployment>("Deployment", {})).items;
  const instances = (await store.list<Instance>(INSTANCE_KIND, {})).items;
  const byName = new Map(deployments.map((d) => [`${d.metadata.namespace ?? ""}/${d.metadata.name}`, d]));
  const routed: RoutedApp[] = [];
  const endpoints: BackendEndpoints[] = [];
  const staticSites: StaticBackendSite[] = [];
  const sites = new Map<string, StaticSite>();
  for (const app of apps) {
    const ns = app.metadata.namespace ?? "";
    const active = servingDeployment(app, deployments, byName);
    if (active === undefined) continue;
    const spec = normalize(active.spec.appSpec);
    routed.push({ name: app.metadata.name, spec });
    const live = (d: Deployment | undefined) =>
      d?.status?.phase === "ACTIVE" || d?.status?.phase === "DEPLOYING";
    for (const component of [...(spec.services ?? [])]) {
      const ready = instances.filter(
        (i) =>
          i.spec.appUid === app.metadata.uid &&
          i.spec.component === component.name &&
          i.spec.draining !== true &&
          i.status?.ready === true &&
          i.status.address !== undefined &&
          live(byName.get(`${ns}/${i.spec.deployment}`)),
      );
      endpoints.push({
        app: app.metadata.name,
        component: component.name,
        endpoints: ready.map((i) => ({
          id: i.metadata.name,
          address: i.status?.address as string,
          port: i.status?.port ?? component.http_port ?? 8080,
        })),
      });
    }
    for (const site of (spec.static_sites ?? []) as StaticSiteSpec[]) {
      const artifact = active.status?.artifacts?.[site.name];
      if (artifact === undefined) continue;
      staticSites.push({
        app: app.metadata.name,
        component: site.name,
        ...(spec.disable_edge_cache === true ? { disableEdgeCache: true } : {}),
      });
      sites.set(
        staticSiteKey(app.metadata.name, site.name),
        staticSiteOf(join(artifactsRoot, artifact, "app"), site),
      );
    }
  }
  return { desired: { table: routeTable(routed, { baseDomain }), endpoints, staticSites }, sites };
}

/** Starts HAProxy and the static server and keeps them in step with the store until `stop`. */
export async function startRouterRuntime(options: RouterRuntimeOptions): Promise<RouterRuntime> {
  const dir = join(options.dataDir, "router");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let sites = new Map<string, StaticSite>();
  // The static server's port again if it is free, so an adopted HAProxy's config stays as it is.
  const portFile = join(dir, "static-port");
  const lastPort = Number.parseInt(await readFile(portFile, "utf8").catch(() => "0"), 10) || 0;
  const staticOn = (port: number) =>
    startStaticServer({ host: "127.0.0.1", port, sites: (key) => sites.get(key) });
  const statics = await staticOn(lastPort).catch(() => staticOn(0));
  await writeFile(portFile, String(statics.port));
  const first = await snapshot(options.store, options.artifactsRoot, options.baseDomain);
  sites = first.sites;
  const router: RouterSync = await createRouterSync(
    {
      dir,
      // Per-app limits keep one app's flood from starving the others; the request-rate cap is set
      // well above what one app's instances serve here (10,000 req/s), so it only stops floods.
      render: {
        httpPort: options.httpPort,
        bindAddress: options.bindAddress,
        fairness: { hostRequestLimit: 100_000, ratePeriodSeconds: 10 },
      },
      static: { server: { host: statics.host, port: statics.port } },
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      // HAProxy is the data plane: it serves across a restart of the server (ADR 0026).
      survive: true,
    },
    first.desired,
  );
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let applying: Promise<void> = Promise.resolve();
  const apply = async () => {
    const started = performance.now();
    const next = await snapshot(options.store, options.artifactsRoot, options.baseDomain);
    // New sites are known to the static server before HAProxy routes to them.
    sites = new Map([...sites, ...next.sites]);
    const result = await router.apply(next.desired);
    sites = next.sites;
    options.onApplied?.({
      hosts: next.desired.table.hosts.length,
      endpoints: next.desired.endpoints.reduce((n, b) => n + b.endpoints.length, 0),
      reloaded: result.reloaded,
      reasons: result.reasons,
      ms: Math.round(performance.now() - started),
    });
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      applying = applying.then(apply).catch((err: unknown) => options.onError?.(err));
    }, DEBOUNCE_MS);
  };
  const watchKind = async (kind: string) => {
    for (;;) {
      try {
        const { resourceVersion } = await options.store.list(kind, { limit: 1 });
        for await (const _ of options.store.watch(kind, { resourceVersion, signal: abort.signal }))
          schedule();
        return;
      } catch (err) {
        if (abort.signal.aborted) return;
        // A watch that fell behind the kept history: list again and go on.
        if (!isErrorCode(err, "gone")) options.onError?.(err);
        schedule();
      }
    }
  };
  const watches = ["App", "Deployment", INSTANCE_KIND].map(watchKind);
  const halt = async () => {
    abort.abort();
    clearTimeout(timer);
    await Promise.allSettled(watches);
    await applying.catch(() => undefined);
  };
  return {
    urlOf: (app) =>
      `http://${app}.${options.baseDomain}${options.httpPort === 80 ? "" : `:${options.httpPort}`}`,
    sync: async () => {
      applying = applying.then(apply);
      await applying;
    },
    stop: async () => {
      await halt();
      await router.stop();
      await statics.close();
    },
    release: async () => {
      await halt();
      await router.release();
      await statics.close();
    },
    adopted: router.adopted,
  };
}
