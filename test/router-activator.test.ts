/**
 * The activator behind a real HAProxy 2.6 (ADR 0023), through createRouterSync: a backend with an
 * HTTP health check whose only slot is the activator (HAProxy's checks reach it and it passes them
 * without waking anything), a request held until the component "wakes" and then proxied, the
 * switch back to the instance with no reload, and the backend's request total read from
 * `show stat` counting every request.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Activator,
  type ActivatorTarget,
  createRouterSync,
  type DesiredRouterState,
  type Endpoint,
  type RouterSync,
  readBackendTotals,
  routeTable,
  startActivator,
} from "../src/router/index.js";
import { type AppSpec, normalize } from "../src/spec/index.js";
import { freePort } from "./helpers/haproxy.js";
import { get } from "./helpers/http-load.js";
import { waitFor } from "./helpers/wait-for.js";

const SPEC: AppSpec = {
  name: "shop",
  services: [{ name: "web", http_port: 3000, health_check: { http_path: "/healthz" } }],
};

function desired(endpoints: Endpoint[]): DesiredRouterState {
  return {
    table: routeTable([{ name: "shop", spec: normalize(SPEC) }]),
    endpoints: [{ app: "shop", component: "web", endpoints }],
  };
}

describe("the activator behind a real HAProxy", { timeout: 60_000 }, () => {
  let dir = "";
  let port = 0;
  let sync: RouterSync | undefined;
  let activator: Activator | undefined;
  const instance = createServer((req, res) => res.end(`instance ${req.url ?? ""}`));
  let wakes = 0;
  let wakeUp: (target: ActivatorTarget) => void = () => undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `slipway-activator-${process.pid}-`));
    port = await freePort();
    instance.listen(0, "127.0.0.1");
    await once(instance, "listening");
    activator = await startActivator({
      label: "web of app shop",
      holdMs: () => 20_000,
      loadingPage: () => false,
      wake: () => {
        wakes++;
        return new Promise((resolve) => {
          wakeUp = resolve;
        });
      },
    });
    const endpoint = { id: "activator-shop-web", address: activator.host, port: activator.port };
    sync = await createRouterSync(
      { dir, render: { httpPort: port, slots: 4, spareBackends: 1 } },
      desired([endpoint]),
    );
  });

  after(async () => {
    await sync?.stop();
    await activator?.close();
    instance.closeAllConnections();
    await new Promise((r) => instance.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it("passes HAProxy's health checks without waking, holds a request until woken, then switches back", async () => {
    assert.ok(sync !== undefined && activator !== undefined);
    const api = sync.haproxy.api;
    // The slot is UP (marked up at once, then kept up by its checks) and nothing woke.
    await waitFor(
      async () =>
        (await api.showServers("shop__web")).some((s) => s.opState === 2 && s.port === activator?.port),
      10_000,
      "the activator slot to be UP",
    );
    const before = (await readBackendTotals(api)).get("shop__web") ?? -1;
    assert.equal(wakes, 0, "health checks do not wake the component");
    const held = get({ port, host: "shop.localhost", path: "/cart" });
    await waitFor(() => activator?.held() === 1, 10_000, "the request to be held");
    assert.equal(wakes, 1);
    wakeUp({ address: "127.0.0.1", port: (instance.address() as AddressInfo).port });
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.equal(answer.body, "instance /cart");
    // Woken: the router points the backend at the instance, through the runtime API.
    const result = await sync.apply(
      desired([{ id: "shop-web-0", address: "127.0.0.1", port: (instance.address() as AddressInfo).port }]),
    );
    assert.equal(result.reloaded, false);
    assert.equal((await get({ port, host: "shop.localhost", path: "/next" })).body, "instance /next");
    assert.equal((await readBackendTotals(api)).get("shop__web"), before + 2);
  });
});
