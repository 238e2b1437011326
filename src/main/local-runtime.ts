/**
 * Sets up this machine's runtime for `slipway server`: the app networks (Slipway's own nft table,
 * bridges and namespaces with a prefix), the instance driver, and a clean slate at start. Running
 * instances are not adopted across a server restart yet: sandboxes and networks a previous server
 * left are removed, and the rollout controller starts the ACTIVE deployments' instances again.
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
  /**
   * Stops every instance (SIGTERM, SIGKILL after `graceMs`), then kills what is left in runsc's
   * state and removes every app network of this server (at shutdown).
   */
  stopAll(graceMs: number): Promise<void>;
}

/** Removes what a previous server left, and returns the driver. */
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
  await removeAll();
  const stackRootfs = async (version: string) => {
    const { stacks } = await listStacks(options.stacksRoot);
    const stack = stacks.find((s) => s.version === version);
    if (stack === undefined)
      throw new Error(
        `the stack version ${version} an artifact was built on is not installed in ${options.stacksRoot}`,
      );
    return join(options.stacksRoot, stack.name, stack.rootfs);
  };
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
    stopAll: async (graceMs) => {
      await driver.stopAll(graceMs);
      await removeAll();
    },
  };
}
