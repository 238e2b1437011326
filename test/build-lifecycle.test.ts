/**
 * The build lifecycle with real gVisor (runsc) on a real stack, as root: examples/node-express
 * built into an artifact, reused, rebuilt when a BUILD_TIME env changes, a failing build command,
 * a masked SECRET, the wall-time limit, examples/python-flask with its dependencies from PyPI and
 * examples/node-vite-static with vite from npm. The stack comes from
 * test/helpers/test-stack.ts (shared by all test files; built once, then reused).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BuildError,
  type BuildResult,
  lockfileHash,
  type RunBuildOptions,
  type RunInSandbox,
  runBuild,
} from "../src/build/index.js";
import type { BuildEgress } from "../src/main/build-egress.js";
import { createGvisorBuildSandbox } from "../src/main/build-sandbox.js";
import type { EnvVarSpec } from "../src/spec/index.js";
import { startTestBuildEgress } from "./helpers/build-egress.js";
import { repoRoot } from "./helpers/repo-root.js";
import { sharedTestStack } from "./helpers/test-stack.js";

const SECRET = "s3cr3t-Value-42";
const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";

describe("build lifecycle (gVisor, real stack)", { timeout: 900_000 }, () => {
  let work = "";
  let stack = { version: "", rootfs: "" };
  let calls = 0;
  let egress: BuildEgress | undefined;
  const stackLog: string[] = [];

  before(
    async () => {
      assert.equal(process.getuid?.(), 0, "the build lifecycle test must run as root");
      work = await mkdtemp(join(tmpdir(), "slipway-lifecycle-"));
      const started = performance.now();
      const built = await sharedTestStack((l) => stackLog.push(l)).catch((err: unknown) => {
        throw new Error(`buildStack failed; its log:\n${stackLog.join("\n")}`, { cause: err });
      });
      stack = { version: built.info.version, rootfs: built.rootfs };
      // Builds reach the registries only through the egress proxy, as in the server (ADR 0019).
      egress = await startTestBuildEgress("l");
      process.stdout.write(
        `# stack ${built.info.name} (${built.source}) in ${Math.round(performance.now() - started)} ms\n`,
      );
    },
    { timeout: 600_000 },
  );

  after(async () => {
    await egress?.stop();
    if (work === "") return;
    await rm(work, { recursive: true, force: true });
  });

  function options(
    example: string,
    lines: string[],
    component: RunBuildOptions["component"] = {},
  ): RunBuildOptions {
    const sandbox = createGvisorBuildSandbox({
      workDir: join(work, "sandboxes"),
      ...(egress === undefined ? {} : { egress }),
    });
    const counting: RunInSandbox = (req) => {
      calls++;
      return sandbox(req);
    };
    return {
      source: join(repoRoot(), "examples", example),
      component,
      stack,
      artifactsRoot: join(work, "artifacts"),
      cacheRoot: join(work, "cache"),
      workRoot: join(work, "work"),
      runInSandbox: counting,
      limits: { memoryMiB: 1024, cpus: 2, timeoutMs: 300_000 },
      log: (l) => lines.push(l),
      // The host's bundle: it holds any CA that egress on this machine needs (e.g. a TLS proxy).
      caFile: HOST_CA,
    };
  }

  async function build(example: string, component: RunBuildOptions["component"] = {}) {
    const lines: string[] = [];
    const before = calls;
    const result = await runBuild(options(example, lines, component)).catch((err: unknown) => {
      throw new Error(`runBuild failed; its log:\n${lines.join("\n")}`, { cause: err });
    });
    process.stdout.write(`# ${example}: ${result.reused ? "reused" : "built"} in ${result.durationMs} ms\n`);
    return { result, lines, sandboxCalls: calls - before };
  }

  const buildTime = (value: string): EnvVarSpec[] => [{ key: "GREETING", value, scope: "BUILD_TIME" }];
  let first: BuildResult | undefined;

  it("builds examples/node-express into an artifact with its run command, port and stack", async () => {
    const { result, sandboxCalls } = await build("node-express", { envs: buildTime("hello") });
    first = result;
    assert.equal(result.reused, false);
    assert.ok(sandboxCalls >= 1, "npm install ran in the sandbox");
    const onDisk = JSON.parse(await readFile(join(result.dir, "metadata.json"), "utf8")) as Record<
      string,
      unknown
    >;
    assert.deepEqual(onDisk, { ...result.metadata });
    assert.equal(result.metadata.id, result.id);
    assert.equal(result.metadata.runCommand, "npm start");
    assert.equal(result.metadata.httpPort, 8080);
    assert.equal(result.metadata.stackVersion, stack.version);
    assert.ok(existsSync(join(result.appDir, "server.js")));
    assert.ok(result.metadata.sizeBytes > 0);
    assert.deepEqual((await readdir(join(work, "work"))).sort(), [], "no workspace left");
  });

  it("reuses the artifact of an identical build without running a sandbox", async () => {
    assert.ok(first);
    const { result, sandboxCalls } = await build("node-express", { envs: buildTime("hello") });
    assert.deepEqual([result.reused, result.id, sandboxCalls], [true, first.id, 0]);
  });

  it("builds again, with a new id, when a BUILD_TIME env changes, but not for a RUN_TIME env", async () => {
    assert.ok(first);
    const changed = await build("node-express", { envs: buildTime("bonjour") });
    assert.equal(changed.result.reused, false);
    assert.notEqual(changed.result.id, first.id);
    assert.ok(changed.sandboxCalls >= 1);
    const runTime: EnvVarSpec[] = [...buildTime("hello"), { key: "R", value: "x", scope: "RUN_TIME" }];
    const same = await build("node-express", { envs: runTime });
    assert.deepEqual([same.result.reused, same.result.id], [true, first.id]);
  });

  it("fails a build whose build_command exits 3, naming the phase and code (secrets masked), leaving no .tmp", async () => {
    const lines: string[] = [];
    const secret: EnvVarSpec = { key: "T", value: "tok-3-secret", scope: "BUILD_TIME", type: "SECRET" };
    const component = { envs: [secret], build_command: "echo about to fail; exit 3 # tok-3-secret" };
    const err = await runBuild(options("node-express", lines, component)).then(
      () => assert.fail("the build succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BuildError, String(err));
    assert.deepEqual([err.phase, err.exitCode, err.timedOut], ["build", 3, false]);
    assert.match(err.message, /phase build: exit code 3/);
    assert.ok(!err.message.includes("tok-3-secret") && err.message.includes("# ****"), err.message);
    assert.ok(lines.includes("about to fail"), lines.join("\n"));
    const left = await readdir(join(work, "artifacts"));
    assert.deepEqual(
      left.filter((n) => n.includes(".tmp")),
      [],
    );
    assert.deepEqual(await readdir(join(work, "work")), [], "no workspace left");
  });

  it("stops a build at its wall-time limit and says so", async () => {
    const lines: string[] = [];
    const slow = { ...options("node-express", lines, { build_command: "echo started; sleep 60" }) };
    slow.limits = { ...slow.limits, timeoutMs: 8_000 };
    const started = performance.now();
    const err = await runBuild(slow).then(
      () => assert.fail("the build succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BuildError, String(err));
    assert.deepEqual([err.phase, err.timedOut], ["build", true]);
    assert.match(err.message, /timed out after 8 s/);
    assert.ok(performance.now() - started < 30_000, "killed well before the command's own end");
    assert.ok(lines.includes("started"), lines.join("\n"));
    assert.deepEqual(await readdir(join(work, "work")), [], "no workspace left");
  });

  it("masks a SECRET BUILD_TIME env in the log and keeps it out of metadata.json", async () => {
    const envs: EnvVarSpec[] = [
      { key: "API_TOKEN", value: SECRET, scope: "BUILD_TIME", type: "SECRET" },
      { key: "VISIBLE", value: "plain", scope: "RUN_AND_BUILD_TIME" },
      { key: "RUN_ONLY", value: "hidden-at-build", scope: "RUN_TIME" },
    ];
    const command = 'echo "token=$API_TOKEN visible=$VISIBLE run=$(printenv RUN_ONLY || echo absent)"';
    const { result, lines } = await build("node-express", { envs, build_command: command });
    assert.ok(lines.includes("token=**** visible=plain run=absent"), lines.join("\n"));
    assert.ok(lines.every((l) => !l.includes(SECRET)));
    const metadata = await readFile(join(result.dir, "metadata.json"), "utf8");
    assert.ok(!metadata.includes(SECRET));
    assert.deepEqual(result.metadata.env, { VISIBLE: "plain" });
  });

  it("builds examples/python-flask with flask and gunicorn from PyPI into a venv, with a cache keyed by requirements.txt", async () => {
    const check = "python -c \"import flask, gunicorn; print('imports ok')\"";
    const { result, lines } = await build("python-flask", { build_command: check });
    assert.ok(lines.includes("imports ok"), lines.join("\n"));
    assert.equal(result.metadata.group, "python");
    assert.match(result.metadata.runCommand ?? "", /^gunicorn --bind 0\.0\.0\.0:\$PORT app:app$/);
    assert.equal(result.metadata.httpPort, 8080);
    assert.match(result.metadata.env.PATH ?? "", /^\/workspace\/\.venv\/bin:/);
    assert.ok(existsSync(join(result.appDir, ".venv/bin/gunicorn")));
    const caches = await readdir(join(work, "cache", "python"));
    assert.deepEqual(caches, [await lockfileHash(join(repoRoot(), "examples/python-flask"), "python")]);
  });

  it("builds examples/node-vite-static with vite from npm and exports only its dist folder", async () => {
    const { result } = await build("node-vite-static");
    assert.deepEqual(
      [result.metadata.group, result.metadata.runCommand, result.metadata.httpPort],
      ["nodejs", undefined, undefined],
    );
    const files = await readdir(result.appDir);
    assert.deepEqual(files.sort(), ["assets", "index.html"]);
    const npmCache = await readdir(join(work, "cache", "nodejs", "no-lockfile", "npm"));
    assert.ok(npmCache.length > 0, "npm's cache was filled through /cache");
  });
});
