/**
 * One isolated network per app on the host (ADR 0012): a Linux bridge per app holding the app's
 * address block, a network namespace per instance joined to the bridge by a veth pair, and
 * Slipway's own nftables table that keeps apps away from each other and from the host. Everything
 * is named `<prefix>-…`, and the kernel is the record: bridges carry their app id and egress
 * setting in their alias, namespaces their host number in their name, so a restarted control
 * plane reads the state back with `listApps`/`listAttached`, and `removeAll` clears a crashed
 * run's leftovers by prefix.
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AddressBlock,
  blockAt,
  blockIndexOf,
  chooseBlock,
  chooseHost,
  DEFAULT_ADDRESS_POOL,
  DEFAULT_BLOCK_PREFIX_LENGTH,
  hostAddress,
} from "./address-plan.js";
import { createHostCommand, type HostCommand } from "./host-command.js";
import { renderNftRuleset } from "./nft-rules.js";

/** Options of {@link createAppNetworkHost}. */
export interface AppNetworkHostOptions {
  /** 1–6 lowercase letters or digits naming everything this host creates; default `slw`. */
  prefix?: string;
  /** Default 10.89.0.0/16. */
  pool?: string;
  /** Default 26 (61 instances per app). */
  blockPrefixLength?: number;
  /** Default: real child processes. */
  run?: HostCommand;
  /** Default `/proc/sys` (ip_forward, disable_ipv6). */
  procSys?: string;
}

/** An app's network. */
export interface AppNetwork {
  appId: string;
  bridge: string;
  block: AddressBlock;
  /** `network/prefixLength`. */
  cidr: string;
  /** The bridge's address: the instances' gateway, and where the host's router connects from. */
  gateway: string;
  egress: boolean;
  /** TCP ports on `gateway` the app's instances may connect to (ADR 0019); usually none. */
  hostTcpPorts: number[];
}

/** Options of {@link AppNetworkHost.ensureApp}. */
export interface EnsureAppOptions {
  /** Default false: no default route, only the app's own block is reachable. */
  egress?: boolean;
  /** Default none: see {@link AppNetwork.hostTcpPorts}. */
  hostTcpPorts?: readonly number[];
}

/** Options of {@link AppNetworkHost.attach}. */
export interface AttachOptions {
  /**
   * Makes the instance's bridge port isolated: it reaches the host (the gateway) but no other
   * isolated port of the bridge, so e.g. two builds never see each other. Default false.
   */
  isolated?: boolean;
}

/** One instance's place in its app's network. */
export interface InstanceNetwork {
  appId: string;
  /** Name of the network namespace (`ip netns`). */
  netns: string;
  /** Path to give the sandbox (`/var/run/netns/<netns>`). */
  netnsPath: string;
  /** The host side of the veth pair (in the bridge); inside it is `eth0`. */
  veth: string;
  ip: string;
  gateway: string;
  prefixLength: number;
}

/** Creates, lists and removes app networks on this host. Needs root. */
export interface AppNetworkHost {
  readonly prefix: string;
  /** Slipway's nftables table (family inet) for this prefix. */
  readonly table: string;
  /** The app's network, created if missing; `egress` and `hostTcpPorts` are updated if they differ. */
  ensureApp(appId: string, options?: EnsureAppOptions): Promise<AppNetwork>;
  listApps(): Promise<AppNetwork[]>;
  /** A new namespace with an address in the app's block (the app's network must exist). */
  attach(appId: string, options?: AttachOptions): Promise<InstanceNetwork>;
  listAttached(appId: string): Promise<InstanceNetwork[]>;
  /**
   * Puts the instance's address and routes back into its namespace. runsc moves them into the
   * sandbox and removes them from the namespace, so call this before every start in it.
   */
  reset(net: InstanceNetwork): Promise<void>;
  /** Removes an instance's namespace and veth; nothing happens when they are gone already. */
  detach(netns: string): Promise<void>;
  /** Removes the app's namespaces, bridge and rules; idempotent. */
  removeApp(appId: string): Promise<void>;
  /**
   * Writes Slipway's nft table again from the app networks found on the host: at start-up, or
   * after someone flushed the ruleset (`ensureApp` and `removeApp` do it themselves).
   */
  syncRules(): Promise<void>;
  /** Removes every namespace, link and the nft table with this prefix (a crashed run's leftovers). */
  removeAll(): Promise<void>;
}

interface IpLink {
  ifname: string;
  ifalias?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Creates the {@link AppNetworkHost} for `options.prefix`; runs nothing until called. */
export function createAppNetworkHost(options: AppNetworkHostOptions = {}): AppNetworkHost {
  const prefix = options.prefix ?? "slw";
  if (!/^[a-z0-9]{1,6}$/.test(prefix))
    throw new Error(
      `app network prefix must be 1-6 lowercase letters or digits, got ${JSON.stringify(prefix)}`,
    );
  const pool = options.pool ?? DEFAULT_ADDRESS_POOL;
  const blockLength = options.blockPrefixLength ?? DEFAULT_BLOCK_PREFIX_LENGTH;
  const run = options.run ?? createHostCommand();
  const procSys = options.procSys ?? "/proc/sys";
  const table = `slipway_${prefix}`;
  const hashLength = 15 - prefix.length - 2;
  const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, hashLength);
  const bridgeName = (appId: string) => `${prefix}-b${hash(appId)}`;
  const vethName = (netns: string) => `${prefix}-v${hash(netns)}`;
  const netnsPrefix = (bridge: string) => `${prefix}-${bridge.slice(prefix.length + 2)}-`;
  // One change at a time, so two calls never pick the same block or host number.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const ipJson = async <T>(args: string[]): Promise<T[]> => {
    const out = (await run("ip", ["-j", ...args])).trim();
    return out === "" ? [] : (JSON.parse(out) as T[]);
  };

  const listApps = async (): Promise<AppNetwork[]> => {
    const links = await ipJson<IpLink>(["-4", "addr", "show", "type", "bridge"]);
    const aliases = new Map(
      (await ipJson<IpLink>(["link", "show", "type", "bridge"])).map((l) => [l.ifname, l.ifalias]),
    );
    const apps: AppNetwork[] = [];
    for (const link of links) {
      if (!link.ifname?.startsWith(`${prefix}-b`)) continue;
      const alias = parseAlias(aliases.get(link.ifname));
      const local = link.addr_info?.find((a) => a.family === "inet")?.local;
      const index = local === undefined ? undefined : blockIndexOf(local, pool, blockLength);
      if (alias === undefined || index === undefined) continue;
      const block = blockAt(index, pool, blockLength);
      apps.push({
        appId: alias.app,
        bridge: link.ifname,
        block,
        cidr: `${block.network}/${block.prefixLength}`,
        gateway: block.gateway,
        egress: alias.egress,
        hostTcpPorts: alias.ports,
      });
    }
    return apps;
  };

  const applyRules = async (): Promise<void> => {
    const apps = await listApps();
    const script = renderNftRuleset({ table, bridgeWildcard: `${prefix}-b*`, apps });
    await run("nft", ["-f", "-"], script);
    if (apps.some((a) => a.egress)) await writeFile(join(procSys, "net/ipv4/ip_forward"), "1\n");
  };

  const findApp = async (appId: string): Promise<AppNetwork | undefined> =>
    (await listApps()).find((a) => a.appId === appId && a.bridge === bridgeName(appId));

  const ensureApp = async (appId: string, egress: boolean, ports: number[]): Promise<AppNetwork> => {
    const bridge = bridgeName(appId);
    const existing = await findApp(appId);
    if (existing !== undefined && existing.egress === egress && existing.hostTcpPorts.join() === ports.join())
      return existing;
    if (existing === undefined) {
      // A bridge left without its address or alias by a crash in the middle of this function.
      await run("ip", ["link", "del", bridge]).catch(() => undefined);
      const all = await ipJson<IpLink>(["-4", "addr", "show"]);
      const taken = new Set<number>();
      for (const link of all)
        for (const a of link.addr_info ?? []) {
          const index = blockIndexOf(a.local, pool, blockLength);
          if (index !== undefined) taken.add(index);
        }
      const block = chooseBlock(appId, taken, pool, blockLength);
      await run("ip", ["link", "add", bridge, "type", "bridge"]);
      await writeFile(join(procSys, "net/ipv6/conf", bridge, "disable_ipv6"), "1\n").catch(() => undefined);
      await run("ip", ["addr", "add", `${block.gateway}/${block.prefixLength}`, "dev", bridge]);
    }
    const alias = ports.length === 0 ? { app: appId, egress } : { app: appId, egress, ports };
    await run("ip", ["link", "set", bridge, "alias", JSON.stringify(alias)]);
    await run("ip", ["link", "set", bridge, "up"]);
    await applyRules();
    const made = await findApp(appId);
    if (made === undefined)
      throw new Error(`app network ${bridge} for ${appId} was created but cannot be read back`);
    return made;
  };

  const listAttached = async (appId: string): Promise<InstanceNetwork[]> => {
    const app = await findApp(appId);
    if (app === undefined) return [];
    const start = netnsPrefix(app.bridge);
    const names = (await ipJson<{ name: string }>(["netns", "list"])).map((n) => n.name);
    return names
      .filter((n) => n.startsWith(start) && /^\d+$/.test(n.slice(start.length)))
      .map((netns) => instanceNetwork(app, netns, Number(netns.slice(start.length))));
  };

  const instanceNetwork = (app: AppNetwork, netns: string, host: number): InstanceNetwork => ({
    appId: app.appId,
    netns,
    netnsPath: `/var/run/netns/${netns}`,
    veth: vethName(netns),
    ip: hostAddress(app.block, host),
    gateway: app.gateway,
    prefixLength: app.block.prefixLength,
  });

  const attach = async (appId: string, isolated: boolean): Promise<InstanceNetwork> => {
    const app = await findApp(appId);
    if (app === undefined) throw new Error(`app ${appId} has no network on this host; create it first`);
    const start = netnsPrefix(app.bridge);
    const used = new Set((await listAttached(appId)).map((n) => Number(n.netns.slice(start.length))));
    const host = chooseHost(app.block, used);
    const net = instanceNetwork(app, `${start}${host}`, host);
    try {
      await run("ip", ["netns", "add", net.netns]);
      await run("ip", ["link", "add", net.veth, "type", "veth", "peer", "name", "eth0", "netns", net.netns]);
      await run("ip", ["link", "set", net.veth, "master", app.bridge, "up"]);
      if (isolated)
        await run("ip", ["link", "set", "dev", net.veth, "type", "bridge_slave", "isolated", "on"]);
      await run("ip", ["-n", net.netns, "link", "set", "lo", "up"]);
      await configure(net, app.egress);
      // The address may have been an instance's that just stopped: the host's neighbour entry
      // would still name that instance's MAC, and connections to the new one would stall for the
      // kernel's ARP delay (5 s) until it asks again. Forget it now, so the first SYN asks.
      await run("ip", ["neigh", "flush", "to", net.ip]).catch(() => undefined);
    } catch (err) {
      await detach(net.netns);
      throw err;
    }
    return net;
  };

  const configure = async (net: InstanceNetwork, egress: boolean): Promise<void> => {
    const ns = ["-n", net.netns];
    await run("ip", [...ns, "addr", "replace", `${net.ip}/${net.prefixLength}`, "dev", "eth0"]);
    await run("ip", [...ns, "link", "set", "eth0", "up"]);
    // Without egress there is no default route: only the app's own block is reachable.
    if (egress) await run("ip", [...ns, "route", "replace", "default", "via", net.gateway]);
  };

  const reset = async (net: InstanceNetwork): Promise<void> => {
    const app = await findApp(net.appId);
    if (app === undefined) throw new Error(`app ${net.appId} has no network on this host; create it first`);
    await configure(net, app.egress);
  };

  const detach = async (netns: string): Promise<void> => {
    await run("ip", ["netns", "del", netns]).catch(ignoreMissing);
    await run("ip", ["link", "del", vethName(netns)]).catch(ignoreMissing);
  };

  const removeApp = async (appId: string): Promise<void> => {
    for (const net of await listAttached(appId)) await detach(net.netns);
    await run("ip", ["link", "del", bridgeName(appId)]).catch(ignoreMissing);
    await applyRules();
  };

  const removeAll = async (): Promise<void> => {
    const names = (await ipJson<{ name: string }>(["netns", "list"])).map((n) => n.name);
    for (const netns of names.filter((n) => n.startsWith(`${prefix}-`))) await detach(netns);
    const links = (await ipJson<IpLink>(["link", "show"])).map((l) => l.ifname);
    for (const link of links.filter((l) => l?.startsWith(`${prefix}-`)))
      await run("ip", ["link", "del", link]).catch(ignoreMissing);
    await run("nft", ["delete", "table", "inet", table]).catch(ignoreMissing);
  };

  return {
    prefix,
    table,
    ensureApp: (appId, o = {}) =>
      serial(() =>
        ensureApp(
          appId,
          o.egress ?? false,
          [...new Set(o.hostTcpPorts ?? [])].sort((a, b) => a - b),
        ),
      ),
    listApps: () => serial(listApps),
    attach: (appId, o = {}) => serial(() => attach(appId, o.isolated ?? false)),
    listAttached: (appId) => serial(() => listAttached(appId)),
    reset: (net) => serial(() => reset(net)),
    detach: (netns) => serial(() => detach(netns)),
    removeApp: (appId) => serial(() => removeApp(appId)),
    syncRules: () => serial(applyRules),
    removeAll: () => serial(removeAll),
  };
}

function parseAlias(
  alias: string | undefined,
): { app: string; egress: boolean; ports: number[] } | undefined {
  if (alias === undefined) return undefined;
  try {
    const parsed = JSON.parse(alias) as { app?: unknown; egress?: unknown; ports?: unknown };
    if (typeof parsed.app !== "string") return undefined;
    const ports = Array.isArray(parsed.ports)
      ? parsed.ports.filter((p): p is number => Number.isInteger(p))
      : [];
    return { app: parsed.app, egress: parsed.egress === true, ports };
  } catch {
    return undefined;
  }
}

/**
 * Removal is idempotent: "not there" is success, anything else is still an error. "No such
 * device" is the kernel's answer when a veth existed at lookup but went with its namespace
 * before the delete (deleting the namespace takes the pair down asynchronously).
 */
export function ignoreMissing(err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
  if (/Cannot find device|No such device|No such file|does not exist|not found/i.test(text)) return;
  throw err;
}
