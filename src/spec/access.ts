/**
 * Defensive readers for values that may not match the schema: the semantic rules run on every
 * input, valid or not, so that all errors are reported at once, and must never throw.
 */
import type { PathSegment } from "./issues.js";
import { COMPONENT_LISTS } from "./schema.js";

/** A plain map, or undefined. */
export function asMap(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** A list, or an empty list. */
export function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A string, or undefined. */
export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The kinds of entries that have names in an app spec. */
export type EntryKind = "service" | "static_site" | "worker" | "job" | "function" | "database";

const KIND_OF_LIST: Record<string, EntryKind> = {
  services: "service",
  static_sites: "static_site",
  workers: "worker",
  jobs: "job",
  functions: "function",
  databases: "database",
};

/** How a kind is written in messages. */
export const KIND_LABEL: Record<EntryKind, string> = {
  service: "service",
  static_site: "static site",
  worker: "worker",
  job: "job",
  function: "functions component",
  database: "database",
};

/** A component or database of a (possibly invalid) spec, with its path. */
export interface Entry {
  kind: EntryKind;
  list: string;
  index: number;
  path: PathSegment[];
  value: Record<string, unknown>;
  name: string | undefined;
}

/** Every component and database that is a map, in spec order. */
export function entries(spec: Record<string, unknown>, withDatabases = true): Entry[] {
  const lists: string[] = withDatabases ? [...COMPONENT_LISTS, "databases"] : [...COMPONENT_LISTS];
  const out: Entry[] = [];
  for (const list of lists) {
    asList(spec[list]).forEach((item, index) => {
      const value = asMap(item);
      if (value === undefined) return;
      out.push({
        kind: KIND_OF_LIST[list] as EntryKind,
        list,
        index,
        path: [list, index],
        value,
        name: asString(value.name),
      });
    });
  }
  return out;
}
