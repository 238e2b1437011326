/**
 * Sets up this machine's runtime for `slipway server`: the app networks (Slipway's own nft table,
 * bridges and namespaces with a prefix) and the instance driver. Sandboxes outlive the server
 * (ADR 0026): at start, the ones a previous server left that still match an Instance are adopted
 * by the driver, the rest are stopped and their namespaces removed; at exit the driver lets go of
 * its instances (`release`) unless the server was told to stop them (`stopAll`).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { listStacks } from "../build/index.js";
import type { InstanceDriver, JobRunner } from "../controllers/index.js";
import type { LogStore } from "../observe/index.js";
import { createAppNetworkHost, listInstances, type SandboxRuntimeName } from "../runtime/local/index.js";
import type { Keyring } from "../secrets/index.js";
import type { Store } from "../store/index.js";
import { type Adoption, prepareAdoption } from "./adopt-instances.js";
import { createLocalInstanceDriver } from "./local-instance-driver.js";
import { createLocalJobRunner } from "./local-job-runner.js";

const run = promisify(execFile);

/** Options of {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  store: Store;
  /** `<dataDir>/runtime` holds runsc state, bundles and hosts files. */
  dataDir: string;
  artifactsRoot: string;
  stacksRoot: string;
  logs: LogStore;
  secrets?: Keyring;
  baseDomain: string;
  /** Names of bridges, namespaces and the nft table start with it; default `slw`. */
  networkPrefix?: string;
  /** What instances run in (ADR 0027); default `runsc`. */
  sandbox?: SandboxRuntimeName;
}

/** The runtime of one server. */
export interface LocalRuntime {
  driver: InstanceDriver;
  /** Runs job invocations in sandboxes like the app's instances (ADR 0025). */
  jobRunner: JobRunner;
  /** What was kept for adoption and stopped at start. */
  adoption: Pick<Adoption, "kept" | "stopped">;
  /** Lets go of every instance, leaving sandboxes and networks running for the next server. */
  release(): Promise<void>;
  /**
   * Stops every instance (SIGTERM, SIGKILL after `graceMs`), then kills what is left in runsc's
   * state and removes every app network of this server (at shutdown).
   */
  stopAll(graceMs: number): Promise<void>;
}

/** How long kept sandboxes wait to be claimed by the instance controller before they are stopped. */
const CLAIM_WINDOW_MS = 120_000;

/** Adopts or removes what a previous server left, and returns the driver. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const workRoot = join(options.dataDir, "runtime");
  const stateRoot = join(workRoot, "state");
  const network = createAppNetworkHost({ prefix: options.networkPrefix ?? "slw" });
  const quietly = (args: string[]) =>
    run("runsc", ["--root", stateRoot, ...args], { timeout: 5000 }).catch(() => undefined);
  const removeAll = async () => {
    for (const left of await listInstances(stateRoot).catch(() => [])) {
      await quietly(["kill", left.id, "KILL"]);
      await quietly(["delete", "--force", left.id]);
    }
    await network.removeAll();
  };
  const stackRootfs = async (version: string) => {
    const { stacks } = await listStacks(options.stacksRoot);
    const stack = stacks.find((s) => s.version === version);
    if (stack === undefined)
      throw new Error(
        `the stack version ${version} an artifact was built on is not installed in ${options.stacksRoot}`,
      );
    return join(options.stacksRoot, stack.name, stack.rootfs);
  };
  const paths = {
    stateRoot,
    bundleRoot: join(workRoot, "bundles"),
    outputRoot: join(workRoot, "output"),
    hostsRoot: join(workRoot, "hosts"),
  };
  const adoption = await prepareAdoption({ store: options.store, network, paths });
  const sweep = setTimeout(() => void adoption.sweepUnclaimed().catch(() => undefined), CLAIM_WINDOW_MS);
  sweep.unref();
  const driver = createLocalInstanceDriver({
    store: options.store,
    network,
    artifactsRoot: options.artifactsRoot,
    stackRootfs,
    workRoot,
    logs: options.logs,
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    baseDomain: options.baseDomain,
    tls: false,
    ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
    adoption,
  });
  const jobRunner = createLocalJobRunner({
    store: options.store,
    network,
    artifactsRoot: options.artifactsRoot,
    stackRootfs,
    workRoot,
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    baseDomain: options.baseDomain,
    tls: false,
  });
  return {
    driver,
    jobRunner,
    adoption,
    release: async () => {
      clearTimeout(sweep);
      await driver.releaseAll();
    },
    stopAll: async (graceMs) => {
      clearTimeout(sweep);
      await driver.stopAll(graceMs);
      await removeAll();
    },
  };
}
