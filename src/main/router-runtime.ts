/**
 * The data plane of `slipway server`: one HAProxy (master-worker) kept in step with the store,
 * and one static file server for every static site. The desired state is recomputed from the
 * cached Apps, Deployments and Instances (informers: the controllers' own, or the router's)
 * whenever one of them changes (debounced):
 * routes and static sites from each app's ACTIVE deployment, endpoints from its ready, not
 * draining instances of ACTIVE and DEPLOYING deployments. Applying goes through createRouterSync,
 * which uses the runtime API where it can and a seamless reload where it must (ADR 0017).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInformer, type Informer } from "../controllers/index.js";
import { type App, type Deployment, INSTANCE_KIND, type Instance } from "../resources/index.js";
import {
  type BackendEndpoints,
  backendName,
  backendOwners,
  createRouterSync,
  type DesiredRouterState,
  type HaproxyAcmeOptions,
  type Owner,
  type RoutedApp,
  type RouterSync,
  type RuntimeApi,
  readBackendTotals,
  routeTable,
  type StaticBackendSite,
  type StaticSite,
  startStaticServer,
  staticSiteKey,
  staticSiteOf,
} from "../router/index.js";
import { normalize, type StaticSiteSpec } from "../spec/index.js";
import type { Store } from "../store/index.js";
import type { ActivatorRuntime } from "./activator-runtime.js";
import { createRouterJwt, type RouterJwtOptions } from "./router-jwt.js";
import { createRouterTls, type RouterTlsOptions } from "./router-tls.js";

/** Where the router reads Apps, Deployments and Instances from. */
export interface RouterSources {
  apps: Informer<App>;
  deployments: Informer<Deployment>;
  instances: Informer<Instance>;
}

/** Options of {@link startRouterRuntime}. */
export interface RouterRuntimeOptions {
  store: Store;
  /**
   * Started informers to read from (the controller manager's, so the objects are cached once);
   * for a kind not given the router lists and watches the store itself.
   */
  informers?: { [K in keyof RouterSources]?: RouterSources[K] | undefined };
  /** Holds `router/` (haproxy.cfg, maps, sockets). */
  dataDir: string;
  artifactsRoot: string;
  /** Where apps are served: `http://<app>.<baseDomain>:<port>`. */
  bindAddress: string;
  httpPort: number;
  baseDomain: string;
  /** HTTPS with a certificate per routed host (ADR 0020). Absent: HTTP only. */
  https?: Omit<RouterTlsOptions, "dataDir" | "onRenewalDue">;
  /** How `slipway_auth` issuers' keys are fetched (refresh interval; ADR 0020). */
  jwt?: Omit<RouterJwtOptions, "dataDir" | "onKeysChanged" | "log">;
  /** Problems worth an operator's attention that do not stop routing (issuers, certificates). */
  log?: (message: string) => void;
  /** ACME HTTP-01: challenge paths go to this responder (ADR 0021). Absent: none. */
  acme?: HaproxyAcmeOptions;
  /** Fronts sleeping services that have no ready instance (scale to zero, ADR 0023). */
  activators?: Pick<ActivatorRuntime, "endpointFor" | "retain">;
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
  /** The UNIX socket serving HAProxy's Prometheus exporter at `/metrics` (ADR 0022). */
  readonly metricsSocket: string;
  /** HAProxy backend -> the app and component it serves now (for its metrics). */
  backendOwners(): (backend: string) => Owner | undefined;
  /** Recomputes from the caches and applies now (changes are applied on their own). */
  sync(): Promise<void>;
  /** A service's requests so far (HAProxy's backend counter); undefined when it has no backend. */
  requestTotal(app: string, component: string): Promise<number | undefined>;
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
  /** `<app>/<component>` of the services fronted by their activator. */
  sleeping: Set<string>;
}

/**
 * The deployment whose spec routes the app: its newest ACTIVE one, read from the Deployments
 * themselves (the App's status follows a moment later, and a route must never disappear in
 * between), else the one the App still names while it drains.
 */
function servingDeployment(
  app: App,
  ofApp: readonly Deployment[],
  byName: ReadonlyMap<string, Deployment>,
): Deployment | undefined {
  const ns = app.metadata.namespace ?? "";
  const active = ofApp
    .filter((d) => d.status?.phase === "ACTIVE")
    .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp))[0];
  if (active !== undefined) return active;
  const named = byName.get(`${ns}/${app.status?.activeDeployment ?? ""}`);
  return named?.status?.phase === "SUPERSEDED" ? named : undefined;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

async function snapshot(
  sources: RouterSources,
  artifactsRoot: string,
  baseDomain: string,
  activators?: RouterRuntimeOptions["activators"],
): Promise<Snapshot> {
  const apps = sources.apps.list();
  const deployments = sources.deployments.list();
  const instances = sources.instances.list();
  const byName = new Map(deployments.map((d) => [`${d.metadata.namespace ?? ""}/${d.metadata.name}`, d]));
  // Indexed once, so that a snapshot is linear in what is stored, not apps x instances.
  const deploymentsOf = groupBy(deployments, (d) => d.spec.appUid);
  const instancesOf = groupBy(instances, (i) => `${i.spec.appUid}/${i.spec.component}`);
  const routed: RoutedApp[] = [];
  const endpoints: BackendEndpoints[] = [];
  const staticSites: StaticBackendSite[] = [];
  const sites = new Map<string, StaticSite>();
  const sleeping = new Set<string>();
  for (const app of apps) {
    const ns = app.metadata.namespace ?? "";
    const active = servingDeployment(app, deploymentsOf.get(app.metadata.uid) ?? [], byName);
    if (active === undefined) continue;
    const spec = normalize(active.spec.appSpec);
    routed.push({ name: app.metadata.name, spec });
    const live = (d: Deployment | undefined) =>
      d?.status?.phase === "ACTIVE" || d?.status?.phase === "DEPLOYING";
    for (const component of [...(spec.services ?? [])]) {
      const ready = (instancesOf.get(`${app.metadata.uid}/${component.name}`) ?? []).filter(
        (i) =>
          i.spec.draining !== true &&
          i.spec.suspended !== true &&
          i.status?.ready === true &&
          i.status.address !== undefined &&
          live(byName.get(`${ns}/${i.spec.deployment}`)),
      );
      if (ready.length === 0 && activators !== undefined && component.inactivity_sleep !== undefined) {
        // A sleeping (or waking) service: its activator holds the requests until it is up.
        sleeping.add(`${app.metadata.name}/${component.name}`);
        const endpoint = await activators.endpointFor(app, component);
        endpoints.push({ app: app.metadata.name, component: component.name, endpoints: [endpoint] });
        continue;
      }
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
  return { desired: { table: routeTable(routed, { baseDomain }), endpoints, staticSites }, sites, sleeping };
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
  let resync = () => {};
  const log = options.log ?? (() => {});
  const tls =
    options.https === undefined
      ? undefined
      : await createRouterTls({ ...options.https, dataDir: options.dataDir, onRenewalDue: () => resync() });
  const jwt = createRouterJwt({
    ...options.jwt,
    dataDir: options.dataDir,
    log,
    onKeysChanged: () => resync(),
  });
  /** Certificates and JWT keys for the table, before HAProxy routes it (issues logged, not thrown). */
  const secure = async (desired: DesiredRouterState, api: RuntimeApi | undefined) => {
    const plan = await tls?.sync(desired.table, api).catch((err: unknown) => options.onError?.(err));
    for (const issue of plan?.issues ?? []) log(issue);
    return { ...desired, jwtKeys: await jwt.keys(desired.table) };
  };
  // The router's own informers for the kinds it was given none of; stopped with it.
  const own: { stop(): Promise<void> }[] = [];
  const source = <R extends App | Deployment | Instance>(kind: string, given: Informer<R> | undefined) => {
    if (given !== undefined) return given;
    const informer = createInformer<R>({ store: options.store, kind });
    own.push(informer);
    informer.start();
    return informer;
  };
  const sources: RouterSources = {
    apps: source("App", options.informers?.apps),
    deployments: source("Deployment", options.informers?.deployments),
    instances: source(INSTANCE_KIND, options.informers?.instances),
  };
  const watched: Informer<App | Deployment | Instance>[] = [
    sources.apps,
    sources.deployments,
    sources.instances,
  ];
  const stopOwn = () => Promise.all(own.map((i) => i.stop()));
  await Promise.all(watched.map((i) => i.waitForSync())).catch(async (err: unknown) => {
    await stopOwn();
    throw err;
  });
  const take = () => snapshot(sources, options.artifactsRoot, options.baseDomain, options.activators);
  const first = await take();
  first.desired = await secure(first.desired, undefined);
  sites = first.sites;
  const router: RouterSync = await createRouterSync(
    {
      dir,
      // Per-app limits keep one app's flood from starving the others; the request-rate cap (the
      // default, 10,000 req/s per component) is well above what one app's instances serve here,
      // so it only stops floods.
      render: {
        httpPort: options.httpPort,
        bindAddress: options.bindAddress,
        fairness: {},
        ...(tls === undefined ? {} : { tls: tls.render }),
        ...(options.acme === undefined ? {} : { acme: options.acme }),
      },
      static: { server: { host: statics.host, port: statics.port } },
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      // HAProxy is the data plane: it serves across a restart of the server (ADR 0026).
      survive: true,
    },
    first.desired,
  ).catch(async (err: unknown) => {
    await stopOwn();
    throw err;
  });
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let applying: Promise<void> = Promise.resolve();
  const apply = async () => {
    const started = performance.now();
    const next = await take();
    next.desired = await secure(next.desired, router.haproxy.api);
    // New sites are known to the static server before HAProxy routes to them.
    sites = new Map([...sites, ...next.sites]);
    const result = await router.apply(next.desired);
    sites = next.sites;
    options.activators?.retain(next.sleeping);
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
  resync = schedule;
  // Handlers cannot be taken off a shared informer: once halted they do nothing.
  const changed = () => {
    if (!abort.signal.aborted) schedule();
  };
  for (const informer of watched)
    informer.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  const halt = async () => {
    abort.abort();
    clearTimeout(timer);
    tls?.stop();
    jwt.stop();
    await stopOwn();
    await applying.catch(() => undefined);
  };
  return {
    metricsSocket: router.metricsSocket,
    backendOwners: () => backendOwners(router.state()),
    urlOf: (app) =>
      `http://${app}.${options.baseDomain}${options.httpPort === 80 ? "" : `:${options.httpPort}`}`,
    sync: async () => {
      applying = applying.then(apply);
      await applying;
    },
    requestTotal: async (app, component) => {
      const name = backendName(app, component);
      const totals = await readBackendTotals(router.haproxy.api);
      return totals.get(router.state().placement[name] ?? name);
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
