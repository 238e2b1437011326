/**
 * The ACME parts of the rendered HAProxy configuration: requests for
 * `/.well-known/acme-challenge/` on any host go to the challenge responder (acme-challenges.ts),
 * whatever the route maps say, and are never redirected to HTTPS (a host waiting for its first
 * certificate has none to serve).
 */

/** Where HAProxy sends HTTP-01 challenges (`acme` option of the HAProxy config). */
export interface HaproxyAcmeOptions {
  /** The challenge responder's address and port (loopback). */
  responder: { addr: string; port: number };
}

/** The backend of the challenge responder; the leading `_` keeps it apart from app backends. */
export const ACME_BACKEND = "_acme_challenge";

/**
 * Frontend lines placed right after the route-map lookups: a challenge request gets the route of
 * a plain backend action (`B|<no cors>|_acme_challenge|<no strip>|<no rewrite>`), so it passes the
 * 404 for unknown hosts and is sent on by the frontend's ordinary `use_backend`.
 */
export function acmeFrontendLines(acme: HaproxyAcmeOptions | undefined): string[] {
  if (acme === undefined) return [];
  return [
    "  acl acme_challenge path_beg /.well-known/acme-challenge/",
    `  http-request set-var(txn.route) str(B||${ACME_BACKEND}|0|) if acme_challenge`,
  ];
}

/** `lines` (the HTTP -> HTTPS redirect) made to skip challenge requests when ACME is on. */
export function exceptAcmeChallenges(
  lines: readonly string[],
  acme: HaproxyAcmeOptions | undefined,
): string[] {
  return acme === undefined ? [...lines] : lines.map((l) => `${l} !acme_challenge`);
}

/** The challenge responder's backend section. */
export function acmeBackendLines(acme: HaproxyAcmeOptions | undefined): string[] {
  if (acme === undefined) return [];
  const { addr, port } = acme.responder;
  const hostPort = addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
  return [`backend ${ACME_BACKEND}`, `  server responder ${hostPort}`, ""];
}
