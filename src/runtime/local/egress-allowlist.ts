/**
 * What the build egress proxy lets through (ADR 0019): an allowlist of host names, exact or
 * `*.domain` (any name below the domain, not the domain itself), and the `host:port` target of a
 * CONNECT request. Names only: IP literals are never allowed, so a build cannot name an address
 * the allowlist did not. Pure.
 */
import { isIP } from "node:net";

/**
 * The package registries of the stack's toolchains: npm (and yarn 1's mirror of it), PyPI and its
 * file host, the Go module proxy and checksum database. Hosts that serve anyone's content (GitHub,
 * storage.googleapis.com) are left to the operator (`--build-egress-allow`).
 */
export const DEFAULT_BUILD_EGRESS_ALLOW: readonly string[] = [
  "registry.npmjs.org",
  "registry.yarnpkg.com",
  "pypi.org",
  "files.pythonhosted.org",
  "proxy.golang.org",
  "sum.golang.org",
];

/** A checked allowlist. */
export interface EgressAllowlist {
  /** The entries, lowercased, in their given order without duplicates. */
  readonly entries: readonly string[];
  /** Whether `host` (a name, any case, trailing dot allowed) is on the list. IP literals never are. */
  allows(host: string): boolean;
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`);

/** Checks and normalises `entries`; throws naming the first bad one. */
export function parseEgressAllowlist(entries: readonly string[]): EgressAllowlist {
  const list: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/\.$/, "");
    if (entry === "") continue;
    const name = entry.startsWith("*.") ? entry.slice(2) : entry;
    if (isIP(name) !== 0 || !NAME.test(name))
      throw new Error(
        `build egress allowlist: ${JSON.stringify(raw)} is not a host name (use names like registry.npmjs.org or *.example.org, no addresses, ports or schemes)`,
      );
    if (!list.includes(entry)) list.push(entry);
  }
  const exact = new Set(list.filter((e) => !e.startsWith("*.")));
  const suffixes = list.filter((e) => e.startsWith("*.")).map((e) => e.slice(1));
  return {
    entries: list,
    allows: (host) => {
      const name = host.toLowerCase().replace(/\.$/, "");
      if (isIP(name) !== 0 || !NAME.test(name)) return false;
      return exact.has(name) || suffixes.some((s) => name.endsWith(s));
    },
  };
}

/** Splits comma-separated lists (`--build-egress-allow a,b --build-egress-allow c`). */
export function splitHostList(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** A CONNECT request's target. */
export interface ConnectTarget {
  /** Lowercased, without brackets or trailing dot. */
  host: string;
  port: number;
}

/** Parses `host:port` or `[v6]:port`; undefined when it is not one. */
export function parseConnectTarget(target: string): ConnectTarget | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/@\s]+)):(\d{1,5})$/.exec(target);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (!(port >= 1 && port <= 65535)) return undefined;
  const host = (m[1] ?? m[2] ?? "").toLowerCase().replace(/\.$/, "");
  if (host === "") return undefined;
  return { host, port };
}
