import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, describe, it } from "node:test";
import { type Activator, type ActivatorTarget, startActivator } from "./activator.js";

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(
  port: number,
  options: { headers?: Record<string, string>; method?: string; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/hello?x=1",
        method: options.method ?? "GET",
        headers: options.headers ?? {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("activator", () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  /** An upstream that echoes method, path and body. */
  async function upstream(): Promise<ActivatorTarget> {
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        res.writeHead(201, { "x-upstream": "yes" });
        res.end(`${req.method} ${req.url} ${body}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    return { address: "127.0.0.1", port: (server.address() as AddressInfo).port };
  }

  async function activator(
    wake: () => Promise<ActivatorTarget>,
    extra: { holdMs?: number; loadingPage?: boolean } = {},
  ): Promise<Activator> {
    const a = await startActivator({
      wake,
      holdMs: () => extra.holdMs ?? 5000,
      loadingPage: () => extra.loadingPage ?? false,
      label: "web of app shop",
    });
    closers.push(() => a.close());
    return a;
  }

  it("holds requests until the component is woken, then proxies them with their bodies", async () => {
    const target = await upstream();
    let wakes = 0;
    let release: (t: ActivatorTarget) => void = () => undefined;
    const a = await activator(() => {
      wakes++;
      return new Promise((r) => {
        release = r;
      });
    });
    const first = send(a.port, { method: "POST", body: "payload" });
    const second = send(a.port);
    // Both are held by one wake-up.
    for (let i = 0; i < 200 && a.held() < 2; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(a.held(), 2);
    assert.equal(wakes, 1);
    release(target);
    const [one, two] = await Promise.all([first, second]);
    assert.equal(one.status, 201);
    assert.equal(one.body, "POST /hello?x=1 payload");
    assert.equal(one.headers["x-upstream"], "yes");
    assert.equal(two.body, "GET /hello?x=1 ");
  });

  it("answers HAProxy's health checks (no Host header) without waking", async () => {
    let wakes = 0;
    const a = await activator(() => {
      wakes++;
      return new Promise(() => undefined);
    });
    // What HAProxy's `option httpchk GET /healthz` sends.
    const check = await new Promise<string>((resolve, reject) => {
      const socket = connect(a.port, "127.0.0.1", () => socket.write("GET /healthz HTTP/1.0\r\n\r\n"));
      let text = "";
      socket.on("data", (c: Buffer) => {
        text += c.toString();
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    assert.match(check, /^HTTP\/1\.1 200 /);
    assert.equal(wakes, 0);
  });

  it("gives text/html requests the loading page when it is enabled, and wakes the component", async () => {
    let wakes = 0;
    const a = await activator(
      () => {
        wakes++;
        return new Promise(() => undefined);
      },
      { loadingPage: true },
    );
    const page = await send(a.port, { headers: { accept: "text/html,application/xhtml+xml" } });
    assert.equal(page.status, 503);
    assert.match(String(page.headers["content-type"]), /text\/html/);
    assert.match(page.body, /http-equiv="refresh"/);
    assert.equal(wakes, 1);
  });

  it("answers a browser with the app itself when it is already up (the router not yet switched back)", async () => {
    const target = await upstream();
    const a = await activator(async () => target, { loadingPage: true });
    const page = await send(a.port, { headers: { accept: "text/html" } });
    assert.equal(page.status, 201);
  });

  it("holds text/html requests too when the loading page is off", async () => {
    const target = await upstream();
    const a = await activator(async () => target, { loadingPage: false });
    const page = await send(a.port, { headers: { accept: "text/html" } });
    assert.equal(page.status, 201);
  });

  it("answers a clear 503 once the hold time is over", async () => {
    const a = await activator(() => new Promise(() => undefined), { holdMs: 100 });
    const late = await send(a.port);
    assert.equal(late.status, 503);
    assert.match(late.body, /web of app shop is waking up from sleep but it did not wake within 0.1 s/);
  });

  it("answers 503 with the reason when waking fails", async () => {
    const a = await activator(() => Promise.reject(new Error("its deployment is gone")));
    const failed = await send(a.port);
    assert.equal(failed.status, 503);
    assert.match(failed.body, /its deployment is gone/);
  });
});
