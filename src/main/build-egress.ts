/**
 * The network builds run in (ADR 0019): one app network named {@link BUILDS_NETWORK_ID} without
 * egress (no default route, nft drops everything from it but one port), a fresh isolated namespace
 * per sandboxed command, and the egress proxy listening on that network's gateway, which opens
 * HTTPS tunnels only to allowlisted package registries. Builds get HTTPS_PROXY & co. pointing at it.
 */
import {
  type AppNetworkHost,
  createAppNetworkHost,
  DEFAULT_BUILD_EGRESS_ALLOW,
  type EgressDecision,
  parseEgressAllowlist,
  splitHostList,
  startEgressProxy,
} from "../runtime/local/index.js";
import type { BuildEgressNetwork } from "./build-sandbox.js";

/** The builds network's id among the app networks (app ids are uids, so it never collides). */
export const BUILDS_NETWORK_ID = "slipway-builds";

/** Options of {@link startBuildEgress}. */
export interface BuildEgressOptions {
  /**
   * The app networks' host (its prefix names the builds bridge, namespaces and nft rules). Start
   * the builds network after anything that clears the prefix (the local runtime's start-up).
   */
  network: AppNetworkHost;
  /** Host names (`*.domain` allowed) builds may reach; e.g. DEFAULT_BUILD_EGRESS_ALLOW. */
  allow: readonly string[];
  /** Ports tunnels may go to; default [443]. */
  ports?: readonly number[];
  /** Every allowed or refused tunnel, e.g. for the server's log. */
  onDecision?: (decision: EgressDecision) => void;
}

/** The running builds network and proxy. */
export interface BuildEgress extends BuildEgressNetwork {
  /** `http://<gateway>:<port>`. */
  proxyUrl: string;
  /** The normalised allowlist. */
  allowed: readonly string[];
  /** Closes the proxy and removes the builds network (idempotent). */
  stop(): Promise<void>;
}

/** Creates the builds network and starts the proxy on its gateway. Needs root. */
export async function startBuildEgress(options: BuildEgressOptions): Promise<BuildEgress> {
  const allow = parseEgressAllowlist(options.allow);
  const { network } = options;
  const net = await network.ensureApp(BUILDS_NETWORK_ID, { egress: false });
  const proxy = await startEgressProxy({
    host: net.gateway,
    allow,
    ...(options.ports === undefined ? {} : { ports: options.ports }),
    ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
  }).catch(async (err: unknown) => {
    await network.removeApp(BUILDS_NETWORK_ID);
    throw new Error(`the build egress proxy cannot listen on ${net.gateway}: ${String(err)}`, { cause: err });
  });
  try {
    // Only now is the port known; the nft rule lets the builds bridge reach exactly it.
    await network.ensureApp(BUILDS_NETWORK_ID, { egress: false, hostTcpPorts: [proxy.port] });
  } catch (err) {
    await proxy.close();
    await network.removeApp(BUILDS_NETWORK_ID);
    throw err;
  }
  const url = proxy.url;
  return {
    proxyUrl: url,
    allowed: allow.entries,
    // npm 9 reads npm_config_*, pip (requests) and Go read the standard variables, both cases.
    env: {
      HTTPS_PROXY: url,
      https_proxy: url,
      HTTP_PROXY: url,
      http_proxy: url,
      npm_config_proxy: url,
      npm_config_https_proxy: url,
    },
    attach: async () => {
      const inst = await network.attach(BUILDS_NETWORK_ID, { isolated: true });
      return {
        netnsPath: inst.netnsPath,
        address: `${inst.ip}/${inst.prefixLength}`,
        release: () => network.detach(inst.netns),
      };
    },
    stop: async () => {
      await proxy.close();
      await network.removeApp(BUILDS_NETWORK_ID);
    },
  };
}

/** Options of {@link startBuildEgressOnPrefix}. */
export interface BuildEgressOnPrefixOptions {
  /** The app networks' prefix (the server's `--network-prefix`). */
  prefix: string;
  allow: readonly string[];
  onDecision?: (decision: EgressDecision) => void;
  /** Removes everything with the prefix first and at stop (tests, benchmarks); default false. */
  clear?: boolean;
}

/** {@link startBuildEgress} on a new app network host with `prefix`. */
export async function startBuildEgressOnPrefix(options: BuildEgressOnPrefixOptions): Promise<BuildEgress> {
  const network = createAppNetworkHost({ prefix: options.prefix });
  if (options.clear === true) await network.removeAll();
  const egress = await startBuildEgress({
    network,
    allow: options.allow,
    ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
  });
  if (options.clear !== true) return egress;
  return {
    ...egress,
    stop: async () => {
      await egress.stop();
      await network.removeAll();
    },
  };
}

/**
 * The server's builds network: the default registries plus `--build-egress-allow` values
 * (comma-separated, repeatable); refused tunnels are logged on stderr.
 */
export function startServerBuildEgress(
  networkPrefix: string | undefined,
  extraAllow: readonly string[] | undefined,
): Promise<BuildEgress> {
  return startBuildEgressOnPrefix({
    prefix: networkPrefix ?? "slw",
    allow: [...DEFAULT_BUILD_EGRESS_ALLOW, ...splitHostList(extraAllow ?? [])],
    onDecision: (d) => {
      if (!d.allowed) process.stderr.write(`slipway: build egress refused ${d.target}: ${d.reason ?? ""}\n`);
    },
  });
}
