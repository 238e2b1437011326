/**
 * The env an instance runs with: the artifact's env, `PORT`, then the app-level and component envs
 * visible at run time with their bindable variables resolved. A pure function of the spec (secrets
 * already decrypted) and the deployment's facts.
 */
import {
  type AppSpec,
  DEFAULT_HTTP_PORT,
  type EnvVarSpec,
  formatPath,
  type PathSegment,
  replaceReferences,
} from "../../spec/index.js";
import type { ComponentRef, DeploymentFacts } from "./facts.js";
import { findComponent, type ReferenceContext, resolveReference } from "./resolve-reference.js";

/** What `resolveRuntimeEnv` needs. */
export interface RuntimeEnvInput {
  /** A normalized spec whose SECRET values are plaintext (decrypted). */
  spec: AppSpec;
  /** The component the instance runs; it must be in `spec`. */
  component: ComponentRef;
  facts: DeploymentFacts;
  /**
   * The artifact's env (`ArtifactMetadata.env`: GENERAL RUN_AND_BUILD_TIME envs and what the
   * builder adds, such as PATH for a Python venv). Default none.
   */
  artifactEnv?: Readonly<Record<string, string>>;
}

/** One reference that has no value at run time. */
export interface EnvIssue {
  /** Where the value is, e.g. `services[0].envs[2].value`. */
  path: string;
  /** The reference as written inside `${...}`, e.g. `meta.PRIVATE_URL`. */
  reference: string;
  /** What is wrong, starting with the reference: `${meta.PRIVATE_URL}: component "meta" has ...`. */
  message: string;
}

/** The env, or every reference that could not be resolved (sorted by path). */
export type RuntimeEnvResult = { ok: true; env: Record<string, string> } | { ok: false; issues: EnvIssue[] };

interface Placed {
  env: EnvVarSpec;
  path: PathSegment[];
}

/** Where the builder's envelope starts (src/secrets/envelope.ts); runtime/ may not import secrets/. */
const ENCRYPTED_PREFIX = "slipway:v1:";

/**
 * The final env of an instance of `input.component`, keys sorted.
 *
 * - App-level envs and the component's envs are merged by key, the component's winning whatever
 *   either's scope; then only RUN_TIME and RUN_AND_BUILD_TIME (and absent / UNSET) are kept, as
 *   `buildEnvs` does for the build.
 * - `${...}` in values are resolved (reference 1.11). `${KEY}` names an app-level env (only from a
 *   component's envs); its value is that env's value with its own references resolved, whatever
 *   its scope. SECRET values are resolved like any other; their plaintext passes through.
 * - Services get `PORT` = `http_port` (internal-only services: their first internal port; 8080
 *   when neither is set) unless a visible env sets PORT (reference 1.4).
 * - `artifactEnv` comes first: a visible spec env with the same key wins (so PATH is kept from the
 *   artifact unless the spec sets it at run time).
 *
 * Throws when the component is not in the spec, or a SECRET value is still an encrypted envelope
 * (the caller forgot `decryptSpecSecrets`): both are bugs, not user errors.
 */
export function resolveRuntimeEnv(input: RuntimeEnvInput): RuntimeEnvResult {
  const { spec, component } = input;
  const found = findComponent(spec, component.name);
  if (found === undefined || found.kind !== component.kind)
    throw new Error(`resolveRuntimeEnv: the spec has no ${component.kind} "${component.name}"`);
  const appEnvs = placed(spec.envs, ["envs"]);
  const own = componentOf(spec, component);
  const merged = new Map<string, Placed>();
  for (const p of [...appEnvs, ...placed(own.envs, [own.list, own.index, "envs"])]) {
    merged.set(p.env.key, p);
  }
  const ctx: ReferenceContext = {
    spec,
    facts: input.facts,
    owner: component,
    appKeys: new Set(appEnvs.map((p) => p.env.key)),
  };
  const issues = new Map<string, EnvIssue>();
  const appValues = new Map<string, string>();
  const appValue = (key: string): string => {
    let v = appValues.get(key);
    if (v === undefined) {
      // The last app-level env of a key wins, as in the merge.
      const p = appEnvs.findLast((e) => e.env.key === key) as Placed;
      v = resolveValue(p, { ...ctx, owner: undefined }, issues, () => "");
      appValues.set(key, v);
    }
    return v;
  };
  const env: Record<string, string> = { ...input.artifactEnv };
  const port = servicePort(spec, component);
  if (port !== undefined) env.PORT = String(port);
  for (const p of merged.values()) {
    if (p.env.scope === "BUILD_TIME") continue;
    // An app-level env is resolved as the app's (no _self, no ${KEY}), once, like a ${KEY} to it.
    env[p.env.key] = p.path[0] === "envs" ? appValue(p.env.key) : resolveValue(p, ctx, issues, appValue);
  }
  if (issues.size > 0) {
    const list = [...issues.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { ok: false, issues: list };
  }
  return { ok: true, env: sorted(env) };
}

/** `services[0].envs[2].value: ${meta.PRIVATE_URL}: ...`, one line per issue. */
export function formatEnvIssues(issues: readonly EnvIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("\n");
}

function resolveValue(
  p: Placed,
  ctx: ReferenceContext,
  issues: Map<string, EnvIssue>,
  appValue: (key: string) => string,
): string {
  const raw = p.env.value ?? "";
  const path = formatPath([...p.path, "value"]);
  if (p.env.type === "SECRET" && raw.startsWith(ENCRYPTED_PREFIX))
    throw new Error(
      `${path}: the SECRET value is still encrypted; decrypt the spec before resolving its env`,
    );
  return replaceReferences(raw, (reference) => {
    const r = resolveReference(reference, ctx);
    if (r.kind === "value") return r.value;
    if (r.kind === "app-env") return appValue(r.key);
    issues.set(`${path}\u0000${reference}`, { path, reference, message: r.message });
    return "";
  });
}

function placed(envs: readonly EnvVarSpec[] | undefined, at: PathSegment[]): Placed[] {
  return (envs ?? []).map((env, i) => ({ env, path: [...at, i] }));
}

interface Located {
  list: string;
  index: number;
  envs: readonly EnvVarSpec[] | undefined;
}

function componentOf(spec: AppSpec, c: ComponentRef): Located {
  const list = {
    service: "services",
    static_site: "static_sites",
    worker: "workers",
    job: "jobs",
    function: "functions",
  }[c.kind] as "services" | "static_sites" | "workers" | "jobs" | "functions";
  const items: readonly { name: string; envs?: EnvVarSpec[] }[] = spec[list] ?? [];
  const index = items.findIndex((x) => x.name === c.name);
  return { list, index, envs: items[index]?.envs };
}

function servicePort(spec: AppSpec, c: ComponentRef): number | undefined {
  if (c.kind !== "service") return undefined;
  const s = spec.services?.find((x) => x.name === c.name);
  return s?.http_port ?? s?.internal_ports?.[0] ?? DEFAULT_HTTP_PORT;
}

function sorted(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) out[key] = env[key] as string;
  return out;
}
