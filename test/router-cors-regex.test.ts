/**
 * Regex CORS origins (ADR 0022) with a real HAProxy 2.6 on loopback: an app whose policy allows
 * `https://<anything>.preview.example.com` (RE2, translated for PCRE2 and anchored) and,
 * case-insensitively, `https://<letters>.example.org`; preflights and simple requests from
 * allowed origins get the CORS headers, other origins — including ones that only contain an
 * allowed origin, which an unanchored regex would let through — do not.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type IncomingHttpHeaders, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderHaproxyConfig, routeTable } from "../src/router/index.js";
import { type AppSpec, normalize } from "../src/spec/index.js";
import { freePort, startEcho, startHaproxy, type TestHaproxy } from "./helpers/haproxy.js";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(port: number, method: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/x",
        method,
        headers: { host: "cors.localhost", ...headers },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error("no answer")));
    req.on("error", reject);
    req.end();
  });
}

const spec: AppSpec = {
  name: "cors",
  services: [{ name: "web", http_port: 3000 }],
  ingress: {
    rules: [
      {
        match: { path: { prefix: "/" } },
        component: { name: "web" },
        cors: {
          allow_origins: [
            { regex: "https://[a-z0-9-]+\\.preview\\.example\\.com" },
            { regex: "(?i)https://[a-z]+\\.example\\.org" },
          ],
          allow_methods: ["GET", "PUT"],
          max_age: "10m",
        },
      },
    ],
  },
};

const ALLOWED = [
  "https://pr-12.preview.example.com",
  "https://a.preview.example.com",
  "https://Docs.EXAMPLE.org",
];
const REFUSED = [
  "https://evil.com/?https://a.preview.example.com",
  "https://a.preview.example.com.evil.com",
  "http://a.preview.example.com",
  "https://a.b.preview.example.com",
  "https://docs1.example.org",
  "https://x.example.orgx",
  `https://${"a".repeat(400)}.preview.example.com`,
];

describe("regex CORS origins through a real HAProxy", { timeout: 60_000 }, () => {
  let dir = "";
  let haproxy: TestHaproxy | undefined;
  let app: Server | undefined;
  let port = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `slipway-cors-${process.pid}-`));
    const echo = await startEcho("web");
    app = echo.server;
    port = await freePort();
    const statsSocket = join(dir, "admin.sock");
    const { config, maps } = renderHaproxyConfig(routeTable([{ name: "cors", spec: normalize(spec) }]), {
      httpPort: port,
      statsSocket,
      mapDir: dir,
      spareBackends: 0,
      servers: { cors__web: [{ addr: "127.0.0.1", port: echo.port }] },
    });
    assert.match(config, /-m reg '/, "the regex origins are rendered");
    for (const [name, text] of Object.entries(maps)) await writeFile(join(dir, name), text);
    await writeFile(join(dir, "haproxy.cfg"), config);
    haproxy = await startHaproxy(join(dir, "haproxy.cfg"), statsSocket);
  });

  after(async () => {
    await haproxy?.stop();
    app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers preflights from matching origins with 204 and the policy's headers", async () => {
    for (const origin of ALLOWED) {
      const r = await send(port, "OPTIONS", { origin, "access-control-request-method": "PUT" });
      assert.equal(r.status, 204, origin);
      assert.equal(r.headers["access-control-allow-origin"], origin);
      assert.equal(r.headers["access-control-allow-methods"], "GET, PUT");
      assert.equal(r.headers["access-control-max-age"], "600");
    }
  });

  it("passes preflights from other origins to the app, without CORS headers", async () => {
    for (const origin of REFUSED) {
      const r = await send(port, "OPTIONS", { origin, "access-control-request-method": "PUT" });
      assert.equal(r.status, 200, origin);
      assert.equal(r.body, "web /x");
      assert.equal(r.headers["access-control-allow-origin"], undefined, origin);
    }
  });

  it("adds Allow-Origin to simple requests from matching origins only", async () => {
    for (const origin of ALLOWED) {
      const r = await send(port, "GET", { origin });
      assert.equal(r.body, "web /x");
      assert.equal(r.headers["access-control-allow-origin"], origin);
      assert.match(String(r.headers.vary), /Origin/);
    }
    for (const origin of REFUSED) {
      const r = await send(port, "GET", { origin });
      assert.equal(r.body, "web /x");
      assert.equal(r.headers["access-control-allow-origin"], undefined, origin);
    }
    const none = await send(port, "GET", {});
    assert.equal(none.headers["access-control-allow-origin"], undefined);
  });
});
