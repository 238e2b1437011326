/**
 * The HAProxy 2.6 lines that verify a bearer JWT before a request reaches a protected backend
 * (a service with `slipway_auth`). Pure: a route table and the issuers' keys in, lines out.
 *
 * What HAProxy 2.6.12 does, checked with the real binary (ADR 0013):
 * - `jwt_verify(<alg>,<key>)` needs both as constants: with a variable key it returns -3 even
 *   for a file it loaded, so there is one `jwt_verify` per known key, chosen by an ACL on the
 *   token's `kid` and `alg` headers. Key files are read when the configuration is loaded, so a
 *   new key needs a (seamless) reload.
 * - `jwt_payload_query('$.aud')` yields nothing when `aud` is an array; `'$.aud[N]'` works, so
 *   the first {@link MAX_AUDIENCES} entries are compared.
 */
import type { AuthPolicy, RouteTable } from "../route-table.js";

/** Public-key JWS algorithms HAProxy 2.6 verifies (no PS*, and HS* is never accepted from a JWKS). */
export const JWT_ALGS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] as const;
/** One of {@link JWT_ALGS}. */
export type JwtAlg = (typeof JWT_ALGS)[number];

/** One key of an issuer, written as a PEM public key file HAProxy loads at start. */
export interface JwtKey {
  issuer: string;
  kid: string;
  alg: JwtAlg;
  /** Absolute path of the PEM file. */
  file: string;
}

/** `aud` arrays are compared up to this many entries. */
export const MAX_AUDIENCES = 8;

/** A `kid` goes into an ACL pattern and a file name: only these characters are accepted. */
export const KID_PATTERN = /^[A-Za-z0-9._~+/=-]{1,128}$/;

const IS_B = "{ var(txn.route) -m beg B| }";

/**
 * Lines for the frontend, after routing and before `use_backend`. Policies get ids `j0`, `j1`,
 * ... in backend order. A protected request is answered by HAProxy: no token -> 401
 * `WWW-Authenticate: Bearer realm=...`; a token that fails signature, `exp`/`nbf`, `iss` or `aud`
 * -> 401 with `error="invalid_token"`; a missing scope -> 403 `error="insufficient_scope"`.
 */
export function jwtLines(table: RouteTable, keys: readonly JwtKey[]): string[] {
  const policies = new Map<string, { id: string; policy: AuthPolicy; backends: string[] }>();
  for (const b of table.backends) {
    if (b.auth === undefined) continue;
    const key = JSON.stringify(b.auth);
    const entry = policies.get(key) ?? { id: `j${policies.size}`, policy: b.auth, backends: [] };
    entry.backends.push(b.name);
    policies.set(key, entry);
  }
  if (policies.size === 0) return [];
  return [
    `  http-request set-var(txn.be) var(txn.route),field(3,|) if ${IS_B}`,
    "  http-request set-var(txn.jwt) http_auth_bearer",
    "  http-request set-var(txn.jwt_alg) var(txn.jwt),jwt_header_query('$.alg')",
    "  http-request set-var(txn.jwt_kid) var(txn.jwt),jwt_header_query('$.kid')",
    "  http-request set-var(txn.jwt_scope) var(txn.jwt),jwt_payload_query('$.scope')",
    // Padded with spaces, so a required scope is found as ` <scope> ` (a whole word).
    `  http-request set-var(txn.jwt_scopes) str(),concat(" ",txn.jwt_scope," ")`,
    "  http-request set-var(txn.now) date",
    "  acl jwt_given var(txn.jwt) -m found",
    "  acl jwt_fresh var(txn.jwt),jwt_payload_query('$.exp','int'),sub(txn.now) -m int gt 0",
    "  acl jwt_early var(txn.jwt),jwt_payload_query('$.nbf','int'),sub(txn.now) -m int gt 0",
    "  acl jwt_verified var(txn.jwt_ok) -m int eq 1",
    ...[...policies.values()].flatMap(({ id, policy, backends }) =>
      policyLines(
        id,
        policy,
        backends,
        keys.filter((k) => k.issuer === policy.issuer),
      ),
    ),
  ];
}

function policyLines(
  id: string,
  p: AuthPolicy,
  backends: readonly string[],
  keys: readonly JwtKey[],
): string[] {
  const on = `auth_${id}`;
  const audiences = p.audiences.join(" ");
  const realm = quoted(p.issuer);
  const deny = (error: string | undefined, when: string) => {
    const value = `Bearer realm=\\"${realm}\\"${error === undefined ? "" : `, error=\\"${error}\\"`}`;
    return `  http-request return status 401 content-type "text/plain; charset=utf-8" hdr WWW-Authenticate "${value}" string "Unauthorized.\\n" if ${on} ${when}`;
  };
  const missingScope = (scope: string) => {
    const value = `Bearer realm=\\"${realm}\\", error=\\"insufficient_scope\\", scope=\\"${quoted(p.scopes.join(" "))}\\"`;
    return `  http-request return status 403 content-type "text/plain; charset=utf-8" hdr WWW-Authenticate "${value}" string "Forbidden: the token lacks a required scope.\\n" if ${on} !{ var(txn.jwt_scopes) -m sub " ${scope} " }`;
  };
  return [
    `  acl ${on} var(txn.be) -m str ${backends.join(" ")}`,
    ...keys.map(
      (k) =>
        `  http-request set-var(txn.jwt_ok) var(txn.jwt),jwt_verify("${k.alg}","${k.file}") if ${on} { var(txn.jwt_kid) -m str ${k.kid} } { var(txn.jwt_alg) -m str ${k.alg} }`,
    ),
    `  acl iss_${id} var(txn.jwt),jwt_payload_query('$.iss') -m str ${p.issuer}`,
    `  acl aud_${id} var(txn.jwt),jwt_payload_query('$.aud') -m str ${audiences}`,
    ...Array.from(
      { length: MAX_AUDIENCES },
      (_, i) => `  acl aud_${id} var(txn.jwt),jwt_payload_query('$.aud[${i}]') -m str ${audiences}`,
    ),
    deny(undefined, "!jwt_given"),
    deny("invalid_token", "!jwt_verified"),
    deny("invalid_token", "!jwt_fresh"),
    deny("invalid_token", "jwt_early"),
    deny("invalid_token", `!iss_${id}`),
    deny("invalid_token", `!aud_${id}`),
    ...p.scopes.map(missingScope),
  ];
}

/** Escapes a literal for a double-quoted HAProxy log-format argument. */
function quoted(text: string): string {
  return text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, "%%");
}
