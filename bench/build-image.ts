/**
 * Benchmark: Dockerfile builds of examples/dockerfile-app against a loopback registry holding the
 * stack image: cold (empty buildah storage: the base is pulled), warm (base cached, source
 * changed), and unchanged (artifact reused), with the vfs storage driver and then overlay; the
 * image artifact's size; a pull of the stack image by tag into an artifact. Writes bench/results/build-image.json. Needs root, buildah, runsc,
 * skopeo, umoci and docker-registry (scripts/install.sh).
 */
import { execFile } from "node:child_process";
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildDockerfile, pullImage } from "../src/build/index.js";
import { startStackRegistry } from "../test/helpers/oci-registry.js";
import { repoRoot } from "../test/helpers/repo-root.js";
import { sharedTestStack } from "../test/helpers/test-stack.js";

const exec = promisify(execFile);
const work = await mkdtemp(`/var/tmp/slipway-bench-image-${process.pid}-`);
const stack = await sharedTestStack();
const registry = await startStackRegistry(stack, work);
try {
  const source = join(work, "src");
  await cp(join(repoRoot(), "examples", "dockerfile-app"), source, { recursive: true });
  const build = (storageDriver: "vfs" | "overlay" = "vfs") =>
    buildDockerfile({
      sourceRoot: source,
      artifactsRoot: join(work, "artifacts"),
      workRoot: join(work, "scratch"),
      storageRoot: join(work, `storage-${storageDriver}`),
      storageDriver,
      mirrors: { "docker.io": registry.url },
    });
  const cold = await build();
  await appendFile(join(source, "server.js"), "// changed\n");
  const warm = await build();
  const unchanged = await build();
  await appendFile(join(source, "server.js"), "// overlay cold\n");
  const overlayCold = await build("overlay");
  await appendFile(join(source, "server.js"), "// overlay warm\n");
  const overlayWarm = await build("overlay");
  const pulled = await pullImage({
    source: { registry_type: "DOCKER_HUB", registry: "slipway", repository: "stack", tag: stack.info.name },
    artifactsRoot: join(work, "artifacts"),
    workRoot: join(work, "scratch"),
    mirrors: { "docker.io": registry.url },
  });
  const result = {
    date: new Date().toISOString(),
    stack: stack.info.name,
    registrySeed: registry.seed,
    coldBuildMs: cold.durationMs,
    warmBuildMs: warm.durationMs,
    unchangedBuildMs: unchanged.durationMs,
    unchangedReused: unchanged.reused,
    overlayColdBuildMs: overlayCold.durationMs,
    overlayWarmBuildMs: overlayWarm.durationMs,
    artifactBytes: warm.metadata.sizeBytes,
    pullStackImageMs: pulled.durationMs,
    pulledArtifactBytes: pulled.metadata.sizeBytes,
  };
  await mkdir(join(repoRoot(), "bench", "results"), { recursive: true });
  await writeFile(
    join(repoRoot(), "bench", "results", "build-image.json"),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  // overlay storage holds mounts: let buildah remove its containers and images before rm -rf.
  const overlay = [
    `--root=${join(work, "storage-overlay")}`,
    `--runroot=${join(work, "storage-overlay", "run")}`,
    "--storage-driver=overlay",
  ];
  await exec("buildah", [...overlay, "rm", "--all"]).catch(() => undefined);
  await exec("buildah", [...overlay, "rmi", "--all", "--force"]).catch(() => undefined);
  const mounted = async () =>
    (await readFile("/proc/mounts", "utf8"))
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "")
      .filter((m) => m.startsWith(work));
  for (const m of (await mounted()).reverse()) await exec("umount", [m]).catch(() => undefined);
  await registry.stop();
  const left = await mounted();
  if (left.length === 0) await rm(work, { recursive: true, force: true });
  else process.stderr.write(`left ${work} in place: still mounted: ${left.join(", ")}\n`);
}
