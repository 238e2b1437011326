import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { caFiles, exportCaPem, issueCertificate, LEAF_DAYS, loadOrCreateCa } from "./ca.js";

describe("local CA", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), `slipway-ca-${process.pid}-`));
    dirs.push(d);
    return join(d, "ca");
  };

  it("creates a root once, with the key 0600, and loads the same root again", async () => {
    const dir = await tempDir();
    const ca = await loadOrCreateCa(dir);
    assert.equal((await stat(caFiles(dir).key)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const again = await loadOrCreateCa(dir);
    assert.equal(again.certPem, ca.certPem);
    const root = new X509Certificate(await exportCaPem(dir));
    assert.equal(root.ca, true);
    assert.equal(root.verify(root.publicKey), true);
  });

  it("issues a short-lived leaf for exactly its host, signed by the root", async () => {
    const dir = await tempDir();
    const ca = await loadOrCreateCa(dir);
    const now = new Date("2026-11-22T00:00:00Z");
    const leaf = await issueCertificate(ca, "a.localhost", now);
    const cert = new X509Certificate(leaf.certPem);
    const root = new X509Certificate(ca.certPem);
    assert.equal(cert.verify(root.publicKey), true);
    assert.equal(cert.checkIssued(root), true);
    assert.equal(cert.subjectAltName, "DNS:a.localhost");
    assert.equal(cert.checkHost("a.localhost"), "a.localhost");
    assert.equal(cert.checkHost("b.localhost"), undefined);
    assert.equal(cert.ca, false);
    assert.equal(leaf.serial, cert.serialNumber.toUpperCase());
    assert.equal(leaf.notAfter.getTime() - now.getTime(), LEAF_DAYS * 86_400_000);
    assert.equal(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(leaf.keyPem)), true);
    const other = await issueCertificate(ca, "a.localhost", now);
    assert.notEqual(other.serial, leaf.serial);
  });

  it("refuses a host that is not a DNS name and an export with no CA", async () => {
    const dir = await tempDir();
    const ca = await loadOrCreateCa(dir);
    await assert.rejects(issueCertificate(ca, "a b"), { code: "invalid_argument" });
    await assert.rejects(exportCaPem(join(dir, "none")), { code: "not_found" });
  });
});
