/**
 * The real stack build: debootstrap + apt into a temporary root, then the stack is used through
 * chroot. Needs root and Debian's mirror; takes about two minutes (seconds with a warm cache in
 * /var/cache/slipway/stacks, which is used only when that folder already exists).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import {
  type BuildStackResult,
  buildStack,
  createProcessRunner,
  listStacks,
  type RunCommand,
} from "../src/build/index.js";
import { repoRoot } from "./helpers/repo-root.js";

const CACHE = "/var/cache/slipway/stacks";
const ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LC_ALL: "C",
  HOME: "/root",
};
const run: RunCommand = createProcessRunner();
const lines: string[] = [];
const log = (line: string) => {
  lines.push(line);
};

let root = "";
let cacheDir = "";
let first: BuildStackResult | undefined;

/** Mount points at or below `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  const points = info
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

before(
  async () => {
    assert.equal(process.getuid?.(), 0, "the stack build test must run as root");
    root = await mkdtemp(join(tmpdir(), "slipway-stack-"));
    await chmod(root, 0o755); // so the non-root probe below is refused by the stack's own modes
    try {
      cacheDir = existsSync(CACHE) ? CACHE : join(root, "cache");
      first = await buildStack({ root: join(root, "a"), run, log, cacheDir });
    } catch (err) {
      throw new Error(`buildStack failed; its log:\n${lines.join("\n")}`, { cause: err });
    }
  },
  { timeout: 600_000 },
);

after(async () => {
  if (root === "") return;
  for (const point of await mountsUnder(root)) await run("umount", ["--lazy", point], { env: ENV });
  const removed = await run("rm", ["-rf", "--one-file-system", root], { env: ENV });
  assert.equal(removed.code, 0, removed.output);
});

it("buildStack leaves a published stack with node 18, python 3.11 and go 1.19, and no mounts", async () => {
  assert.ok(first);
  const onDisk = JSON.parse(await readFile(join(first.dir, "stack.json"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(onDisk, { ...first.info });
  assert.match(first.info.runtimes.node, /^v18\./);
  assert.match(first.info.runtimes.python3, /^3\.11\./);
  assert.match(first.info.runtimes.go, /^1\.19/);
  assert.ok(first.info.size_bytes > 100_000_000, `size ${first.info.size_bytes}`);
  assert.deepEqual(await mountsUnder(root), []);
  assert.equal(existsSync(`${first.dir}.tmp`), false);
  const listed = await listStacks(join(root, "a"));
  assert.deepEqual(
    listed.stacks.map((s) => s.name),
    [first.info.name],
  );
  process.stdout.write(`# stack ${first.info.name} (${first.source}): ${first.info.size_bytes} bytes\n`);
});

it("the stack's runtimes run under chroot", async () => {
  assert.ok(first);
  const node = await run("chroot", [first.rootfs, "node", "-e", "console.log(1+1)"], { env: ENV });
  assert.equal(node.code, 0, node.output);
  assert.equal(node.output.trim(), "2");
  const py = await run("chroot", [first.rootfs, "python3", "-c", "import ssl, venv; print('ok')"], {
    env: ENV,
  });
  assert.equal(py.output.trim(), "ok", py.output);
  const certs = await stat(join(first.rootfs, "etc/ssl/certs/ca-certificates.crt"));
  assert.ok(certs.size > 0);
});

it("a second buildStack reuses the stack without rebuilding", async () => {
  assert.ok(first);
  const commands: string[] = [];
  const recording: RunCommand = (command, args, options) => {
    commands.push(command);
    return run(command, args, options);
  };
  const again = await buildStack({ root: join(root, "a"), run: recording, log });
  assert.equal(again.source, "existing");
  assert.equal(again.info.name, first.info.name);
  assert.equal(again.info.created_at, first.info.created_at);
  assert.deepEqual(commands, []);
});

it("the stack is not writable by a non-root user", async () => {
  assert.ok(first);
  for (const path of [
    first.dir,
    join(first.dir, "stack.json"),
    join(first.rootfs, "usr/bin"),
    join(first.rootfs, "tmp"),
  ]) {
    const { mode } = await stat(path);
    assert.equal(mode & 0o222, 0, `${path} has mode ${mode.toString(8)}`);
  }
  const probe = await run(
    "setpriv",
    ["--reuid=65534", "--regid=65534", "--clear-groups", "touch", join(first.rootfs, "tmp/probe")],
    { env: ENV },
  );
  assert.notEqual(probe.code, 0, "nobody could write into the stack's /tmp");
  assert.match(probe.output, /Permission denied/);
});

it("a stack restored from the cache tarball is the same stack, and runs", { timeout: 300_000 }, async () => {
  assert.ok(first);
  assert.ok(
    existsSync(join(cacheDir, `${first.info.name}.tar.zst`)),
    "the build wrote (or came from) a tarball",
  );
  const restored = await buildStack({ root: join(root, "b"), run, log, cacheDir });
  assert.equal(restored.source, "cache");
  assert.deepEqual(restored.info, first.info);
  const node = await run("chroot", [restored.rootfs, "node", "-e", "console.log(1+1)"], { env: ENV });
  assert.equal(node.output.trim(), "2", node.output);
  assert.equal((await stat(join(restored.rootfs, "tmp"))).mode & 0o7777, 0o1555);
});

it("the slipway binary lists the stack and reuses it on stack build", async () => {
  assert.ok(first);
  const bin = join(repoRoot(), "bin/slipway.js");
  const built = await run(process.execPath, [bin, "stack", "build", "--root", join(root, "a")], { env: ENV });
  assert.equal(built.code, 0, built.output);
  assert.match(built.output, new RegExp(`${first.info.name} ${first.dir} \\(node v18`));
  const listed = await run(
    process.execPath,
    [bin, "stack", "list", "--root", join(root, "a"), "-o", "json"],
    {
      env: ENV,
    },
  );
  assert.equal(listed.code, 0, listed.output);
  assert.deepEqual(JSON.parse(listed.output), [first.info]);
});
