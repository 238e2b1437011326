import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createSpecValidator } from "../spec/index.js";
import { openSqliteStore, type Store } from "../store/index.js";
import { bootstrapAdmin } from "./bootstrap-admin.js";
import { createApi } from "./create-api.js";

/** The real store, except that audit entries cannot be written (a full disk, say). */
function refusingAudit(store: Store): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key !== "create") {
        const value: unknown = Reflect.get(target, key, receiver);
        // The store keeps #private fields: its methods must run with the store itself as `this`.
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (object: { kind: string }) => {
        if (object.kind === "AuditEntry") return Promise.reject(new Error("disk full"));
        return target.create(object as Parameters<Store["create"]>[0]);
      };
    },
  });
}

describe("audit", () => {
  it("answers 503 instead of success when the audit entry cannot be stored", async () => {
    const dir = await mkdtemp(join(tmpdir(), "slipway-audit-"));
    const real = openSqliteStore({ path: join(dir, "db") });
    try {
      const token = (await readFile(await bootstrapAdmin({ store: real, dataDir: dir }), "utf8")).trim();
      const api = createApi({
        store: refusingAudit(real),
        validator: createSpecValidator(),
        now: () => new Date(),
        randomId: randomUUID,
        baseDomain: "apps.test",
      });
      const res = await api.request("/v1/apps", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          spec: {
            name: "a1",
            services: [{ name: "web", git: { repo_clone_url: "https://example.com/r.git" } }],
          },
        }),
      });
      assert.equal(res.status, 503);
      const body = (await res.json()) as { id: string; message: string };
      assert.equal(body.id, "unavailable");
      assert.match(body.message, /may have taken effect/);
      // The call itself did run: the client is told, rather than the entry silently dropped.
      assert.equal((await real.get("App", { namespace: "default", name: "a1" })).metadata.name, "a1");
    } finally {
      await real.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
