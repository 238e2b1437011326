import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { KEY_FILE_NAME, loadKeyFile, loadSecretKey } from "./key-file.js";
import { secretKey } from "./secret-key.js";

const root = await mkdtemp(join(tmpdir(), `slipway-key-${process.pid}-`));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const dir = () => join(root, `d${n++}`);

describe("the secret key file", () => {
  test("is created on first start with 32 bytes and mode 0600, and reused after", async () => {
    const dataDir = dir();
    const first = await loadSecretKey({ dataDir });
    const path = join(dataDir, KEY_FILE_NAME);
    const info = await stat(path);
    assert.equal(info.mode & 0o777, 0o600);
    const bytes = await readFile(path);
    assert.equal(bytes.length, 32);
    assert.equal(first.id, secretKey(bytes).id);
    const again = await loadSecretKey({ dataDir });
    assert.equal(again.id, first.id);
    assert.deepEqual(await readdir(dataDir), [KEY_FILE_NAME], "no temporary file is left");
  });

  test("concurrent first starts end with one key", async () => {
    const dataDir = dir();
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadSecretKey({ dataDir })));
    assert.equal(new Set(keys.map((k) => k.id)).size, 1);
    assert.deepEqual(await readdir(dataDir), [KEY_FILE_NAME]);
  });

  test("a key file others may read is refused with what to do", async () => {
    const dataDir = dir();
    await loadSecretKey({ dataDir });
    const path = join(dataDir, KEY_FILE_NAME);
    await chmod(path, 0o644);
    await assert.rejects(loadSecretKey({ dataDir }), {
      code: "failed_precondition",
      message: `${path}: the secret key file has mode 0644, so other users may read it; run chmod 600 ${path}`,
    });
  });

  test("text from the env var wins over the files; a given file must exist and may hold text", async () => {
    const bytes = Buffer.alloc(32, 9);
    const want = secretKey(bytes).id;
    const dataDir = dir();
    assert.equal(
      (await loadSecretKey({ dataDir, text: bytes.toString("base64"), file: "/nonexistent" })).id,
      want,
    );
    await assert.rejects(stat(dataDir), { code: "ENOENT" }, "no key file made");
    const file = join(root, `given-${process.pid}.key`);
    await writeFile(file, `${bytes.toString("hex")}\n`, { mode: 0o600 });
    assert.equal((await loadSecretKey({ dataDir, file })).id, want);
    await assert.rejects(loadSecretKey({ dataDir, file: join(root, "missing.key") }), {
      code: "failed_precondition",
      message: /missing\.key: the secret key file does not exist/,
    });
  });

  test("a key file of the wrong size is refused", async () => {
    const file = join(root, `bad-${process.pid}.key`);
    await writeFile(file, Buffer.alloc(31), { mode: 0o600 });
    await assert.rejects(loadKeyFile(file, { create: true }), /bad-\d+\.key: not a secret key/);
  });
});
