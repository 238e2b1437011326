/**
 * The public keys of OIDC issuers: discovery (`<issuer>/.well-known/openid-configuration` ->
 * `jwks_uri`), the JWKS, each usable key converted to PEM with Node's crypto. Keys are cached
 * per issuer, refreshed when older than `maxAgeMs`, and on demand when a token names an unknown
 * `kid` (at most once per `minIntervalMs`, so a flood of bad tokens cannot hammer the issuer).
 * A failed refresh keeps the keys already known. Fetch and clock are injected.
 */
import { createPublicKey, type JsonWebKey } from "node:crypto";
import { SlipwayError } from "../../resources/index.js";
import { JWT_ALGS, type JwtAlg, KID_PATTERN } from "./jwt-config.js";

/** The part of `fetch` the cache uses. */
export type FetchLike = (
  url: string,
  init?: { signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** One usable key of an issuer. */
export interface PublicJwtKey {
  kid: string;
  alg: JwtAlg;
  /** SPKI PEM, as HAProxy's `jwt_verify` loads it. */
  pem: string;
}

/** An issuer's key set as last fetched. */
export interface IssuerKeys {
  issuer: string;
  jwksUri: string;
  keys: PublicJwtKey[];
  /** Keys left out, with why (unsupported type or algorithm, odd kid, ...). */
  skipped: string[];
  /** When the set was fetched (the injected clock's milliseconds). */
  fetchedAt: number;
}

/** Options of {@link createJwksCache}. */
export interface JwksCacheOptions {
  fetch: FetchLike;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Refetch a key set older than this. Default 15 minutes. */
  maxAgeMs?: number;
  /** At most one unknown-kid refetch per issuer this often. Default 60 s. */
  minIntervalMs?: number;
  /** Per request. Default 5 s. */
  timeoutMs?: number;
  /** Told when a refresh failed and the keys known before are kept (else the caller gets the error). */
  onStale?: (issuer: string, err: unknown, kept: IssuerKeys) => void;
}

/** Which issuer, and where its keys are if discovery is not wanted. */
export interface IssuerRef {
  issuer: string;
  jwksUri?: string;
}

/** The cache. */
export interface JwksCache {
  /** The issuer's keys, fetched when unknown or older than `maxAgeMs`. */
  get(ref: IssuerRef): Promise<IssuerKeys>;
  /**
   * A token named `kid`: refetch the set unless it holds the kid or was fetched within
   * `minIntervalMs`; resolves whether the kid is known afterwards.
   */
  refreshForKid(ref: IssuerRef, kid: string): Promise<boolean>;
  /**
   * Refetches the set now, whatever its age (a periodic refresh). A failure keeps the known set
   * (reported to `onStale`) and rejects only when the issuer was never reached.
   */
  refresh(ref: IssuerRef): Promise<IssuerKeys>;
}

/** Creates an empty cache. */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const sets = new Map<string, IssuerKeys>();
  const maxAge = options.maxAgeMs ?? 15 * 60_000;
  const minInterval = options.minIntervalMs ?? 60_000;
  const fetchJson = async (url: string): Promise<unknown> => {
    const res = await options
      .fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) })
      .catch((err: Error) => {
        throw new SlipwayError("unavailable", `fetching ${url}: ${err.message}`, { cause: err });
      });
    if (!res.ok) throw new SlipwayError("unavailable", `fetching ${url}: HTTP ${res.status}`);
    return res.json();
  };
  const refresh = async (ref: IssuerRef): Promise<IssuerKeys> => {
    const previous = sets.get(ref.issuer);
    try {
      const jwksUri = ref.jwksUri ?? (await discover(ref.issuer, fetchJson));
      const fetched = {
        issuer: ref.issuer,
        jwksUri,
        ...keysOf(await fetchJson(jwksUri)),
        fetchedAt: options.now(),
      };
      sets.set(ref.issuer, fetched);
      return fetched;
    } catch (err) {
      if (previous === undefined) throw err;
      // Keep serving the keys we had; try again no sooner than the unknown-kid interval.
      const kept = {
        ...previous,
        fetchedAt: Math.max(previous.fetchedAt, options.now() - maxAge + minInterval),
      };
      sets.set(ref.issuer, kept);
      options.onStale?.(ref.issuer, err, kept);
      return kept;
    }
  };
  return {
    get: async (ref) => {
      const set = sets.get(ref.issuer);
      if (set !== undefined && options.now() - set.fetchedAt < maxAge) return set;
      return refresh(ref);
    },
    refreshForKid: async (ref, kid) => {
      const set = sets.get(ref.issuer);
      if (set?.keys.some((k) => k.kid === kid)) return true;
      if (set !== undefined && options.now() - set.fetchedAt < minInterval) return false;
      return (await refresh(ref)).keys.some((k) => k.kid === kid);
    },
    refresh,
  };
}

async function discover(issuer: string, fetchJson: (url: string) => Promise<unknown>): Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const doc = (await fetchJson(url)) as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (doc?.issuer !== issuer) {
    throw new SlipwayError(
      "failed_precondition",
      `${url} names issuer ${JSON.stringify(doc?.issuer)}, not ${JSON.stringify(issuer)}; set slipway_auth.issuer to the provider's exact issuer`,
    );
  }
  if (typeof doc.jwks_uri !== "string") {
    throw new SlipwayError("failed_precondition", `${url} has no jwks_uri; set slipway_auth.jwks_uri`);
  }
  return doc.jwks_uri;
}

/** The usable keys of a JWKS document, and why the others were left out. */
export function keysOf(jwks: unknown): { keys: PublicJwtKey[]; skipped: string[] } {
  const list = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new SlipwayError("failed_precondition", "the JWKS has no keys array");
  const keys: PublicJwtKey[] = [];
  const skipped: string[] = [];
  for (const [i, jwk] of list.entries()) {
    const key = jwkToKey(jwk);
    if (typeof key === "string") skipped.push(`keys[${i}]: ${key}`);
    else keys.push(key);
  }
  return { keys, skipped };
}

/** Smaller RSA keys are refused (NIST SP 800-131A). */
const MIN_RSA_BITS = 2048;
const CURVE_ALGS: Record<string, JwtAlg> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };

/** Converts one JWK to a PEM public key with its algorithm, or says why it cannot be used. */
export function jwkToKey(jwk: unknown): PublicJwtKey | string {
  if (typeof jwk !== "object" || jwk === null) return "not an object";
  const k = jwk as JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown };
  if (k.use !== undefined && k.use !== "sig") return `use ${JSON.stringify(k.use)} is not sig`;
  if (typeof k.kid !== "string" || !KID_PATTERN.test(k.kid))
    return `kid ${JSON.stringify(k.kid)} is missing or unusable`;
  const inferred = k.kty === "RSA" ? "RS256" : k.kty === "EC" ? CURVE_ALGS[String(k.crv)] : undefined;
  const alg = k.alg ?? inferred;
  if (!JWT_ALGS.includes(alg as JwtAlg))
    return `algorithm ${JSON.stringify(alg)} (kty ${String(k.kty)}) is not supported`;
  if (k.kty === "EC" && CURVE_ALGS[String(k.crv)] !== alg)
    return `curve ${String(k.crv)} does not fit ${String(alg)}`;
  if (k.kty !== (String(alg).startsWith("RS") ? "RSA" : "EC"))
    return `kty ${String(k.kty)} does not fit ${String(alg)}`;
  try {
    const { kty, n, e, crv, x, y } = k;
    const key = createPublicKey({ key: { kty, n, e, crv, x, y } as JsonWebKey, format: "jwk" });
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined && bits < MIN_RSA_BITS)
      return `RSA key of ${bits} bits is too small (${MIN_RSA_BITS} at least)`;
    return { kid: k.kid, alg: alg as JwtAlg, pem: key.export({ type: "spki", format: "pem" }).toString() };
  } catch (err) {
    return `not a valid public key: ${(err as Error).message}`;
  }
}
