import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type OciSpecInput, renderOciSpec } from "./oci-spec.js";

// Tests run from dist/; the reviewed snapshot lives beside the source.
const SNAPSHOT = fileURLToPath(
  new URL("../../../../src/runtime/local/__snapshots__/oci-spec.json", import.meta.url),
);

const input: OciSpecInput = {
  rootfs: "/var/lib/slipway/stacks/bookworm/rootfs",
  args: ["node", "server.js"],
  env: { PORT: "8080", NODE_ENV: "production" },
  cwd: "/app",
  mounts: [{ source: "/var/lib/slipway/artifacts/abc123", destination: "/app", readonly: true }],
  tmpfs: [{ destination: "/tmp", sizeMiB: 64 }],
  memoryMiB: 512,
  cpus: 0.5,
  pidsLimit: 256,
  hostname: "web-0",
  netnsPath: "/var/run/netns/slipway-web-0",
  cgroupsPath: "/slipway/acme/shop/web-0",
  uid: 1000,
};

describe("renderOciSpec", () => {
  it("renders the snapshotted config.json for a service instance", () => {
    const rendered = `${JSON.stringify(renderOciSpec(input), null, 2)}\n`;
    if (process.env.UPDATE_SNAPSHOTS === "1") writeFileSync(SNAPSHOT, rendered);
    assert.ok(existsSync(SNAPSHOT), `no snapshot at ${SNAPSHOT}; run with UPDATE_SNAPSHOTS=1 and review it`);
    assert.equal(rendered, readFileSync(SNAPSHOT, "utf8"));
  });

  it("names no host path but the rootfs and the given mount sources", () => {
    const spec = renderOciSpec(input);
    const sources = spec.mounts.filter((m) => m.source.startsWith("/")).map((m) => m.source);
    assert.deepEqual(sources, ["/var/lib/slipway/artifacts/abc123"]);
    assert.equal(spec.root.readonly, true);
  });

  it("turns cpus and memory into cgroup limits without swap", () => {
    const spec = renderOciSpec({ ...input, cpus: 2, memoryMiB: 32 });
    assert.deepEqual(spec.linux.resources.cpu, { quota: 200_000, period: 100_000 });
    assert.deepEqual(spec.linux.resources.memory, { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 });
  });

  it("defaults to a fresh network namespace, root user, / as cwd and a PATH", () => {
    const { netnsPath: _n, uid: _u, cwd: _c, env: _e, ...rest } = input;
    const spec = renderOciSpec(rest);
    assert.deepEqual(spec.linux.namespaces[1], { type: "network" });
    assert.deepEqual(spec.process.user, { uid: 0, gid: 0 });
    assert.equal(spec.process.cwd, "/");
    assert.match(spec.process.env[0] ?? "", /^PATH=\/usr\/local\/sbin:/);
  });

  it("leaves out the network namespace for the host's network", () => {
    const { netnsPath: _n, ...rest } = input;
    const types = renderOciSpec({ ...rest, hostNetwork: true }).linux.namespaces.map((n) => n.type);
    assert.deepEqual(types, ["pid", "ipc", "uts", "mount"]);
    assert.throws(() => renderOciSpec({ ...input, hostNetwork: true }), /cannot be combined/);
  });

  it("rejects relative paths and limits that are not positive", () => {
    assert.throws(() => renderOciSpec({ ...input, rootfs: "rootfs" }), /rootfs must be an absolute path/);
    assert.throws(
      () => renderOciSpec({ ...input, mounts: [{ source: "/a", destination: "app", readonly: true }] }),
      /mounts\[0\]\.destination must be an absolute path/,
    );
    assert.throws(() => renderOciSpec({ ...input, memoryMiB: 0 }), /memoryMiB must be positive, got 0/);
    assert.throws(() => renderOciSpec({ ...input, args: [] }), /args must not be empty/);
  });
});
