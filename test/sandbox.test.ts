/**
 * The gVisor sandbox with real runsc (run as root, as CI does): output and exit codes, the
 * read-only root, private tmpfs and read-only mounts, no host paths, the wall-time and memory
 * limits, and that no container, state or cgroup is left behind.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { detectSandboxRuntime } from "../src/runtime/local/detect-runtime.js";
import { type OciSpecInput, renderOciSpec } from "../src/runtime/local/oci-spec.js";
import { releaseRunscRoots } from "../src/runtime/local/runsc-root.js";
import {
  runSandbox,
  type SandboxNetwork,
  type SandboxResult,
  startSandbox,
} from "../src/runtime/local/sandbox.js";
import { waitFor } from "./helpers/wait-for.js";

const APPLETS = [
  "sh",
  "echo",
  "cat",
  "sleep",
  "head",
  "tail",
  "tr",
  "sort",
  "ls",
  "hostname",
  "nc",
  "printf",
];

interface Ran extends SandboxResult {
  stdout: string;
  stderr: string;
}

describe("gVisor sandbox (runsc)", { timeout: 60_000 }, () => {
  let work = "";
  let rootfs = "";
  let appDir = "";
  let count = 0;
  const stateRoot = () => join(work, "state");
  const nextId = () => `slipway-test-${process.pid}-${++count}`;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "slipway-sandbox-"));
    rootfs = join(work, "rootfs");
    await mkdir(join(rootfs, "bin"), { recursive: true });
    // A static busybox alone: nothing from the host's root file system is inside.
    await copyFile("/bin/busybox", join(rootfs, "bin", "busybox"));
    await Promise.all(APPLETS.map((a) => symlink("busybox", join(rootfs, "bin", a))));
    await mkdir(join(rootfs, "app"));
    appDir = join(work, "artifact");
    await mkdir(appDir);
    await writeFile(join(appDir, "data.txt"), "artifact contents\n");
  });

  after(async () => {
    await releaseRunscRoots(work);
    await rm(work, { recursive: true, force: true });
  });

  function spec(script: string, overrides: Partial<OciSpecInput> = {}, id = nextId()) {
    return renderOciSpec({
      rootfs,
      args: ["sh", "-c", script],
      mounts: [{ source: appDir, destination: "/app", readonly: true }],
      tmpfs: [{ destination: "/tmp", sizeMiB: 16 }],
      memoryMiB: 128,
      cpus: 1,
      // Host tasks: the sentry's and gofer's threads and one ptrace stub per process (~64 idle).
      pidsLimit: 512,
      hostname: "sandbox-test",
      cgroupsPath: `/${id}`,
      ...overrides,
    });
  }

  async function run(
    script: string,
    overrides: Partial<OciSpecInput> = {},
    timeoutMs = 15_000,
    network: SandboxNetwork = "none",
  ): Promise<Ran> {
    const id = nextId();
    const out = { stdout: "", stderr: "" };
    const result = await runSandbox({
      stateRoot: stateRoot(),
      bundleDir: join(work, "bundles", id),
      id,
      spec: spec(script, overrides, id),
      timeoutMs,
      network,
      onOutput: (stream, chunk) => {
        out[stream] += chunk.toString();
      },
    });
    assertNothingLeft(id);
    return { ...result, ...out };
  }

  function assertNothingLeft(id: string): void {
    const listed = execFileSync("runsc", ["--root", stateRoot(), "list", "-quiet"], { encoding: "utf8" });
    assert.ok(!listed.split("\n").includes(id), `runsc list does not show ${id}: ${listed}`);
    for (const controller of ["memory", "cpu", "pids", ""]) {
      assert.equal(
        existsSync(join("/sys/fs/cgroup", controller, id)),
        false,
        `no cgroup ${controller}/${id}`,
      );
    }
  }

  it("detects gVisor on this machine", async () => {
    const found = await detectSandboxRuntime();
    assert.equal(found.kind, "gvisor", JSON.stringify(found));
  });

  it("captures stdout and stderr and returns the exit code", async (t) => {
    const ok = await run("true");
    t.diagnostic(`start-to-exit of true: ${ok.durationMs} ms`);
    assert.deepEqual([ok.exitCode, ok.timedOut, ok.oomKilled], [0, false, false]);
    const ran = await run("echo hello; echo oops >&2; exit 3");
    assert.equal(ran.stdout, "hello\n");
    assert.match(ran.stderr, /oops/);
    assert.deepEqual([ran.exitCode, ran.oomKilled, ran.timedOut], [3, false, false]);
  });

  it("has a read-only root and a private writable tmpfs", async () => {
    const ran = await run("echo x > /x; echo root=$?; echo y > /tmp/y && cat /tmp/y");
    assert.match(ran.stdout, /^root=[1-9]/m, "writing / fails");
    assert.match(ran.stderr, /Read-only file system/);
    assert.match(ran.stdout, /^y$/m, "the tmpfs is writable");
  });

  it("shows the artifact read-only at its mount", async () => {
    const ran = await run("cat /app/data.txt; echo z > /app/z; echo app=$?");
    assert.match(ran.stdout, /^artifact contents$/m);
    assert.match(ran.stdout, /^app=[1-9]/m, "writing the mount fails");
    assert.deepEqual(await readdir(appDir), ["data.txt"]);
  });

  it("shows no host paths and its own hostname", async () => {
    const ran = await run("ls /; hostname; cat /etc/hostname; ls /root; echo end");
    assert.deepEqual(ran.stdout.trim().split("\n"), [
      "app",
      "bin",
      "dev",
      "proc",
      "sys",
      "tmp",
      "sandbox-test",
      "end",
    ]);
    assert.match(ran.stderr, /'\/etc\/hostname': No such file/);
  });

  it("cannot reach the host's loopback without a network, and can with the host's", async () => {
    const server = createServer((_req, res) => res.end("hello-from-host"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 ${port}; echo nc=$?`;
      const isolated = await run(get);
      assert.doesNotMatch(isolated.stdout, /hello-from-host/);
      assert.match(isolated.stderr, /can't connect/);
      const shared = await run(get, { hostNetwork: true }, 15_000, "host");
      assert.match(shared.stdout, /hello-from-host/);
    } finally {
      server.close();
    }
  });

  it("kills a process at the wall-time limit and reports timedOut", async () => {
    const ran = await run("sleep 100", {}, 1000);
    assert.deepEqual([ran.timedOut, ran.oomKilled, ran.exitCode, ran.signal], [true, false, 137, "SIGKILL"]);
    assert.ok(ran.durationMs < 5000, `killed after ${ran.durationMs} ms`);
  });

  it("kills only the sandbox that exceeds its memory limit and reports oomKilled", async () => {
    const neighbourId = nextId();
    const neighbour = await startSandbox({
      stateRoot: stateRoot(),
      bundleDir: join(work, "bundles", neighbourId),
      id: neighbourId,
      spec: spec("sleep 2; echo alive", {}, neighbourId),
      timeoutMs: 15_000,
    });
    try {
      // sort holds all its input in memory: 200 MB of one line in a 32 MiB sandbox.
      const hog = "head -c 200000000 /dev/zero | tr '\\0' a | sort | tail -c 1; echo survived";
      const small = await run(hog.replace("200000000", "1000000"), { memoryMiB: 32 });
      assert.deepEqual(
        [small.exitCode, small.oomKilled],
        [0, false],
        "the same work within the limit succeeds",
      );
      const ran = await run(hog, { memoryMiB: 32 });
      assert.deepEqual([ran.exitCode, ran.oomKilled, ran.timedOut], [137, true, false]);
      assert.doesNotMatch(ran.stdout, /survived/);
      const other = await neighbour.wait();
      assert.deepEqual([other.exitCode, other.oomKilled], [0, false]);
    } finally {
      await neighbour.delete();
    }
    assertNothingLeft(neighbourId);
  });

  it("stops a long-running sandbox with delete() and leaves nothing behind", async () => {
    const id = nextId();
    const handle = await startSandbox({
      stateRoot: stateRoot(),
      bundleDir: join(work, "bundles", id),
      id,
      spec: spec("sleep 100", {}, id),
    });
    const result = await handle.delete();
    assert.deepEqual([result.exitCode, result.oomKilled, result.timedOut], [137, false, false]);
    assertNothingLeft(id);
  });

  it("passes kill(SIGTERM) to the process, which may exit cleanly", async () => {
    const id = nextId();
    let stdout = "";
    const script = "trap 'echo bye; exit 0' TERM; echo ready; sleep 100 & wait";
    const handle = await startSandbox({
      stateRoot: stateRoot(),
      bundleDir: join(work, "bundles", id),
      id,
      spec: spec(script, {}, id),
      timeoutMs: 15_000,
      onOutput: (_stream, chunk) => {
        stdout += chunk.toString();
      },
    });
    try {
      await waitFor(() => stdout.includes("ready"), 5000, "the trap to be set");
      await handle.kill("SIGTERM");
      const result = await handle.wait();
      assert.deepEqual([result.exitCode, result.oomKilled, result.timedOut], [0, false, false]);
      assert.match(stdout, /bye/);
    } finally {
      await handle.delete();
    }
    assertNothingLeft(id);
  });

  it("leaves runsc list empty after all of the above", () => {
    const listed = execFileSync("runsc", ["--root", stateRoot(), "list", "-quiet"], { encoding: "utf8" });
    assert.equal(listed.trim(), "");
  });
});
