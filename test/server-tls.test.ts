/**
 * HTTPS through the real `slipway server` (ADR 0020): an app built from inline files and run in
 * gVisor is served at `https://<app>.localhost:<https-port>` with a certificate from the server's
 * local CA, which `slipway ca export` prints (and `GET /v1/ca` serves); a client without that CA fails the handshake; a
 * custom domain from `domains[]` gets its own certificate (chosen by SNI); an app added later gets
 * its certificate through HAProxy's runtime API with the same worker PID; a removed app's
 * certificate goes away. Needs root (gVisor).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type DeploymentJson } from "../src/api/index.js";
import { createRuntimeApi } from "../src/router/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { HELLO_FILES } from "./helpers/hello-app.js";
import { httpsGet } from "./helpers/https-get.js";
import { getViaRouter, NOT_ROUTED } from "./helpers/router-get.js";
import { type ServerProcess, slipway, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const DOMAIN = "shop.example.test";

function spec(name: string, domains: string[] = []): AppSpec {
  return {
    name,
    ...(domains.length === 0 ? {} : { domains: domains.map((domain) => ({ domain })) }),
    services: [{ name: "web", http_port: 8080, instance_count: 1 }],
  };
}

describe("HTTPS through slipway server", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-server-tls-${process.pid}-`));
  const dataDir = join(dir, "data");
  let server: ServerProcess;
  let client: Client;
  let caPem = "";

  /** Creates `app` from the inline files and waits until it is ACTIVE and routed over HTTP. */
  async function deploy(app: string, domains: string[] = []): Promise<void> {
    await client.createApp({ body: { spec: spec(app, domains), source: { files: HELLO_FILES } } });
    let last: DeploymentJson | undefined;
    await waitFor(
      async () => {
        last = (await client.listDeployments({ params: { app }, query: {} })).deployments[0];
        return last !== undefined && ["ACTIVE", "ERROR", "CANCELED"].includes(last.phase);
      },
      300_000,
      `${app} to be deployed`,
    );
    assert.equal(last?.phase, "ACTIVE", JSON.stringify(last?.progress));
    await waitFor(
      async () => {
        const r = await getViaRouter(server.httpPort, `${app}.localhost:${server.httpPort}`);
        return r.status === 200 && r.body !== NOT_ROUTED;
      },
      60_000,
      `${app} to be routed`,
    );
  }

  /** Waits for an HTTPS answer from `host` trusting the exported CA (certificates follow routes). */
  async function httpsOnceReady(host: string) {
    let reply: Awaited<ReturnType<typeof httpsGet>> | undefined;
    await waitFor(
      async () => {
        reply = await httpsGet(server.httpsPort, host, { ca: caPem }).catch(() => undefined);
        return reply?.status === 200;
      },
      30_000,
      `https://${host} to answer`,
    );
    return reply as Awaited<ReturnType<typeof httpsGet>>;
  }

  const workerPid = async () => {
    const api = createRuntimeApi({ socketPath: join(dataDir, "router", "admin.sock") });
    return Number(/^Pid: (\d+)$/m.exec(await api.command("show info"))?.[1]);
  };

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    await sharedTestStack();
    server = await startServer(dataDir, ["--stacks-dir", TEST_STACK_ROOT, "--verbose"]);
    client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dataDir, "admin-token"), "utf8").trim(),
    });
    await deploy("hello", [DOMAIN]);
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exports the local CA, kept in the data directory with its key 0600", async () => {
    const printed = await slipway(["ca", "export", "--data-dir", dataDir], { HOME: dir });
    assert.equal(printed.code, 0, printed.stderr);
    caPem = printed.stdout;
    assert.match(printed.stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const file = join(dir, "ca.pem");
    const written = await slipway(["ca", "export", "--data-dir", dataDir, "-o", file], { HOME: dir });
    assert.equal(written.code, 0, written.stderr);
    assert.equal(readFileSync(file, "utf8"), printed.stdout);
    assert.equal(statSync(join(dataDir, "ca", "ca.key")).mode & 0o777, 0o600);
    // The API serves the same root to any authenticated caller.
    assert.equal((await client.getCa({})).certificate_pem.trim(), caPem.trim());
    await assert.rejects(createClient({ baseUrl: server.url }).getCa({}), /token/i);
    const missing = await slipway(["ca", "export", "--data-dir", join(dir, "nowhere")], { HOME: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no CA at .*nowhere\/ca\/ca\.pem; start `slipway server/);
  });

  it("serves the app over HTTPS with a certificate for its host, signed by the exported CA", async () => {
    const reply = await httpsOnceReady("hello.localhost");
    assert.equal(reply.body, "hello https auth=no\n");
    assert.equal(reply.subjectAltName, "DNS:hello.localhost");
    // Plain HTTP still works and says so.
    const plain = await getViaRouter(server.httpPort, `hello.localhost:${server.httpPort}`);
    assert.equal(plain.body, "hello http auth=no\n");
  });

  it("fails the handshake for a client that does not trust the local CA", async () => {
    await assert.rejects(httpsGet(server.httpsPort, "hello.localhost"), (err: NodeJS.ErrnoException) => {
      assert.match(String(err.code), /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
      return true;
    });
  });

  it("gives a custom domain its own certificate, chosen by SNI", async () => {
    const own = await httpsOnceReady(DOMAIN);
    const main = await httpsGet(server.httpsPort, "hello.localhost", { ca: caPem });
    assert.equal(own.body, "hello https auth=no\n");
    assert.equal(own.subjectAltName, `DNS:${DOMAIN}`);
    assert.notEqual(own.serial, main.serial);
    // An unrouted name gets no certificate at all (strict SNI), not another host's.
    await assert.rejects(httpsGet(server.httpsPort, "nobody.localhost", { ca: caPem }), /unrecognized name/i);
  });

  it("issues a certificate for an app added later without restarting or reloading HAProxy", async () => {
    const before = await workerPid();
    assert.ok(before > 0);
    const started = performance.now();
    await deploy("second");
    const reply = await httpsOnceReady("second.localhost");
    process.stdout.write(
      `# second app created, built, running and served over HTTPS in ${Math.round(performance.now() - started)} ms\n`,
    );
    assert.equal(reply.subjectAltName, "DNS:second.localhost");
    assert.equal(await workerPid(), before, "HAProxy's worker PID is unchanged");
    assert.ok(statSync(join(dataDir, "router", "certs", "second.localhost.pem")).isFile());
  });

  it("removes the certificate of a deleted app", async () => {
    await client.deleteApp({ params: { app: "second" } });
    await waitFor(
      async () =>
        (await httpsGet(server.httpsPort, "second.localhost", { ca: caPem }).then(
          () => false,
          (err: Error) => /unrecognized name/i.test(err.message),
        )) === true,
      60_000,
      "second.localhost's certificate to be removed",
    );
    assert.equal(
      readFileSync(join(dataDir, "router", "crt-list"), "utf8").includes("second.localhost"),
      false,
    );
    // The others still serve.
    assert.equal((await httpsGet(server.httpsPort, "hello.localhost", { ca: caPem })).status, 200);
  });
});
