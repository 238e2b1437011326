/**
 * The Builder `slipway server` hands the Build controller: for one Build it reads the Deployment
 * (spec snapshot, env values, the app's own code), checks the component's source out into a
 * private folder (a shallow git fetch, an uploaded archive or inline files), and runs the source
 * build lifecycle on the installed stack. The checkout is removed afterwards, whatever happened.
 */
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type BuildLimits,
  DEFAULT_STACK,
  fetchGitSource,
  gitCloneTarget,
  type RunInSandbox,
  readStackInfo,
  runBuild,
  stackName,
  type UploadStore,
  unpackSource,
  validateInlineFiles,
  writeInlineFiles,
} from "../build/index.js";
import type { Builder, BuildRequest, BuildResult } from "../controllers/index.js";
import {
  type Build,
  type Deployment,
  type DeploymentResourceSpec,
  SlipwayError,
} from "../resources/index.js";
import type { ServiceSpec } from "../spec/index.js";
import type { Store } from "../store/index.js";

/** Options of {@link createServerBuilder}. */
export interface ServerBuilderOptions {
  store: Store;
  /** Holds `artifacts/`, `cache/` and `work/` (checkouts and workspaces). */
  buildRoot: string;
  /** Where `slipway stack build` installed stacks (`<root>/<name>/`). */
  stacksRoot: string;
  uploads: UploadStore;
  runInSandbox: RunInSandbox;
  limits: BuildLimits;
  /** A CA bundle for TLS egress of builds and git (see RunBuildOptions.caFile); default none. */
  caFile?: string;
  /**
   * Allow `git.repo_clone_url` to be a `file://` URL on this machine. Off by default: a spec must
   * not make the server read its own files; on for single-user machines and tests.
   */
  allowFileGitUrls?: boolean;
}

/** A built component as far as its source is concerned. */
type Component = ServiceSpec;

function componentOf(spec: DeploymentResourceSpec, build: Build): Component {
  const list = (spec.appSpec[build.spec.componentKind] ?? []) as Component[];
  const found = list.find((c) => c.name === build.spec.component);
  if (found === undefined)
    throw new SlipwayError(
      "failed_precondition",
      `deployment ${build.spec.deployment} has no ${build.spec.componentKind} component named ${build.spec.component}`,
    );
  return found;
}

async function installedStack(root: string): Promise<{ version: string; rootfs: string }> {
  const name = stackName(DEFAULT_STACK);
  const dir = join(root, name);
  const info = await readStackInfo(dir);
  if (info === undefined)
    throw new SlipwayError(
      "failed_precondition",
      `the build stack ${name} is not installed in ${root}; run \`slipway stack build --root ${root}\` on the server`,
    );
  return { version: info.version, rootfs: join(dir, info.rootfs) };
}

/** Puts the component's source into `dest`; the commit for git sources. */
async function checkOut(
  options: ServerBuilderOptions,
  deployment: Deployment,
  build: Build,
  component: Component,
  dest: string,
  request: BuildRequest,
): Promise<{ commit?: string }> {
  const { log, signal } = request;
  if (build.spec.usesAppSource === true) {
    const source = deployment.spec.source;
    if (source === undefined)
      throw new SlipwayError(
        "failed_precondition",
        `${build.spec.component} names no source and the app has no code of its own; set git, github, gitlab, bitbucket or image, or upload a folder`,
      );
    if (source.kind === "upload") {
      log(`unpacking uploaded source ${source.digest}`);
      const unpacked = await unpackSource(createReadStream(options.uploads.path(source.digest)), dest);
      log(`unpacked ${unpacked.entries} entries, ${unpacked.bytes} bytes`);
      return {};
    }
    const checked = validateInlineFiles(source.files);
    if (!checked.ok)
      throw new SlipwayError(
        "invalid_argument",
        checked.errors.map((e) => `${e.path}: ${e.message}`).join("; "),
      );
    await writeInlineFiles(checked.files, dest);
    log(`wrote ${checked.files.length} inline files`);
    return {};
  }
  if (component.image !== undefined)
    throw new SlipwayError(
      "failed_precondition",
      `${component.name}: image sources are not supported by this server yet`,
    );
  const fileUrl = component.git?.repo_clone_url?.startsWith("file://") === true;
  let url: string;
  let branch: string | undefined;
  if (fileUrl && options.allowFileGitUrls === true) {
    url = component.git?.repo_clone_url as string;
    branch = component.git?.branch;
  } else {
    const target = gitCloneTarget(component);
    if (!target.ok)
      throw new SlipwayError("invalid_argument", `${component.name}.${target.path}: ${target.message}`);
    if (target.target === undefined)
      throw new SlipwayError("failed_precondition", `${component.name} has no git source to fetch`);
    ({ url, branch } = target.target);
  }
  const fetched = await fetchGitSource({
    url,
    branch,
    dest,
    signal,
    log,
    ...(options.caFile === undefined ? {} : { env: { GIT_SSL_CAINFO: options.caFile } }),
  });
  log(`fetched ${fetched.commit}`);
  return { commit: fetched.commit };
}

/** The Builder of `slipway server`. */
export function createServerBuilder(options: ServerBuilderOptions): Builder {
  const workRoot = join(options.buildRoot, "work");
  return {
    async build(request: BuildRequest): Promise<BuildResult> {
      const { build, signal, log } = request;
      const namespace = build.metadata.namespace ?? "";
      const deployment = await options.store.get<Deployment>("Deployment", {
        namespace,
        name: build.spec.deployment,
      });
      const component = componentOf(deployment.spec, build);
      const stack = await installedStack(options.stacksRoot);
      await mkdir(workRoot, { recursive: true });
      const checkout = await mkdtemp(join(workRoot, "checkout-"));
      try {
        const { commit } = await checkOut(
          options,
          deployment,
          build,
          component,
          join(checkout, "src"),
          request,
        );
        const result = await runBuild({
          source: join(checkout, "src"),
          component,
          ...(deployment.spec.appSpec.envs === undefined ? {} : { appEnvs: deployment.spec.appSpec.envs }),
          stack,
          artifactsRoot: join(options.buildRoot, "artifacts"),
          cacheRoot: join(options.buildRoot, "cache"),
          workRoot,
          runInSandbox: options.runInSandbox,
          limits: options.limits,
          log,
          signal,
          force: build.spec.forceBuild,
          ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
        });
        return {
          artifactId: result.id,
          reused: result.reused,
          ...(commit === undefined ? {} : { sourceCommitHash: commit }),
        };
      } finally {
        await rm(checkout, { recursive: true, force: true });
      }
    },
  };
}
