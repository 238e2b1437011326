/**
 * One source build, in the phases of Cloud Native Buildpacks: detect, restore (the dependency
 * cache), build (install, then the build command, each in a gVisor sandbox on the stack), export
 * (a content-addressed artifact). A build whose artifact id already exists is not run again.
 * See docs/adr/0008-build-lifecycle.md.
 */
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { type Detection, detect, directoryTree, HIDDEN_NAMES } from "../../detect/index.js";
import type { EnvVarSpec } from "../../spec/index.js";
import { artifactId, type BuildFieldValues } from "./artifact-id.js";
import { APP_MOUNT, publishArtifact, readArtifact, type StoredArtifact } from "./artifact-store.js";
import { type BuildEnv, buildEnvs } from "./build-envs.js";
import { BuildError, type BuildPhase, describeOutcome, type PhaseFailure } from "./build-error.js";
import {
  CACHE_ENV,
  CACHE_MOUNT,
  DependencyCacheLeases,
  lockfileHash,
  takeDependencyCache,
} from "./dependency-cache.js";
import { createLineSplitter, createMasker } from "./mask-secrets.js";
import type { BuildMount, RunInSandbox, SandboxRequest } from "./run-in-sandbox.js";
import { sourceDigest } from "./source-digest.js";

/** A spec component as far as the build reads it. */
export interface BuildComponent extends BuildFieldValues {
  envs?: EnvVarSpec[];
}

/** Resource limits of one build; `timeoutMs` bounds all its sandboxed commands together. */
export interface BuildLimits {
  memoryMiB: number;
  cpus: number;
  timeoutMs: number;
}

/** Options of {@link runBuild}. */
export interface RunBuildOptions {
  /** The checked-out source (the repository root). Never written to. */
  source: string;
  /** The component's folder within `source`; default the component's `source_dir`, else the root. */
  sourceDir?: string;
  component: BuildComponent;
  /** App-level envs; the component's envs override them by key. Default none. */
  appEnvs?: readonly EnvVarSpec[];
  /** The stack builds run on: its version (part of the id) and root file system. */
  stack: { version: string; rootfs: string };
  /** Where artifacts are published (`<id>/`). */
  artifactsRoot: string;
  /** Where dependency caches are kept (`<group>/<lockfile hash>/`). */
  cacheRoot: string;
  /**
   * Builds with different scopes never share a dependency cache (lockfileHash); the server passes
   * the app's uid. Default none: every build with the same lockfiles shares one.
   */
  cacheScope?: string;
  /**
   * Where the build holds its dependency cache while it runs. Shared with the collector
   * (collectDependencyCaches) so that a cache in use is never removed; default a private one.
   */
  cacheLeases?: DependencyCacheLeases;
  /** Where temporary workspaces are made; same file system as `artifactsRoot` avoids a copy. */
  workRoot: string;
  runInSandbox: RunInSandbox;
  limits: BuildLimits;
  /** Receives every log line as it happens, SECRET values masked. */
  log: (line: string) => void;
  /**
   * A PEM bundle on the host that builds trust for TLS instead of the stack's own, e.g. the host's
   * bundle when egress goes through an intercepting proxy. Mounted read-only at CA_MOUNT and named
   * by SSL_CERT_FILE, PIP_CERT, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, npm_config_cafile and
   * GIT_SSL_CAINFO. Default none: the stack's ca-certificates.
   */
  caFile?: string;
  /** Size of the sandbox's `/tmp` in MiB; default 256. */
  tmpMiB?: number;
  /** Clock for `createdAt`; default the system clock. */
  now?: () => Date;
  /** Stops the build: the running command is killed and runBuild rejects. Default none. */
  signal?: AbortSignal;
  /** Build even when an artifact with the same id exists (the existing one is kept). Default false. */
  force?: boolean;
}

/** A finished build: the artifact, and whether it was reused rather than built. */
export interface BuildResult extends StoredArtifact {
  id: string;
  reused: boolean;
  durationMs: number;
}

const BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const VENV = `${APP_MOUNT}/.venv`;
const LOG_TAIL_LINES = 30;
/** Where `caFile` is shown inside the build sandbox. */
export const CA_MOUNT = "/etc/ssl/slipway-build-ca.pem";
const CA_ENV = [
  "SSL_CERT_FILE",
  "PIP_CERT",
  "REQUESTS_CA_BUNDLE",
  "NODE_EXTRA_CA_CERTS",
  "npm_config_cafile",
  "GIT_SSL_CAINFO",
];

interface Ctx {
  options: RunBuildOptions;
  log: (line: string) => void;
  /** A BuildError with the log tail and the detail masked (a command line may hold a secret). */
  fail: (failure: PhaseFailure, detail: string, cause?: unknown) => BuildError;
  tail: string[];
  deadline: number;
}

/**
 * Builds the component's source into an artifact, or returns the existing artifact with the same
 * id (`reused: true`, nothing run). Throws BuildError naming the phase and the exit code (or the
 * limit reached) on failure; the log has then received every line, and no workspace nor
 * `<id>.tmp` is left. Only BUILD_TIME and RUN_AND_BUILD_TIME envs reach the build.
 */
export async function runBuild(options: RunBuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const envs = buildEnvs(options.appEnvs, options.component.envs);
  const ctx = createContext(options, envs);
  const { detection, dir, rel } = detectPhase(ctx);
  const id = artifactId({
    sourceDigest: await sourceDigest(dir),
    builder: detection.group,
    component: { ...options.component, source_dir: rel },
    envs,
    stackVersion: options.stack.version,
  });
  ctx.log(`artifact id ${id}`);
  const existing = options.force === true ? undefined : await readArtifact(options.artifactsRoot, id);
  const elapsed = () => Math.round(performance.now() - started);
  if (existing !== undefined) {
    ctx.log(`reusing artifact ${id} (built ${existing.metadata.createdAt})`);
    return { ...existing, id, reused: true, durationMs: elapsed() };
  }
  await mkdir(options.workRoot, { recursive: true });
  const workspace = await mkdtemp(join(options.workRoot, "build-"));
  try {
    const stored = await buildIn(ctx, { id, dir, detection, envs, workspace });
    ctx.log(`exported artifact ${id} (${stored.metadata.sizeBytes} bytes) in ${elapsed()} ms`);
    return { ...stored, id, reused: false, durationMs: elapsed() };
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

function createContext(options: RunBuildOptions, envs: readonly BuildEnv[]): Ctx {
  const mask = createMasker(envs.filter((e) => e.secret).map((e) => e.value));
  const tail: string[] = [];
  const log = (line: string) => {
    const masked = mask(line);
    tail.push(masked);
    if (tail.length > LOG_TAIL_LINES) tail.shift();
    options.log(masked);
  };
  const fail = (failure: PhaseFailure, detail: string, cause?: unknown) =>
    new BuildError(failure, mask(detail), [...tail], cause);
  return { options, log, fail, tail, deadline: performance.now() + options.limits.timeoutMs };
}

/** Detection on the source tree; the component folder as a host path and relative to the source. */
function detectPhase(ctx: Ctx): { detection: Detection; dir: string; rel: string } {
  const { options } = ctx;
  const rel = posix
    .normalize(`/${options.sourceDir ?? options.component.source_dir ?? ""}`)
    .replace(/^\/+|\/+$/g, "");
  const found = detect(directoryTree(options.source), { sourceDir: rel });
  if (!found.ok) {
    ctx.log(`detect: ${found.error.message}`);
    const failure = { phase: "detect" as const, exitCode: null, timedOut: false, oomKilled: false };
    throw ctx.fail(failure, found.error.message);
  }
  const d = found.value;
  if (d.group === "dockerfile") {
    const failure = { phase: "detect" as const, exitCode: null, timedOut: false, oomKilled: false };
    throw ctx.fail(failure, "the source has a Dockerfile; Dockerfile builds are not source builds");
  }
  ctx.log(
    `detect: ${d.group} (${d.language}${d.framework === undefined ? "" : `, ${d.framework}`}); ${d.evidence.join("; ")}`,
  );
  return { detection: d, dir: rel === "" ? options.source : join(options.source, rel), rel };
}

interface BuildInput {
  id: string;
  dir: string;
  detection: Detection;
  envs: readonly BuildEnv[];
  workspace: string;
}

async function buildIn(ctx: Ctx, input: BuildInput): Promise<StoredArtifact> {
  const { options } = ctx;
  const { detection, workspace } = input;
  const app = join(workspace, "app");
  await cp(input.dir, app, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (src) => !HIDDEN_NAMES.some((h) => src.endsWith(`/${h}`)),
  });
  const { dir: cache, release } = await restorePhase(ctx, input);
  try {
    const env = sandboxEnv(detection, input.envs, options.caFile !== undefined);
    const install =
      detection.group === "python" && detection.installCommand !== undefined
        ? `python3 -m venv ${VENV} && ${detection.installCommand}`
        : detection.installCommand;
    await commandPhase(ctx, "install", install, { app, cache, env });
    await commandPhase(ctx, "build", options.component.build_command ?? detection.buildCommand, {
      app,
      cache,
      env,
    });
    return await exportPhase(ctx, input, app);
  } finally {
    release();
  }
}

/** Takes the cache folder (held until the returned release, its last use stamped). */
async function restorePhase(ctx: Ctx, input: BuildInput): Promise<{ dir: string; release: () => void }> {
  try {
    const key = await lockfileHash(input.dir, input.detection.group, ctx.options.cacheScope);
    ctx.log(`restore: dependency cache ${input.detection.group}/${key}`);
    return await takeDependencyCache({
      cacheRoot: ctx.options.cacheRoot,
      group: input.detection.group,
      key,
      leases: ctx.options.cacheLeases ?? new DependencyCacheLeases(),
    });
  } catch (err) {
    const failure = { phase: "restore" as const, exitCode: null, timedOut: false, oomKilled: false };
    throw ctx.fail(failure, String(err), err);
  }
}

function sandboxEnv(detection: Detection, envs: readonly BuildEnv[], ca: boolean): Record<string, string> {
  const env: Record<string, string> = {
    PATH: BASE_PATH,
    HOME: "/tmp",
    LANG: "C.UTF-8",
    CI: "true",
    ...CACHE_ENV,
  };
  if (ca) for (const key of CA_ENV) env[key] = CA_MOUNT;
  if (detection.group === "python")
    Object.assign(env, { VIRTUAL_ENV: VENV, PATH: `${VENV}/bin:${BASE_PATH}` });
  for (const e of envs) env[e.key] = e.value;
  return env;
}

interface Where {
  app: string;
  cache: string;
  env: Record<string, string>;
}

/** Runs one command of the build phase in a sandbox; throws BuildError unless it exits 0. */
async function commandPhase(
  ctx: Ctx,
  phase: BuildPhase,
  command: string | undefined,
  where: Where,
): Promise<void> {
  if (command === undefined || command.trim() === "") {
    ctx.log(`${phase}: nothing to run`);
    return;
  }
  ctx.log(`${phase}: $ ${command}`);
  // The limit bounds the whole build: each command gets what the ones before it left.
  const remainingMs = Math.max(1, Math.round(ctx.deadline - performance.now()));
  const out = createLineSplitter(ctx.log);
  const err = createLineSplitter(ctx.log);
  const request = sandboxRequest(ctx.options, command, where, remainingMs);
  const { signal } = ctx.options;
  if (stopped(signal)) throw ctx.fail(abortedFailure(phase), "the build was stopped");
  const outcome = await ctx.options
    .runInSandbox({
      ...request,
      ...(signal === undefined ? {} : { signal }),
      onOutput: (stream, chunk) => (stream === "stdout" ? out : err).push(chunk),
    })
    .catch((e: unknown) => {
      const failure = { phase, exitCode: null, timedOut: false, oomKilled: false };
      throw ctx.fail(failure, `the sandbox could not run: ${String(e)}`, e);
    });
  out.flush();
  err.flush();
  if (stopped(signal)) throw ctx.fail(abortedFailure(phase), "the build was stopped");
  if (outcome.exitCode === 0 && !outcome.timedOut && !outcome.oomKilled) return;
  const detail = `${describeOutcome(outcome, ctx.options.limits)} from \`${command}\``;
  ctx.log(`${phase}: failed: ${detail}`);
  throw ctx.fail({ phase, ...outcome }, detail);
}

/** A function, not an inline check, so the compiler does not assume the flag stays false across awaits. */
function stopped(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function abortedFailure(phase: BuildPhase): PhaseFailure {
  return { phase, exitCode: null, timedOut: false, oomKilled: false };
}

function sandboxRequest(
  options: RunBuildOptions,
  command: string,
  where: Where,
  timeoutMs: number,
): Omit<SandboxRequest, "onOutput"> {
  const mounts: BuildMount[] = [
    { source: where.app, destination: APP_MOUNT, readonly: false },
    { source: where.cache, destination: CACHE_MOUNT, readonly: false },
  ];
  if (options.caFile !== undefined)
    mounts.push({ source: options.caFile, destination: CA_MOUNT, readonly: true });
  return {
    rootfs: options.stack.rootfs,
    args: ["sh", "-c", command],
    env: where.env,
    cwd: APP_MOUNT,
    mounts,
    tmpMiB: options.tmpMiB ?? 256,
    memoryMiB: options.limits.memoryMiB,
    cpus: options.limits.cpus,
    timeoutMs,
    // Package registries, and nothing else, through the server's egress proxy (ADR 0019).
    network: "registries",
  };
}

async function exportPhase(ctx: Ctx, input: BuildInput, app: string): Promise<StoredArtifact> {
  const { options } = ctx;
  const { detection } = input;
  const outputDir = options.component.output_dir ?? detection.outputDir;
  const tree = outputDir === undefined ? app : join(app, posix.normalize(`/${outputDir}`));
  const env: Record<string, string> = {};
  for (const e of input.envs) if (e.runTime && !e.secret) env[e.key] = e.value;
  if (detection.group === "python") env.PATH = `${VENV}/bin:${BASE_PATH}`;
  try {
    return await publishArtifact(options.artifactsRoot, tree, {
      id: input.id,
      group: detection.group,
      ...(detection.runCommand === undefined ? {} : { runCommand: detection.runCommand }),
      ...(detection.httpPort === undefined ? {} : { httpPort: detection.httpPort }),
      workdir: APP_MOUNT,
      env,
      stackVersion: options.stack.version,
      createdAt: (options.now?.() ?? new Date()).toISOString(),
    });
  } catch (err) {
    const failure = { phase: "export" as const, exitCode: null, timedOut: false, oomKilled: false };
    throw ctx.fail(failure, String(err), err);
  }
}
