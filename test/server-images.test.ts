/**
 * Image sources and Dockerfile builds end to end through `slipway server`: a real OCI registry on
 * loopback (Debian's docker-registry) seeded with the stack image and a small busybox image, the
 * server pointed at it as its docker.io mirror; examples/dockerfile-app built from a local git
 * repository with buildah (RUN steps in gVisor) and a prebuilt image pulled with skopeo, both
 * deployed into gVisor sandboxes and answering through the router. Needs root.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson } from "../src/api/index.js";
import { commitFolder } from "./helpers/git-repo.js";
import { pushTreeImage, type StackRegistry, startStackRegistry } from "./helpers/oci-registry.js";
import { repoRoot } from "./helpers/repo-root.js";
import { getViaRouter, NOT_ROUTED } from "./helpers/router-get.js";
import { type ServerProcess, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

describe("slipway server with image sources and Dockerfiles", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-server-images-"));
  let registry: StackRegistry | undefined;
  let server: ServerProcess | undefined;
  let client: Client;

  async function live(app: string): Promise<DeploymentJson> {
    let d: DeploymentJson | undefined;
    await waitFor(
      async () => {
        const { deployments } = await client.listDeployments({ params: { app }, query: {} });
        d = deployments[0];
        return d !== undefined && ["ACTIVE", "ERROR", "CANCELED"].includes(d.phase);
      },
      600_000,
      `${app} to go live`,
    );
    return d as DeploymentJson;
  }

  async function routed(app: string): Promise<{ status: number; body: string }> {
    const port = server?.httpPort ?? 0;
    let last = { status: 0, body: "" };
    await waitFor(
      async () => {
        last = await getViaRouter(port, `${app}.localhost:${port}`);
        return last.status !== 0 && last.status !== 503 && last.body !== NOT_ROUTED;
      },
      15_000,
      `${app} through the router`,
    );
    return last;
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "builds and instances run in gVisor and need root");
    const stack = await sharedTestStack();
    registry = await startStackRegistry(stack, dir);
    process.stdout.write(
      `# stack image in the registry (${registry.seed.source}) in ${Math.round(registry.seed.ms)} ms\n`,
    );
    // A small web server image: busybox httpd serving one page.
    const tree = join(dir, "busybox-tree");
    mkdirSync(join(tree, "bin"), { recursive: true });
    mkdirSync(join(tree, "www"), { recursive: true });
    copyFileSync("/bin/busybox", join(tree, "bin", "busybox"));
    writeFileSync(join(tree, "www", "index.html"), "hello from a prebuilt image\n");
    await pushTreeImage(
      registry,
      dir,
      tree,
      ["slipway/hello-httpd:1"],
      ["--cmd=/bin/busybox httpd -f -p 8080 -h /www", "--port=8080"],
    );
    server = await startServer(join(dir, "data"), [
      "--stacks-dir",
      TEST_STACK_ROOT,
      "--allow-file-git-urls",
      "--registry-mirror",
      `docker.io=${registry.url}`,
    ]);
    const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
    client = createClient({ baseUrl: server.url, token });
  });

  after(async () => {
    await server?.stop();
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pulls a prebuilt image through the mirror, runs it in a sandbox and routes to it", async () => {
    await client.createApp({
      body: {
        spec: {
          name: "prebuilt",
          services: [
            {
              name: "web",
              image: {
                registry_type: "DOCKER_HUB",
                registry: "slipway",
                repository: "hello-httpd",
                tag: "1",
              },
              http_port: 8080,
            },
          ],
        },
      },
    });
    const d = await live("prebuilt");
    assert.equal(d.phase, "ACTIVE", JSON.stringify(d.progress));
    assert.match(d.services?.[0]?.artifact_id ?? "", /^[0-9a-f]{64}$/);
    assert.equal(d.services?.[0]?.builder, "image");
    assert.deepEqual(await routed("prebuilt"), { status: 200, body: "hello from a prebuilt image\n" });
  });

  it("builds examples/dockerfile-app from a git repository with buildah and serves it", async () => {
    const repo = join(dir, "repos", "dockerfile-app");
    commitFolder(join(repoRoot(), "examples", "dockerfile-app"), repo);
    const started = performance.now();
    await client.createApp({
      body: {
        spec: {
          name: "dockerfile-app",
          services: [
            {
              name: "web",
              git: { repo_clone_url: `file://${repo}`, branch: "main" },
              dockerfile_path: "Dockerfile",
              http_port: 8080,
            },
          ],
        },
      },
    });
    const d = await live("dockerfile-app");
    process.stdout.write(
      `# dockerfile-app built and live in ${Math.round(performance.now() - started)} ms\n`,
    );
    assert.equal(d.phase, "ACTIVE", JSON.stringify(d.progress));
    assert.equal(d.services?.[0]?.builder, "dockerfile");
    const answer = await routed("dockerfile-app");
    assert.equal(answer.status, 200);
    assert.match(answer.body, /Hello/);
  });
});
