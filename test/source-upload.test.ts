/**
 * Uploaded sources: packSource -> unpackSource round trips (examples/node-express, byte-identical)
 * and hand-made malicious tarballs (escaping paths, links, devices, 100k entries, gzip bombs),
 * each refused with nothing written outside the destination.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  chmod,
  cp,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { packSource, sourceUploadDigest, UNPACK_LIMITS, unpackSource } from "../src/build/index.js";
import { type ErrorCode, isErrorCode } from "../src/resources/index.js";
import { repoRoot } from "./helpers/repo-root.js";

type Spec = { path: string; type?: Header["type"]; size?: number; linkpath?: string; mode?: number };

/** One tar entry: a header block and the body padded to 512 bytes. */
function entry(spec: Spec, body = Buffer.alloc(0)): Buffer {
  const header = new Header({
    mode: 0o644,
    mtime: new Date(0),
    uid: 0,
    gid: 0,
    type: "File",
    size: body.length,
    ...spec,
  });
  const block = Buffer.alloc(512);
  header.encode(block, 0);
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([block, padded]);
}

const tgz = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));

/** Every entry under `root` as [path, kind, mode, content or link target], sorted. */
async function snapshot(root: string, rel = ""): Promise<string[][]> {
  const out: string[][] = [];
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel === "" ? name : `${rel}/${name}`;
    const info = await lstat(join(root, path));
    const mode = (info.mode & 0o777).toString(8);
    if (info.isDirectory()) {
      out.push([path, "dir", mode]);
      out.push(...(await snapshot(root, path)));
    } else if (info.isSymbolicLink()) out.push([path, "link", await readlink(join(root, path))]);
    else out.push([path, "file", mode, (await readFile(join(root, path))).toString("base64")]);
  }
  return out;
}

describe("packSource / unpackSource", { timeout: 120_000 }, () => {
  let work = "";
  let n = 0;
  const dest = () => join(work, "out", `dest-${n++}`);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), `slipway-source-upload-${process.pid}-`));
    await mkdir(join(work, "out"));
  });
  after(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  /** Unpacks `tarball` expecting a refusal whose message matches `message`; checks nothing was left. */
  async function refused(tarball: Uint8Array, code: ErrorCode, message: RegExp, limits = {}): Promise<void> {
    const before = await snapshot(work);
    const out = dest();
    await assert.rejects(unpackSource(tarball, out, limits), (err: unknown) => {
      assert.ok(isErrorCode(err, code), `${code}: ${String(err)}`);
      assert.match((err as Error).message, message);
      return true;
    });
    assert.equal(existsSync(out), false, "the destination is removed");
    assert.deepEqual(await snapshot(work), before, "nothing written outside the destination");
  }

  it("round-trips examples/node-express byte for byte, deterministically", async () => {
    const example = join(repoRoot(), "examples", "node-express");
    const tarball = await packSource(example);
    assert.equal(sourceUploadDigest(await packSource(example)), sourceUploadDigest(tarball));
    assert.match(sourceUploadDigest(tarball), /^[0-9a-f]{64}$/);
    const out = dest();
    const got = await unpackSource(tarball, out);
    assert.deepEqual(await snapshot(out), await snapshot(example));
    assert.equal(got.dir, out);
    assert.ok(got.entries >= 4 && got.bytes > 0, JSON.stringify(got));
  });

  it("leaves out .git, node_modules and .slipwayignore's patterns; keeps links, modes, empty folders", async () => {
    const src = join(work, "src-tree");
    await cp(join(repoRoot(), "examples", "node-express"), src, { recursive: true });
    await mkdir(join(src, "node_modules", "x"), { recursive: true });
    await writeFile(join(src, "node_modules", "x", "i.js"), "");
    await mkdir(join(src, ".git"));
    await writeFile(join(src, ".git", "HEAD"), "ref: refs/heads/main\n");
    await mkdir(join(src, "lib", "node_modules"), { recursive: true });
    await mkdir(join(src, "empty"));
    await writeFile(join(src, "run.sh"), "#!/bin/sh\n");
    await chmod(join(src, "run.sh"), 0o755);
    await symlink("server.js", join(src, "main.js"));
    await writeFile(join(src, "debug.log"), "x");
    await mkdir(join(src, "dist"));
    await writeFile(join(src, "dist", "a.js"), "x");
    await writeFile(join(src, ".slipwayignore"), "*.log\n/dist/\n");
    await link(join(src, "package.json"), join(src, "hard.json"));
    const out = dest();
    await unpackSource(await packSource(src, { ignore: (p) => p === "migrate.js" }), out);
    const paths = (await snapshot(out)).map(([p, kind, mode]) => `${p} ${kind} ${mode}`);
    assert.deepEqual(paths, [
      ".do dir 755",
      ".do/app.yaml file 644",
      ".slipwayignore file 644",
      "empty dir 755",
      "hard.json file 644",
      "lib dir 755",
      "main.js link server.js",
      "package.json file 644",
      "run.sh file 755",
      "server.js file 644",
    ]);
  });

  it("refuses a path that climbs out with ..", async () => {
    await refused(
      tgz(entry({ path: "../x" }, Buffer.from("x"))),
      "invalid_argument",
      /^upload refused: "\.\.\/x" leaves the source tree/,
    );
    assert.equal(existsSync(join(work, "out", "x")), false);
  });

  it("refuses an absolute path", async () => {
    const abs = join(work, `abs-${process.pid}`);
    await refused(tgz(entry({ path: abs }, Buffer.from("x"))), "invalid_argument", /is absolute/);
    assert.equal(existsSync(abs), false);
  });

  it("refuses a symbolic link to /etc and a file written through it", async () => {
    const etc = entry({ path: "etc", type: "SymbolicLink", linkpath: "/etc" });
    const through = entry({ path: `etc/slipway-${process.pid}-x` }, Buffer.from("pwned"));
    await refused(
      tgz(etc, through),
      "invalid_argument",
      /"etc" is a symbolic link to "\/etc", outside the source tree/,
    );
    assert.equal(existsSync(`/etc/slipway-${process.pid}-x`), false);
  });

  it("refuses a file written through an inside link, a link out by .., and a chain that escapes", async () => {
    const dir = entry({ path: "sub/", type: "Directory", mode: 0o755 });
    const link = entry({ path: "l", type: "SymbolicLink", linkpath: "sub" });
    await refused(
      tgz(dir, link, entry({ path: "l/f" }, Buffer.from("x"))),
      "invalid_argument",
      /"l\/f" goes through the symbolic link "l"/,
    );
    await refused(
      tgz(entry({ path: "up", type: "SymbolicLink", linkpath: "../.." })),
      "invalid_argument",
      /"up" is a symbolic link/,
    );
    const self = entry({ path: "a", type: "SymbolicLink", linkpath: "." });
    const chain = entry({ path: "b", type: "SymbolicLink", linkpath: "a/.." });
    await refused(tgz(self, chain), "failed_precondition", /"b" -> "a\/\.\."/);
  });

  it("refuses hard links, devices and fifos", async () => {
    const file = entry({ path: "f" }, Buffer.from("x"));
    await refused(
      tgz(file, entry({ path: "h", type: "Link", linkpath: "f" })),
      "invalid_argument",
      /"h" is a hard link/,
    );
    await refused(
      tgz(entry({ path: "null", type: "CharacterDevice" })),
      "invalid_argument",
      /"null" is a device/,
    );
    await refused(tgz(entry({ path: "p", type: "FIFO" })), "invalid_argument", /"p" is a fifo/);
  });

  it("refuses the same path twice", async () => {
    const a = entry({ path: "a" }, Buffer.from("1"));
    await refused(
      tgz(a, entry({ path: "./a" }, Buffer.from("2"))),
      "invalid_argument",
      /"\.\/a" appears twice/,
    );
  });

  it("refuses 100k entries with the default limit", async () => {
    // The same folder again and again: counted like any entry, but cheap to write (a file each
    // would make this test a benchmark of the file system).
    const same = entry({ path: "d/", type: "Directory", mode: 0o755 });
    const many = Array.from({ length: 100_000 }, () => same);
    const at = new RegExp(`more than ${UNPACK_LIMITS.maxEntries} entries \\(at "d/"\\)`);
    assert.equal(UNPACK_LIMITS.maxEntries, 50_000);
    await refused(tgz(...many), "too_large", at);
  });

  it("counts files, folders and links as entries and names the first one over the limit", async () => {
    const files = Array.from({ length: 12 }, (_, i) => entry({ path: `f${i}` }));
    await refused(tgz(...files), "too_large", /more than 10 entries \(at "f10"\)/, { maxEntries: 10 });
    const out = dest();
    assert.equal((await unpackSource(tgz(...files.slice(0, 10)), out, { maxEntries: 10 })).entries, 10);
  });

  it("refuses a 1 GiB-when-unpacked file before writing it", async () => {
    const size = 1024 * 1024 * 1024;
    const header = entry({ path: "zeros.bin", size }).subarray(0, 512);
    const mib = gzipSync(Buffer.alloc(1024 * 1024));
    // Concatenated gzip members unpack to the concatenation: 1 GiB of zeros from ~1 MB.
    const bomb = Buffer.concat([
      gzipSync(header),
      ...Array.from({ length: 1024 }, () => mib),
      gzipSync(Buffer.alloc(1024)),
    ]);
    assert.ok(bomb.length < 2 * 1024 * 1024, String(bomb.length));
    await refused(
      bomb,
      "too_large",
      /"zeros\.bin" \(1073741824 bytes\) brings the upload over 536870912 bytes unpacked/,
    );
  });

  it("refuses a stream of zeros that unpacks to far more than its entries", async () => {
    const mib = gzipSync(Buffer.alloc(1024 * 1024));
    await refused(Buffer.concat(Array.from({ length: 1024 }, () => mib)), "too_large", /gzip bomb/);
  });

  it("counts bytes across files and stops at the limit, naming the file", async () => {
    const files = Array.from({ length: 20 }, (_, i) =>
      entry({ path: `f${i}` }, Buffer.alloc(1024 * 1024, 1)),
    );
    await refused(tgz(...files), "too_large", /"f5" \(1048576 bytes\) brings the upload over 5242880 bytes/, {
      maxBytes: 5 * 1024 * 1024,
    });
  });

  it("refuses what is not a gzip'd tar, and a truncated one", async () => {
    await refused(Buffer.from("hello"), "invalid_argument", /not a readable gzip'd tar/);
    const whole = tgz(entry({ path: "a" }, Buffer.alloc(2000, 1)));
    await refused(whole.subarray(0, whole.length - 20), "invalid_argument", /not a readable gzip'd tar/);
    const header = entry({ path: "a", size: 2000 }).subarray(0, 512);
    await refused(
      gzipSync(Buffer.concat([header, Buffer.alloc(512, 1)])),
      "invalid_argument",
      /not a readable gzip'd tar/,
    );
  });

  it("refuses a destination that is not empty", async () => {
    const out = dest();
    await mkdir(out);
    await writeFile(join(out, "x"), "");
    await assert.rejects(unpackSource(tgz(), out), /is not empty/);
  });
});
