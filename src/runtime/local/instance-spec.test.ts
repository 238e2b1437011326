import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instanceLimits } from "./instance-sizes.js";
import { type InstanceSpecInput, renderInstanceSpec } from "./instance-spec.js";

const input: InstanceSpecInput = {
  id: "slw-web-0",
  artifact: {
    appDir: "/var/lib/slipway/artifacts/abc/app",
    metadata: {
      id: "abc",
      runCommand: "npm start",
      httpPort: 3000,
      workdir: "/workspace",
      env: { NODE_ENV: "production", PORT: "1" },
    },
  },
  stackRootfs: "/var/lib/slipway/stacks/s1/rootfs",
  env: { GREETING: "hi", HOME: "/root" },
  size: instanceLimits(),
  network: { netnsPath: "/var/run/netns/slw-x-2", ip: "10.89.0.2" },
  hostsFile: "/var/lib/slipway/apps/a/hosts",
  labels: { app: "a1", component: "web" },
};

describe("renderInstanceSpec", () => {
  it("runs the artifact's command on the read-only stack with only the artifact and hosts file from the host", () => {
    const { spec, port } = renderInstanceSpec(input);
    assert.equal(port, 3000);
    assert.deepEqual(spec.root, { path: input.stackRootfs, readonly: true });
    assert.deepEqual(spec.process.args, ["sh", "-c", "trap : TERM INT\nnpm start"]);
    assert.equal(spec.process.cwd, "/workspace");
    const binds = spec.mounts.filter((m) => m.type === "bind");
    assert.deepEqual(
      binds.map((m) => [m.source, m.destination, m.options?.includes("ro")]),
      [
        ["/var/lib/slipway/artifacts/abc/app", "/workspace", true],
        ["/var/lib/slipway/apps/a/hosts", "/etc/hosts", true],
      ],
    );
    assert.deepEqual(
      spec.mounts.filter((m) => m.destination === "/tmp").map((m) => m.type),
      ["tmpfs"],
    );
    assert.deepEqual(
      spec.linux.namespaces.find((n) => n.type === "network"),
      {
        type: "network",
        path: "/var/run/netns/slw-x-2",
      },
    );
    assert.equal(spec.linux.resources.memory.limit, 512 * 1024 * 1024);
    assert.equal(spec.linux.cgroupsPath, "/slw-web-0");
    const small = renderInstanceSpec({ ...input, size: { cpus: 0.5, memoryMiB: 128 } }).spec;
    assert.deepEqual(
      [small.linux.resources.pids.limit, small.mounts.find((m) => m.destination === "/tmp")?.options?.at(-1)],
      [544, "size=64m"],
    );
  });

  it("starts at startupCpus when given (the boost) and records the plan's CPUs for later", () => {
    assert.deepEqual(renderInstanceSpec(input).spec.linux.resources.cpu, { quota: 100_000, period: 100_000 });
    const boosted = renderInstanceSpec({ ...input, startupCpus: 2 }).spec;
    assert.deepEqual(boosted.linux.resources.cpu, { quota: 200_000, period: 100_000 });
    assert.equal(JSON.parse(boosted.annotations?.["dev.slipway.instance"] ?? "{}").cpus, 1);
  });

  it("sets PORT and HOME over the artifact's and the caller's env", () => {
    const env = renderInstanceSpec(input).spec.process.env;
    assert.ok(env.includes("PORT=3000") && env.includes("HOME=/tmp"), env.join(" "));
    assert.ok(env.includes("NODE_ENV=production") && env.includes("GREETING=hi"));
    assert.ok(!env.includes("PORT=1") && !env.includes("HOME=/root"));
  });

  it("stores the address, port, artifact, plan CPUs and labels as annotations", () => {
    assert.deepEqual(renderInstanceSpec(input).spec.annotations, {
      "dev.slipway.instance": JSON.stringify({ ip: "10.89.0.2", port: 3000, artifact: "abc", cpus: 1 }),
      "dev.slipway.label.app": "a1",
      "dev.slipway.label.component": "web",
    });
  });

  it("uses an explicit run command and port, and rejects an artifact with neither command", () => {
    const custom = renderInstanceSpec({ ...input, runCommand: "node server.js", port: 9000 });
    assert.equal(custom.port, 9000);
    assert.equal(custom.spec.process.args[2], "trap : TERM INT\nnode server.js");
    const { runCommand: _, ...metadata } = input.artifact.metadata;
    assert.throws(
      () => renderInstanceSpec({ ...input, artifact: { ...input.artifact, metadata } }),
      /artifact abc has no run command/,
    );
  });
});
