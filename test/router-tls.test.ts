/**
 * HTTPS on a real HAProxy: certificates from Slipway's local CA, validated by a client that
 * trusts only the exported root; added and renewed through the runtime API, never a reload.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest, type Server } from "node:http";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect, type TLSSocket } from "node:tls";
import {
  type CertStore,
  exportCaPem,
  type LocalCa,
  loadOrCreateCa,
  renderHaproxyConfig,
  routeTable,
  syncCertificates,
} from "../src/router/index.js";
import { type AppSpec, normalize } from "../src/spec/index.js";
import { freePort, startEcho, startHaproxy, type TestHaproxy } from "./helpers/haproxy.js";

interface Reply {
  status: number;
  body: string;
  serial: string;
  location?: string;
}

/** A TLS request to 127.0.0.1:port with SNI and Host `host`, trusting `ca` only (if given). */
function httpsGet(port: number, host: string, path: string, ca?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        servername: host,
        headers: { host },
        agent: false,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), serial }),
        );
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`no answer for ${host}${path}`)));
    req.on("error", reject);
    req.end();
  });
}

/** A plain HTTP request (fetch cannot set Host, so node:http). */
function httpGet(port: number, host: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => {
        const location = res.headers.location;
        resolve({ status: res.statusCode ?? 0, body: "", serial: "", ...(location ? { location } : {}) });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`no answer for ${host}${path}`)));
    req.on("error", reject);
    req.end();
  });
}

const plain: AppSpec = { name: "a", services: [{ name: "web", http_port: 3000 }] };
const withDomain: AppSpec = { ...plain, domains: [{ domain: "shop.example.com" }] };

describe("HTTPS with the local CA on a real HAProxy", { timeout: 60_000 }, () => {
  let dir = "";
  let haproxy: TestHaproxy | undefined;
  let echo: Server | undefined;
  let ca: LocalCa;
  let store: CertStore;
  let rootPem = "";
  let httpPort = 0;
  let httpsPort = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `slipway-tls-${process.pid}-`));
    const app = await startEcho("a");
    echo = app.server;
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    const statsSocket = join(dir, "haproxy.sock");
    const certDir = join(dir, "certs");
    await mkdir(certDir, { mode: 0o700 });
    store = { certDir, crtList: join(dir, "crt-list.txt") };
    ca = await loadOrCreateCa(join(dir, "ca"));
    rootPem = await exportCaPem(join(dir, "ca"));
    // Before HAProxy starts: a.localhost's certificate on disk, loaded from the crt-list at start.
    await syncCertificates(store, ca, routeTable([{ name: "a", spec: normalize(plain) }]));
    const table = routeTable([{ name: "a", spec: normalize(withDomain) }]);
    const rendered = renderHaproxyConfig(table, {
      httpPort,
      statsSocket,
      mapDir: dir,
      slots: 1,
      spareBackends: 0,
      tls: { httpsPort, crtList: store.crtList, redirectHttp: true },
    });
    for (const [name, text] of Object.entries(rendered.maps)) await writeFile(join(dir, name), text);
    await writeFile(join(dir, "haproxy.cfg"), rendered.config);
    haproxy = await startHaproxy(join(dir, "haproxy.cfg"), statsSocket);
    await haproxy.api.setServer("a__web", 1, "127.0.0.1", app.port);
    await haproxy.api.enableServer("a__web", 1);
    // The custom domain's certificate arrives through the runtime API.
    store = { ...store, api: haproxy.api };
    const plan = await syncCertificates(store, ca, table);
    assert.deepEqual(plan.issue, ["shop.example.com"]);
  });

  after(async () => {
    await haproxy?.stop();
    if (echo) await new Promise((resolve) => echo?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves the app host over TLS with a certificate the exported root validates", async () => {
    const reply = await httpsGet(httpsPort, "a.localhost", "/x?y=1", rootPem);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "a /x?y=1");
  });

  it("offers HTTP/2 by ALPN", async () => {
    const socket = connect({
      host: "127.0.0.1",
      port: httpsPort,
      servername: "a.localhost",
      ca: rootPem,
      ALPNProtocols: ["h2", "http/1.1"],
    });
    try {
      await once(socket, "secureConnect");
      assert.equal(socket.alpnProtocol, "h2");
      assert.equal(socket.authorized, true);
    } finally {
      socket.destroy();
    }
  });

  it("serves a custom domain added at run time, chosen by SNI", async () => {
    const reply = await httpsGet(httpsPort, "shop.example.com", "/d", rootPem);
    assert.equal(reply.body, "a /d");
  });

  it("is not trusted by a client that does not trust the root", async () => {
    await assert.rejects(
      httpsGet(httpsPort, "a.localhost", "/"),
      /unable to verify the first certificate|self.signed|local issuer/i,
    );
  });

  it("fails the handshake cleanly for an unknown SNI", async () => {
    await assert.rejects(httpsGet(httpsPort, "nobody.localhost", "/", rootPem), /unrecognized name/i);
  });

  it("redirects plain HTTP for a routed host to HTTPS, and still 404s unknown hosts", async () => {
    const reply = await httpGet(httpPort, "a.localhost", "/p?q=1");
    assert.equal(reply.status, 308);
    assert.equal(reply.location, `https://a.localhost:${httpsPort}/p?q=1`);
    assert.equal((await httpGet(httpPort, "nobody.localhost", "/")).status, 404);
  });

  it("serves a renewed certificate without a reload", async () => {
    assert.ok(haproxy);
    const pid = await haproxy.workerPid();
    const before = await httpsGet(httpsPort, "a.localhost", "/", rootPem);
    // Every certificate is due when the renewal window is longer than its lifetime.
    const plan = await syncCertificates(store, ca, routeTable([{ name: "a", spec: normalize(withDomain) }]), {
      renewBeforeMs: 31 * 86_400_000,
    });
    assert.deepEqual(plan.renew, ["a.localhost", "shop.example.com"]);
    const after = await httpsGet(httpsPort, "a.localhost", "/", rootPem);
    assert.equal(after.status, 200);
    assert.notEqual(after.serial, before.serial);
    assert.equal(await haproxy.workerPid(), pid);
    assert.match(
      await haproxy.api.command(`show ssl cert ${store.certDir}/a.localhost.pem`),
      new RegExp(`Serial: ${after.serial}`),
    );
  });

  it("stops serving a host whose route is gone", async () => {
    const plan = await syncCertificates(store, ca, routeTable([{ name: "a", spec: normalize(plain) }]));
    assert.deepEqual(plan.remove, ["shop.example.com"]);
    await assert.rejects(httpsGet(httpsPort, "shop.example.com", "/", rootPem), /unrecognized name/i);
    assert.equal((await httpsGet(httpsPort, "a.localhost", "/", rootPem)).status, 200);
  });
});
