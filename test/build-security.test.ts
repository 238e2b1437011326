/**
 * Hostile builds, run for real: the build lifecycle in gVisor (runsc) on the shared test stack,
 * with build commands that try to read the host's files, write outside the workspace, fork without
 * limit and allocate 10 GB. Each is contained, fails cleanly (a BuildError naming what happened, no
 * workspace or half-published artifact left) and the host is unchanged. Needs root.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BuildError, type RunBuildOptions, runBuild } from "../src/build/index.js";
import type { BuildEgress } from "../src/main/build-egress.js";
import { createGvisorBuildSandbox } from "../src/main/build-sandbox.js";
import { startTestBuildEgress } from "./helpers/build-egress.js";
import { repoRoot } from "./helpers/repo-root.js";
import { sharedTestStack } from "./helpers/test-stack.js";

describe("hostile builds are contained (gVisor, real stack)", { timeout: 600_000 }, () => {
  let work = "";
  let stack = { version: "", rootfs: "" };
  const hostSecret = join("/etc", `slipway-host-secret-${process.pid}`);
  const secretText = `host-only-${process.pid}-${Date.now()}`;

  let egress: BuildEgress | undefined;
  before(async () => {
    assert.equal(process.getuid?.(), 0, "the sandbox needs root");
    const built = await sharedTestStack();
    stack = { version: built.info.version, rootfs: built.rootfs };
    work = await mkdtemp(join(tmpdir(), "slipway-build-security-"));
    await writeFile(hostSecret, `${secretText}\n`, { mode: 0o600 });
    egress = await startTestBuildEgress("s");
  });

  after(async () => {
    await rm(hostSecret, { force: true });
    await egress?.stop();
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  function options(
    buildCommand: string,
    lines: string[],
    limits?: Partial<RunBuildOptions["limits"]>,
  ): RunBuildOptions {
    return {
      source: join(repoRoot(), "examples", "node-express"),
      component: { build_command: buildCommand },
      stack,
      artifactsRoot: join(work, "artifacts"),
      cacheRoot: join(work, "cache"),
      workRoot: join(work, "work"),
      runInSandbox: createGvisorBuildSandbox({
        workDir: join(work, "sandboxes"),
        ...(egress === undefined ? {} : { egress }),
      }),
      limits: { memoryMiB: 512, cpus: 1, timeoutMs: 120_000, ...limits },
      log: (l) => lines.push(l),
    };
  }

  async function failing(buildCommand: string, limits?: Partial<RunBuildOptions["limits"]>) {
    const lines: string[] = [];
    const started = performance.now();
    const err = await runBuild(options(buildCommand, lines, limits)).then(
      () => assert.fail(`the build succeeded; its log:\n${lines.join("\n")}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BuildError, String(err));
    assert.deepEqual(await readdir(join(work, "work")), [], "no workspace left");
    const tmp = (await readdir(join(work, "artifacts")).catch(() => [])).filter((n) => n.includes(".tmp"));
    assert.deepEqual(tmp, [], "no half-published artifact");
    return { err, lines, ms: performance.now() - started };
  }

  it("cannot read the host's files: /etc/shadow is the stack's own, a host-only file does not exist", async () => {
    const { err, lines } = await failing(`cat /etc/shadow; echo ---; cat ${hostSecret}`);
    assert.equal(err.phase, "build");
    assert.equal(err.exitCode, 1);
    const shown = lines.slice(
      lines.findIndex((l) => l.startsWith("root:")),
      lines.indexOf("---"),
    );
    const stackShadow = readFileSync(join(stack.rootfs, "etc", "shadow"), "utf8")
      .trimEnd()
      .split("\n");
    assert.deepEqual(shown, stackShadow, "the sandbox shows the stack's /etc/shadow");
    assert.ok(
      lines.every((l) => !l.includes(secretText)),
      "the host-only file never reaches the log",
    );
    assert.ok(
      lines.some((l) => l.includes("No such file or directory")),
      lines.join("\n"),
    );
  });

  it("cannot write outside its workspace: the stack is read-only and unchanged", async () => {
    const target = `slipway-evil-${process.pid}`;
    const { err, lines } = await failing(`echo pwned > /usr/local/bin/${target}`);
    assert.ok(err.exitCode !== null && err.exitCode !== 0, err.message);
    assert.ok(
      lines.some((l) => /Read-only file system|Permission denied/i.test(l)),
      lines.join("\n"),
    );
    assert.equal(existsSync(join(stack.rootfs, "usr", "local", "bin", target)), false);
    assert.equal(existsSync(join("/usr/local/bin", target)), false);
  });

  it("contains a fork bomb: the build is stopped and the host keeps running processes", async () => {
    const { err, ms } = await failing("bomb() { bomb | bomb & }; bomb; sleep 30", { timeoutMs: 20_000 });
    assert.equal(err.phase, "build");
    process.stdout.write(`# fork bomb ended after ${Math.round(ms)} ms: ${err.message.split("\n")[0]}\n`);
    assert.ok(err.timedOut || err.exitCode !== 0, err.message);
    assert.equal(execFileSync("true", { encoding: "utf8" }), "", "the host can still start a process");
  });

  it("kills a build that allocates 10 GB at its memory limit and says so", async () => {
    const grab =
      "node -e 'const a = []; for (let i = 0; i < 160; i++) a.push(Buffer.alloc(64 * 1024 * 1024, 1)); console.log(\"got 10 GB\")'";
    const { err, lines } = await failing(grab, { memoryMiB: 256 });
    assert.equal(err.phase, "build");
    assert.ok(!lines.includes("got 10 GB"), lines.join("\n"));
    assert.ok(err.oomKilled, `reported as out of memory: ${err.message}`);
    assert.match(err.message, /memory limit of 256 MiB/);
  });

  it("reaches only package registries: the host's loopback is not the host's, other sites get a 403", async () => {
    // A service on the host's loopback, like the Slipway API on 127.0.0.1:8420.
    let accepted = 0;
    const api = createServer((s) => {
      accepted++;
      s.destroy();
    }).listen(0, "127.0.0.1");
    await once(api, "listening");
    const port = (api.address() as AddressInfo).port;
    try {
      const probe = [
        `node -e "require('net').connect(${port},'127.0.0.1').on('connect',()=>console.log('reached the host')).on('error',e=>console.log('loopback',e.code))"`,
        `python3 -c "import urllib.request; urllib.request.urlopen('https://example.com/')"`,
      ].join("; ");
      const { err, lines } = await failing(probe);
      assert.equal(err.phase, "build");
      const log = lines.join("\n");
      assert.match(log, /loopback ECONNREFUSED/);
      assert.ok(!lines.includes("reached the host"), log);
      assert.match(log, /Tunnel connection failed: 403 Forbidden/);
      assert.equal(accepted, 0);
    } finally {
      api.close();
    }
  });
});
