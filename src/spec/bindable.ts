/**
 * Bindable variables (reference 1.11): `${APP_URL}`, `${web.PRIVATE_URL}`, `${_self.COMMIT_HASH}`,
 * `${db.DATABASE_URL}`, `${db.pool.DATABASE_URL}`, and `${KEY}` for an app-level env. A reference
 * must name a real component or database and a variable that kind offers; database variables exist
 * at run time only.
 */
import { asList, asMap, asString, type Entry, type EntryKind, KIND_LABEL } from "./access.js";
import type { PathSegment } from "./issues.js";
import type { RawIssue } from "./schema-errors.js";
import { suggest } from "./suggest.js";

/** App-wide bindable variables. */
export const APP_VARIABLES = ["APP_DOMAIN", "APP_URL", "APP_ID"] as const;

/** The variables each kind of component or database offers. */
export const KIND_VARIABLES: Record<EntryKind, readonly string[]> = {
  service: [
    "PRIVATE_DOMAIN",
    "PRIVATE_URL",
    "PRIVATE_PORT",
    "COMMIT_HASH",
    "PUBLIC_ROUTE_PATH",
    "PUBLIC_URL",
  ],
  static_site: ["COMMIT_HASH", "PUBLIC_ROUTE_PATH", "PUBLIC_URL"],
  worker: ["COMMIT_HASH"],
  job: ["COMMIT_HASH"],
  function: ["COMMIT_HASH", "PUBLIC_ROUTE_PATH", "PUBLIC_URL", "FUNCTIONS_LOG_DESTINATION_JSON"],
  database: [
    "HOSTNAME",
    "PORT",
    "USERNAME",
    "PASSWORD",
    "DATABASE",
    "DATABASE_URL",
    "JDBC_DATABASE_URL",
    "REDIS_URL",
    "CA_CERT",
  ],
};

const REFERENCE = /\$\{([^{}]*)\}/g;

/** The `${...}` references in a value, with their inner text trimmed. */
export function references(value: string): string[] {
  return [...value.matchAll(REFERENCE)].map((m) => (m[1] ?? "").trim());
}

/**
 * `value` with every `${...}` replaced by `replace(reference)`, the reference's inner text trimmed
 * as `references` gives it. Text outside `${...}` (a lone `$`, `$NAME`) is kept as it is.
 */
export function replaceReferences(value: string, replace: (reference: string) => string): string {
  return value.replace(REFERENCE, (_, inner: string) => replace(inner.trim()));
}

interface Scope {
  owner: Entry | undefined;
  path: PathSegment[];
  env: Record<string, unknown>;
}

/** Checks every `${...}` in app-level and component-level env values. */
export function checkBindableVariables(spec: Record<string, unknown>, all: Entry[]): RawIssue[] {
  const appKeys = new Set(asList(spec.envs).flatMap((e) => asString(asMap(e)?.key) ?? []));
  const scopes: Scope[] = [];
  const collect = (owner: Entry | undefined, path: PathSegment[], list: unknown) => {
    asList(list).forEach((env, i) => {
      const m = asMap(env);
      if (m !== undefined) scopes.push({ owner, path: [...path, i], env: m });
    });
  };
  collect(undefined, ["envs"], spec.envs);
  for (const e of all) collect(e, [...e.path, "envs"], e.value.envs);
  const out: RawIssue[] = [];
  for (const s of scopes) {
    const value = asString(s.env.value);
    if (value === undefined) continue;
    for (const ref of references(value)) {
      const problem = checkReference(ref, s, all, appKeys);
      if (problem !== undefined) out.push({ path: [...s.path, "value"], message: problem, at: "value" });
    }
  }
  return out;
}

function checkReference(ref: string, s: Scope, all: Entry[], appKeys: Set<string>): string | undefined {
  const parts = ref.split(".");
  if (parts.length === 1) {
    if ((APP_VARIABLES as readonly string[]).includes(ref)) return undefined;
    if (s.owner !== undefined && appKeys.has(ref)) return undefined;
    const guess = suggest(ref, [...APP_VARIABLES, ...appKeys]);
    const hint = guess === undefined ? "" : ` (did you mean \${${guess}}?)`;
    return `\${${ref}} is not a bindable variable${hint}; use APP_DOMAIN, APP_URL, APP_ID, an app-level env key, or COMPONENT.VARIABLE`;
  }
  const [name = "", ...rest] = parts;
  const variable = rest[rest.length - 1] ?? "";
  const target = name === "_self" ? s.owner : all.find((e) => e.name === name);
  if (target === undefined) {
    if (name === "_self") return `\${${ref}}: _self only works in a component's envs`;
    const names = all.flatMap((e) => (e.name === undefined ? [] : [e.name]));
    const guess = suggest(name, names);
    const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
    return `\${${ref}} names no component or database "${name}"${hint}`;
  }
  if (rest.length === 2 && target.kind !== "database") {
    return `\${${ref}}: only databases have connection pools (NAME.POOL.VARIABLE)`;
  }
  if (rest.length > 2)
    return `\${${ref}} has too many parts; write COMPONENT.VARIABLE or DATABASE.POOL.VARIABLE`;
  const offered = KIND_VARIABLES[target.kind];
  const label = `${KIND_LABEL[target.kind]} ${target.name ?? name}`;
  if (!offered.includes(variable)) {
    const guess = suggest(variable, offered);
    const hint = guess === undefined ? "" : ` (did you mean ${guess}?)`;
    return `\${${ref}} is not a variable of ${label}${hint}; it offers ${offered.join(", ")}`;
  }
  if (target.kind === "database") return databaseReference(ref, variable, target, s);
  return undefined;
}

function databaseReference(ref: string, variable: string, db: Entry, s: Scope): string | undefined {
  if (variable === "REDIS_URL" && db.value.engine !== "REDIS") {
    return `\${${ref}}: REDIS_URL is only offered by REDIS databases`;
  }
  if (s.env.scope === "BUILD_TIME") {
    return `\${${ref}}: database variables exist at run time only, but this variable's scope is BUILD_TIME`;
  }
  return undefined;
}
