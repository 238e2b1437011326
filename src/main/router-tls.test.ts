import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { issueCertificate, loadOrCreateCa, RENEW_BEFORE_MS, routeTable } from "../router/index.js";
import { normalize } from "../spec/index.js";
import { caDir, createRouterTls } from "./router-tls.js";

const table = routeTable([
  {
    name: "shop",
    spec: normalize({
      name: "shop",
      domains: [{ domain: "shop.example.com" }],
      services: [{ name: "web", http_port: 3000 }],
    }),
  },
]);

describe("router TLS", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("keeps the CA in <data-dir>/ca, writes an empty crt-list before any route, and lets a plugged issuer take chosen hosts", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), `slipway-router-tls-${process.pid}-`));
    dirs.push(dataDir);
    const issuedBy: string[] = [];
    // A stand-in for ACME: signs with a CA of its own, for the custom domain only.
    const other = await loadOrCreateCa(join(dataDir, "other-ca"));
    let due = 0;
    const tls = await createRouterTls({
      dataDir,
      bindAddress: "127.0.0.1",
      httpsPort: 8443,
      issuerFor: (local) => (host) =>
        host === "shop.example.com"
          ? async (h) => {
              issuedBy.push(`other ${h}`);
              return issueCertificate(other, h);
            }
          : async (h) => {
              issuedBy.push(`local ${h}`);
              return local(h);
            },
      onRenewalDue: () => due++,
    });
    try {
      assert.equal((await stat(join(caDir(dataDir), "ca.key"))).mode & 0o777, 0o600);
      assert.equal(await readFile(tls.render.crtList, "utf8"), "");
      assert.deepEqual(tls.render, {
        httpsPort: 8443,
        bindAddress: "127.0.0.1",
        crtList: join(dataDir, "router", "crt-list"),
      });
      const plan = await tls.sync(table, undefined);
      assert.deepEqual(plan.issue, ["shop.example.com", "shop.localhost"]);
      assert.deepEqual(issuedBy.sort(), ["local shop.localhost", "other shop.example.com"]);
      const pem = await readFile(join(dataDir, "router", "certs", "shop.example.com.pem"), "utf8");
      assert.equal(new X509Certificate(pem).checkIssued(new X509Certificate(other.certPem)), true);
      assert.equal(due, 0);
    } finally {
      tls.stop();
    }
  });

  it("asks for a sync when a renewal falls due, and the sync renews", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), `slipway-router-tls-${process.pid}-`));
    dirs.push(dataDir);
    const ca = await loadOrCreateCa(caDir(dataDir));
    // Certificates that fall due about 2 s after they are issued (X.509 times have whole seconds).
    const days = (RENEW_BEFORE_MS + 60_000 + 2000) / 86_400_000;
    let due: () => void = () => {};
    const fellDue = new Promise<void>((resolve) => {
      due = resolve;
    });
    const tls = await createRouterTls({
      dataDir,
      bindAddress: "127.0.0.1",
      httpsPort: 8443,
      issuerFor: () => () => (host) => issueCertificate(ca, host, new Date(Date.now() - 60_000), days),
      onRenewalDue: () => due(),
    });
    try {
      assert.equal((await tls.sync(table, undefined)).issue.length, 2);
      // The renewal timer is unref'd (it must not keep a stopping server alive): hold the loop open.
      const hold = setTimeout(() => {}, 30_000);
      await fellDue;
      clearTimeout(hold);
      const again = await tls.sync(table, undefined);
      assert.deepEqual(again.renew, ["shop.example.com", "shop.localhost"]);
    } finally {
      tls.stop();
    }
  });
});
