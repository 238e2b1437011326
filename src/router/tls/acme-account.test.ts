import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadOrCreateAccountKey } from "./acme-account.js";

describe("loadOrCreateAccountKey", () => {
  it("creates a P-256 key once (file 0600, folder 0700) and reuses it", async () => {
    const dir = await mkdtemp(join(tmpdir(), `slipway-acme-key-${process.pid}-`));
    try {
      const file = join(dir, "acme", "account.key");
      const first = await loadOrCreateAccountKey(file);
      assert.equal(createPrivateKey(first).asymmetricKeyDetails?.namedCurve, "prime256v1");
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, "acme"))).mode & 0o777, 0o700);
      await chmod(file, 0o644);
      assert.equal(await loadOrCreateAccountKey(file), first);
      assert.equal((await stat(file)).mode & 0o777, 0o600, "a loosened key is made private again");
      const racing = await Promise.all([1, 2, 3].map(() => loadOrCreateAccountKey(join(dir, "b.key"))));
      assert.equal(new Set(racing).size, 1, "concurrent first uses agree on one key");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
