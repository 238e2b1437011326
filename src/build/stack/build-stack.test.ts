import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { buildStack } from "./build-stack.js";
import type { RunCommand, RunResult } from "./process-runner.js";
import { DEFAULT_STACK, stackName } from "./stack-definition.js";
import { StackBuildError } from "./stack-steps.js";

const NAME = stackName(DEFAULT_STACK);

/** Outputs of the fake machine, by command line prefix; anything else succeeds silently. */
type Script = Record<string, RunResult>;

/**
 * An in-process fake of the process runner that records each command and acts like the real
 * tools on the file system where buildStack depends on it (debootstrap makes a rootfs, rm
 * removes, tar -x unpacks a stack.json). The real tools run in test/stack-build.test.ts.
 */
function fakeRunner(script: Script = {}): { run: RunCommand; calls: string[] } {
  const calls: string[] = [];
  const run: RunCommand = async (command, args) => {
    const line = [command, ...args].join(" ");
    calls.push(line);
    for (const [prefix, result] of Object.entries(script)) if (line.startsWith(prefix)) return result;
    if (command === "debootstrap") await fakeDebootstrap(args[2] ?? "");
    if (command === "rm") await rm(args.at(-1) ?? "", { recursive: true, force: true });
    if (command === "tar" && args[1] === "-xpf") await fakeUnpack(args[5] ?? "");
    if (command === "mountpoint") return { code: 32, output: "" };
    return { code: 0, output: versionOutput(args) };
  };
  return { run, calls };
}

async function fakeDebootstrap(rootfs: string): Promise<void> {
  await mkdir(join(rootfs, "var/lib/apt/lists/partial"), { recursive: true });
  await mkdir(join(rootfs, "var/cache/apt"), { recursive: true });
  await writeFile(join(rootfs, "var/lib/apt/lists/deb.debian.org_Packages"), "x");
  await writeFile(join(rootfs, "var/cache/apt/pkgcache.bin"), "x");
}

async function fakeUnpack(dir: string): Promise<void> {
  const info = {
    name: NAME,
    version: NAME.slice(-12),
    definition: DEFAULT_STACK,
    created_at: "2020-01-01T00:00:00.000Z",
  };
  const runtimes = { node: "v18.0.0", python3: "3.11.0", go: "1.19" };
  await writeFile(
    join(dir, "stack.json"),
    JSON.stringify({ ...info, size_bytes: 1, runtimes, rootfs: "rootfs" }),
  );
}

function versionOutput(args: readonly string[]): string {
  const tool = args[1];
  if (tool === "node") return "v18.19.0\n";
  if (tool === "python3") return "Python 3.11.2\n";
  if (tool === "go") return "go version go1.19.8 linux/amd64\n";
  if (args[0] === "-sb") return `825000000\t${args[1]}\n`;
  return "";
}

/** The commands of `calls` without their arguments past the first `n` words. */
const heads = (calls: string[], n = 2) => calls.map((c) => c.split(" ").slice(0, n).join(" "));

describe("buildStack", () => {
  let root = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "stack-unit-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const options = (run: RunCommand, extra: { cacheDir?: string } = {}) => ({
    root: join(root, "stacks"),
    run,
    log: () => {},
    now: () => new Date("2026-11-22T00:00:00Z"),
    ...extra,
  });

  it("runs debootstrap, apt inside mounts, unmounts, measures, and publishes atomically", async () => {
    const { run, calls } = fakeRunner();
    const result = await buildStack(options(run));
    const tmp = join(root, "stacks", `${NAME}.tmp`);
    const rootfs = join(tmp, "rootfs");
    assert.deepEqual(calls, [
      `mountpoint -q ${rootfs}/dev`,
      `mountpoint -q ${rootfs}/sys`,
      `mountpoint -q ${rootfs}/proc`,
      `rm -rf --one-file-system ${tmp}`,
      `debootstrap --variant=minbase bookworm ${rootfs} http://deb.debian.org/debian`,
      `mount -t proc proc ${rootfs}/proc`,
      `mount -t sysfs sysfs ${rootfs}/sys`,
      `mount --bind /dev ${rootfs}/dev`,
      `chroot ${rootfs} apt-get update`,
      `chroot ${rootfs} apt-get install -y --no-install-recommends ${DEFAULT_STACK.packages.join(" ")}`,
      `chroot ${rootfs} apt-get clean`,
      `umount ${rootfs}/dev`,
      `umount ${rootfs}/sys`,
      `umount ${rootfs}/proc`,
      `du -sb ${rootfs}`,
      `chroot ${rootfs} node --version`,
      `chroot ${rootfs} python3 --version`,
      `chroot ${rootfs} go version`,
      `chmod -R a-w ${tmp}`,
    ]);
    assert.equal(result.source, "built");
    assert.equal(result.dir, join(root, "stacks", NAME));
    assert.deepEqual(result.info.runtimes, { node: "v18.19.0", python3: "3.11.2", go: "1.19.8" });
    assert.equal(result.info.size_bytes, 825000000);
    assert.equal(result.info.created_at, "2026-11-22T00:00:00.000Z");
    assert.deepEqual(JSON.parse(await readFile(join(result.dir, "stack.json"), "utf8")), result.info);
    assert.deepEqual(await readdir(join(root, "stacks")), [NAME]);
    assert.deepEqual(await readdir(join(result.rootfs, "var/lib/apt/lists")), ["partial"]);
    assert.deepEqual(await readdir(join(result.rootfs, "var/cache/apt")), []);
  });

  it("reuses a complete stack without running anything", async () => {
    const first = await buildStack(options(fakeRunner().run));
    const { run, calls } = fakeRunner();
    const again = await buildStack({ ...options(run), now: () => new Date("2030-01-01T00:00:00Z") });
    assert.deepEqual(calls, []);
    assert.equal(again.source, "existing");
    assert.deepEqual(again.info, first.info);
  });

  it("unmounts in reverse order and removes the .tmp when apt-get install fails", async () => {
    const failing = { code: 100, output: "Reading package lists...\nE: Unable to locate package nodejs\n" };
    const tmp = join(root, "stacks", `${NAME}.tmp`);
    const install = `chroot ${tmp}/rootfs apt-get install`;
    const { run, calls } = fakeRunner({ [install]: failing });
    await assert.rejects(buildStack(options(run)), (err: unknown) => {
      assert.ok(err instanceof StackBuildError);
      assert.equal(err.step, "apt-get install");
      assert.match(err.message, /step "apt-get install": chroot exited with code 100/);
      assert.match(err.message, /E: Unable to locate package nodejs/);
      return true;
    });
    const afterInstall = calls.slice(calls.findIndex((c) => c.startsWith(install)) + 1);
    assert.deepEqual(afterInstall.slice(0, 3), [
      `umount ${tmp}/rootfs/dev`,
      `umount ${tmp}/rootfs/sys`,
      `umount ${tmp}/rootfs/proc`,
    ]);
    assert.equal(calls.at(-1), `rm -rf --one-file-system ${tmp}`);
    assert.deepEqual(await readdir(join(root, "stacks")), []);
  });

  it("unmounts only what it mounted when a mount fails", async () => {
    const tmp = join(root, "stacks", `${NAME}.tmp`);
    const { run, calls } = fakeRunner({ "mount --bind": { code: 32, output: "mount: permission denied" } });
    await assert.rejects(buildStack(options(run)), /step "mount dev": mount exited with code 32/);
    assert.deepEqual(
      calls.filter((c) => c.startsWith("umount") || c.startsWith("chroot")),
      [`umount ${tmp}/rootfs/sys`, `umount ${tmp}/rootfs/proc`],
    );
    assert.equal(existsSync(tmp), false);
  });

  it("fails at debootstrap without mounting anything, and leaves no .tmp", async () => {
    const { run, calls } = fakeRunner({ debootstrap: { code: 1, output: "E: Failed getting release file" } });
    await assert.rejects(buildStack(options(run)), /step "debootstrap"[\s\S]*Failed getting release file/);
    assert.equal(heads(calls, 1).filter((c) => c === "mount" || c === "umount").length, 0);
    assert.deepEqual(await readdir(join(root, "stacks")), []);
  });

  it("unmounts a crashed build's leftover mounts before removing its .tmp", async () => {
    const tmp = join(root, "stacks", `${NAME}.tmp`);
    const { run, calls } = fakeRunner({ [`mountpoint -q ${tmp}/rootfs/proc`]: { code: 0, output: "" } });
    await buildStack(options(run));
    assert.deepEqual(calls.slice(0, 5), [
      `mountpoint -q ${tmp}/rootfs/dev`,
      `mountpoint -q ${tmp}/rootfs/sys`,
      `mountpoint -q ${tmp}/rootfs/proc`,
      `umount --lazy ${tmp}/rootfs/proc`,
      `rm -rf --one-file-system ${tmp}`,
    ]);
  });

  it("writes a cache tarball after building, and restores from it instead of building", async () => {
    const cacheDir = join(root, "cache");
    const { run, calls } = fakeRunner();
    const built = await buildStack(options(run, { cacheDir }));
    assert.equal(
      calls.at(-1),
      `tar --zstd -cpf ${cacheDir}/${NAME}.tar.zst.part --numeric-owner -C ${built.dir} .`,
    );
    await writeFile(join(cacheDir, `${NAME}.tar.zst`), "fake tarball");
    const other = join(root, "other");
    const second = fakeRunner();
    const restored = await buildStack({ ...options(second.run, { cacheDir }), root: other });
    assert.equal(restored.source, "cache");
    assert.equal(restored.info.created_at, "2020-01-01T00:00:00.000Z");
    assert.equal(heads(second.calls, 1).includes("debootstrap"), false);
    assert.deepEqual(await readdir(other), [NAME]);
  });

  it("builds when the cache has no tarball for this version, and survives an unwritable cache", async () => {
    const cacheFileAsDir = join(root, "cache-is-a-file");
    await writeFile(cacheFileAsDir, "");
    const { run } = fakeRunner();
    const result = await buildStack(options(run, { cacheDir: cacheFileAsDir }));
    assert.equal(result.source, "built");
  });

  it("rejects an invalid definition before running anything", async () => {
    const { run, calls } = fakeRunner();
    const definition = { suite: "bookworm", variant: "minbase", packages: ["--force-yes"] };
    await assert.rejects(buildStack({ ...options(run), definition }), /invalid stack definition/);
    assert.deepEqual(calls, []);
  });
});
