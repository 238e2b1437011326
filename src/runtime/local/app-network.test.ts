import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createAppNetworkHost, ignoreMissing } from "./app-network.js";
import type { HostCommand } from "./host-command.js";

/**
 * A stand-in for `ip` and `nft` that keeps links, addresses and namespaces in memory and
 * records every command, so names, the order of steps and idempotence are tested without root.
 */
function fakeHost() {
  const calls: string[] = [];
  const links = new Map<string, { alias?: string; addr?: string; bridge: boolean }>();
  const netns = new Set<string>();
  let nft = "";
  const run: HostCommand = async (file, args, stdin) => {
    calls.push(`${file} ${args.join(" ")}`);
    const a = [...args];
    if (file === "nft") {
      if (a[0] === "-f") nft = stdin ?? "";
      else if (a[0] === "delete") nft = "";
      return "";
    }
    if (a[0] === "-j") {
      if (a[1] === "netns") return JSON.stringify([...netns].map((name) => ({ name })));
      const onlyBridges = a.includes("bridge");
      const out = [...links]
        .filter(([, l]) => !onlyBridges || l.bridge)
        .map(([ifname, l]) => ({
          ifname,
          ...(l.alias === undefined ? {} : { ifalias: l.alias }),
          addr_info: l.addr === undefined ? [] : [{ family: "inet", local: l.addr, prefixlen: 26 }],
        }));
      return JSON.stringify(out);
    }
    if (a[0] === "netns" && a[1] === "add") netns.add(a[2] ?? "");
    if (a[0] === "netns" && a[1] === "del") {
      if (!netns.delete(a[2] ?? "")) throw new Error(`Cannot remove namespace file: No such file`);
    }
    if (a[0] === "link" && a[1] === "add") links.set(a[2] ?? "", { bridge: a[4] === "bridge" });
    if (a[0] === "link" && a[1] === "del" && !links.delete(a[2] ?? ""))
      throw new Error(`Cannot find device "${a[2]}"`);
    if (a[0] === "link" && a[1] === "set" && a[3] === "alias") {
      const link = links.get(a[2] ?? "");
      if (link) link.alias = a[4] ?? "";
    }
    if (a[0] === "addr" && a[1] === "add") {
      const link = links.get(a[4] ?? "");
      if (link) link.addr = (a[2] ?? "").split("/")[0] ?? "";
    }
    return "";
  };
  return { run, calls, links, netns, nft: () => nft };
}

describe("app network host (fake ip/nft)", () => {
  let procSys = "";
  before(async () => {
    procSys = await mkdtemp(join(tmpdir(), "slipway-procsys-"));
    await mkdir(join(procSys, "net/ipv4"), { recursive: true });
  });
  after(() => rm(procSys, { recursive: true, force: true }));

  it("creates a bridge per app with its block, the rules, and a namespace per instance", async () => {
    const host = fakeHost();
    const net = createAppNetworkHost({ prefix: "tst", run: host.run, procSys });
    const app = await net.ensureApp("app-1");
    assert.match(app.bridge, /^tst-b[0-9a-f]{10}$/);
    assert.equal(app.bridge.length, 15);
    assert.match(app.cidr, /^10\.89\.\d+\.\d+\/26$/);
    assert.deepEqual(await net.ensureApp("app-1"), app, "the same network again");
    assert.match(host.nft(), new RegExp(`iifname "${app.bridge}" oifname "${app.bridge}" accept`));
    assert.doesNotMatch(host.nft(), /masquerade/);

    const first = await net.attach("app-1");
    const second = await net.attach("app-1");
    assert.deepEqual(
      [first.ip, second.ip],
      [app.cidr.replace(/\d+\/26$/, (n) => String(Number(n.split("/")[0]) + 2)), second.ip],
    );
    assert.notEqual(first.ip, second.ip);
    assert.equal(first.netnsPath, `/var/run/netns/${first.netns}`);
    assert.ok(host.calls.includes(`ip -n ${first.netns} addr replace ${first.ip}/26 dev eth0`));
    // A reused address must not keep the previous instance's MAC in the host's neighbour table.
    assert.ok(
      host.calls.includes(`ip neigh flush to ${first.ip}`),
      "the address's neighbour entry is forgotten",
    );
    assert.ok(!host.calls.some((c) => c.includes("route replace default")), "no egress: no default route");
    assert.deepEqual((await net.listAttached("app-1")).map((n) => n.ip).sort(), [first.ip, second.ip].sort());
  });

  it("gives a second app another block even when the hash points at a taken one", async () => {
    const host = fakeHost();
    const net = createAppNetworkHost({ prefix: "tst", run: host.run, procSys, pool: "10.89.0.0/25" });
    const a = await net.ensureApp("a");
    const b = await net.ensureApp("b");
    assert.notEqual(a.cidr, b.cidr);
    assert.deepEqual((await net.listApps()).map((x) => x.appId).sort(), ["a", "b"]);
  });

  it("turns egress on with a default route, forwarding and masquerade", async () => {
    const host = fakeHost();
    const net = createAppNetworkHost({ prefix: "tst", run: host.run, procSys });
    const app = await net.ensureApp("out", { egress: true });
    const inst = await net.attach("out");
    assert.ok(host.calls.includes(`ip -n ${inst.netns} route replace default via ${app.gateway}`));
    assert.match(
      host.nft(),
      new RegExp(`ip saddr \\{ ${app.cidr.replace(/\./g, "\\.")} \\} oifname != "tst-b\\*" masquerade`),
    );
    assert.equal(await readFile(join(procSys, "net/ipv4/ip_forward"), "utf8"), "1\n");
  });

  it("lets an app reach chosen ports on its gateway, kept in the alias, and isolates ports on request", async () => {
    const host = fakeHost();
    const net = createAppNetworkHost({ prefix: "tst", run: host.run, procSys });
    const plain = await net.ensureApp("builds");
    assert.deepEqual(plain.hostTcpPorts, []);
    const app = await net.ensureApp("builds", { hostTcpPorts: [3128, 3128] });
    assert.deepEqual(app.hostTcpPorts, [3128]);
    assert.equal(app.cidr, plain.cidr, "the same network, updated");
    const gw = app.gateway.replace(/\./g, "\\.");
    assert.match(
      host.nft(),
      new RegExp(`iifname "${app.bridge}" ip daddr ${gw} tcp dport \\{ 3128 \\} accept`),
    );
    assert.deepEqual(
      (await createAppNetworkHost({ prefix: "tst", run: host.run, procSys }).listApps())[0]?.hostTcpPorts,
      [3128],
      "read back from the kernel",
    );
    const inst = await net.attach("builds", { isolated: true });
    assert.ok(host.calls.includes(`ip link set dev ${inst.veth} type bridge_slave isolated on`));
    await net.attach("builds");
    assert.equal(host.calls.filter((c) => c.includes("isolated on")).length, 1);
  });

  it("removes an app and everything with its prefix, idempotently", async () => {
    const host = fakeHost();
    const net = createAppNetworkHost({ prefix: "tst", run: host.run, procSys });
    await net.ensureApp("gone");
    await net.attach("gone");
    await net.removeApp("gone");
    await net.removeApp("gone");
    assert.deepEqual(
      [host.links.size, host.netns.size, host.nft()],
      [0, 0, "table inet slipway_tst {}\ndelete table inet slipway_tst\n"],
    );
    await net.ensureApp("left");
    await net.attach("left");
    await createAppNetworkHost({ prefix: "tst", run: host.run, procSys }).removeAll();
    assert.deepEqual([host.links.size, host.netns.size, host.nft()], [0, 0, ""]);
    assert.throws(() => createAppNetworkHost({ prefix: "Too-long" }), /1-6 lowercase/);
  });
});

describe("ignoreMissing", () => {
  it("takes a link or namespace that is already gone as removed, and nothing else", () => {
    const failed = (message: string) => new Error(`ip link del v1 failed (exit code 2): ${message}`);
    ignoreMissing(failed('Cannot find device "v1"'));
    // The veth existed at lookup and went with its namespace before the delete.
    ignoreMissing(failed("RTNETLINK answers: No such device"));
    ignoreMissing(failed("Cannot remove namespace file: No such file or directory"));
    assert.throws(() => ignoreMissing(failed("RTNETLINK answers: Operation not permitted")), /not permitted/);
  });
});
