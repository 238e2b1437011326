import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderBwrapArgs } from "./bwrap-args.js";
import { renderOciSpec } from "./oci-spec.js";

const spec = renderOciSpec({
  rootfs: "/stack",
  args: ["sh", "-c", "node server.js"],
  env: { PORT: "8080" },
  cwd: "/workspace",
  mounts: [
    { source: "/data/artifacts/a1/app", destination: "/workspace", readonly: true },
    { source: "/data/runtime/hosts/web-0", destination: "/etc/hosts", readonly: true },
  ],
  tmpfs: [{ destination: "/tmp", sizeMiB: 128 }],
  memoryMiB: 512,
  cpus: 1,
  pidsLimit: 576,
  hostname: "instance",
  netnsPath: "/var/run/netns/x",
  cgroupsPath: "/web-0",
});

describe("renderBwrapArgs", () => {
  const args = renderBwrapArgs(spec, {
    top: [{ name: "bin", symlink: "usr/bin" }, { name: "etc" }, { name: "proc" }, { name: "usr" }],
    etc: [{ name: "mtab", symlink: "../proc/self/mounts" }, { name: "passwd" }],
  });
  const text = args.join(" ");

  it("fills an empty root with read-only binds and links of the stack, never binding the stack itself", () => {
    assert.match(text, /--symlink usr\/bin \/bin --ro-bind \/stack\/usr \/usr --dir \/etc /);
    assert.match(
      text,
      /--symlink \.\.\/proc\/self\/mounts \/etc\/mtab --ro-bind \/stack\/etc\/passwd \/etc\/passwd/,
    );
    assert.doesNotMatch(text, /--ro-bind \/stack \/|\/stack\/proc/);
  });

  it("mounts the artifact and hosts file read-only, /tmp as a sized tmpfs, then the root read-only", () => {
    assert.match(
      text,
      /--ro-bind \/data\/artifacts\/a1\/app \/workspace --ro-bind \/data\/runtime\/hosts\/web-0 \/etc\/hosts/,
    );
    assert.match(text, /--size 134217728 --perms 1777 --tmpfs \/tmp/);
    assert.match(text, /--remount-ro \/ --chdir \/workspace/);
  });

  it("unshares pid, ipc and uts, keeps only the spec's capabilities and env, and runs the args", () => {
    assert.match(text, /--unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try --hostname instance/);
    assert.match(text, /--cap-drop ALL --cap-add CAP_KILL --cap-add CAP_NET_BIND_SERVICE --clearenv/);
    assert.match(text, /--setenv PORT 8080/);
    assert.deepEqual(args.slice(-4), ["--", "sh", "-c", "node server.js"]);
  });
});
