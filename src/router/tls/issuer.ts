/**
 * Where certificates come from, chosen per host: the local CA by default (ADR 0013), an ACME
 * issuer for public custom domains when one is plugged in (ADR 0020). The router only needs
 * `(host) => certificate`; renewal times follow each certificate's own `notAfter`.
 */
import { type IssuedCertificate, issueCertificate, LEAF_DAYS, type LocalCa } from "./ca.js";

/** Issues (or renews) the certificate of one host. Rejects with a message naming the host. */
export type CertificateIssuer = (host: string) => Promise<IssuedCertificate>;

/** Chooses the issuer of a host, e.g. ACME for public custom domains, the local CA otherwise. */
export type IssuerChoice = (host: string) => CertificateIssuer;

/** The local CA as an issuer: leaves of `days` days (default {@link LEAF_DAYS}) from `now()`. */
export function localCaIssuer(
  ca: LocalCa,
  options: { now?: () => Date; days?: number } = {},
): CertificateIssuer {
  return (host) => issueCertificate(ca, host, options.now?.() ?? new Date(), options.days ?? LEAF_DAYS);
}
