/**
 * `stack.json`: the metadata written beside a stack's root filesystem, and its parser.
 */
import type { StackDefinition } from "./stack-definition.js";

/** Versions of the language runtimes found in a stack (as the tools print them, trimmed). */
export interface StackRuntimes {
  /** `node --version`, e.g. `v18.19.0`. */
  node: string;
  /** `python3 --version` without the `Python ` prefix, e.g. `3.11.2`. */
  python3: string;
  /** `go version`'s version without the `go` prefix, e.g. `1.19.8`. */
  go: string;
}

/** The content of `<root>/<name>/stack.json`. */
export interface StackInfo {
  name: string;
  version: string;
  definition: StackDefinition;
  /** ISO 8601 time the stack was built (kept when a stack is restored from the cache). */
  created_at: string;
  /** Apparent size of the root filesystem in bytes (`du -sb`). */
  size_bytes: number;
  runtimes: StackRuntimes;
  /** Where the root filesystem lives, relative to the stack's folder. */
  rootfs: "rootfs";
}

const isString = (v: unknown): v is string => typeof v === "string";
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Narrows parsed JSON to a StackInfo; returns a message naming the first bad field otherwise. */
export function parseStackInfo(value: unknown): StackInfo | string {
  if (!isRecord(value)) return "not a JSON object";
  const { name, version, definition: d, created_at, size_bytes, runtimes: r } = value;
  if (!isString(name) || !isString(version) || !isString(created_at))
    return "name, version, created_at: must be strings";
  if (typeof size_bytes !== "number") return "size_bytes: must be a number";
  if (
    !isRecord(d) ||
    !isString(d.suite) ||
    !isString(d.variant) ||
    !Array.isArray(d.packages) ||
    !d.packages.every(isString)
  )
    return "definition: must have suite, variant and packages";
  if (!isRecord(r) || !isString(r.node) || !isString(r.python3) || !isString(r.go))
    return "runtimes: must have node, python3 and go";
  return {
    name,
    version,
    definition: { suite: d.suite, variant: d.variant, packages: d.packages },
    created_at,
    size_bytes,
    runtimes: { node: r.node, python3: r.python3, go: r.go },
    rootfs: "rootfs",
  };
}
