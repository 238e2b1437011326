/**
 * A real HAProxy 2.6 on loopback in front of a real static server: the config is
 * renderHaproxyConfig's (frontend, maps) with the static sites' backends replaced by
 * renderStaticBackend's and the edge cache section added. Used by test/static-sites.test.ts and
 * bench/static.ts.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  backendName,
  createRuntimeApi,
  type RuntimeApi,
  renderHaproxyConfig,
  renderStaticBackend,
  renderStaticCache,
  routeTable,
  type StaticAccess,
  type StaticServer,
  type StaticSite,
  startStaticServer,
  staticSiteKey,
  staticSiteOf,
} from "../../src/router/index.js";
import { type AppSpec, normalize } from "../../src/spec/index.js";
import { freePort } from "./haproxy.js";
import { waitFor } from "./wait-for.js";

/** One app whose static sites are served from `roots[component]`. */
export interface StaticStackApp {
  spec: AppSpec;
  roots: Record<string, string>;
}

/** A running HAProxy + static server. */
export interface StaticStack {
  /** HAProxy's HTTP port on 127.0.0.1. */
  port: number;
  server: StaticServer;
  api: RuntimeApi;
  /** Every response the static server sent, in order. */
  accesses: StaticAccess[];
  /** The sites the server looks requests up in; change it to add or remove sites at run time. */
  sites: Map<string, StaticSite>;
  config: string;
  close(): Promise<void>;
}

/** Starts the static server and HAProxy for `apps`; `close()` stops both and removes the temp dir. */
export async function startStaticStack(
  apps: readonly StaticStackApp[],
  options: { cacheStatusHeader?: boolean } = {},
): Promise<StaticStack> {
  const dir = await mkdtemp(join(tmpdir(), `slipway-static-${process.pid}-`));
  const accesses: StaticAccess[] = [];
  const sites = new Map<string, StaticSite>();
  for (const app of apps)
    for (const site of app.spec.static_sites ?? [])
      sites.set(staticSiteKey(app.spec.name, site.name), staticSiteOf(app.roots[site.name] ?? "", site));
  const server = await startStaticServer({
    sites: (key) => sites.get(key),
    onResponse: (a) => accesses.push(a),
  });
  let haproxy: ChildProcess | undefined;
  const close = async () => {
    if (haproxy && haproxy.exitCode === null) {
      haproxy.kill("SIGTERM");
      await once(haproxy, "exit");
    }
    await server.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const statsSocket = join(dir, "haproxy.sock");
    const table = routeTable(apps.map((a) => ({ name: a.spec.name, spec: normalize(a.spec) })));
    if (table.issues.length > 0) throw new Error(`route table issues: ${JSON.stringify(table.issues)}`);
    const staticBackends = apps.flatMap((a) =>
      (a.spec.static_sites ?? []).map((s) => ({
        app: a.spec.name,
        component: s.name,
        disableEdgeCache: a.spec.disable_edge_cache === true,
      })),
    );
    const staticNames = new Set(staticBackends.map((s) => backendName(s.app, s.component)));
    // renderHaproxyConfig still renders slot backends for static sites; the static server replaces them.
    const rendered = renderHaproxyConfig(
      { ...table, backends: table.backends.filter((b) => !staticNames.has(b.name)) },
      { httpPort: port, statsSocket, mapDir: dir, slots: 1, spareBackends: 0 },
    );
    const backendOptions = {
      server: { host: server.host, port: server.port },
      cacheStatusHeader: options.cacheStatusHeader ?? false,
    };
    const config = [
      rendered.config,
      renderStaticCache({ totalMaxSizeMb: 16, maxAgeSeconds: 600 }),
      ...staticBackends.map((s) => renderStaticBackend(s, backendOptions)),
    ].join("\n");
    for (const [name, text] of Object.entries(rendered.maps)) await writeFile(join(dir, name), text);
    await writeFile(join(dir, "haproxy.cfg"), config);
    const proc = spawn("haproxy", ["-f", join(dir, "haproxy.cfg"), "-db"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    haproxy = proc;
    let stderr = "";
    proc.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    proc.on("error", (err) => {
      stderr += `${err.message} (is haproxy installed? scripts/install.sh installs it)`;
    });
    const api = createRuntimeApi({ socketPath: statsSocket, timeoutMs: 2000 });
    const ready = async () =>
      proc.exitCode === null &&
      (await api.command("show info").then(
        () => true,
        () => false,
      ));
    await waitFor(ready, 10_000, "haproxy's runtime API").catch((err: Error) => {
      throw new Error(`${err.message}; haproxy said: ${stderr}`);
    });
    return { port, server, api, accesses, sites, config, close };
  } catch (err) {
    await close();
    throw err;
  }
}
