/**
 * JWT keys for `slipway server` (ADR 0020): the JWKS of every issuer named by a routed service's
 * `slipway_auth`, fetched when the issuer first appears and refreshed every `refreshMs`, written
 * as the PEM files HAProxy's `jwt_verify` loads. A changed key set calls `onKeysChanged`; the
 * router then re-renders and reloads seamlessly (HAProxy 2.6 reads key files only at load,
 * ADR 0013). Fail closed: an issuer never reached has no keys, and HAProxy answers 401 to every
 * request for its services; a failed refresh keeps the last good keys.
 */
import { join } from "node:path";
import {
  createJwksCache,
  type FetchLike,
  type IssuerKeys,
  type IssuerRef,
  type JwtKey,
  type RouteTable,
  writeJwtKeys,
} from "../router/index.js";

/** How often issuers' key sets are refetched unless the server says otherwise (`--jwks-refresh`). */
export const DEFAULT_JWKS_REFRESH_MS = 15 * 60_000;
/** An issuer never reached is tried again at most this often (and at every refresh). */
const UNREACHED_RETRY_MS = 30_000;

/** Options of {@link createRouterJwt}. */
export interface RouterJwtOptions {
  /** Key files go to `<dataDir>/router/jwt-keys`. */
  dataDir: string;
  /** Refetch every issuer's JWKS this often. Default {@link DEFAULT_JWKS_REFRESH_MS}. */
  refreshMs?: number;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /** What went wrong with an issuer, in words an operator can act on. */
  log: (message: string) => void;
  /** An issuer's key set changed (first fetch or rotation): the router must render again. */
  onKeysChanged: () => void;
}

/** The issuers' keys the router renders. */
export interface RouterJwt {
  /**
   * The keys for the issuers `table` names, written under the key folder (others' files are
   * removed). An issuer seen for the first time is fetched before this resolves (bounded by the
   * fetch timeout); one that could not be reached is retried in the background and has no keys
   * meanwhile.
   */
  keys(table: RouteTable): Promise<JwtKey[]>;
  /** Stops the refresh timer. */
  stop(): void;
}

/** The issuers named by the table's protected backends (first `jwks_uri` wins). */
export function issuersOf(table: RouteTable): IssuerRef[] {
  const refs = new Map<string, IssuerRef>();
  for (const b of table.backends) {
    if (b.auth === undefined || refs.has(b.auth.issuer)) continue;
    refs.set(b.auth.issuer, {
      issuer: b.auth.issuer,
      ...(b.auth.jwksUri === undefined ? {} : { jwksUri: b.auth.jwksUri }),
    });
  }
  return [...refs.values()];
}

const fingerprint = (set: IssuerKeys) => JSON.stringify(set.keys.map((k) => [k.kid, k.alg, k.pem]).sort());

/** Starts the refresh timer; nothing is fetched until {@link RouterJwt.keys} names an issuer. */
export function createRouterJwt(options: RouterJwtOptions): RouterJwt {
  const now = options.now ?? Date.now;
  const refreshMs = options.refreshMs ?? DEFAULT_JWKS_REFRESH_MS;
  const keyDir = join(options.dataDir, "router", "jwt-keys");
  const cache = createJwksCache({
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    now,
    maxAgeMs: refreshMs,
    onStale: (issuer, err, kept) =>
      options.log(
        `JWKS of issuer ${issuer} could not be refreshed (${message(err)}); keeping the ${kept.keys.length} keys fetched before`,
      ),
  });
  const sets = new Map<string, IssuerKeys>();
  const failedAt = new Map<string, number>();
  const inflight = new Map<string, Promise<void>>();
  let wanted: IssuerRef[] = [];

  const fetchIssuer = (ref: IssuerRef): Promise<void> => {
    const running = inflight.get(ref.issuer);
    if (running !== undefined) return running;
    const run = (async () => {
      try {
        const set = await cache.refresh(ref);
        failedAt.delete(ref.issuer);
        for (const skipped of set.skipped)
          options.log(`JWKS of issuer ${ref.issuer}: ${skipped}; key ignored`);
        const before = sets.get(ref.issuer);
        sets.set(ref.issuer, set);
        if (before === undefined || fingerprint(before) !== fingerprint(set)) options.onKeysChanged();
      } catch (err) {
        failedAt.set(ref.issuer, now());
        options.log(
          `JWKS of issuer ${ref.issuer} could not be fetched (${message(err)}); its services answer 401 to every request until it is reachable`,
        );
      } finally {
        inflight.delete(ref.issuer);
      }
    })();
    inflight.set(ref.issuer, run);
    return run;
  };
  const timer = setInterval(() => {
    for (const ref of wanted) void fetchIssuer(ref);
  }, refreshMs);
  timer.unref();

  return {
    keys: async (table) => {
      wanted = issuersOf(table);
      const first: Promise<void>[] = [];
      for (const ref of wanted) {
        if (sets.has(ref.issuer)) continue;
        const failed = failedAt.get(ref.issuer);
        if (failed === undefined) first.push(fetchIssuer(ref));
        else if (now() - failed >= UNREACHED_RETRY_MS) void fetchIssuer(ref);
      }
      await Promise.all(first);
      const known = wanted.flatMap((r) => {
        const set = sets.get(r.issuer);
        return set === undefined ? [] : [set];
      });
      return (await writeJwtKeys(keyDir, known)).keys;
    },
    stop: () => clearInterval(timer),
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
