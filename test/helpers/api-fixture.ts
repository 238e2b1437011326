/**
 * A real API over a real SQLite store in a temporary directory, with the bootstrap admin token,
 * two teams (`team-a`, `team-b`) and a token per role in each, created through the API itself.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrapAdmin, createApi, type Role } from "../../src/api/index.js";
import { createFileLogStore, type LogStore } from "../../src/observe/index.js";
import { createSpecValidator } from "../../src/spec/index.js";
import { openSqliteStore, type Store } from "../../src/store/index.js";

/** The teams of the fixture. */
export const TEAMS = ["team-a", "team-b"] as const;
/** The roles of the fixture. */
export const ROLES: readonly Role[] = ["owner", "member", "viewer"];

/** A ready API. */
export interface ApiFixture {
  store: Store;
  /** The log store the API reads (`<dir>/logs`). */
  logs: LogStore;
  api: ReturnType<typeof createApi>;
  dir: string;
  adminTokenPath: string;
  adminToken: string;
  /** Tokens by `<team>:<role>`. */
  tokens: Record<string, string>;
  /** Sends a request in-process (`app.request`). */
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** Closes the store and removes the directory. */
  close(): Promise<void>;
}

/** Options of one request. */
export interface RequestOptions {
  token?: string;
  /** Sent as JSON unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Builds the headers and body of a request. */
export function requestInit(method: string, options: RequestOptions = {}): RequestInit {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    init.body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  return init;
}

/** A small valid spec named `name`. */
export function specNamed(name: string, component = "web") {
  return { name, services: [{ name: component, git: { repo_clone_url: "https://example.com/r.git" } }] };
}

/** Creates the fixture. */
export async function createApiFixture(): Promise<ApiFixture> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-api-"));
  const store = openSqliteStore({ path: join(dir, "slipway.db") });
  const adminTokenPath = await bootstrapAdmin({ store, dataDir: dir });
  const adminToken = (await readFile(adminTokenPath, "utf8")).trim();
  const logs = createFileLogStore({ root: join(dir, "logs") });
  const api = createApi({
    store,
    logs,
    validator: createSpecValidator(),
    now: () => new Date(),
    randomId: randomUUID,
    baseDomain: "apps.test",
  });
  const request = (method: string, path: string, options?: RequestOptions) =>
    Promise.resolve(api.request(path, requestInit(method, options)));
  const tokens: Record<string, string> = {};
  for (const team of TEAMS) {
    const created = await request("POST", "/v1/teams", { token: adminToken, body: { name: team } });
    if (created.status !== 201)
      throw new Error(`creating ${team}: ${created.status} ${await created.text()}`);
    for (const role of ROLES) {
      const res = await request("POST", "/v1/tokens", {
        token: adminToken,
        body: { team, role, user: `${role}@${team}` },
      });
      if (res.status !== 201) throw new Error(`token ${team}:${role}: ${res.status} ${await res.text()}`);
      tokens[`${team}:${role}`] = ((await res.json()) as { secret: string }).secret;
    }
  }
  return {
    store,
    logs,
    api,
    dir,
    adminTokenPath,
    adminToken,
    tokens,
    request,
    close: async () => {
      logs.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The token of `team:role`; throws when absent. */
export function tokenOf(f: ApiFixture, team: string, role: Role): string {
  const token = f.tokens[`${team}:${role}`];
  if (token === undefined) throw new Error(`no token ${team}:${role}`);
  return token;
}
