/**
 * End to end through the real binaries: `slipway server` on a loopback port with a fresh data
 * directory, and the `slipway` CLI talking to it with the admin token it wrote — contexts, the
 * doctl-shaped apps verbs, errors, and a clean stop on SIGTERM.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { commitFolder } from "./helpers/git-repo.js";
import { repoRoot } from "./helpers/repo-root.js";
import { type ServerProcess, slipway, startServer } from "./helpers/server-process.js";

const root = repoRoot();

describe("slipway server and the CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-cli-"));
  const dataDir = join(dir, "data");
  const env = { HOME: dir, SLIPWAY_CONFIG: join(dir, "config.yaml") };
  let server: ServerProcess;
  const waitedBefore = new Set<string>();

  before(async () => {
    server = await startServer(dataDir);
  });

  after(() => {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the admin token with mode 0600 and accepts it in a saved context", async () => {
    const tokenFile = join(dataDir, "admin-token");
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const init = await slipway(
      ["auth", "init", "--url", server.url, "--token-file", tokenFile, "--context", "local"],
      env,
    );
    assert.equal(init.code, 0, init.stderr);
    assert.equal(statSync(env.SLIPWAY_CONFIG).mode & 0o777, 0o600);
    const list = await slipway(["auth", "list"], env);
    assert.match(list.stdout, /^\* local\s+http:\/\/127\.0\.0\.1:\d+$/m);
    assert.doesNotMatch(list.stdout, new RegExp(readFileSync(tokenFile, "utf8").trim()));
  });

  it("refuses a wrong token in auth init", async () => {
    const bad = await slipway(
      ["auth", "init", "--url", server.url, "--token", "nope", "--context", "bad"],
      env,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /refused the token \(401\)/);
  });

  it("creates an app and the controllers give it an initial deployment", async () => {
    const spec = join(root, "examples", "node-express", ".do", "app.yaml");
    const created = await slipway(["apps", "create", "--spec", spec, "-o", "json"], env);
    assert.equal(created.code, 0, created.stderr);
    const app = JSON.parse(created.stdout) as { id: string; spec: { name: string } };
    assert.equal(app.spec.name, "node-express");
    let deployments: { cause: string; phase: string; progress?: unknown }[] = [];
    for (let i = 0; i < 100 && deployments.length === 0; i++) {
      const listed = await slipway(["apps", "list-deployments", "node-express", "-o", "json"], env);
      deployments = JSON.parse(listed.stdout) as typeof deployments;
      if (deployments.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(deployments.length, 1);
    assert.equal(deployments[0]?.cause, "initial deployment");
    // This server has no stack installed: the build fails at once and says what to do.
    let got: (typeof deployments)[number] | undefined = deployments[0];
    for (let i = 0; i < 200 && got?.phase !== "ERROR"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const listed = await slipway(["apps", "list-deployments", "node-express", "-o", "json"], env);
      got = (JSON.parse(listed.stdout) as typeof deployments)[0];
    }
    assert.equal(got?.phase, "ERROR");
    assert.match(
      JSON.stringify(got?.progress),
      /the build stack bookworm-[0-9a-f]{12} is not installed in .*slipway stack build/,
    );
    const table = await slipway(["apps", "list"], env);
    assert.match(table.stdout, /^ID\s+Spec Name\s+Default Ingress/);
    assert.match(table.stdout, new RegExp(`^${app.id}\\s+node-express\\s+`, "m"));
  });

  it("answers a taken name with 409's message, and --upsert updates instead", async () => {
    const spec = join(root, "examples", "node-express", ".do", "app.yaml");
    const again = await slipway(["apps", "create", "--spec", spec], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already/i);
    const upsert = await slipway(["apps", "create", "--spec", spec, "--upsert", "-o", "json"], env);
    assert.equal(upsert.code, 0, upsert.stderr);
  });

  it("reports spec errors with file:line:col before sending anything", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      "name: bad-app\nservices:\n  - name: web\n    http_port: 70000\n    git: {repo_clone_url: x}\n",
    );
    const res = await slipway(["apps", "create", "--spec", bad], env);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /bad\.yaml:4:16 services\[0\]\.http_port: must be between 1 and 65535, got 70000/,
    );
    const list = await slipway(["apps", "list", "-o", "json"], env);
    assert.ok(
      !(JSON.parse(list.stdout) as { spec: { name: string } }[]).some((a) => a.spec.name === "bad-app"),
    );
  });

  it("creates and restarts deployments by name, and refuses to roll back to one that never went live", async () => {
    const made = await slipway(["apps", "create-deployment", "node-express", "-o", "json"], env);
    assert.equal(made.code, 0, made.stderr);
    const first = JSON.parse(made.stdout) as { id: string; cause: string };
    assert.equal(first.cause, "manual");
    waitedBefore.add(first.id);
    const back = await slipway(
      ["apps", "rollback", "node-express", "--deployment", first.id, "-o", "json"],
      env,
    );
    assert.equal(back.code, 1);
    assert.match(
      back.stderr,
      /is (PENDING_BUILD|BUILDING|ERROR); only a deployment that went live \(ACTIVE or SUPERSEDED\) can be rolled back to/,
    );
    const restart = await slipway(["apps", "restart", "node-express", "-o", "json"], env);
    assert.equal(restart.code, 0, restart.stderr);
    assert.equal((JSON.parse(restart.stdout) as { cause: string }).cause, "restart");
    const got = await slipway(["apps", "get-deployment", "node-express", first.id], env);
    assert.match(
      got.stdout,
      new RegExp(
        `^${first.id}\\s+manual\\s+\\d+/\\d+( \\(errors: \\d+\\))?\\s+(PENDING_BUILD|BUILDING|ERROR)`,
        "m",
      ),
    );
  });

  it("--wait follows a deployment and exits non-zero when it fails", async () => {
    const res = await slipway(["apps", "create-deployment", "node-express", "--wait", "-o", "json"], env);
    assert.equal(res.code, 1);
    const id = (JSON.parse(res.stdout) as { id: string }).id;
    assert.ok(!waitedBefore.has(id));
    assert.match(res.stderr, new RegExp(`deployment ${id} ended ERROR`));
  });

  it("apps create --wait follows the deployment the create caused", async () => {
    const specFile = join(dir, "waited.yaml");
    writeFileSync(
      specFile,
      "name: waited-app\nservices:\n  - name: web\n    git: {repo_clone_url: https://example.com/r.git}\n",
    );
    const res = await slipway(["apps", "create", "--spec", specFile, "--wait", "-o", "json"], env);
    assert.equal(res.code, 1);
    const listed = await slipway(["apps", "list-deployments", "waited-app", "-o", "json"], env);
    const deployments = JSON.parse(listed.stdout) as { id: string }[];
    assert.equal(deployments.length, 1);
    assert.match(res.stderr, new RegExp(`deployment ${deployments[0]?.id} ended ERROR`));
  });

  it("prints the app's spec and deletes only with --force", async () => {
    const spec = await slipway(["apps", "spec", "get", "node-express"], env);
    assert.match(spec.stdout, /^name: node-express$/m);
    const refused = await slipway(["apps", "delete", "node-express"], env);
    assert.equal(refused.code, 2);
    const deleted = await slipway(["apps", "delete", "node-express", "--force"], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await slipway(["apps", "get", "node-express"], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /not found/);
  });

  it("stops cleanly on SIGTERM, after which the CLI says the server is unreachable", async () => {
    const exited = new Promise<number | null>((resolve) =>
      server.child.once("exit", (code) => resolve(code)),
    );
    server.child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const res = await slipway(["apps", "list"], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cannot reach Slipway at http:\/\/127\.0\.0\.1:\d+: connection refused/);
  });
});

describe("slipway apps propose --source", () => {
  it("proposes a valid spec for a monorepo without a server", async () => {
    const res = await slipway(
      ["apps", "propose", "--source", join(root, "examples", "monorepo"), "-o", "json"],
      {},
    );
    assert.equal(res.code, 0, res.stderr);
    const spec = JSON.parse(res.stdout) as {
      services: { source_dir: string }[];
      static_sites: { source_dir: string }[];
    };
    assert.equal(spec.services[0]?.source_dir, "api");
    assert.equal(spec.static_sites[0]?.source_dir, "web");
    assert.match(res.stderr, /monorepo\/api: nodejs/);
  });

  it("fetches a git repository by URL and branch, then proposes a spec that names them", async () => {
    const repo = mkdtempSync(join(tmpdir(), "slipway-propose-repo-"));
    try {
      commitFolder(join(root, "examples", "python-flask"), repo, "trunk");
      const url = `file://${repo}`;
      const res = await slipway(["apps", "propose", "--source", url, "--branch", "trunk", "-o", "json"], {});
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /^fetched file:\/\/.* at [0-9a-f]{40}$/m);
      const spec = JSON.parse(res.stdout) as {
        name: string;
        services: { git: unknown; run_command?: string }[];
      };
      assert.match(spec.name, /^slipway-propose-repo-/);
      assert.deepEqual(spec.services[0]?.git, { repo_clone_url: url, branch: "trunk" });
      const missing = await slipway(["apps", "propose", "--source", url, "--branch", "nope"], {});
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /branch "nope" not found/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it("lists what it looked for when nothing is detectable", async () => {
    const empty = mkdtempSync(join(tmpdir(), "slipway-empty-"));
    try {
      const res = await slipway(["apps", "propose", "--source", empty], {});
      assert.equal(res.code, 1);
      assert.match(res.stderr, /looked for: Dockerfile, Procfile/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
