/**
 * First-start bootstrap: the admin user, the default team and the admin token.
 */
import { randomUUID } from "node:crypto";
import { chmod, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { API_VERSION, isErrorCode } from "../resources/index.js";
import type { Store } from "../store/index.js";
import { issueToken, SYSTEM_NAMESPACE, type TeamResource, type TokenResource } from "./auth.js";

/** The admin's user name. */
export const ADMIN_USER = "admin";
/** The team created on first start. */
export const DEFAULT_TEAM = "default";
/** The label that marks the bootstrap admin token. */
const BOOTSTRAP_LABEL = "slipway.dev/bootstrap";

/** Options of `bootstrapAdmin`. */
export interface BootstrapAdminOptions {
  store: Store;
  /** The directory that receives `admin-token` (mode 0600). */
  dataDir: string;
  /** Token ids; default `randomUUID`. */
  randomId?: () => string;
  /** The clock; default `() => new Date()`. */
  now?: () => Date;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the `default` team (admin as owner) and an admin token on first start, writes the
 * token's secret to `<dataDir>/admin-token` with mode 0600 and returns that path. Idempotent:
 * when the admin token exists and its file too, nothing is created. When the token exists but
 * the file is gone (lost, or a crash between the two writes), the old token is deleted and a
 * new one written, since its secret cannot be recovered.
 */
export async function bootstrapAdmin(options: BootstrapAdminOptions): Promise<string> {
  const { store } = options;
  const randomId = options.randomId ?? randomUUID;
  const now = options.now ?? (() => new Date());
  const path = join(options.dataDir, "admin-token");
  try {
    await store.create<TeamResource>({
      apiVersion: API_VERSION,
      kind: "Team",
      metadata: { name: DEFAULT_TEAM, namespace: SYSTEM_NAMESPACE },
      spec: { members: [{ user: ADMIN_USER, role: "owner" }], createdAt: now().toISOString() },
    });
  } catch (err) {
    if (!isErrorCode(err, "already_exists")) throw err;
  }
  const existing = await store.list<TokenResource>("Token", {
    namespace: SYSTEM_NAMESPACE,
    labelSelector: `${BOOTSTRAP_LABEL}=admin`,
  });
  if (existing.items.length > 0 && (await exists(path))) return path;
  for (const old of existing.items) {
    await store.delete("Token", { namespace: SYSTEM_NAMESPACE, name: old.metadata.name });
  }
  const { secret } = await issueToken(store, {
    id: randomId(),
    user: ADMIN_USER,
    team: DEFAULT_TEAM,
    role: "owner",
    admin: true,
    description: "bootstrap admin token",
    now: now(),
    labels: { [BOOTSTRAP_LABEL]: "admin" },
  });
  await rm(path, { force: true });
  await writeFile(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
  return path;
}
