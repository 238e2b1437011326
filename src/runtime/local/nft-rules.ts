/**
 * Slipway's own nftables table for app networks (ADR 0012), rendered as one `nft -f` script that
 * replaces the table atomically. The table is Slipway's alone, so the user's tables and rules are
 * never read or changed; a drop here is final whatever other tables accept. Pure.
 */

/** One app network as the rules need it. */
export interface NftAppNetwork {
  bridge: string;
  /** The app's block, e.g. `10.89.1.64/26`. */
  cidr: string;
  /** Whether instances may open connections to the outside (masqueraded). */
  egress: boolean;
  /** The bridge's own address; needed with `hostTcpPorts`. */
  gateway?: string;
  /**
   * TCP ports on `gateway` the instances may connect to (e.g. the build egress proxy, ADR 0019);
   * every other host port stays dropped. Default none.
   */
  hostTcpPorts?: readonly number[];
}

/** Input of {@link renderNftRuleset}. */
export interface NftRulesetInput {
  /** The table's name (family `inet`). */
  table: string;
  /** Matches every app bridge by name (`<prefix>-b*`), so that a new bridge is covered at once. */
  bridgeWildcard: string;
  apps: readonly NftAppNetwork[];
}

const NAME = /^[A-Za-z0-9_.-]+\*?$/;
const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The script that replaces table `inet <table>` with the rules for `apps`:
 * - input: from an app bridge only replies to connections the host opened (the router's) and new
 *   connections to the app's `hostTcpPorts` on its own gateway address; every other packet to any
 *   host address (the bridge's, loopback's, the LAN's) is dropped;
 * - forward: within one bridge accepted (bridged traffic when br_netfilter is loaded), between app
 *   bridges dropped, into app bridges only replies, out of an app bridge only when egress is on;
 * - postrouting: egress is masqueraded behind the host's outgoing address.
 * With no apps, the script only deletes the table.
 */
export function renderNftRuleset(input: NftRulesetInput): string {
  check(input);
  const wild = quote(input.bridgeWildcard);
  const head = [`table inet ${input.table} {}`, `delete table inet ${input.table}`];
  if (input.apps.length === 0) return `${head.join("\n")}\n`;
  const egress = input.apps.filter((a) => a.egress);
  const lines = [
    ...head,
    `table inet ${input.table} {`,
    "  chain input {",
    "    type filter hook input priority filter - 10; policy accept;",
    `    iifname ${wild} ct state established,related accept`,
    ...input.apps.flatMap((a) =>
      a.hostTcpPorts === undefined || a.hostTcpPorts.length === 0
        ? []
        : [
            `    iifname ${quote(a.bridge)} ip daddr ${a.gateway} tcp dport { ${a.hostTcpPorts.join(", ")} } accept`,
          ],
    ),
    `    iifname ${wild} drop`,
    "  }",
    "  chain forward {",
    "    type filter hook forward priority filter - 10; policy accept;",
    ...input.apps.map((a) => `    iifname ${quote(a.bridge)} oifname ${quote(a.bridge)} accept`),
    `    iifname ${wild} oifname ${wild} drop`,
    `    oifname ${wild} ct state established,related accept`,
    `    oifname ${wild} drop`,
    ...(egress.length === 0
      ? []
      : [`    iifname { ${egress.map((a) => quote(a.bridge)).join(", ")} } accept`]),
    `    iifname ${wild} drop`,
    "  }",
    ...(egress.length === 0
      ? []
      : [
          "  chain postrouting {",
          "    type nat hook postrouting priority srcnat; policy accept;",
          `    ip saddr { ${egress.map((a) => a.cidr).join(", ")} } oifname != ${wild} masquerade`,
          "  }",
        ]),
    "}",
  ];
  return `${lines.join("\n")}\n`;
}

function quote(name: string): string {
  return `"${name}"`;
}

function check(input: NftRulesetInput): void {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(input.table))
    throw new Error(`renderNftRuleset: invalid table name ${JSON.stringify(input.table)}`);
  const names = [input.bridgeWildcard, ...input.apps.map((a) => a.bridge)];
  for (const name of names)
    if (!NAME.test(name)) throw new Error(`renderNftRuleset: invalid interface name ${JSON.stringify(name)}`);
  for (const app of input.apps) {
    if (!CIDR.test(app.cidr)) throw new Error(`renderNftRuleset: invalid CIDR ${JSON.stringify(app.cidr)}`);
    const ports = app.hostTcpPorts ?? [];
    if (ports.length > 0 && !IPV4.test(app.gateway ?? ""))
      throw new Error(`renderNftRuleset: hostTcpPorts of ${app.bridge} need its gateway address`);
    for (const port of ports)
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new Error(`renderNftRuleset: invalid port ${JSON.stringify(port)} for ${app.bridge}`);
  }
}
