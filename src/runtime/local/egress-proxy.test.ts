import assert from "node:assert/strict";
import { once } from "node:events";
import { request } from "node:http";
import { BlockList, createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import { parseEgressAllowlist } from "./egress-allowlist.js";
import {
  defaultBlockedAddresses,
  type EgressDecision,
  type EgressProxy,
  startEgressProxy,
} from "./egress-proxy.js";

/** Sends CONNECT `target` and returns the status, body, and the tunnel socket when it opened. */
function connectThrough(
  proxy: EgressProxy,
  target: string,
): Promise<{ status: number; body: string; socket: Socket; head?: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.host, port: proxy.port, method: "CONNECT", path: target });
    req.once("connect", (res, socket, head) => {
      if (res.statusCode === 200) return resolve({ status: 200, body: "", socket, head });
      let body = head.toString();
      socket.on("data", (d: Buffer) => {
        body += d.toString();
      });
      socket.once("close", () => resolve({ status: res.statusCode ?? 0, body, socket }));
    });
    req.once("error", reject);
    req.end();
  });
}

describe("startEgressProxy (loopback)", () => {
  let echo: Server;
  let echoPort = 0;
  let open: EgressProxy;
  let strict: EgressProxy;
  const decisions: EgressDecision[] = [];

  before(async () => {
    echo = createServer((s) => s.pipe(s)).listen(0, "127.0.0.1");
    await once(echo, "listening");
    const a = echo.address();
    echoPort = typeof a === "object" && a !== null ? a.port : 0;
    const allow = parseEgressAllowlist(["registry.example.org", "*.files.example.org"]);
    const resolve = async (h: string) => (h.endsWith("example.org") ? ["127.0.0.1"] : []);
    // `open` may reach loopback (standing in for a registry); `strict` has the default ranges.
    open = await startEgressProxy({
      host: "127.0.0.1",
      allow,
      ports: [echoPort],
      resolve,
      blocked: new BlockList(),
      onDecision: (d) => decisions.push(d),
    });
    strict = await startEgressProxy({ host: "127.0.0.1", allow, ports: [echoPort], resolve });
  });

  after(async () => {
    await open?.close();
    await strict?.close();
    echo?.close();
  });

  it("tunnels to an allowlisted name, bytes both ways", async () => {
    const { status, socket } = await connectThrough(open, `a.files.example.org:${echoPort}`);
    assert.equal(status, 200);
    socket.write("ping");
    const [data] = (await once(socket, "data")) as [Buffer];
    assert.equal(data.toString(), "ping");
    socket.destroy();
    assert.ok(decisions.some((d) => d.allowed && d.target === `a.files.example.org:${echoPort}`));
  });

  it("passes every byte of an answer the registry closes right after sending", async () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 7);
    const burst = createServer((s) => s.end(payload)).listen(0, "127.0.0.1");
    await once(burst, "listening");
    const port = (burst.address() as { port: number }).port;
    const proxy = await startEgressProxy({
      host: "127.0.0.1",
      allow: parseEgressAllowlist(["registry.example.org"]),
      ports: [port],
      resolve: async () => ["127.0.0.1"],
      blocked: new BlockList(),
    });
    try {
      const { status, socket, head } = await connectThrough(proxy, `registry.example.org:${port}`);
      assert.equal(status, 200);
      let received = head?.length ?? 0;
      socket.on("data", (d: Buffer) => {
        received += d.length;
      });
      await once(socket, "end");
      assert.equal(received, payload.length);
    } finally {
      await proxy.close();
      burst.close();
    }
  });

  it("refuses other names, IP literals and ports with a 403 that names host and allowlist", async () => {
    const other = await connectThrough(open, `example.com:${echoPort}`);
    assert.equal(other.status, 403);
    assert.match(
      other.body,
      /example\.com is not an allowed package registry.*registry\.example\.org, \*\.files\.example\.org/,
    );
    assert.equal((await connectThrough(open, `127.0.0.1:${echoPort}`)).status, 403);
    assert.equal((await connectThrough(open, `[::1]:${echoPort}`)).status, 403);
    const port = await connectThrough(open, "registry.example.org:22");
    assert.equal(port.status, 403);
    assert.match(port.body, /port 22/);
    assert.equal((await connectThrough(open, "nonsense")).status, 400);
  });

  it("refuses a name that resolves to loopback (DNS rebinding) with the default ranges", async () => {
    const r = await connectThrough(strict, `registry.example.org:${echoPort}`);
    assert.equal(r.status, 403);
    assert.match(r.body, /resolves only to addresses builds may not reach \(127\.0\.0\.1\)/);
  });

  it("refuses plain HTTP requests", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      request(
        { host: open.host, port: open.port, path: `http://registry.example.org:${echoPort}/` },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .once("error", reject)
        .end();
    });
    assert.equal(status, 403);
  });
});

describe("defaultBlockedAddresses", () => {
  it("blocks loopback, private, link-local and the host's own subnets, not public addresses", () => {
    const list = defaultBlockedAddresses();
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
    ])
      assert.ok(list.check(a, "ipv4"), a);
    for (const a of ["::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"]) assert.ok(list.check(a, "ipv6"), a);
    for (const a of Object.values(networkInterfaces()).flat())
      if (a !== undefined) assert.ok(list.check(a.address, a.family === "IPv4" ? "ipv4" : "ipv6"), a.address);
    assert.ok(!list.check("8.8.8.8", "ipv4"));
    assert.ok(!list.check("2606:4700::1111", "ipv6"));
  });
});
