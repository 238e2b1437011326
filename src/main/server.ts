/**
 * Composition root of `slipway server`: opens the SQLite store in the data directory, makes sure
 * an admin token exists, starts the controllers and the HTTP API, and on SIGTERM/SIGINT stops
 * them in reverse order (API first, so no request sees a stopped store).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bootstrapAdmin, createApi, metricsHandler, startApiServer } from "../api/index.js";
import { createUploadStore, DependencyCacheLeases } from "../build/index.js";
import {
  createManager,
  createSleepController,
  createSlipwayManager,
  stderrLogger,
  stopOnSignals,
} from "../controllers/index.js";
import { createFileLogStore, createMetricsRegistry, unixHttpGet } from "../observe/index.js";
import {
  type App,
  type Deployment,
  INSTANCE_KIND,
  type Instance,
  type ObjectKey,
} from "../resources/index.js";
import { exportCaPem } from "../router/index.js";
import { keyring, loadSecretKey } from "../secrets/index.js";
import { createSpecValidator } from "../spec/index.js";
import { openSqliteStore } from "../store/index.js";
import { createActivatorRuntime } from "./activator-runtime.js";
import { startArtifactGc } from "./artifact-gc.js";
import { autoscalingOptions } from "./autoscaling-options.js";
import { startServerBuildEgress } from "./build-egress.js";
import { createGvisorBuildSandbox } from "./build-sandbox.js";
import { startDependencyCacheGc } from "./dependency-cache-gc.js";
import { startIdleCompaction } from "./idle-compaction.js";
import { startLocalRuntime } from "./local-runtime.js";
import { startRouterRuntime } from "./router-runtime.js";
import { caDir } from "./router-tls.js";
import { selectSandboxRuntime } from "./sandbox-runtime.js";
import { checkAcmeFlags, startServerAcme } from "./server-acme.js";
import { createServerBuilder } from "./server-builder.js";
import { codeSourceOf, temporaryCheckout } from "./source-checkout.js";

/**
 * Limits of one build: one of the machine's CPUs, so running apps keep the rest, 2 GiB of memory
 * (npm and pip installs of real apps fit) and 15 minutes of wall time.
 */
const BUILD_LIMITS = { memoryMiB: 2048, cpus: 1, timeoutMs: 15 * 60_000 };

/** Where apps are served by default: `http://<app>.localhost:8080`. */
export const DEFAULT_HTTP_LISTEN = "127.0.0.1:8080";

/** Where apps are served over HTTPS by default: `https://<app>.localhost:8443` (ADR 0020). */
export const DEFAULT_HTTPS_LISTEN = "127.0.0.1:8443";

/** `--registry-mirror PREFIX=URL` (repeatable), e.g. `docker.io=http://127.0.0.1:5000`. */
function parseMirrors(values: readonly string[]): Record<string, string> {
  const mirrors: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    const url = value.slice(at + 1);
    if (at <= 0 || !/^https?:\/\/\S+$/.test(url))
      throw new Error(`--registry-mirror must be PREFIX=http(s)://HOST[:PORT][/PATH], got "${value}"`);
    mirrors[value.slice(0, at)] = url;
  }
  return mirrors;
}

/** A free TCP port on `host` (for `--http-listen HOST:0`). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** The address `slipway server` listens on by default. */
export const DEFAULT_LISTEN = "127.0.0.1:8420";

function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (m === null || !(port >= 0 && port <= 65535)) {
    throw new Error(`--listen must be HOST:PORT (e.g. ${DEFAULT_LISTEN}), got "${value}"`);
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

/** `--min-inactivity-seconds N`: lets specs sleep after fewer than DO's 600 s (tests, demos). */
function parseMinInactivity(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400)
    throw new Error(`--min-inactivity-seconds must be a whole number from 1 to 86400, got "${value}"`);
  return n;
}

/** Runs the server until a signal stops it. `argv` excludes `server`. Returns the exit code. */
export async function runServer(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      "data-dir": { type: "string" },
      listen: { type: "string" },
      "base-domain": { type: "string" },
      "stacks-dir": { type: "string" },
      "build-ca-file": { type: "string" },
      "allow-file-git-urls": { type: "boolean" },
      "secret-key-file": { type: "string" },
      "network-prefix": { type: "string" },
      "build-egress-allow": { type: "string", multiple: true },
      "http-listen": { type: "string" },
      "https-listen": { type: "string" },
      "acme-directory": { type: "string" },
      "acme-email": { type: "string" },
      "acme-ca-file": { type: "string" },
      "acme-no-self-check": { type: "boolean" },
      "jwks-refresh": { type: "string" },
      "registry-mirror": { type: "string", multiple: true },
      "autoscale-interval-seconds": { type: "string" },
      "autoscale-stabilization-seconds": { type: "string" },
      "min-inactivity-seconds": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      "sandbox-runtime": { type: "string" },
      "stop-instances-on-exit": { type: "boolean" },
    },
  });
  const minInactivity = parseMinInactivity(values["min-inactivity-seconds"]);
  const dataDir = values["data-dir"] ?? process.env.SLIPWAY_DATA_DIR ?? "/var/lib/slipway";
  const { host, port } = parseListen(values.listen ?? DEFAULT_LISTEN);
  // Checked before anything starts, so a typo stops nothing half-started.
  const https = parseListen(values["https-listen"] ?? DEFAULT_HTTPS_LISTEN);
  const jwksRefresh = Number(values["jwks-refresh"] ?? 900);
  if (!(jwksRefresh > 0))
    throw new Error(`--jwks-refresh must be a number of seconds (e.g. 900), got "${values["jwks-refresh"]}"`);
  const acmeFlags = {
    directory: values["acme-directory"],
    email: values["acme-email"],
    caFile: values["acme-ca-file"],
    noSelfCheck: values["acme-no-self-check"],
  };
  checkAcmeFlags(acmeFlags);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = openSqliteStore({ path: join(dataDir, "slipway.db") });
  const tokenPath = await bootstrapAdmin({ store, dataDir });
  // SECRET env values are encrypted with a key kept outside the database (ADR 0015).
  const keyFile = values["secret-key-file"];
  const keyText = process.env.SLIPWAY_SECRET_KEY;
  const secrets = keyring(
    await loadSecretKey({
      dataDir,
      ...(keyFile === undefined ? {} : { file: keyFile }),
      ...(keyText === undefined || keyText === "" ? {} : { text: keyText, textOrigin: "SLIPWAY_SECRET_KEY" }),
    }),
  );
  const log = stderrLogger({ verbose: values.verbose === true });
  const logs = createFileLogStore({ root: join(dataDir, "logs") });
  const uploads = createUploadStore({ root: join(dataDir, "uploads") });
  const buildRoot = join(dataDir, "builds");
  const caFile = values["build-ca-file"];
  const sourcePolicy = {
    uploads,
    ...(caFile === undefined ? {} : { caFile }),
    allowFileGitUrls: values["allow-file-git-urls"] === true,
  };
  const buildStream = (key: ObjectKey) => ({
    namespace: key.namespace ?? "",
    type: "BUILD" as const,
    name: key.name,
  });
  const jobStream = (key: ObjectKey) => ({
    namespace: key.namespace ?? "",
    type: "JOB_INVOCATION" as const,
    name: key.name,
  });
  // Before anything runs an app: a fallback from gVisor is never silent (ADR 0027).
  const sandbox = await selectSandboxRuntime(values["sandbox-runtime"], (l) =>
    process.stderr.write(`${l}\n`),
  );
  const stacksRoot = values["stacks-dir"] ?? join(dataDir, "stacks");
  const baseDomain = values["base-domain"] ?? "localhost";
  const localRuntime = await startLocalRuntime({
    store,
    dataDir,
    artifactsRoot: join(buildRoot, "artifacts"),
    stacksRoot,
    logs,
    secrets,
    baseDomain,
    ...(values["network-prefix"] === undefined ? {} : { networkPrefix: values["network-prefix"] }),
    sandbox: sandbox.runtime,
  });
  log.info("instances a previous server left", {
    adopted: localRuntime.adoption.kept.length,
    stopped: localRuntime.adoption.stopped.length,
  });
  // After the local runtime, which clears the network prefix at start (ADR 0019).
  const buildEgress = await startServerBuildEgress(values["network-prefix"], values["build-egress-allow"]);
  // Shared by the builder and the dependency cache collection: a cache in use is never removed.
  const cacheLeases = new DependencyCacheLeases();
  const builder = createServerBuilder({
    ...sourcePolicy,
    registryMirrors: parseMirrors(values["registry-mirror"] ?? []),
    secrets,
    store,
    buildRoot,
    stacksRoot: values["stacks-dir"] ?? join(dataDir, "stacks"),
    runInSandbox: createGvisorBuildSandbox({ workDir: join(buildRoot, "sandboxes"), egress: buildEgress }),
    dockerfileNetwork: buildEgress,
    limits: BUILD_LIMITS,
    cacheLeases,
  });
  const manager = createSlipwayManager({
    store,
    log,
    builder,
    instanceDriver: localRuntime.driver,
    ...autoscalingOptions(values["autoscale-interval-seconds"], values["autoscale-stabilization-seconds"]),
    onBuildLogLine: (key, line) => logs.append(buildStream(key), line),
    buildLogRef: (key) => logs.ref(buildStream(key)),
    // Scheduled jobs and deploy hooks run in sandboxes like instances (ADR 0025).
    jobRunner: localRuntime.jobRunner,
    onJobLogLine: (key, line) => logs.append(jobStream(key), line),
    jobLogRef: (key) => logs.ref(jobStream(key)),
  });
  await manager.start();
  const http = parseListen(values["http-listen"] ?? DEFAULT_HTTP_LISTEN);
  if (http.port === 0) http.port = await freePort(http.host);
  if (https.port === 0) https.port = await freePort(https.host);
  // Scale to zero (ADR 0023): activators front sleeping services; the sleep controller puts idle ones to sleep.
  const activators = createActivatorRuntime({ store });
  // Challenges are rare and worth seeing when a certificate does not come: always on stderr.
  const acme = await startServerAcme(acmeFlags, dataDir, baseDomain, (m) =>
    process.stderr.write(`slipway: ${m}\n`),
  );
  const router = await startRouterRuntime({
    store,
    // The controllers' caches: Apps, Deployments and Instances are held once (ADR 0017).
    informers: {
      apps: manager.informer<App>("App"),
      deployments: manager.informer<Deployment>("Deployment"),
      instances: manager.informer<Instance>(INSTANCE_KIND),
    },
    activators,
    ...(acme === undefined ? {} : { acme: acme.haproxy }),
    dataDir,
    artifactsRoot: join(buildRoot, "artifacts"),
    bindAddress: http.host,
    httpPort: http.port,
    baseDomain,
    https: {
      bindAddress: https.host,
      httpsPort: https.port,
      ...(acme === undefined ? {} : { issuerFor: acme.issuerFor }),
    },
    jwt: { refreshMs: jwksRefresh * 1000 },
    log: (message) => log.error(`router: ${message}`, {}),
    onError: (err) =>
      log.error("router apply failed", { error: err instanceof Error ? err.message : String(err) }),
    onApplied: (summary) => log.info("router applied", { ...summary }),
  });
  const sleep = createManager({
    store,
    log,
    controllers: [createSleepController({ store, log, requestTotals: router.requestTotal })],
  });
  await sleep.start();
  if (router.adopted) log.info("adopted the HAProxy a previous server left", {});
  const app = createApi({
    store,
    secrets,
    logs,
    uploads,
    checkout: (source, signal) =>
      temporaryCheckout(sourcePolicy, join(buildRoot, "work"), codeSourceOf(source), { signal }),
    validator: createSpecValidator(
      minInactivity === undefined ? {} : { minInactivitySeconds: minInactivity },
    ),
    now: () => new Date(),
    randomId: () => randomBytes(8).toString("hex"),
    baseDomain: http.port === 80 ? baseDomain : `${baseDomain}:${http.port}`,
    caPem: () => exportCaPem(caDir(dataDir)),
    node: () => ({ sandbox: { ...sandbox, warnings: [...sandbox.warnings] } }),
  });
  // Per-component traffic read from HAProxy's exporter at scrape time; admin token only (ADR 0022).
  const metrics = createMetricsRegistry({
    scrapeEdge: () => unixHttpGet(router.metricsSocket, "/metrics?scope=backend&scope=frontend"),
    owners: router.backendOwners,
  });
  app.get("/metrics", metricsHandler({ store, render: metrics.render, contentType: metrics.contentType }));
  const api = await startApiServer({ app, host, port });
  const stopCompaction = startIdleCompaction();
  const stopArtifactGc = startArtifactGc({
    store,
    artifactsRoot: join(buildRoot, "artifacts"),
    onResult: (r) => {
      if (r.removed.length > 0)
        process.stderr.write(
          `slipway: removed ${r.removed.length} unused artifacts (${r.freedBytes} bytes)\n`,
        );
    },
    onError: (e) => process.stderr.write(`slipway: artifact collection failed: ${String(e)}\n`),
  });
  const stopDependencyCacheGc = startDependencyCacheGc({
    cacheRoot: join(buildRoot, "cache"),
    leases: cacheLeases,
    onResult: (r) => {
      if (r.removed.length > 0)
        process.stderr.write(`slipway: removed ${r.removed.length} unused dependency caches\n`);
    },
    onError: (e) => process.stderr.write(`slipway: dependency cache collection failed: ${String(e)}\n`),
  });
  process.stdout.write(
    `slipway: API listening on ${api.url}\nslipway: apps served at http://<app>.${baseDomain}:${http.port}\nslipway: apps served at https://<app>.${baseDomain}:${https.port} (trust \`slipway ca export\`)\nslipway: admin token in ${tokenPath}\n`,
  );
  const stopEverything = values["stop-instances-on-exit"] === true;
  return new Promise<number>((resolve) => {
    stopOnSignals(
      {
        stop: async () => {
          stopCompaction();
          stopArtifactGc();
          stopDependencyCacheGc();
          await api.close();
          await sleep.stop();
          await manager.stop();
          await buildEgress.stop();
          // Instances and HAProxy outlive the server, and the next one adopts them (ADR 0026),
          // unless it was asked to stop everything it started.
          if (stopEverything) {
            await router.stop();
            await localRuntime.stopAll(5000);
          } else {
            await router.release();
            await localRuntime.release();
          }
          await activators.stop();
          await acme?.close();
          await store.close();
          logs.close();
        },
      },
      {
        onStopped: (error) => {
          if (error !== undefined) process.stderr.write(`slipway: error while stopping: ${String(error)}\n`);
          else process.stderr.write("slipway: stopped\n");
          resolve(error === undefined ? 0 : 1);
        },
      },
    );
  });
}
