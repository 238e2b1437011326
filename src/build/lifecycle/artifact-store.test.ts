import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  publishArtifact,
  publishImageArtifact,
  readAnyArtifact,
  readArtifact,
  readImageArtifact,
} from "./artifact-store.js";

const imageMeta = (id: string) => ({
  id,
  origin: "pull" as const,
  source: "docker.io/library/x:1",
  imageDigest: `sha256:${"a".repeat(64)}`,
  entrypoint: [],
  cmd: ["/bin/sh"],
  env: { PATH: "/bin" },
  workingDir: "/",
  user: "",
  exposedPorts: [],
  createdAt: "2026-01-01T00:00:00.000Z",
});

async function tree(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "f"), "12345");
  return dir;
}

test("publishImageArtifact publishes rootfs/ with format image; the app readers tell the formats apart", async () => {
  const root = await mkdtemp(join(tmpdir(), "artifact-store-"));
  try {
    const image = await publishImageArtifact(join(root, "a"), await tree(root, "r1"), imageMeta("img1"));
    assert.equal(image.metadata.format, "image");
    assert.equal(image.metadata.sizeBytes, 5);
    assert.equal(await readFile(join(image.rootfsDir, "f"), "utf8"), "12345");
    assert.deepEqual((await readImageArtifact(join(root, "a"), "img1"))?.metadata, image.metadata);
    await assert.rejects(readArtifact(join(root, "a"), "img1"), /is an image artifact/);
    const again = await publishImageArtifact(join(root, "a"), await tree(root, "r2"), {
      ...imageMeta("img1"),
      createdAt: "later",
    });
    assert.equal(again.metadata.createdAt, image.metadata.createdAt, "the first publisher wins");

    const app = await publishArtifact(join(root, "a"), await tree(root, "t1"), {
      id: "app1",
      group: "nodejs",
      workdir: "/workspace",
      env: {},
      stackVersion: "v",
      createdAt: "now",
    });
    assert.equal(app.metadata.format, "app");
    await assert.rejects(readImageArtifact(join(root, "a"), "app1"), /is an app artifact/);
    // Artifacts written before formats existed have no `format`: they are app trees.
    const { format: _format, ...old } = app.metadata;
    await writeFile(join(root, "a", "app1", "metadata.json"), JSON.stringify(old));
    const read = await readAnyArtifact(join(root, "a"), "app1");
    assert.ok(read !== undefined && "appDir" in read);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("publishArtifact of one id by several builds at once keeps one artifact and fails none", async () => {
  const root = await mkdtemp(join(tmpdir(), "artifact-store-"));
  try {
    const meta = {
      id: "same",
      group: "nodejs" as const,
      workdir: "/workspace",
      env: {},
      stackVersion: "v",
      createdAt: "2026-01-01T00:00:00.000Z",
    };
    const trees = await Promise.all([1, 2, 3, 4].map((n) => tree(root, `t${n}`)));
    const published = await Promise.all(trees.map((t) => publishArtifact(join(root, "a"), t, meta)));
    assert.deepEqual(new Set(published.map((p) => p.dir)).size, 1);
    assert.deepEqual(await readdir(join(root, "a")), ["same"], "no temporary folder is left");
    assert.equal(await readFile(join(root, "a", "same", "app", "f"), "utf8"), "12345");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
