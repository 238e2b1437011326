/**
 * The Builder `slipway server` hands the Build controller: for one Build it reads the Deployment
 * (spec snapshot, env values, the app's own code), checks the component's source out into a
 * private folder (a shallow git fetch, an uploaded archive or inline files), and runs the source
 * build lifecycle on the installed stack. The checkout is removed afterwards, whatever happened.
 */
import { join } from "node:path";
import {
  type BuildLimits,
  buildDockerfile,
  buildEnvs,
  DEFAULT_STACK,
  type DependencyCacheLeases,
  type DockerfileNetwork,
  gitCloneTarget,
  pullImage,
  type RegistryMirrors,
  type RunInSandbox,
  readStackInfo,
  runBuild,
  stackName,
} from "../build/index.js";
import type { Builder, BuildRequest, BuildResult } from "../controllers/index.js";
import {
  type Build,
  type Deployment,
  type DeploymentResourceSpec,
  SlipwayError,
} from "../resources/index.js";
import type { Keyring } from "../secrets/index.js";
import type { ServiceSpec } from "../spec/index.js";
import type { Store } from "../store/index.js";
import { plainSpec } from "./plain-spec.js";
import { type CodeSource, type SourcePolicy, temporaryCheckout } from "./source-checkout.js";

/** Options of {@link createServerBuilder}. */
export interface ServerBuilderOptions extends SourcePolicy {
  store: Store;
  /** Holds `artifacts/`, `cache/` and `work/` (checkouts and workspaces). */
  buildRoot: string;
  /** Where `slipway stack build` installed stacks (`<root>/<name>/`). */
  stacksRoot: string;
  runInSandbox: RunInSandbox;
  limits: BuildLimits;
  /** Decrypts SECRET env values of the stored spec; default: values are used as stored. */
  secrets?: Keyring;
  /** Registry mirrors image pulls and Dockerfile `FROM`s go through (prefix -> URL); default none. */
  registryMirrors?: RegistryMirrors;
  /**
   * Where Dockerfile RUN steps may connect (the builds network, ADR 0019); default none: RUN
   * steps get gVisor's loopback only.
   */
  dockerfileNetwork?: DockerfileNetwork;
  /**
   * Where source builds hold their dependency cache while they run; pass the one the dependency
   * cache collector reads, so a cache in use is never removed. Default a private one per build.
   */
  cacheLeases?: DependencyCacheLeases;
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

/** Where the component's code comes from. */
function codeSource(
  options: ServerBuilderOptions,
  deployment: Deployment,
  build: Build,
  component: Component,
): CodeSource {
  if (build.spec.usesAppSource === true) {
    const source = deployment.spec.source;
    if (source === undefined)
      throw new SlipwayError(
        "failed_precondition",
        `${build.spec.component} names no source and the app has no code of its own; set git, github, gitlab, bitbucket or image, or upload a folder`,
      );
    return source.kind === "upload"
      ? { kind: "upload", digest: source.digest }
      : { kind: "files", files: source.files };
  }
  const git = component.git?.repo_clone_url;
  if (git?.startsWith("file://") === true && options.allowFileGitUrls === true)
    return { kind: "git", url: git, branch: component.git?.branch };
  const target = gitCloneTarget(component);
  if (!target.ok)
    throw new SlipwayError("invalid_argument", `${component.name}.${target.path}: ${target.message}`);
  if (target.target === undefined)
    throw new SlipwayError("failed_precondition", `${component.name} has no git source to fetch`);
  return { kind: "git", url: target.target.url, branch: target.target.branch };
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
      // SECRET values are stored encrypted; the build sees them in plaintext (masked in its log).
      const appSpec = plainSpec(deployment, options.secrets);
      const component = componentOf({ ...deployment.spec, appSpec }, build);
      const artifactsRoot = join(options.buildRoot, "artifacts");
      const mirrors = options.registryMirrors ?? {};
      if (component.image !== undefined && build.spec.usesAppSource !== true) {
        const pulled = await pullImage({
          source: component.image,
          artifactsRoot,
          workRoot,
          mirrors,
          signal,
          log,
        });
        return { artifactId: pulled.metadata.id, reused: pulled.reused, builder: "image" };
      }
      // A source build needs the stack: say so before fetching anything.
      const stack =
        component.dockerfile_path === undefined ? await installedStack(options.stacksRoot) : undefined;
      const source = codeSource(options, deployment, build, component);
      const checkout = await temporaryCheckout(options, workRoot, source, { signal, log });
      const { commit } = checkout;
      const withCommit = (r: { artifactId: string; reused: boolean; builder: string }) => ({
        ...r,
        ...(commit === undefined ? {} : { sourceCommitHash: commit }),
      });
      try {
        if (component.dockerfile_path !== undefined) {
          const built = await buildDockerfile({
            sourceRoot: checkout.dir,
            ...(component.source_dir === undefined ? {} : { sourceDir: component.source_dir }),
            dockerfilePath: component.dockerfile_path,
            envs: buildEnvs(appSpec.envs, component.envs),
            artifactsRoot,
            workRoot,
            storageRoot: join(options.buildRoot, "containers"),
            mirrors,
            ...(options.dockerfileNetwork === undefined ? {} : { network: options.dockerfileNetwork }),
            limits: {
              timeoutMs: options.limits.timeoutMs,
              memoryMiB: options.limits.memoryMiB,
              cpus: options.limits.cpus,
            },
            signal,
            log,
          });
          return withCommit({ artifactId: built.metadata.id, reused: built.reused, builder: "dockerfile" });
        }
        if (stack === undefined) throw new Error("unreachable: a source build without a stack");
        const result = await runBuild({
          source: checkout.dir,
          component,
          ...(appSpec.envs === undefined ? {} : { appEnvs: appSpec.envs }),
          stack,
          artifactsRoot,
          cacheRoot: join(options.buildRoot, "cache"),
          // Per app: one app's build cannot leave packages in the cache another app's restores.
          cacheScope: deployment.spec.appUid,
          ...(options.cacheLeases === undefined ? {} : { cacheLeases: options.cacheLeases }),
          workRoot,
          runInSandbox: options.runInSandbox,
          limits: options.limits,
          log,
          signal,
          force: build.spec.forceBuild,
          ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
        });
        return withCommit({ artifactId: result.id, reused: result.reused, builder: result.metadata.group });
      } finally {
        await checkout.cleanup();
      }
    },
  };
}
