/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution) on a random loopback
 * port with its own storage folder, never the system service. `startStackRegistry` also holds
 * Slipway's stack image (`slipway/stack:<stack name>`, `:<suite>`, `:latest`), so Dockerfiles
 * saying `FROM slipway/stack:bookworm` build offline. Pushing the ~1 GB stack takes about a
 * minute, so the pushed storage is cached per stack version under /var/cache/slipway/test-registry
 * and later restored with hard links (blobs never change in place).
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { BuildStackResult } from "../../src/build/index.js";
import { freePort } from "./haproxy.js";
import { waitFor } from "./wait-for.js";

const exec = promisify(execFile);

/** Where pushed registry storage is cached, one folder per stack name. */
export const REGISTRY_CACHE = "/var/cache/slipway/test-registry";

/** A running registry. */
export interface OciRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT`: a registry mirror URL. */
  url: string;
  storageDir: string;
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void>;
}

/** Starts `docker-registry serve` on a free loopback port with storage in `storageDir`. */
export async function startOciRegistry(storageDir: string): Promise<OciRegistry> {
  await mkdir(storageDir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(storageDir, "..", `registry-${process.pid}-${port}.yml`);
    await writeFile(
      config,
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${storageDir}\n` +
        `  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
          return (await fetch(`${url}/v2/`).catch(() => undefined))?.ok === true;
        },
        15_000,
        `docker-registry on ${url}`,
      );
    } catch (err) {
      await stopChild(child, exited);
      if (attempt < 3) continue; // the port was taken between probing and binding
      throw err;
    }
    return {
      host: `127.0.0.1:${port}`,
      url,
      storageDir,
      stop: async () => {
        await stopChild(child, exited);
        await rm(config, { force: true });
      },
    };
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

/** Runs buildah with its own storage under `root` (vfs), failing with its output. */
export async function buildah(root: string, args: readonly string[]): Promise<string> {
  const global = [`--root=${root}/storage`, `--runroot=${root}/run`, "--storage-driver=vfs"];
  try {
    const { stdout } = await exec("buildah", [...global, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`buildah ${args.join(" ")}: ${e.stderr ?? e.message}`);
  }
}

/**
 * Pushes a directory tree as a one-layer image `repository:tag` into `registry`, with `config`
 * (`buildah config` flags). Uses and then removes buildah storage under `work`.
 */
export async function pushTreeImage(
  registry: OciRegistry,
  work: string,
  tree: string,
  refs: readonly string[],
  config: readonly string[] = [],
): Promise<void> {
  const root = join(work, `buildah-seed-${process.pid}-${Date.now()}`);
  try {
    const ctr = await buildah(root, ["from", "scratch"]);
    const mount = await buildah(root, ["mount", ctr]);
    await exec("cp", ["-a", `${tree}/.`, `${mount}/`]);
    if (config.length > 0) await buildah(root, ["config", ...config, ctr]);
    const local = `localhost/seed:${process.pid}`;
    await buildah(root, ["commit", "--quiet", ctr, local]);
    for (const ref of refs)
      await buildah(root, [
        "push",
        "--quiet",
        "--tls-verify=false",
        local,
        `docker://${registry.host}/${ref}`,
      ]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The manifest digest of `ref` (`repository:tag`) in `registry`, as the registry reports it. */
export async function registryDigest(registry: OciRegistry, ref: string): Promise<string> {
  const [repo, tag] = ref.split(":") as [string, string];
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      accept:
        "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
    },
  });
  const digest = res.headers.get("docker-content-digest");
  if (!res.ok || digest === null) throw new Error(`${registry.url}: no manifest for ${ref} (${res.status})`);
  return digest;
}

/** The tags the stack image gets: its full name, its suite, and `latest`. */
export function stackImageTags(stack: BuildStackResult): string[] {
  return [stack.info.name, stack.info.definition.suite, "latest"];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(join(lock, ".."), { recursive: true });
  for (let waited = 0; ; waited += 250) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number(await readFile(join(lock, "pid"), "utf8").catch(() => ""));
    let alive = true;
    try {
      if (holder > 0) process.kill(holder, 0);
    } catch {
      alive = false;
    }
    if (!alive) await rm(lock, { recursive: true, force: true });
    else if (waited > 900_000) throw new Error(`waited too long for ${lock}`);
    else await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** A registry holding the stack image, and how its content got there. */
export interface StackRegistry extends OciRegistry {
  seed: { source: "cache" | "pushed"; ms: number };
}

/**
 * Starts a registry in `work/registry` holding `slipway/stack` tagged as stackImageTags says:
 * restored from REGISTRY_CACHE when there, else pushed from the stack's root file system (and
 * cached for the next test file). The image's config sets PATH and working directory `/`.
 */
export async function startStackRegistry(stack: BuildStackResult, work: string): Promise<StackRegistry> {
  const started = performance.now();
  const storageDir = join(work, "registry");
  const cached = join(REGISTRY_CACHE, stack.info.name);
  const source = await withLock(`${cached}.lock`, async () => {
    if (await exists(cached)) {
      await mkdir(storageDir, { recursive: true });
      // Blobs are hard links (never rewritten by the registry); tag links are small, so copied.
      await exec("cp", ["-al", `${cached}/docker`, `${storageDir}/`]);
      await rm(join(storageDir, "docker/registry/v2/repositories"), { recursive: true, force: true });
      await exec("cp", [
        "-a",
        `${cached}/docker/registry/v2/repositories`,
        `${storageDir}/docker/registry/v2/`,
      ]);
      return "cache" as const;
    }
    const registry = await startOciRegistry(storageDir);
    try {
      const refs = stackImageTags(stack).map((t) => `slipway/stack:${t}`);
      const path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
      await pushTreeImage(registry, work, stack.rootfs, refs, [`--env=${path}`, "--workingdir=/"]);
    } finally {
      await registry.stop();
    }
    const tmp = `${cached}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await exec("cp", ["-a", storageDir, tmp]);
    await rename(tmp, cached);
    return "pushed" as const;
  });
  const registry = await startOciRegistry(storageDir);
  return { ...registry, seed: { source, ms: Math.round(performance.now() - started) } };
}
