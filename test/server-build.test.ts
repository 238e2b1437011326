/**
 * Builds end to end through the real binaries: `slipway server` (SQLite, controllers, the server's
 * Builder: real git, gVisor sandboxes on the shared test stack, the artifact store, the log store)
 * and the `slipway` CLI. An app from a local git repository builds, records its commit, keeps its
 * build log and yields an artifact that runs; a RUN_TIME env change deploys with no build; the same
 * tree uploaded with `--source` reuses the artifact; inline files build; an unknown branch fails
 * with its reason in the log. Needs root (runsc).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson } from "../src/api/index.js";
import { commitFolder } from "./helpers/git-repo.js";
import { freePort } from "./helpers/haproxy.js";
import { repoRoot } from "./helpers/repo-root.js";
import { getViaRouter, NOT_ROUTED } from "./helpers/router-get.js";
import { type ServerProcess, slipway, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";
const EXAMPLES = readdirSync(join(repoRoot(), "examples")).sort();

/** Relative paths of the files under `base`, leaving out `.do`. */
function listFiles(base: string, rel = ""): string[] {
  return readdirSync(join(base, rel), { withFileTypes: true }).flatMap((e) => {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.name === ".do") return [];
    return e.isDirectory() ? listFiles(base, path) : [path];
  });
}
const TERMINAL = ["ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"];

describe("slipway server builds apps", { timeout: 600_000 }, () => {
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), "slipway-server-build-"));
  const dataDir = join(dir, "data");
  const repo = join(dir, "repos", "hello");
  const env = { HOME: dir, SLIPWAY_CONFIG: join(dir, "config.yaml") };
  let server: ServerProcess;
  let client: Client;
  let commit = "";
  const children: ChildProcess[] = [];

  /** Waits until the deployment is past building; returns it. */
  async function settled(app: string, id: string): Promise<DeploymentJson> {
    let last: DeploymentJson | undefined;
    await waitFor(
      async () => {
        last = (await client.getDeployment({ params: { app, deployment: id } })).deployment;
        return TERMINAL.includes(last.phase);
      },
      300_000,
      `deployment ${id} of ${app} to go live or fail`,
    );
    return last as DeploymentJson;
  }

  /** The newest deployment of `app` that is not in `known`. */
  async function newDeployment(app: string, known: Set<string>): Promise<string> {
    let id: string | undefined;
    await waitFor(
      async () => {
        const { deployments } = await client.listDeployments({ params: { app }, query: {} });
        id = deployments.find((d) => !known.has(d.id))?.id;
        return id !== undefined;
      },
      10_000,
      `a new deployment of ${app}`,
    );
    return id as string;
  }

  /**
   * GET `path` through the router with `Host: <app>.localhost` (no DNS needed); waits for the
   * route, since the router applies changes a moment after the deployment goes ACTIVE.
   */
  async function viaRouter(app: string, path: string): Promise<{ status: number; body: string }> {
    let last = { status: 0, body: "" };
    await waitFor(
      async () => {
        last = await getViaRouter(server.httpPort, `${app}.localhost:${server.httpPort}`, path);
        return last.status !== 0 && last.status !== 503 && last.body !== NOT_ROUTED;
      },
      30_000,
      `${app} to be routed`,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; last answer ${last.status} ${last.body}; server log:\n${server.stderr().slice(-3000)}`,
      );
    });
    return last;
  }

  /** GET / of a ready instance of the component, at its address in the app network. */
  async function answer(app: string, component: string): Promise<string> {
    const { instances } = await client.listInstances({ params: { app } });
    const ready = instances.find((i) => i.component_name === component && i.ready && !i.draining);
    assert.ok(
      ready?.address !== undefined,
      `a ready ${component} instance of ${app}: ${JSON.stringify(instances)}`,
    );
    const res = await fetch(`http://${ready.address}:${ready.port}/`);
    return res.text();
  }

  async function buildLog(app: string, deployment: string): Promise<string[]> {
    const lines: string[] = [];
    for await (const e of client.stream("getLogs", { params: { app }, query: { deployment } }))
      lines.push(e.text);
    return lines;
  }

  function helloSpec(greeting: string, source: string): string {
    return [
      "name: hello",
      "services:",
      "  - name: web",
      source,
      "    http_port: 8080",
      "    envs:",
      "      - {key: NODE_ENV, value: production, scope: RUN_AND_BUILD_TIME}",
      `      - {key: GREETING, value: ${greeting}, scope: RUN_TIME}`,
      "",
    ].join("\n");
  }
  const gitSource = (branch: string) => `    git: {repo_clone_url: "file://${repo}", branch: ${branch}}`;

  before(async () => {
    assert.equal(process.getuid?.(), 0, "builds run in gVisor and need root");
    await sharedTestStack();
    commit = commitFolder(join(root, "examples", "node-express"), repo);
    const extra = ["--stacks-dir", TEST_STACK_ROOT, "--allow-file-git-urls", "--verbose"];
    if (existsSync(HOST_CA)) extra.push("--build-ca-file", HOST_CA);
    server = await startServer(dataDir, extra);
    const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    client = createClient({ baseUrl: server.url, token });
    const init = await slipway(
      ["auth", "init", "--url", server.url, "--token", token, "--context", "t"],
      env,
    );
    assert.equal(init.code, 0, init.stderr);
  });

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    if (server !== undefined) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let firstArtifact = "";

  it("builds an app from a local git repository, records the commit and keeps the build log", async () => {
    const specFile = join(dir, "hello.yaml");
    writeFileSync(specFile, helloSpec("one", gitSource("main")));
    const created = await slipway(["apps", "create", "--spec", specFile, "-o", "json"], env);
    assert.equal(created.code, 0, created.stderr);
    const id = await newDeployment("hello", new Set());
    const d = await settled("hello", id);
    assert.equal(d.phase, "ACTIVE", JSON.stringify(d.progress));
    const web = d.services?.[0];
    assert.equal(web?.name, "web");
    assert.equal(web?.source_commit_hash, commit);
    assert.equal(web?.builder, "nodejs");
    assert.match(web?.artifact_id ?? "", /^[0-9a-f]{64}$/);
    firstArtifact = web?.artifact_id ?? "";
    assert.equal(await answer("hello", "web"), "Hello from Slipway (production)\n");
    // And through the router (HAProxy), by host name, as a user reaches it.
    const routed = await viaRouter("hello", "/");
    assert.equal(routed.status, 200);
    assert.equal(routed.body, "Hello from Slipway (production)\n");
    const { app } = await client.getApp({ params: { app: "hello" } });
    assert.equal(app.live_url, `http://hello.localhost:${server.httpPort}`);
    const log = await buildLog("hello", id);
    assert.ok(log.includes("==> build attempt 1 of web started"), log.join("\n"));
    assert.ok(log.some((l) => l.includes(`fetched ${commit}`)));
    assert.ok(log.some((l) => l.startsWith("==> build succeeded: artifact ")));
    const cli = await slipway(["apps", "logs", "hello", "web", "--deployment", id], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^web \S+ ==> build attempt 1 of web started$/m);
  });

  it("exports an artifact whose app tree runs with node server.js", async () => {
    const appDir = join(dataDir, "builds", "artifacts", firstArtifact, "app");
    const metadata = JSON.parse(
      readFileSync(join(dataDir, "builds", "artifacts", firstArtifact, "metadata.json"), "utf8"),
    );
    assert.equal(metadata.group, "nodejs");
    assert.equal(metadata.env.NODE_ENV, "production");
    assert.equal(metadata.env.GREETING, undefined, "RUN_TIME envs are not part of the artifact");
    const port = await freePort();
    const child = spawn(process.execPath, ["server.js"], {
      cwd: appDir,
      env: { PORT: String(port), NODE_ENV: "production" },
      stdio: "ignore",
    });
    children.push(child);
    let body = "";
    await waitFor(
      async () => {
        body = await fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.text(),
          () => "",
        );
        return body !== "";
      },
      10_000,
      "the artifact's server to answer",
    );
    assert.equal(body, "Hello from Slipway (production)\n");
  });

  it("deploys a RUN_TIME env change with no build: the artifact is reused", async () => {
    const { deployments } = await client.listDeployments({ params: { app: "hello" }, query: {} });
    const specFile = join(dir, "hello-2.yaml");
    writeFileSync(specFile, helloSpec("two", gitSource("main")));
    const updated = await slipway(["apps", "update", "hello", "--spec", specFile], env);
    assert.equal(updated.code, 0, updated.stderr);
    const id = await newDeployment("hello", new Set(deployments.map((d) => d.id)));
    const d = await settled("hello", id);
    assert.equal(d.phase, "ACTIVE");
    assert.equal(d.services?.[0]?.artifact_id, firstArtifact);
    const components = d.progress.steps
      .find((s) => s.name === "build")
      ?.steps?.find((s) => s.name === "components");
    assert.match(components?.steps?.[0]?.message_base ?? "", /reused artifact .*nothing was built/);
    const log = await buildLog("hello", id);
    assert.ok(
      log.some((l) => l.includes("(reused, nothing built)")),
      log.join("\n"),
    );
    assert.ok(!log.some((l) => l.startsWith("install:") || l.startsWith("build:")), log.join("\n"));
  });

  it("reuses the artifact for the same tree uploaded with --source", async () => {
    const specFile = join(dir, "uploaded.yaml");
    writeFileSync(specFile, helloSpec("one", "").replace("name: hello", "name: uploaded"));
    const created = await slipway(
      ["apps", "create", "--spec", specFile, "--source", repo, "-o", "json"],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /uploaded .* \(\d+ bytes, sha256:[0-9a-f]{64}\)/);
    const id = await newDeployment("uploaded", new Set());
    const d = await settled("uploaded", id);
    assert.equal(d.phase, "ACTIVE", JSON.stringify(d.progress));
    assert.equal(d.services?.[0]?.artifact_id, firstArtifact);
    assert.equal(d.services?.[0]?.source_commit_hash, undefined);
  });

  it("builds inline files, refusing a path that leaves the tree", async () => {
    const spec = { name: "inline", static_sites: [{ name: "site" }] };
    await assert.rejects(
      client.createApp({ body: { spec, source: { files: [{ path: "../etc/passwd", content: "x" }] } } }),
      /source\.files\[0\]\.path: .*\.\./,
    );
    await assert.rejects(client.getApp({ params: { app: "inline" } }), /not found/);
    const html = "<!doctype html><title>inline</title><h1>typed in a browser</h1>\n";
    await client.createApp({ body: { spec, source: { files: [{ path: "./index.html", content: html }] } } });
    const id = await newDeployment("inline", new Set());
    const d = await settled("inline", id);
    assert.equal(d.phase, "ACTIVE", JSON.stringify(d.progress));
    const artifact = d.static_sites?.[0]?.artifact_id ?? "";
    assert.equal(
      readFileSync(join(dataDir, "builds", "artifacts", artifact, "app", "index.html"), "utf8"),
      html,
    );
  });

  it("proposes a spec from a git URL and from inline files (the server checks them out)", async () => {
    const fromGit = await client.proposeApp({
      body: { source: { git: { repo_clone_url: `file://${repo}`, branch: "main" } } },
    });
    assert.equal(fromGit.spec.name, "hello");
    assert.deepEqual(fromGit.spec.services?.[0]?.git, { repo_clone_url: `file://${repo}`, branch: "main" });
    assert.deepEqual(fromGit.detections?.[0], { source_dir: "", group: "nodejs" });
    const fromFiles = await client.proposeApp({
      body: { name: "typed", source: { files: [{ path: "index.html", content: "<h1>hi</h1>" }] } },
    });
    assert.equal(fromFiles.spec.name, "typed");
    assert.equal(fromFiles.spec.static_sites?.[0]?.git, undefined);
    await assert.rejects(
      client.proposeApp({ body: { source: { git: { repo_clone_url: "file:///etc" } } } }),
      /could not fetch file:\/\/\/etc: .*Check that the repository exists/,
    );
  });

  it("builds every example: proposed from its own git repository, then created", async () => {
    const examples = EXAMPLES.filter((e) => e !== "dockerfile-app");
    const ids = new Map<string, string>();
    for (const example of examples) {
      const exampleRepo = join(dir, "repos", `ex-${example}`);
      commitFolder(join(root, "examples", example), exampleRepo);
      const { spec } = await client.proposeApp({
        body: {
          name: `ex-${example}`,
          source: { git: { repo_clone_url: `file://${exampleRepo}`, branch: "main" } },
        },
      });
      await client.createApp({ body: { spec } });
      ids.set(example, await newDeployment(`ex-${example}`, new Set()));
    }
    const failed: string[] = [];
    for (const [example, id] of ids) {
      const d = await settled(`ex-${example}`, id);
      const built = [
        ...(d.services ?? []),
        ...(d.static_sites ?? []),
        ...(d.workers ?? []),
        ...(d.jobs ?? []),
      ];
      process.stdout.write(`# ${example}: ${d.phase}, ${built.length} component(s)\n`);
      if (d.phase === "ACTIVE" && (d.services?.length ?? 0) > 0) {
        const text = await answer(`ex-${example}`, d.services?.[0]?.name ?? "");
        process.stdout.write(`# ${example} answers ${JSON.stringify(text.slice(0, 60))}\n`);
        if (text === "") failed.push(`${example}: empty answer`);
      }
      const routed = await viaRouter(`ex-${example}`, "/").catch((e: unknown) => ({
        status: 0,
        body: String(e),
      }));
      process.stdout.write(
        `# ${example} through the router: ${routed.status} ${JSON.stringify(routed.body.slice(0, 40))}\n`,
      );
      // The app's own answer (python-flask has no "/" and answers 404 itself), not the router's.
      if (routed.status === 0 || routed.status >= 500 || routed.body === NOT_ROUTED)
        failed.push(`${example}: router answered ${routed.status} ${routed.body}`);
      if (d.phase !== "ACTIVE" || built.length === 0 || built.some((c) => c.artifact_id === undefined))
        failed.push(`${example}: ${d.phase}\n${(await buildLog(`ex-${example}`, id)).slice(-20).join("\n")}`);
    }
    assert.deepEqual(failed, []);
  });

  it("builds the small examples from inline files", async () => {
    for (const example of ["static-site", "node-express", "go-hello"]) {
      const base = join(root, "examples", example);
      const files = listFiles(base).map((path) => ({
        path,
        content: readFileSync(join(base, path), "utf8"),
      }));
      const { spec } = await client.proposeApp({ body: { name: `inline-${example}`, source: { files } } });
      await client.createApp({ body: { spec, source: { files } } });
      const d = await settled(`inline-${example}`, await newDeployment(`inline-${example}`, new Set()));
      assert.equal(d.phase, "ACTIVE", `${example}: ${JSON.stringify(d.progress)}`);
    }
  });

  it("stores SECRET values encrypted, hands them to the build in plaintext and masks them in the log", async () => {
    const secret = `pa55-${process.pid}-word`;
    const spec = {
      name: "secretive",
      services: [
        {
          name: "web",
          git: { repo_clone_url: `file://${repo}`, branch: "main" },
          // The masker replaces exactly the secret's value: "token is ****" proves the build saw it.
          build_command: 'echo "token is $API_TOKEN"',
          envs: [{ key: "API_TOKEN", value: secret, type: "SECRET" as const, scope: "BUILD_TIME" as const }],
        },
      ],
    };
    const { app } = await client.createApp({ body: { spec } });
    const shown = app.spec.services?.[0]?.envs?.[0]?.value ?? "";
    assert.match(shown, /^slipway:v1:[0-9a-f]{8}:/);
    const d = await settled("secretive", await newDeployment("secretive", new Set()));
    assert.equal(d.phase, "ACTIVE", JSON.stringify(d.progress));
    const log = await buildLog("secretive", d.id);
    assert.ok(log.includes("token is ****"), log.join("\n"));
    assert.ok(log.every((l) => !l.includes(secret)));
    const db = readFileSync(join(dataDir, "slipway.db"));
    const wal = existsSync(join(dataDir, "slipway.db-wal"))
      ? readFileSync(join(dataDir, "slipway.db-wal"))
      : Buffer.alloc(0);
    assert.equal(
      db.includes(secret) || wal.includes(secret),
      false,
      "the secret is not in the database in plaintext",
    );
    // Sending the spec back as shown changes nothing: no new deployment.
    const before = (await client.listDeployments({ params: { app: "secretive" }, query: {} })).deployments
      .length;
    await client.updateApp({ params: { app: "secretive" }, body: { spec: app.spec } });
    const after = await client.getApp({ params: { app: "secretive" } });
    assert.equal(after.app.spec.services?.[0]?.envs?.[0]?.value, shown);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(
      (await client.listDeployments({ params: { app: "secretive" }, query: {} })).deployments.length,
      before,
    );
  });

  it("fails a build of an unknown branch with the reason in the deployment and the log", async () => {
    const specFile = join(dir, "broken.yaml");
    writeFileSync(specFile, helloSpec("one", gitSource("nope")).replace("name: hello", "name: broken"));
    const created = await slipway(["apps", "create", "--spec", specFile, "--wait"], env);
    assert.equal(created.code, 1);
    const { deployments } = await client.listDeployments({ params: { app: "broken" }, query: {} });
    const d = deployments[0] as DeploymentJson;
    assert.equal(d.phase, "ERROR");
    assert.match(JSON.stringify(d.progress), /branch \\"nope\\" not found/);
    const log = await buildLog("broken", d.id);
    assert.ok(
      log.some((l) => /==> build failed: .*branch "nope" not found/.test(l)),
      log.join("\n"),
    );
  });
});
