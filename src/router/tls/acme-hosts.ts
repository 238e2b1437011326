/**
 * Which hosts get a certificate from the public ACME CA and which from the local CA, when the
 * server runs with an ACME directory: apps' custom domains go to ACME, `<app>.<base domain>`
 * and names no public CA certifies stay local.
 */
import type { IssuedCertificate } from "./ca.js";

/**
 * Special-use names (RFC 6761, RFC 6762) that no public CA issues for: sending them to ACME
 * would only burn failed orders.
 */
const RESERVED_SUFFIXES = ["localhost", "local", "test", "example", "invalid", "internal"];

/** True when `name` is `suffix` or below it. */
function within(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

/**
 * True for a host the public ACME CA should certify: not the base domain nor below it, not a
 * special-use name (`*.localhost`, `*.test`, `*.local`, ...). Case and a trailing dot are ignored.
 */
export function isAcmeHost(host: string, baseDomain: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  const base = baseDomain.toLowerCase().replace(/\.$/, "");
  if (base !== "" && within(name, base)) return false;
  return !RESERVED_SUFFIXES.some((s) => within(name, s));
}

/** Options of {@link issuerByHost}. */
export interface IssuerByHostOptions {
  /** The public CA (createAcmeIssuer). */
  acme: (host: string) => Promise<IssuedCertificate>;
  /** The local CA (issueCertificate bound to the loaded CA). */
  local: (host: string) => Promise<IssuedCertificate>;
  /** The server's base domain (apps are `<app>.<baseDomain>`). */
  baseDomain: string;
}

/** One issuer for the router: {@link isAcmeHost} hosts from ACME, the rest from the local CA. */
export function issuerByHost(o: IssuerByHostOptions): (host: string) => Promise<IssuedCertificate> {
  return (host) => (isAcmeHost(host, o.baseDomain) ? o.acme(host) : o.local(host));
}
