/**
 * Component names stay true in running sandboxes (ADR 0027): the local instance driver runs a
 * two-component app (web calls `http://api:PORT` by name) under runsc and bubblewrap; api is
 * replaced by a new instance at a new address (started before the old one stops, as a rollout
 * does) while web keeps running, and web still reaches api by name, now the new one; also as
 * plain processes (the hosts file bound over /etc/hosts in a mount namespace). Needs root.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningInstance } from "../src/controllers/index.js";
import { createLocalInstanceDriver } from "../src/main/local-instance-driver.js";
import { createFileLogStore } from "../src/observe/index.js";
import type { Deployment, Instance } from "../src/resources/index.js";
import { createAppNetworkHost, type SandboxRuntimeName } from "../src/runtime/local/index.js";
import { openSqliteStore } from "../src/store/index.js";
import { sharedTestStack } from "./helpers/test-stack.js";
import { waitFor } from "./helpers/wait-for.js";

const SERVER = `const http = require("http"), os = require("os");
const me = () => Object.values(os.networkInterfaces()).flat().find((a) => a.family === "IPv4" && !a.internal)?.address;
http.createServer(async (req, res) => {
  if (req.url === "/call") {
    try { res.end("web->" + (await (await fetch("http://api:" + process.env.PORT + "/")).text())); }
    catch (e) { res.statusCode = 502; res.end(String(e.cause ?? e)); }
    return;
  }
  res.end("api@" + me());
}).listen(process.env.PORT);
`;

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return `${res.status} ${await res.text()}`;
}

for (const sandbox of ["runsc", "bwrap", "process"] as SandboxRuntimeName[]) {
  describe(`hosts files of running sandboxes under ${sandbox}`, { timeout: 240_000 }, () => {
    let dir = "";
    const prefix = `h${(process.pid % 36 ** 3).toString(36)}${sandbox[0]}`;
    const network = createAppNetworkHost({ prefix });
    const running: RunningInstance[] = [];
    let stackRootfs = "";

    before(async () => {
      assert.equal(process.getuid?.(), 0, "sandboxes and networks need root");
      const stack = await sharedTestStack();
      stackRootfs = stack.rootfs;
      dir = await mkdtemp(join(tmpdir(), `slipway-hosts-${sandbox}-`));
      const app = join(dir, "artifacts", "a1", "app");
      await mkdir(app, { recursive: true });
      await writeFile(join(app, "server.js"), SERVER);
      const metadata = {
        format: "app",
        id: "a1",
        group: [],
        runCommand: "node server.js",
        httpPort: 8080,
        workdir: "/workspace",
        env: {},
        stackVersion: stack.info.version,
        sizeBytes: SERVER.length,
        createdAt: new Date().toISOString(),
      };
      await writeFile(join(dir, "artifacts", "a1", "metadata.json"), JSON.stringify(metadata));
    });

    after(async () => {
      await Promise.all(running.map((r) => r.stop(2000).catch(() => undefined)));
      await network.removeAll();
      if (dir !== "") await rm(dir, { recursive: true, force: true });
    });

    it("web reaches a replaced api by name without being restarted", async () => {
      const store = openSqliteStore({ path: join(dir, "slipway.db") });
      const logs = createFileLogStore({ root: join(dir, "logs") });
      const driver = createLocalInstanceDriver({
        store,
        network,
        artifactsRoot: join(dir, "artifacts"),
        stackRootfs: async () => stackRootfs,
        workRoot: join(dir, "runtime"),
        logs,
        baseDomain: "localhost",
        tls: false,
        sandbox,
      });
      const component = { http_port: 8080, instance_size_slug: "apps-s-1vcpu-0.5gb" };
      const deployment = {
        metadata: { name: "d1", namespace: "default" },
        spec: {
          app: "hosts",
          appUid: `hosts-${prefix}`,
          appSpec: {
            name: "hosts",
            services: [
              { name: "web", ...component },
              { name: "api", ...component },
            ],
          },
        },
        status: {},
      } as unknown as Deployment;
      const instance = (name: string, componentName: string) =>
        ({
          metadata: { name, namespace: "default" },
          spec: {
            app: "hosts",
            appUid: `hosts-${prefix}`,
            deployment: "d1",
            component: componentName,
            componentKind: "services",
            index: 0,
            artifactId: "a1",
          },
        }) as unknown as Instance;
      const start = async (name: string, componentName: string) => {
        const r = await driver.run({
          instance: instance(name, componentName),
          deployment,
          onChange: () => {},
        });
        running.push(r);
        await waitFor(() => r.state().ready, 60_000, `${name} to be ready`);
        return r;
      };
      try {
        const web = await start(`${prefix}-web-0`, "web");
        const api1 = await start(`${prefix}-api-1`, "api");
        const webUrl = `http://${web.state().address}:8080/call`;
        await waitFor(
          async () => (await get(webUrl).catch(() => "")).startsWith("200"),
          20_000,
          "web to call api",
        );
        assert.equal(await get(webUrl), `200 web->api@${api1.state().address}`);
        const webStarted = web.state().startedAt;

        const api2 = await start(`${prefix}-api-2`, "api");
        assert.notEqual(api2.state().address, api1.state().address);
        await api1.stop(2000);
        assert.equal(await get(webUrl), `200 web->api@${api2.state().address}`);
        assert.equal(web.state().restarts, 0, "web was not restarted");
        assert.equal(web.state().startedAt, webStarted, "web kept its sandbox");
      } finally {
        await Promise.all(running.map((r) => r.stop(2000).catch(() => undefined)));
        running.length = 0;
        logs.close();
        await store.close();
      }
    });
  });
}
