/**
 * The audit log: one `AuditEntry` resource in `slipway-system` per mutating call, written before
 * the response is sent, whatever the outcome.
 */
import { API_VERSION, type Resource, SlipwayError } from "../resources/index.js";
import type { Store } from "../store/index.js";
import { SYSTEM_NAMESPACE } from "./auth.js";
import type { AuditEntryJson } from "./schemas.js";

/** An audit entry resource; its spec is the entry as the API shows it. */
export type AuditEntryResource = Resource<"AuditEntry", AuditEntryJson>;

/** The methods whose calls are audited. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Appends an entry; fails with `unavailable` when it cannot be stored. */
export async function appendAudit(store: Store, entry: AuditEntryJson): Promise<void> {
  try {
    await store.create<AuditEntryResource>({
      apiVersion: API_VERSION,
      kind: "AuditEntry",
      metadata: { name: entry.id, namespace: SYSTEM_NAMESPACE },
      spec: entry,
    });
  } catch (err) {
    throw new SlipwayError(
      "unavailable",
      "could not record the audit entry; the call may have taken effect",
      {
        cause: err,
      },
    );
  }
}

/** Entries of `team` (every team when undefined), oldest first. */
export async function listAudit(store: Store, team: string | undefined): Promise<AuditEntryJson[]> {
  const { items } = await store.list<AuditEntryResource>("AuditEntry", { namespace: SYSTEM_NAMESPACE });
  return items
    .filter((e) => team === undefined || e.spec.team === team)
    .sort(
      (a, b) =>
        a.spec.time.localeCompare(b.spec.time) ||
        Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion),
    )
    .map((e) => e.spec);
}
