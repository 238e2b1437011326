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
import { bootstrapAdmin, createApi, startApiServer } from "../api/index.js";
import { createUploadStore } from "../build/index.js";
import { createSlipwayManager, stderrLogger, stopOnSignals } from "../controllers/index.js";
import { createFileLogStore } from "../observe/index.js";
import type { ObjectKey } from "../resources/index.js";
import { keyring, loadSecretKey } from "../secrets/index.js";
import { createSpecValidator } from "../spec/index.js";
import { openSqliteStore } from "../store/index.js";
import { startArtifactGc } from "./artifact-gc.js";
import { startServerBuildEgress } from "./build-egress.js";
import { createGvisorBuildSandbox } from "./build-sandbox.js";
import { startIdleCompaction } from "./idle-compaction.js";
import { startLocalRuntime } from "./local-runtime.js";
import { startRouterRuntime } from "./router-runtime.js";
import { createServerBuilder } from "./server-builder.js";
import { codeSourceOf, temporaryCheckout } from "./source-checkout.js";

/**
 * Limits of one build: one of the machine's CPUs, so running apps keep the rest, 2 GiB of memory
 * (npm and pip installs of real apps fit) and 15 minutes of wall time.
 */
const BUILD_LIMITS = { memoryMiB: 2048, cpus: 1, timeoutMs: 15 * 60_000 };

/** Where apps are served by default: `http://<app>.localhost:8080`. */
export const DEFAULT_HTTP_LISTEN = "127.0.0.1:8080";

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
      "registry-mirror": { type: "string", multiple: true },
      verbose: { type: "boolean", short: "v" },
      "stop-instances-on-exit": { type: "boolean" },
    },
  });
  const dataDir = values["data-dir"] ?? process.env.SLIPWAY_DATA_DIR ?? "/var/lib/slipway";
  const { host, port } = parseListen(values.listen ?? DEFAULT_LISTEN);
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
  });
  log.info("instances a previous server left", {
    adopted: localRuntime.adoption.kept.length,
    stopped: localRuntime.adoption.stopped.length,
  });
  // After the local runtime, which clears the network prefix at start (ADR 0019).
  const buildEgress = await startServerBuildEgress(values["network-prefix"], values["build-egress-allow"]);
  const builder = createServerBuilder({
    ...sourcePolicy,
    registryMirrors: parseMirrors(values["registry-mirror"] ?? []),
    secrets,
    store,
    buildRoot,
    stacksRoot: values["stacks-dir"] ?? join(dataDir, "stacks"),
    runInSandbox: createGvisorBuildSandbox({ workDir: join(buildRoot, "sandboxes"), egress: buildEgress }),
    limits: BUILD_LIMITS,
  });
  const manager = createSlipwayManager({
    store,
    log,
    builder,
    instanceDriver: localRuntime.driver,
    onBuildLogLine: (key, line) => logs.append(buildStream(key), line),
    buildLogRef: (key) => logs.ref(buildStream(key)),
  });
  await manager.start();
  const http = parseListen(values["http-listen"] ?? DEFAULT_HTTP_LISTEN);
  if (http.port === 0) http.port = await freePort(http.host);
  const router = await startRouterRuntime({
    store,
    dataDir,
    artifactsRoot: join(buildRoot, "artifacts"),
    bindAddress: http.host,
    httpPort: http.port,
    baseDomain,
    onError: (err) =>
      log.error("router apply failed", { error: err instanceof Error ? err.message : String(err) }),
    onApplied: (summary) => log.info("router applied", { ...summary }),
  });
  if (router.adopted) log.info("adopted the HAProxy a previous server left", {});
  const app = createApi({
    store,
    secrets,
    logs,
    uploads,
    checkout: (source, signal) =>
      temporaryCheckout(sourcePolicy, join(buildRoot, "work"), codeSourceOf(source), { signal }),
    validator: createSpecValidator(),
    now: () => new Date(),
    randomId: () => randomBytes(8).toString("hex"),
    baseDomain: http.port === 80 ? baseDomain : `${baseDomain}:${http.port}`,
  });
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
  process.stdout.write(
    `slipway: API listening on ${api.url}\nslipway: apps served at http://<app>.${baseDomain}:${http.port}\nslipway: admin token in ${tokenPath}\n`,
  );
  const stopEverything = values["stop-instances-on-exit"] === true;
  return new Promise<number>((resolve) => {
    stopOnSignals(
      {
        stop: async () => {
          stopCompaction();
          stopArtifactGc();
          await api.close();
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
