/**
 * ACME through `slipway server` (ADR 0021): with `--acme-directory` pointing at a real Pebble
 * (built from Go modules, its DNS answering 127.0.0.1 for every name), an app's custom domain gets
 * a certificate from Pebble — Pebble validates HTTP-01 by fetching the token through the server's
 * HAProxy — and the HTTPS port serves it, while the app's `<app>.localhost` host keeps a
 * certificate from Slipway's local CA. Needs root (gVisor).
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson } from "../src/api/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";
import { HELLO_FILES } from "./helpers/hello-app.js";
import { httpsGet } from "./helpers/https-get.js";
import { buildPebble, startPebble, type TestPebble } from "./helpers/pebble.js";
import { type ServerProcess, slipway, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const APP = "store";
const DOMAIN = `shop-${process.pid}.slipway-acme.net`;

describe("ACME certificates through slipway server (Pebble)", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-server-acme-${process.pid}-`));
  let pebble: TestPebble | undefined;
  let server: ServerProcess | undefined;
  let client: Client;

  before(async () => {
    await sharedTestStack();
    const binDir = await buildPebble();
    // Pebble validates on the router's HTTP port, so that port is chosen first.
    const httpPort = await freePort();
    pebble = await startPebble({ binDir, dir: join(dir, "pebble"), httpPort });
    writeFileSync(join(dir, "pebble-tls.pem"), pebble.tlsCaPem);
    server = await startServer(join(dir, "data"), [
      "--stacks-dir",
      TEST_STACK_ROOT,
      "--http-listen",
      `127.0.0.1:${httpPort}`,
      "--acme-directory",
      pebble.directoryUrl,
      "--acme-email",
      "ops@slipway-acme.net",
      "--acme-ca-file",
      join(dir, "pebble-tls.pem"),
      // The domain resolves only in Pebble's DNS, not on this machine.
      "--acme-no-self-check",
    ]);
    assert.equal(server.httpPort, httpPort);
    client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dir, "data", "admin-token"), "utf8").trim(),
    });
    const spec: AppSpec = {
      name: APP,
      domains: [{ domain: DOMAIN }],
      services: [{ name: "web", http_port: 8080, instance_count: 1 }],
    };
    await client.createApp({ body: { spec, source: { files: HELLO_FILES } } });
    let last: DeploymentJson | undefined;
    await waitFor(
      async () => {
        last = (await client.listDeployments({ params: { app: APP }, query: {} })).deployments[0];
        return last !== undefined && ["ACTIVE", "ERROR", "CANCELED"].includes(last.phase);
      },
      300_000,
      "the app to be deployed",
    );
    assert.equal(last?.phase, "ACTIVE", JSON.stringify(last?.progress));
  });

  after(async () => {
    await server?.stop();
    await pebble?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the custom domain with a certificate Pebble issued after validating through HAProxy", async () => {
    const root = await (pebble as TestPebble).issuingRoot();
    let reply: Awaited<ReturnType<typeof httpsGet>> | undefined;
    await waitFor(
      async () => {
        reply = await httpsGet(server?.httpsPort ?? 0, DOMAIN, { ca: root }).catch(() => undefined);
        return reply?.status === 200;
      },
      120_000,
      `https://${DOMAIN} with a certificate chaining to Pebble's root`,
    );
    assert.equal(reply?.subjectAltName, `DNS:${DOMAIN}`);
    assert.match(reply?.body ?? "", /hello/i);
    // The challenge really went through the router: the server logged the responder's answer.
    assert.match(
      server?.stderr() ?? "",
      new RegExp(`acme: challenge for ${DOMAIN.replace(/\./g, "\\.")}\\S* answered`),
    );
  });

  it("keeps the local CA for the app's own host", async () => {
    const exported = await slipway(["ca", "export", "--data-dir", join(dir, "data")], {});
    assert.equal(exported.code, 0, exported.stderr);
    const host = `${APP}.localhost`;
    let reply: Awaited<ReturnType<typeof httpsGet>> | undefined;
    await waitFor(
      async () => {
        reply = await httpsGet(server?.httpsPort ?? 0, host, { ca: exported.stdout }).catch(() => undefined);
        return reply?.status === 200;
      },
      60_000,
      `https://${host} with the local CA`,
    );
    assert.equal(reply?.subjectAltName, `DNS:${host}`);
    const root = await (pebble as TestPebble).issuingRoot();
    await assert.rejects(
      httpsGet(server?.httpsPort ?? 0, host, { ca: root }),
      /certificate|self.signed|issuer/i,
    );
    assert.ok(new X509Certificate(exported.stdout).ca, "the exported PEM is a CA certificate");
  });
});
