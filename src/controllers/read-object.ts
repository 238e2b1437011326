/**
 * Reading one object where its absence is an expected outcome, not an error.
 */
import { isErrorCode } from "../resources/errors.js";
import type { ObjectKey, Resource } from "../resources/meta.js";
import type { Store } from "../store/store.js";

/** The object of `kind` at `key`, or undefined when the store has none; other errors are thrown. */
export async function getIfExists<R extends Resource>(
  store: Store,
  kind: R["kind"],
  key: ObjectKey,
): Promise<R | undefined> {
  try {
    return await store.get<R>(kind, key);
  } catch (err) {
    if (isErrorCode(err, "not_found")) return undefined;
    throw err;
  }
}
