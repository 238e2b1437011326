/**
 * Bad input through the real `slipway server` (ADR 0022): a node service and a static site, both
 * from inline files, behind the server's HAProxy. Malformed Host headers, path traversal on the
 * static site, oversized heads and slowloris-style clients each get a clean answer (a status, not a
 * reset; never a file from outside the site), while a load loop on the other app counts every
 * request it sends: all of them must succeed. Needs root (gVisor instances).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "../src/api/index.js";
import { type Load, startLoad } from "./helpers/http-load.js";
import { deployInline, NODE_SERVICE_FILES } from "./helpers/inline-app.js";
import { type RawAnswer, rawRequest, slowClient } from "./helpers/raw-http.js";
import { type ServerProcess, startServer } from "./helpers/server-process.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const HOST_CA = "/etc/ssl/certs/ca-certificates.crt";
const SITE_FILES = [
  { path: "index.html", content: "<!doctype html><title>site</title><h1>the site</h1>\n" },
  { path: "assets/app.css", content: "body { color: #123456; }\n" },
];

describe("bad input through slipway server's router", { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), `slipway-bad-input-${process.pid}-`));
  const dataDir = join(dir, "data");
  let server: ServerProcess | undefined;
  let load: Load | undefined;
  let port = 0;
  /** Files outside the site that must never be served, and a line of each. */
  const secrets: string[] = [];

  const request = (host: string, path: string, extra = "") =>
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;
  const site = () => `site.localhost:${port}`;

  /** The answer is a clean HTTP answer with one of `statuses`, and no secret is in it. */
  function assertClean(what: string, answer: RawAnswer, statuses: number[]): void {
    assert.ok(
      statuses.includes(answer.status),
      `${what}: expected ${statuses.join(" or ")}, got ${answer.status} ${answer.error ?? ""} ${answer.body.slice(0, 120)}`,
    );
    for (const secret of secrets) assert.ok(!answer.body.includes(secret), `${what}: served ${secret}`);
    assert.ok(!answer.body.startsWith("svc "), `${what}: reached the service`);
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    await sharedTestStack();
    const extra = ["--stacks-dir", TEST_STACK_ROOT];
    if (existsSync(HOST_CA)) extra.push("--build-ca-file", HOST_CA);
    server = await startServer(dataDir, extra);
    port = server.httpPort;
    const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    const client = createClient({ baseUrl: server.url, token });
    await Promise.all([
      deployInline(
        client,
        port,
        { name: "svc", services: [{ name: "web", http_port: 8080 }] },
        NODE_SERVICE_FILES,
      ),
      deployInline(client, port, { name: "site", static_sites: [{ name: "www" }] }, SITE_FILES),
    ]).catch((err: unknown) => {
      throw new Error(`${String(err)}\nserver log:\n${server?.stderr().slice(-3000)}`);
    });
    // Outside the site: the server's admin token, the artifact's metadata one level above the
    // site's root, and the host's passwd file.
    const artifacts = join(dataDir, "builds", "artifacts");
    const metadata = readdirSync(artifacts)
      .map((id) => join(artifacts, id, "metadata.json"))
      .filter((f) => existsSync(f) && existsSync(join(f, "..", "app", "assets", "app.css")));
    assert.equal(metadata.length, 1, "the site's artifact");
    secrets.push(token, readFileSync(metadata[0] as string, "utf8").slice(0, 40), "root:x:0:0");
    load = startLoad({
      port,
      host: `svc.localhost:${port}`,
      path: "/load",
      keepAliveClients: 1,
      closeClients: 1,
      maxRequests: 200_000,
      maxMs: 300_000,
      check: (body) => body === "svc /load\n",
    });
    await waitFor(() => (load?.report.ok ?? 0) > 0, 10_000, "the load on svc");
  });

  after(async () => {
    await load?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the site and answers a missing file with 404", async () => {
    assertClean("index", await rawRequest(port, request(site(), "/")), [200]);
    const css = await rawRequest(port, request(site(), "/assets/app.css"));
    assert.equal(css.body, SITE_FILES[1]?.content);
    assertClean("missing", await rawRequest(port, request(site(), "/nope.css")), [404]);
  });

  it("answers malformed Host headers with 400, or 404 when no app has that name", async () => {
    const cases: [string, string, number[]][] = [
      ["empty Host", "GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n", [400]],
      ["no Host", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", [400]],
      ["spaces", request("svc local host", "/"), [400, 404]],
      ["control characters", request(`svc.localhost\x01\x7f:${port}`, "/"), [400, 404]],
      ["10 KB Host", request(`${"a".repeat(10_240)}.localhost:${port}`, "/"), [400, 404]],
      ["host:badport", request("svc.localhost:badport", "/"), [400]],
      ["port out of range", request("svc.localhost:123456", "/"), [400]],
      ["two Host headers", request(`svc.localhost:${port}`, "/", `Host: site.localhost:${port}\r\n`), [400]],
      [
        "absolute URI naming another host",
        request(`svc.localhost:${port}`, `http://site.localhost:${port}/`),
        [400],
      ],
    ];
    for (const [what, bytes, statuses] of cases) assertClean(what, await rawRequest(port, bytes), statuses);
  });

  it("never serves a file outside the static site, however the path is written", async () => {
    const paths = [
      "/../metadata.json",
      "/../../../../admin-token",
      "/assets/../../metadata.json",
      "/../../../../../../../../etc/passwd",
      "/%2e%2e/metadata.json",
      "/%2E%2E/%2e%2e/%2e%2e/%2e%2e/admin-token",
      "/.%2e/metadata.json",
      "/..%2fmetadata.json",
      "/assets%2f..%2f..%2fmetadata.json",
      "/%252e%252e/metadata.json",
      "/%25252e%25252e/metadata.json",
      "/..\\metadata.json",
      "/assets\\..\\..\\metadata.json",
      "/..%5cmetadata.json",
      "/index.html%00.css",
      "/%00",
      "/%c0%ae%c0%ae/metadata.json",
      "//etc/passwd",
      "/./../metadata.json",
      `/${"a".repeat(300)}/../metadata.json`,
      `/${"a".repeat(300)}`,
    ];
    const seen: string[] = [];
    for (const path of paths) {
      const answer = await rawRequest(port, request(site(), path));
      seen.push(`${answer.status} ${path.slice(0, 40)}`);
      assertClean(path, answer, [400, 404]);
    }
    process.stdout.write(`# traversal answers: ${seen.join(", ")}\n`);
    // A raw NUL never reaches the site: HAProxy refuses the request line.
    assertClean("raw NUL", await rawRequest(port, request(site(), "/index.html\x00.css")), [400]);
  });

  it("answers oversized heads with HAProxy's own 400, and long site paths with 414", async () => {
    const cases: [string, string, number[]][] = [
      ["20 KB header", request(site(), "/", `X-Big: ${"a".repeat(20_000)}\r\n`), [400, 431]],
      [
        "150 headers",
        request(site(), "/", Array.from({ length: 150 }, (_, i) => `X-H${i}: v\r\n`).join("")),
        [400, 431],
      ],
      ["20 KB URI", request(site(), `/${"a".repeat(20_000)}`), [400, 414]],
      ["20 KB URI to the service", request(`svc.localhost:${port}`, `/${"a".repeat(20_000)}`), [400, 414]],
    ];
    for (const [what, bytes, statuses] of cases) {
      const answer = await rawRequest(port, bytes);
      assertClean(what, answer, statuses);
      assert.equal(answer.error, undefined, `${what}: the connection ended with ${answer.error}`);
    }
    // Under HAProxy's buffer the request reaches the static server, which refuses paths past 4 KiB.
    assertClean("5 KB site path", await rawRequest(port, request(site(), `/${"a".repeat(5000)}`)), [414]);
  });

  it("closes slowloris-style clients with 408 once timeout http-request passes", async () => {
    const head = `GET / HTTP/1.1\r\nHost: ${site()}\r\nX-Slow: `;
    const clients = Array.from({ length: 4 }, () => slowClient(port, head, 1000, 120));
    const answers = await Promise.all(clients.map((c) => c.closed));
    for (const [i, answer] of answers.entries()) {
      assert.equal(answer.status, 408, `slow client ${i}: ${JSON.stringify(answer)}`);
      // Closed by HAProxy, long before the client's own bound of 120 bytes ran out.
      assert.ok((clients[i]?.sent() ?? 0) < head.length + 120, `slow client ${i} was not cut off`);
    }
  });

  it("holds a slowly sent body at the router (option http-buffer-request) and answers 408", async () => {
    // Without the option HAProxy would pass the request on at once and the site would answer 405.
    const head = `POST / HTTP/1.1\r\nHost: ${site()}\r\nContent-Length: 1000\r\n\r\n`;
    const clients = Array.from({ length: 2 }, () => slowClient(port, head, 1000, 120));
    const answers = await Promise.all(clients.map((c) => c.closed));
    for (const [i, answer] of answers.entries())
      assert.equal(answer.status, 408, `slow body ${i}: ${JSON.stringify(answer)}`);
  });

  it("kept serving the other app: every request of the load on svc succeeded", async () => {
    const report = await (load as Load).stop();
    load = undefined;
    process.stdout.write(
      `# svc during the bad input: ${report.ok} requests, ${report.failures.length} failed\n`,
    );
    assert.ok(report.ok > 0);
    assert.deepEqual(report.failures.slice(0, 5), []);
  });
});
