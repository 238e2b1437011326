/**
 * What a route handler receives: its dependencies, the caller, and its checked, typed input.
 */
import type { UploadStore } from "../build/index.js";
import type { LogStore } from "../observe/index.js";
import { type App, type ErrorDetail, isErrorCode, SlipwayError } from "../resources/index.js";
import type { Keyring } from "../secrets/index.js";
import type { AppSpec, SpecValidator, ValidateOptions, ValidationResult } from "../spec/index.js";
import type { Store } from "../store/index.js";
import type { Principal } from "./auth.js";
import type { ProposeSourceJson } from "./inline-files.js";
import type { NodeStatusJson } from "./node-schemas.js";
import type { BodyOf, ParamsOf, QueryOf, ResponseOf } from "./routes.js";

/** The dependencies of the API. */
export interface ApiDeps {
  store: Store;
  validator: SpecValidator;
  now: () => Date;
  /** Ids of new deployments, tokens and audit entries: lowercase letters, digits and '-'. */
  randomId: () => string;
  /**
   * Apps are served at `http://<app>.<baseDomain>`; it carries the router's port when that is not
   * 80 (e.g. `localhost:8080`).
   */
  baseDomain: string;
  /** Where build and instance logs are read from; without it the logs route answers `unavailable`. */
  logs?: LogStore;
  /**
   * Encrypts SECRET env values before an app spec is stored (AES-256-GCM, key outside the
   * database). Without it, specs are stored as sent (tests of unrelated behaviour).
   */
  secrets?: Keyring;
  /** This node's status (`GET /v1/node`); without it that route answers `unavailable`. */
  node?: () => NodeStatusJson;
  /** Where uploaded source folders are kept; without it uploads answer `unavailable`. */
  uploads?: UploadStore;
  /**
   * Checks a propose body's source out into a temporary folder (the server's fetch policy applies);
   * without it, propose accepts only specs.
   */
  checkout?: (
    source: ProposeSourceJson,
    signal: AbortSignal,
  ) => Promise<{ dir: string; commit?: string; cleanup: () => Promise<void> }>;
  /** The root certificate (PEM) of the router's local CA (ADR 0020); without it `getCa` is `not_found`. */
  caPem?: () => Promise<string>;
}

/** One call of a route. */
export interface Call<R> {
  deps: ApiDeps;
  principal: Principal;
  params: ParamsOf<R>;
  query: QueryOf<R>;
  body: BodyOf<R>;
  /** The request's bytes, for routes with a `rawBody`. */
  rawBody?: Uint8Array;
  /** Ends when the client goes away (for watches). */
  signal: AbortSignal;
  /** Validates the body's spec (already done for YAML bodies); `invalid_argument` with every error. */
  validSpec(options?: ValidateOptions): ValidationResult & { spec: AppSpec };
  /** Names what the call acts on, for the audit log. */
  setTarget(target: string): void;
}

/** A route handler: returns the success body, or a Response of its own (streams). */
export type Handler<R> = (call: Call<R>) => Promise<ResponseOf<R> | Response>;

/** Throws `invalid_argument` carrying every spec error, or returns the valid result. */
export function requireValid(result: ValidationResult): ValidationResult & { spec: AppSpec } {
  if (result.valid && result.spec !== undefined) return { ...result, spec: result.spec };
  const details: ErrorDetail[] = result.errors.map((e) => ({
    path: e.path,
    message: e.message,
    ...(e.line === undefined ? {} : { line: e.line }),
    ...(e.column === undefined ? {} : { column: e.column }),
  }));
  const first = details[0];
  const where = first === undefined ? "" : `; ${first.path === "" ? "" : `${first.path}: `}${first.message}`;
  throw new SlipwayError(
    "invalid_argument",
    `the app spec has ${details.length} error${details.length === 1 ? "" : "s"}${where}`,
    { details },
  );
}

/** Finds an app of the caller's team by id (metadata.uid) or name; `not_found` otherwise. */
export async function findApp(deps: ApiDeps, principal: Principal, idOrName: string): Promise<App> {
  const namespace = principal.team;
  try {
    return await deps.store.get<App>("App", { namespace, name: idOrName });
  } catch (err) {
    if (!isErrorCode(err, "not_found") && !isErrorCode(err, "invalid_argument")) throw err;
  }
  const { items } = await deps.store.list<App>("App", { namespace });
  const app = items.find((a) => a.metadata.uid === idOrName);
  if (app === undefined) throw new SlipwayError("not_found", `app ${JSON.stringify(idOrName)} not found`);
  return app;
}
