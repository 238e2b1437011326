/**
 * The InstanceDriver of `slipway server` on one machine: each Instance runs in its own gVisor
 * sandbox (runtime/local startInstance) in its app's network, from its artifact on the read-only
 * stack, with the run-time env resolved (secrets decrypted, bindable variables filled), under a
 * supervisor that restarts it with backoff, and a readiness health check that decides `ready`.
 * Output goes to the RUN log stream, restarts to RUN_RESTARTED. An instance that crashes three
 * times or fails its readiness check `failure_threshold` times before it was ever ready is
 * reported Failed (with the reason and its last lines), which fails its deployment.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AnyStoredArtifact, readAnyArtifact } from "../build/index.js";
import type { InstanceDriver, InstanceObservation, RunningInstance } from "../controllers/index.js";
import type { LogStore } from "../observe/index.js";
import type { Deployment, Instance } from "../resources/index.js";
import {
  type AppNetworkHost,
  adoptInstance,
  type DetachedInstanceHandle,
  healthCheckSettings,
  type InstanceNetwork,
  instanceLimits,
  renderHostsFile,
  type SandboxRuntimeName,
  type StartInstanceOptions,
  startDetachedInstance,
  startHealthCheck,
  startHostInstance,
  superviseInstance,
} from "../runtime/local/index.js";
import type { Keyring } from "../secrets/index.js";
import type { ServiceSpec } from "../spec/index.js";
import type { Store } from "../store/index.js";
import { type Adoption, resumedObservation, sandboxLabels } from "./adopt-instances.js";
import { deploymentEnv } from "./deployment-env.js";
import { createHostsBook } from "./hosts-book.js";
import { plainSpec } from "./plain-spec.js";

/** Options of {@link createLocalInstanceDriver}. */
export interface LocalInstanceDriverOptions {
  store: Store;
  network: AppNetworkHost;
  /** Where artifacts are (`<root>/<id>/`). */
  artifactsRoot: string;
  /** The stack's root file system by stack version (from the artifact's metadata). */
  stackRootfs: (version: string) => Promise<string>;
  /** Holds runsc state, bundles and generated hosts files. */
  workRoot: string;
  logs: LogStore;
  secrets?: Keyring;
  /** Apps are at `<app>.<baseDomain>`. */
  baseDomain: string;
  tls: boolean;
  /** Restarts before an instance that was never ready is reported Failed; default 3. */
  failAfterRestarts?: number;
  /** Lines of output kept for the failure message; default 20. */
  tailLines?: number;
  /** What instances run in (ADR 0027); default `runsc`. */
  sandbox?: SandboxRuntimeName;
  /** Sandboxes a previous server left running, adopted instead of started (ADR 0026). */
  adoption?: Pick<Adoption, "claim">;
}

type Component = ServiceSpec;

/**
 * How soon a starting instance's failed readiness probe is retried: it takes traffic within this
 * much of listening instead of at its next period (health-check.ts, startup probing).
 */
const STARTUP_PROBE_MS = 100;

/** The least time an instance gets to pass its readiness check before it counts as failed. */
const STARTUP_GRACE_MS = 60_000;

/** How long a worker must stay up to count as started. */
const WORKER_SETTLE_MS = 3000;

function componentOf(deployment: Deployment, instance: Instance, spec = deployment.spec.appSpec): Component {
  const list = (spec[instance.spec.componentKind] ?? []) as Component[];
  const found = list.find((c) => c.name === instance.spec.component);
  if (found === undefined)
    throw new Error(`deployment ${deployment.metadata.name} has no ${instance.spec.component}`);
  return found;
}

/**
 * What startInstance needs of either artifact format: a stack artifact runs on the stack with its
 * app tree; an image artifact is its own root file system with its entrypoint and cmd. (The job
 * runner starts jobs the same way.)
 */
export function instanceArtifact(stored: AnyStoredArtifact, component: Pick<Component, "run_command">) {
  const m = stored.metadata;
  if (m.format !== "image") {
    const app = stored as Extract<AnyStoredArtifact, { appDir: string }>;
    return {
      artifact: { appDir: app.appDir, metadata: app.metadata },
      image: undefined,
      stackVersion: app.metadata.stackVersion,
    };
  }
  const rootfs = (stored as Extract<AnyStoredArtifact, { rootfsDir: string }>).rootfsDir;
  const exposed = Number.parseInt(m.exposedPorts[0] ?? "", 10);
  const workingDir = m.workingDir === "" ? "/" : m.workingDir;
  return {
    artifact: {
      appDir: rootfs,
      metadata: {
        id: m.id,
        ...(Number.isInteger(exposed) ? { httpPort: exposed } : {}),
        workdir: workingDir,
        env: m.env,
        ...(component.run_command === undefined ? {} : { runCommand: component.run_command }),
      },
    },
    image: { rootfs, args: [...m.entrypoint, ...m.cmd], workingDir, env: m.env },
    stackVersion: undefined,
  };
}

/** The local driver, plus `stopAll` for the server's shutdown. */
export interface LocalInstanceDriver extends InstanceDriver {
  /** Stops every instance this driver runs (SIGTERM, SIGKILL after `graceMs`). */
  stopAll(graceMs: number): Promise<void>;
  /** Stops watching every instance and leaves them running for the next server (ADR 0026). */
  releaseAll(): Promise<void>;
}

/** The local driver. */
export function createLocalInstanceDriver(options: LocalInstanceDriverOptions): LocalInstanceDriver {
  const running = new Set<RunningInstance & { release(): Promise<void> }>();
  const stateRoot = join(options.workRoot, "state");
  const bundleRoot = join(options.workRoot, "bundles");
  const hostsRoot = join(options.workRoot, "hosts");
  const outputDir = join(options.workRoot, "output");
  const failAfter = options.failAfterRestarts ?? 3;
  // Names of the app's components in every running sandbox's /etc/hosts, kept true (ADR 0027).
  const book = createHostsBook();
  const sandbox = options.sandbox ?? "runsc";
  // gVisor sandboxes start detached, so the next server can adopt them (ADR 0026); bubblewrap
  // and plain processes cannot be adopted: letting go of them stops them.
  const launch = async (o: StartInstanceOptions): Promise<DetachedInstanceHandle> => {
    if (sandbox === "runsc") return startDetachedInstance({ ...o, outputDir });
    const handle = await startHostInstance({ ...o, runtime: sandbox });
    return {
      ...handle,
      release: async () => {
        await handle.stop({ graceMs: 5000 });
      },
    };
  };
  return {
    async stopAll(graceMs) {
      await Promise.all([...running].map((r) => r.stop(graceMs).catch(() => undefined)));
    },
    async releaseAll() {
      await Promise.all([...running].map((r) => r.release().catch(() => undefined)));
    },
    async run({ instance, deployment, onChange }): Promise<RunningInstance> {
      const namespace = instance.metadata.namespace ?? "";
      const name = instance.metadata.name;
      const stored = await readAnyArtifact(options.artifactsRoot, instance.spec.artifactId);
      if (stored === undefined)
        throw new Error(`artifact ${instance.spec.artifactId} is not on this machine`);
      const spec = plainSpec(deployment, options.secrets);
      const component = componentOf(deployment, instance, spec);
      const { artifact, image, stackVersion } = instanceArtifact(stored, component);
      const port = component.http_port ?? artifact.metadata.httpPort ?? 8080;
      const kind = instance.spec.componentKind === "services" ? "service" : "worker";
      const env = deploymentEnv(
        deployment,
        spec,
        { kind, name: component.name },
        artifact.metadata.env,
        options,
      );
      const size = instanceLimits(component.instance_size_slug);
      const stackRootfs = image?.rootfs ?? (await options.stackRootfs(stackVersion ?? ""));
      const adopted = options.adoption?.claim(instance);
      const resumed = resumedObservation(instance, adopted);
      await options.network.ensureApp(instance.spec.appUid);
      const net: InstanceNetwork = adopted?.net ?? (await options.network.attach(instance.spec.appUid));
      const runLog = { namespace, type: "RUN" as const, name };
      if (resumed.crashedWhileDown)
        options.logs.append(
          { namespace, type: "RUN_RESTARTED", name },
          "its sandbox ended while the server was down; starting it again",
        );
      const tail: string[] = [];
      let state: InstanceObservation = {
        phase: resumed.ready ? "Running" : "Starting",
        ready: resumed.ready,
        restarts: resumed.restarts,
        address: net.ip,
        port,
        ...(adopted === undefined || instance.status?.startedAt === undefined
          ? {}
          : { startedAt: instance.status.startedAt }),
        ...(resumed.ready && instance.status?.readyAt !== undefined
          ? { readyAt: instance.status.readyAt }
          : {}),
      };
      const appUid = instance.spec.appUid;
      const set = (changes: Partial<InstanceObservation>) => {
        state = { ...state, ...changes };
        if (state.phase !== "Stopped")
          void book
            .set(appUid, name, { component: component.name, ip: net.ip, ready: state.ready })
            .catch(() => undefined);
        onChange();
      };
      let everReady = resumed.everReady;
      const readiness = healthCheckSettings(component.health_check, port, "readiness");
      // A slow start is not a failure: the readiness check may fail for this long (at least 60 s,
      // or the check's own initial delay plus its failure threshold) before the instance fails.
      const startupWindowMs = Math.max(
        STARTUP_GRACE_MS,
        (readiness.initialDelaySeconds + readiness.periodSeconds * readiness.failureThreshold) * 1000,
      );
      const checks = new Set<{ stop(): Promise<void> }>();
      const hostsFiles = new Set<string>();
      const liveness = component.liveness_health_check;
      const supervisor = superviseInstance({
        // A crashed instance is back within about a second (sandbox start included); repeated
        // crashes still back off, doubling to 5 minutes.
        backoff: { initialMs: 250 },
        ...(liveness === undefined
          ? {}
          : { liveness: { settings: healthCheckSettings(liveness, port, "liveness") } }),
        start: async (attempt) => {
          const resuming = adopted !== undefined && attempt === 0;
          const onLine = (_stream: "stdout" | "stderr", line: string) => {
            tail.push(line);
            if (tail.length > (options.tailLines ?? 20)) tail.shift();
            options.logs.append(runLog, line);
          };
          let handle: DetachedInstanceHandle;
          if (resuming) {
            // Its hosts file joins the book: the next change of the app's instances rewrites it.
            await book.set(appUid, name, { component: component.name, ip: net.ip, ready: state.ready });
            book.addFile(appUid, name, adopted.hostsFile);
            hostsFiles.add(adopted.hostsFile);
            handle = await adoptInstance({
              listed: adopted.listed,
              stateRoot,
              bundleRoot,
              outputDir,
              onLine,
            });
          } else {
            await options.network.reset(net);
            const id = `${name}-${attempt + (adopted?.attempt ?? resumed.restarts)}`;
            const hostsFile = join(hostsRoot, id);
            await mkdir(hostsRoot, { recursive: true });
            await book.set(appUid, name, { component: component.name, ip: net.ip, ready: false });
            await writeFile(hostsFile, renderHostsFile(book.entries(appUid)));
            book.addFile(appUid, name, hostsFile);
            hostsFiles.add(hostsFile);
            handle = await launch({
              id,
              artifact,
              stackRootfs,
              ...(image === undefined ? {} : { image }),
              ...(component.run_command === undefined ? {} : { runCommand: component.run_command }),
              env,
              size,
              network: { netnsPath: net.netnsPath, ip: net.ip },
              hostsFile,
              labels: sandboxLabels(instance),
              port,
              stateRoot,
              bundleRoot,
              onLine,
            });
            set({ phase: "Starting", ready: false, startedAt: new Date().toISOString() });
          }
          const startedAtMs = resuming ? Date.parse(state.startedAt ?? "") || Date.now() : Date.now();
          if (instance.spec.componentKind === "workers") {
            // A worker has no readiness check: it is ready once it stays up (its liveness check,
            // if any, restarts it through the supervisor).
            const timer = setTimeout(() => {
              if (state.ready) return;
              everReady = true;
              void handle.started();
              set({ phase: "Running", ready: true, readyAt: state.readyAt ?? new Date().toISOString() });
            }, WORKER_SETTLE_MS);
            void handle.wait().finally(() => clearTimeout(timer));
            return handle;
          }
          const check = startHealthCheck({
            settings: readiness,
            ...(resuming && state.ready ? { initialState: "ready" as const } : {}),
            host: net.ip,
            startupIntervalMs: STARTUP_PROBE_MS,
            // Every probe: readiness flips, and the failure count matters before the first ready.
            onProbe: (health) => {
              if (health.state === "ready") {
                everReady = true;
                // Ready: the startup CPU boost has done its job (ADR 0029).
                void handle.started();
                if (!state.ready)
                  set({ phase: "Running", ready: true, readyAt: state.readyAt ?? new Date().toISOString() });
              } else if (
                !everReady &&
                health.consecutiveFailures >= readiness.failureThreshold &&
                Date.now() - startedAtMs >= startupWindowMs
              ) {
                if (state.phase !== "Failed")
                  set({
                    phase: "Failed",
                    ready: false,
                    message: `failed its readiness health check ${health.consecutiveFailures} times (${health.lastError ?? "no answer"}); last output: ${tail.slice(-5).join(" | ")}`,
                  });
              } else if (state.ready)
                set({
                  ready: false,
                  ...(health.lastError === undefined ? {} : { message: health.lastError }),
                });
            },
          });
          checks.add(check);
          void handle.wait().finally(() => {
            checks.delete(check);
            void check.stop();
          });
          return handle;
        },
        onEvent: (event) => {
          if (event.type === "RUN_RESTARTED") {
            const how = event.oomKilled
              ? `killed for exceeding its memory limit of ${size.memoryMiB} MiB`
              : event.reason === "liveness"
                ? "restarted after failing its liveness check"
                : event.signal !== undefined
                  ? `ended by ${event.signal}`
                  : `exited with code ${event.exitCode}`;
            options.logs.append(
              { namespace, type: "RUN_RESTARTED", name },
              `${how}; restart ${event.restartCount} in ${event.delayMs} ms`,
            );
            const lastTermination = {
              ...(event.exitCode === null ? {} : { exitCode: event.exitCode }),
              ...(event.signal === undefined ? {} : { signal: event.signal }),
              oomKilled: event.oomKilled,
              at: event.at,
              reason: how,
            };
            const failed = !everReady && event.restartCount >= failAfter;
            set({
              restarts: resumed.restarts + event.restartCount,
              ready: false,
              lastTermination,
              ...(failed
                ? {
                    phase: "Failed" as const,
                    message: `${how}, ${event.restartCount} times before it was ever ready; last output: ${tail.slice(-5).join(" | ")}`,
                  }
                : { phase: "Starting" as const }),
            });
          } else if (event.type === "RUN_START_FAILED") {
            options.logs.append(
              { namespace, type: "RUN_RESTARTED", name },
              `could not start: ${event.error}`,
            );
            if (!everReady && event.attempt + 1 >= failAfter)
              set({ phase: "Failed", ready: false, message: `could not start: ${event.error}` });
          }
        },
      });
      const handle: RunningInstance & { release(): Promise<void> } = {
        state: () => state,
        release: async () => {
          running.delete(handle);
          for (const check of checks) await check.stop();
          await supervisor.release();
        },
        stop: async (graceMs) => {
          running.delete(handle);
          for (const check of checks) await check.stop();
          await supervisor.stop({ graceMs });
          await book.remove(appUid, name);
          await options.network.detach(net.netns);
          for (const file of hostsFiles) await rm(file, { force: true });
          set({ phase: "Stopped", ready: false });
        },
      };
      running.add(handle);
      return handle;
    },
  };
}
