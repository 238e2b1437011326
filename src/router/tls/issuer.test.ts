import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { normalize } from "../../spec/index.js";
import { routeTable } from "../route-table.js";
import { loadOrCreateCa } from "./ca.js";
import { certFile, readHeldCertificates, syncCertificates } from "./haproxy-certs.js";
import { type CertificateIssuer, localCaIssuer } from "./issuer.js";

const table = routeTable([
  {
    name: "shop",
    spec: normalize({
      name: "shop",
      domains: [{ domain: "shop.example.com" }, { domain: "down.example.com" }],
      services: [{ name: "web", http_port: 3000 }],
    }),
  },
]);

describe("certificate issuers", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("asks each host's issuer, reports one that fails and installs the others", async () => {
    const dir = await mkdtemp(join(tmpdir(), `slipway-issuer-${process.pid}-`));
    dirs.push(dir);
    const ca = await loadOrCreateCa(join(dir, "ca"));
    const local = localCaIssuer(ca, { days: 15 });
    const asked: string[] = [];
    const other: CertificateIssuer = async (host) => {
      asked.push(host);
      if (host === "down.example.com") throw new Error("ACME order failed: rate limited");
      return local(host);
    };
    const store = { certDir: dir, crtList: join(dir, "crt-list") };
    const issuerFor = (host: string) => (host.endsWith(".example.com") ? other : local);
    const plan = await syncCertificates(store, ca, table, { issuerFor });
    assert.deepEqual(asked.sort(), ["down.example.com", "shop.example.com"]);
    assert.deepEqual(plan.issues, [
      "down.example.com: certificate not issued: ACME order failed: rate limited",
    ]);
    const held = await readHeldCertificates(dir);
    assert.deepEqual(held.map((c) => c.host).sort(), ["shop.example.com", "shop.localhost"]);
    const leaf = new X509Certificate(await readFile(certFile(dir, "shop.localhost"), "utf8"));
    assert.equal(leaf.checkIssued(new X509Certificate(ca.certPem)), true);
    // `days` reached the local CA: 15 days, not the default 30.
    assert.ok(new Date(leaf.validTo).getTime() - Date.now() < 16 * 86_400_000);
    assert.equal(
      await readFile(store.crtList, "utf8"),
      `${certFile(dir, "shop.example.com")}\n${certFile(dir, "shop.localhost")}\n`,
    );
    // The failed host is tried again at the next sync.
    asked.length = 0;
    await syncCertificates(store, ca, table, { issuerFor });
    assert.deepEqual(asked, ["down.example.com"]);
  });
});
