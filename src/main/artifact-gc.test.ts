/**
 * The server's artifact collection over the real SQLite store and artifact store: what the
 * store's Deployments and Builds reference stays, the rest goes.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type TempStore, tempStore } from "../../test/helpers/temp-store.js";
import { publishArtifact } from "../build/index.js";
import { API_VERSION, type App, type Deployment, newDeployment } from "../resources/index.js";
import { collectUnusedArtifacts } from "./artifact-gc.js";

const id = (c: string) => c.repeat(64);

describe("collectUnusedArtifacts", () => {
  let temp: TempStore;
  let root = "";
  before(async () => {
    temp = await tempStore();
    root = await mkdtemp(join(tmpdir(), "slipway-artifact-gc-"));
    const old = new Date("2026-01-01T00:00:00Z");
    for (const c of ["a", "b", "c"]) {
      const tree = join(root, `tree-${c}`);
      await mkdir(tree);
      await writeFile(join(tree, "f"), c);
      await publishArtifact(join(root, "artifacts"), tree, {
        id: id(c),
        group: "static",
        workdir: "/workspace",
        env: {},
        stackVersion: "v",
        createdAt: old.toISOString(),
      });
      await utimes(join(root, "artifacts", id(c)), old, old);
    }
  });
  after(async () => {
    await temp.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it("keeps the artifacts deployments reference and removes the others", async () => {
    const store = temp.open();
    const app = await store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: { name: "shop", namespace: "team" },
      spec: {
        appSpec: {
          name: "shop",
          static_sites: [{ name: "site", git: { repo_clone_url: "https://e.x/r.git" } }],
        },
      },
    });
    const d = await store.create<Deployment>(
      newDeployment(app, { name: "d1", cause: "manual", causeDetails: { type: "MANUAL" }, now: new Date() }),
    );
    await store.updateStatus<Deployment>({
      ...d,
      status: {
        ...(d.status as NonNullable<Deployment["status"]>),
        phase: "PENDING_DEPLOY",
        artifacts: { site: id("b") },
      },
    });
    const result = await collectUnusedArtifacts({ store, artifactsRoot: join(root, "artifacts") });
    assert.deepEqual(result.removed.sort(), [id("a"), id("c")]);
    assert.deepEqual(await readdir(join(root, "artifacts")), [id("b")]);
  });
});
