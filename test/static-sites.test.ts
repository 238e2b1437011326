/**
 * Static sites through a real HAProxy 2.6 and the real static server: examples/static-site (a
 * single-page app) and a Vite build output (the checked-in test/fixtures/static/vite-dist, see its
 * README), both published as artifacts with the real artifact store.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { type IncomingHttpHeaders, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { publishArtifact } from "../src/build/index.js";
import { IMMUTABLE, REVALIDATE, SHORT, SITE_HEADER, startStaticServer } from "../src/router/index.js";
import type { AppSpec } from "../src/spec/index.js";
import { repoRoot } from "./helpers/repo-root.js";
import { type StaticStack, startStaticStack } from "./helpers/static-stack.js";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(
  port: number,
  host: string,
  path: string,
  extra: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: extra.method ?? "GET",
        headers: { ...extra.headers, host },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`no answer for ${host}${path}`)));
    req.on("error", reject);
    req.end();
  });
}

/** Sends `head` as written (no client-side normalization of the path) and returns the raw reply. */
function raw(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(head)}`)));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
    socket.write(head);
  });
}

const SECRET = `top-secret-${process.pid}`;
const spa: AppSpec = {
  name: "spa",
  static_sites: [{ name: "site", index_document: "index.html", catchall_document: "index.html" }],
};
const vite: AppSpec = { name: "vite", static_sites: [{ name: "web", error_document: "404.html" }] };
const uncached: AppSpec = {
  name: "uncached",
  disable_edge_cache: true,
  static_sites: [{ name: "web", error_document: "404.html" }],
};
const JS = "/assets/index-BkVz8Q2a.js";
// Two sites on one host: /b/... is site b with /b stripped, so both see the same paths.
const two: AppSpec = {
  name: "two",
  static_sites: [
    { name: "a", routes: [{ path: "/" }] },
    { name: "b", routes: [{ path: "/b" }], catchall_document: "index.html" },
  ],
};

describe("static sites behind a real HAProxy", { timeout: 60_000 }, () => {
  let work = "";
  let stack: StaticStack | undefined;
  let port = 0;
  let viteDir = "";
  let jsBody = Buffer.alloc(0);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), `slipway-static-sites-${process.pid}-`));
    const artifacts = join(work, "artifacts");
    const publish = async (id: string, from: string) => {
      const tree = join(work, `${id}-tree`);
      await cp(from, tree, { recursive: true });
      const meta = { id, group: "static" as never, workdir: "/workspace", env: {}, stackVersion: "test" };
      return (await publishArtifact(artifacts, tree, { ...meta, createdAt: new Date(0).toISOString() }))
        .appDir;
    };
    const spaDir = await publish("spa-1", join(repoRoot(), "examples/static-site"));
    viteDir = await publish("vite-1", join(repoRoot(), "test/fixtures/static/vite-dist"));
    // Something outside every site's tree that no request may ever read, and a link to it.
    await writeFile(join(work, "secret.txt"), SECRET);
    await symlink(join(work, "secret.txt"), join(viteDir, "leak.txt"));
    await symlink(work, join(viteDir, "up"));
    jsBody = await readFile(join(viteDir, JS));
    stack = await startStaticStack(
      [
        { spec: spa, roots: { site: spaDir } },
        { spec: vite, roots: { web: viteDir } },
        { spec: uncached, roots: { web: viteDir } },
        { spec: two, roots: { a: viteDir, b: spaDir } },
      ],
      { cacheStatusHeader: true },
    );
    port = stack.port;
  });

  after(async () => {
    await stack?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const hits = (site: string, url: string) =>
    stack?.accesses.filter((a) => a.site === site && a.url === url).length ?? 0;

  it("serves the index document with text/html and no-cache", async () => {
    const reply = await get(port, "spa.localhost", "/");
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(reply.headers["cache-control"], REVALIDATE);
    assert.match(reply.body.toString(), /Hello from a static site on Slipway/);
  });

  it("serves Vite's hashed assets immutable and with their content types", async () => {
    const js = await get(port, "vite.localhost", JS);
    assert.equal(js.status, 200);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(js.headers["cache-control"], IMMUTABLE);
    assert.deepEqual(js.body, jsBody);
    const css = await get(port, "vite.localhost", "/assets/index-DiwrgTda.css");
    assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
    assert.equal(css.headers["cache-control"], IMMUTABLE);
    const svg = await get(port, "vite.localhost", "/vite.svg");
    assert.equal(svg.headers["content-type"], "image/svg+xml; charset=utf-8");
    assert.equal(svg.headers["cache-control"], SHORT);
  });

  it("answers 304 to If-None-Match and If-Modified-Since, and HEAD without a body", async () => {
    const first = await get(port, "uncached.localhost", "/index.html");
    const etag = first.headers.etag ?? "";
    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
    const byTag = await get(port, "uncached.localhost", "/index.html", {
      headers: { "if-none-match": etag },
    });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body.length, 0);
    const since = first.headers["last-modified"] ?? "";
    const byDate = await get(port, "uncached.localhost", "/index.html", {
      headers: { "if-modified-since": since },
    });
    assert.equal(byDate.status, 304);
    const other = await get(port, "uncached.localhost", "/index.html", {
      headers: { "if-none-match": '"x"' },
    });
    assert.equal(other.status, 200);
    const head = await get(port, "uncached.localhost", JS, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], String(jsBody.length));
    assert.equal(head.body.length, 0);
  });

  it("sends br and gzip bodies that decode to the file, with Vary: Accept-Encoding", async () => {
    const br = await get(port, "uncached.localhost", JS, { headers: { "accept-encoding": "gzip, br" } });
    assert.equal(br.headers["content-encoding"], "br");
    assert.match(br.headers.vary ?? "", /Accept-Encoding/i);
    assert.ok(br.body.length < jsBody.length);
    assert.deepEqual(brotliDecompressSync(br.body), jsBody);
    const gz = await get(port, "uncached.localhost", JS, { headers: { "accept-encoding": "gzip" } });
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.deepEqual(gunzipSync(gz.body), jsBody);
    assert.notEqual(gz.headers.etag, br.headers.etag);
    const plain = await get(port, "uncached.localhost", JS);
    assert.equal(plain.headers["content-encoding"], undefined);
  });

  it("answers one byte range with 206 and a range past the end with 416", async () => {
    const part = await get(port, "uncached.localhost", JS, { headers: { range: "bytes=10-19" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers["content-range"], `bytes 10-19/${jsBody.length}`);
    assert.deepEqual(part.body, jsBody.subarray(10, 20));
    const past = await get(port, "uncached.localhost", JS, { headers: { range: "bytes=999999-" } });
    assert.equal(past.status, 416);
  });

  it("serves the catch-all document with 200 for any unknown path of a single-page app", async () => {
    const reply = await get(port, "spa.localhost", "/some/route");
    assert.equal(reply.status, 200);
    assert.match(reply.body.toString(), /Hello from a static site on Slipway/);
  });

  it("serves the error document with 404 for an unknown path of a site without a catch-all", async () => {
    const reply = await get(port, "vite.localhost", "/no/such/page");
    assert.equal(reply.status, 404);
    assert.equal(reply.body.toString(), await readFile(join(viteDir, "404.html"), "utf8"));
  });

  it("redirects a directory to its trailing slash and serves its index there", async () => {
    const bare = await get(port, "vite.localhost", "/docs?x=1");
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.location, "docs/?x=1");
    const index = await get(port, "vite.localhost", "/docs/");
    assert.equal(index.status, 200);
    assert.match(index.body.toString(), /Docs index/);
  });

  it("answers other methods with 405 and Allow", async () => {
    const reply = await get(port, "vite.localhost", "/", { method: "POST" });
    assert.equal(reply.status, 405);
    assert.equal(reply.headers.allow, "GET, HEAD");
  });

  it("refuses traversal, encoded separators and links out of the tree, raw through HAProxy and direct", async () => {
    const paths = [
      "/../secret.txt",
      "/../../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/%2E%2E/secret.txt",
      "/..%2fsecret.txt",
      "/..%5csecret.txt",
      "/..\\secret.txt",
      "/%252e%252e/secret.txt",
      "/%c0%ae%c0%ae/secret.txt",
      "/leak.txt",
      "/up/secret.txt",
      "/up/artifacts/vite-1/metadata.json",
      "/index.html%00.js",
      "/.do/app.yaml",
    ];
    for (const path of paths) {
      for (const [target, extra] of [
        [port, "Host: vite.localhost\r\n"],
        [stack?.server.port ?? 0, `Host: x\r\n${SITE_HEADER}: vite/web\r\n`],
      ] as const) {
        const reply = await raw(target, `GET ${path} HTTP/1.1\r\n${extra}Connection: close\r\n\r\n`);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]);
        assert.ok(status >= 400 && status < 500, `${path} on ${target}: ${reply.slice(0, 80)}`);
        assert.ok(!reply.includes(SECRET), `${path} leaked the secret`);
        assert.ok(!reply.includes("stackVersion"), `${path} leaked metadata.json`);
        assert.ok(!reply.includes(work), `${path} leaked a host path`);
      }
    }
  });

  it("refuses a request target over the limit with 414", async () => {
    const reply = await get(port, "vite.localhost", `/${"a".repeat(5000)}`);
    assert.equal(reply.status, 414);
  });

  it("ignores a site header sent by the client: HAProxy sets its own", async () => {
    const reply = await get(port, "spa.localhost", JS, { headers: { [SITE_HEADER]: "vite/web" } });
    assert.equal(reply.status, 200);
    assert.match(reply.body.toString(), /Hello from a static site/);
  });

  it("serves a repeated asset request from the edge cache, not the static server", async () => {
    const headers = { "accept-encoding": "br" };
    // A query of its own: an identity copy cached by an earlier test is a valid answer to "br" too.
    const url = "/assets/index-DiwrgTda.css?edge=1";
    const before = hits("vite/web", url);
    const first = await get(port, "vite.localhost", url, { headers });
    const second = await get(port, "vite.localhost", url, { headers });
    assert.equal(first.headers["x-cache-status"], "MISS");
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers["content-encoding"], "br");
    assert.equal(hits("vite/web", url) - before, 1);
    const gzip = await get(port, "vite.localhost", url, { headers: { "accept-encoding": "gzip" } });
    assert.deepEqual(gunzipSync(gzip.body), await readFile(join(viteDir, "assets/index-DiwrgTda.css")));
    assert.equal(hits("vite/web", url) - before, 2);
    assert.equal(second.headers["x-cache-status"], "HIT");
    const cache = await stack?.api.command("show cache");
    assert.match(cache ?? "", /slipway_static/);
  });

  it("keeps two sites on one host apart in the edge cache", async () => {
    const url = "/assets/index-DiwrgTda.css?two=1";
    const a = await get(port, "two.localhost", url);
    assert.equal(a.headers["content-type"], "text/css; charset=utf-8");
    assert.equal((await get(port, "two.localhost", url)).headers["x-cache-status"], "HIT");
    const b = await get(port, "two.localhost", `/b${url}`);
    assert.equal(b.headers["content-type"], "text/html; charset=utf-8");
    assert.match(b.body.toString(), /Hello from a static site/);
  });

  it("goes to the static server every time when the app sets disable_edge_cache", async () => {
    const url = "/assets/index-DiwrgTda.css";
    const before = hits("uncached/web", url);
    await get(port, "uncached.localhost", url);
    await get(port, "uncached.localhost", url);
    assert.equal(hits("uncached/web", url) - before, 2);
  });

  it("adds, swaps and removes sites at run time without a restart, and hides paths in errors", async () => {
    const sites = stack?.sites;
    assert.ok(sites);
    const direct = (site: string, path: string) =>
      get(stack?.server.port ?? 0, "x", path, { headers: { [SITE_HEADER]: site } });
    assert.equal((await direct("later/web", "/vite.svg")).status, 404);
    sites.set("later/web", { root: viteDir });
    assert.equal((await direct("later/web", "/vite.svg")).status, 200);
    const gone = join(work, "gone");
    await mkdir(gone);
    sites.set("later/web", { root: gone });
    assert.equal((await direct("later/web", "/vite.svg")).status, 404);
    await rm(gone, { recursive: true });
    const broken = await direct("later/web", "/vite.svg");
    assert.equal(broken.status, 500);
    assert.ok(!broken.body.toString().includes(work));
    sites.delete("later/web");
    assert.equal((await direct("later/web", "/vite.svg")).status, 404);
  });
});

describe("the static server alone", { timeout: 30_000 }, () => {
  it("drops a client that never finishes its headers (408) instead of waiting forever", async () => {
    const server = await startStaticServer({ sites: () => undefined, headersTimeoutMs: 300 });
    try {
      const socket = connect(server.port, "127.0.0.1");
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
      await once(socket, "close");
      assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 408/);
    } finally {
      await server.close();
    }
  });
});
