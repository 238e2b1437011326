/**
 * Object keys as the work queue carries them: `namespace/name`, or `/name` for objects without a
 * namespace (names and namespaces are DNS-1123, so neither contains a slash).
 */
import type { ObjectKey } from "../../resources/meta.js";

/** The queue string of `key`. */
export function keyString(key: ObjectKey): string {
  return `${key.namespace ?? ""}/${key.name}`;
}

/** The key a queue string stands for; the inverse of `keyString`. */
export function parseKeyString(value: string): ObjectKey {
  const slash = value.indexOf("/");
  const namespace = value.slice(0, Math.max(0, slash));
  const name = value.slice(slash + 1);
  return namespace === "" ? { name } : { namespace, name };
}
