/**
 * Which certificates the router needs, and which of those it has are due: pure functions of the
 * route table, the certificates at hand and the time.
 */
import type { RouteTable } from "../route-table.js";
import { isCertifiableHost } from "./ca.js";

/** Renew a certificate when less than this is left (a third of the 30-day lifetime). */
export const RENEW_BEFORE_MS = 10 * 86_400_000;

/** What a certificate at hand is known by. */
export interface HeldCertificate {
  host: string;
  notAfter: Date;
}

/** What to do: issue for new hosts, renew the ones close to expiry, remove the unrouted ones. */
export interface CertificatePlan {
  issue: string[];
  renew: string[];
  remove: string[];
  /** Hosts that cannot get a certificate (not a DNS name), with why. */
  issues: string[];
}

/**
 * The hosts that need a certificate: every host of the table (`<app>.<base>` and custom
 * domains), one certificate each. A wildcard `*.<base>` is not used: Node and browsers refuse
 * a wildcard over a single label such as `*.localhost`, and custom domains are unrelated names.
 */
export function certificateHosts(table: RouteTable): { hosts: string[]; issues: string[] } {
  const hosts: string[] = [];
  const issues: string[] = [];
  for (const { host } of table.hosts) {
    if (isCertifiableHost(host)) hosts.push(host);
    else issues.push(`${host}: not a DNS name; no certificate issued`);
  }
  return { hosts: [...new Set(hosts)].sort(), issues };
}

/**
 * Compares the needed hosts with the certificates held at `now`. A certificate expiring within
 * `renewBeforeMs` (or already expired) is renewed; a held one no host needs is removed.
 */
export function planCertificates(
  table: RouteTable,
  held: readonly HeldCertificate[],
  now: Date,
  renewBeforeMs: number = RENEW_BEFORE_MS,
): CertificatePlan {
  const { hosts, issues } = certificateHosts(table);
  const byHost = new Map(held.map((c) => [c.host, c]));
  const needed = new Set(hosts);
  return {
    issue: hosts.filter((h) => !byHost.has(h)),
    renew: hosts.filter((h) => {
      const cert = byHost.get(h);
      return cert !== undefined && cert.notAfter.getTime() - now.getTime() < renewBeforeMs;
    }),
    remove: [...byHost.keys()].filter((h) => !needed.has(h)).sort(),
    issues,
  };
}

/** When the next renewal falls due: the earliest `notAfter - renewBeforeMs` (undefined if none). */
export function nextRenewal(
  held: readonly HeldCertificate[],
  renewBeforeMs: number = RENEW_BEFORE_MS,
): Date | undefined {
  const times = held.map((c) => c.notAfter.getTime() - renewBeforeMs);
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}
