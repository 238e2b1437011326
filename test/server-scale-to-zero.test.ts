/**
 * Scale to zero through the real stack (ADR 0023): `slipway server` started with
 * `--min-inactivity-seconds 2`, gVisor instances, HAProxy and the activator. A service with
 * `inactivity_sleep.after_seconds: 2` is suspended once idle (its Instance says Suspended and
 * `runsc list` shows no sandbox of it), a plain GET then wakes it and gets the app's own answer
 * (held until it is up), an `Accept: text/html` GET to the sleeping service gets the loading page
 * (and wakes it), and an app without inactivity_sleep keeps running and serving throughout.
 * Needs root.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, type InstanceJson } from "../src/api/index.js";
import { getViaRouter } from "./helpers/router-get.js";
import { type ServerProcess, startServer } from "./helpers/server-process.js";
import { SLEEPY_FILES, sleepySpec } from "./helpers/sleepy-app.js";
import { sharedTestStack, TEST_STACK_ROOT } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const SLEEPY = `sleepy${process.pid}`;
const AWAKE = `awake${process.pid}`;

/** GET / through the router with extra headers. */
function get(
  port: number,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, type: res.headers["content-type"] ?? "" }),
      );
    });
    req.on("error", () => resolve({ status: 0, body: "", type: "" }));
    req.end();
  });
}

describe("scale to zero through the real server", { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-scale-zero-"));
  const dataDir = join(dir, "data");
  let server: ServerProcess | undefined;
  let client: Client;
  const host = (app: string) => `${app}.localhost:${server?.httpPort ?? 0}`;

  async function instance(app: string): Promise<InstanceJson | undefined> {
    return (await client.listInstances({ params: { app } })).instances.find((i) => !i.draining);
  }

  /** Container ids of running sandboxes under the server's runsc root. */
  function runningSandboxes(): string[] {
    const out = execFileSync(
      "runsc",
      ["--root", join(dataDir, "runtime", "state"), "list", "--format=json"],
      {
        encoding: "utf8",
        timeout: 10_000,
      },
    );
    const listed = (JSON.parse(out === "" ? "[]" : out) ?? []) as { id: string; status: string }[];
    return listed.filter((c) => c.status === "running").map((c) => c.id);
  }

  async function suspended(app: string): Promise<InstanceJson> {
    let last: InstanceJson | undefined;
    await waitFor(
      async () => {
        last = await instance(app);
        return last?.phase === "Suspended";
      },
      60_000,
      `${app}'s instance to be suspended`,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last ${JSON.stringify(last)}; log:\n${server?.stderr().slice(-3000)}`);
    });
    return last as InstanceJson;
  }

  async function deployed(app: string): Promise<void> {
    await waitFor(
      async () =>
        (await client.listDeployments({ params: { app }, query: {} })).deployments[0]?.phase === "ACTIVE",
      300_000,
      `${app} to be ACTIVE`,
    );
    await waitFor(
      async () => (await getViaRouter(server?.httpPort ?? 0, host(app))).status === 200,
      30_000,
      `${app} to answer through the router`,
    );
  }

  before(async () => {
    assert.equal(process.getuid?.(), 0, "instances run in gVisor and need root");
    await sharedTestStack();
    server = await startServer(dataDir, ["--stacks-dir", TEST_STACK_ROOT, "--min-inactivity-seconds", "2"]);
    client = createClient({
      baseUrl: server.url,
      token: readFileSync(join(dataDir, "admin-token"), "utf8").trim(),
    });
    await client.createApp({
      body: {
        spec: sleepySpec(SLEEPY, { afterSeconds: 2, loadingPage: true }),
        source: { files: SLEEPY_FILES },
      },
    });
    await client.createApp({ body: { spec: sleepySpec(AWAKE), source: { files: SLEEPY_FILES } } });
    await deployed(SLEEPY);
    await deployed(AWAKE);
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an idle time below the server's least", async () => {
    await assert.rejects(
      client.createApp({
        body: {
          spec: sleepySpec(`short${process.pid}`, { afterSeconds: 1, loadingPage: false }),
          source: { files: SLEEPY_FILES },
        },
      }),
      /inactivity_sleep\.after_seconds: must be between 2 and 86400, got 1/,
    );
  });

  it("suspends the idle service: no sandbox runs for it; the other app keeps running", async () => {
    const asleep = await suspended(SLEEPY);
    assert.equal(asleep.ready, false);
    assert.equal(asleep.suspended, true);
    await waitFor(
      () => !runningSandboxes().some((id) => id.startsWith(`${asleep.instance_name}-`)),
      30_000,
      "the sleeping instance's sandbox to be gone",
    );
    const awake = await instance(AWAKE);
    assert.equal(awake?.phase, "Running");
    assert.ok(runningSandboxes().some((id) => id.startsWith(`${awake?.instance_name}-`)));
    const other = await get(server?.httpPort ?? 0, host(AWAKE));
    assert.equal(other.status, 200);
    assert.match(other.body, new RegExp(`hello from ${AWAKE}`));
  });

  it("wakes on a plain GET and answers it with the app's own response", async () => {
    await suspended(SLEEPY);
    const started = performance.now();
    const woken = await get(server?.httpPort ?? 0, host(SLEEPY));
    const ms = Math.round(performance.now() - started);
    assert.equal(woken.status, 200, woken.body);
    assert.match(woken.body, new RegExp(`hello from ${SLEEPY}`));
    process.stdout.write(`# woken and answered in ${ms} ms\n`);
    // Requests go on while the router switches from the activator back to the instance: none fails.
    const statuses: number[] = [];
    let after = 0;
    for (let i = 0; i < 2000 && after < 50; i++) {
      statuses.push((await get(server?.httpPort ?? 0, host(SLEEPY))).status);
      if (after > 0 || (await instance(SLEEPY))?.ready === true) after++;
    }
    assert.equal(after, 50, "the woken instance became ready");
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
    );
  });

  it("gives a browser the loading page while the service sleeps, and wakes it", async () => {
    await suspended(SLEEPY);
    const page = await get(server?.httpPort ?? 0, host(SLEEPY), {
      accept: "text/html,application/xhtml+xml",
    });
    assert.equal(page.status, 503, page.body);
    assert.match(page.type, /text\/html/);
    assert.match(page.body, /Waking up/);
    assert.match(page.body, /http-equiv="refresh"/);
    // The loading page woke it: the page's next refresh finds the app itself.
    await waitFor(async () => (await instance(SLEEPY))?.ready === true, 60_000, "the instance to wake");
    const app = await get(server?.httpPort ?? 0, host(SLEEPY), { accept: "text/html" });
    assert.equal(app.status, 200, app.body);
    const other = await get(server?.httpPort ?? 0, host(AWAKE));
    assert.equal(other.status, 200);
  });
});
