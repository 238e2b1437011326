/**
 * The value of one bindable variable (reference 1.11) at run time, from the spec and the facts of
 * the deployment. Which variables exist, and which kind offers which, comes from spec/bindable.ts;
 * this file only gives them values.
 */
import { APP_VARIABLES, type AppSpec, type EntryKind, KIND_LABEL, KIND_VARIABLES } from "../../spec/index.js";
import type { ComponentKind, ComponentRef, DeploymentFacts } from "./facts.js";
import { publicRoute } from "./public-route.js";

/** What a reference names: an app-level env key (resolved by the caller), or a value or a problem. */
export type ReferenceValue =
  | { kind: "value"; value: string }
  | { kind: "app-env"; key: string }
  | { kind: "problem"; message: string };

/** What resolving a reference needs: the spec, the facts, the owner (absent for app-level envs). */
export interface ReferenceContext {
  spec: AppSpec;
  facts: DeploymentFacts;
  owner: ComponentRef | undefined;
  appKeys: ReadonlySet<string>;
}

const LISTS: Record<ComponentKind, "services" | "static_sites" | "workers" | "jobs" | "functions"> = {
  service: "services",
  static_site: "static_sites",
  worker: "workers",
  job: "jobs",
  function: "functions",
};

/** How messages name a variable a component does not offer. */
const VARIABLE_LABEL: Record<string, string> = {
  PRIVATE_DOMAIN: "private domain",
  PRIVATE_URL: "private URL",
  PRIVATE_PORT: "private port",
  COMMIT_HASH: "commit hash",
  PUBLIC_ROUTE_PATH: "public route path",
  PUBLIC_URL: "public URL",
  FUNCTIONS_LOG_DESTINATION_JSON: "functions log destination",
};

/** The component named `name` in `spec`, with its kind, or undefined. */
export function findComponent(spec: AppSpec, name: string): ComponentRef | undefined {
  for (const kind of Object.keys(LISTS) as ComponentKind[]) {
    if ((spec[LISTS[kind]] ?? []).some((c) => c.name === name)) return { kind, name };
  }
  return undefined;
}

/** The value `${ref}` (inner text, trimmed) stands for, or why it has none. */
export function resolveReference(ref: string, ctx: ReferenceContext): ReferenceValue {
  const problem = (message: string): ReferenceValue => ({
    kind: "problem",
    message: `\${${ref}}: ${message}`,
  });
  const parts = ref.split(".");
  if (parts.length === 1) {
    if (ref === "APP_DOMAIN") return value(ctx.facts.appDomain);
    if (ref === "APP_URL") return value(ctx.facts.appUrl);
    if (ref === "APP_ID") return value(ctx.facts.appId);
    if (ctx.appKeys.has(ref)) {
      if (ctx.owner === undefined)
        return problem("an app-level env key can only be used in a component's envs");
      return { kind: "app-env", key: ref };
    }
    return problem(
      `not a bindable variable; use ${APP_VARIABLES.join(", ")}, an app-level env key, or COMPONENT.VARIABLE`,
    );
  }
  const [name = "", ...rest] = parts;
  if (name !== "_self" && (ctx.spec.databases ?? []).some((d) => d.name === name)) {
    return problem(
      `databases are not supported: Slipway runs no database "${name}"; give the value yourself (a SECRET env, for example)`,
    );
  }
  const target = name === "_self" ? ctx.owner : findComponent(ctx.spec, name);
  if (target === undefined) {
    return problem(
      name === "_self" ? "_self only works in a component's envs" : `names no component "${name}"`,
    );
  }
  if (rest.length !== 1) return problem("write COMPONENT.VARIABLE (only databases have NAME.POOL.VARIABLE)");
  const variable = rest[0] ?? "";
  if (!KIND_VARIABLES[target.kind].includes(variable)) {
    const label = VARIABLE_LABEL[variable];
    if (label === undefined)
      return problem(
        `not a variable of ${describe(target.kind, target.name)}; it offers ${KIND_VARIABLES[target.kind].join(", ")}`,
      );
    return problem(`component "${target.name}" has no ${label} (it is a ${KIND_LABEL[target.kind]})`);
  }
  return componentVariable(target, variable, ctx, problem);
}

function componentVariable(
  target: ComponentRef,
  variable: string,
  ctx: ReferenceContext,
  problem: (message: string) => ReferenceValue,
): ReferenceValue {
  const facts = ctx.facts.components[target.name];
  switch (variable) {
    case "COMMIT_HASH":
      // A component built from an image, inline files or an upload has no commit: empty, as DO.
      return value(facts?.commitHash ?? "");
    case "PRIVATE_URL":
    case "PRIVATE_DOMAIN":
    case "PRIVATE_PORT": {
      const url = parseUrl(facts?.privateUrl);
      if (url === undefined)
        return problem(
          `component "${target.name}" has no private URL in this deployment (it runs no instance)`,
        );
      if (variable === "PRIVATE_URL") return value(facts?.privateUrl ?? "");
      if (variable === "PRIVATE_DOMAIN") return value(url.hostname);
      return value(url.port === "" ? (url.protocol === "https:" ? "443" : "80") : url.port);
    }
    case "PUBLIC_ROUTE_PATH":
    case "PUBLIC_URL": {
      const route = publicRoute(ctx.spec, target.name);
      if (route === undefined)
        return problem(
          `component "${target.name}" has no public URL (no ingress rule or route sends requests to it)`,
        );
      if (variable === "PUBLIC_ROUTE_PATH") return value(route.path);
      const origin =
        route.authority === undefined
          ? ctx.facts.appUrl
          : `${new URL(ctx.facts.appUrl).protocol}//${route.authority}`;
      return value(route.path === "/" ? origin : `${origin}${route.path}`);
    }
    default:
      return problem(`Slipway does not run functions components, so ${variable} has no value`);
  }
}

function parseUrl(text: string | undefined): URL | undefined {
  if (text === undefined) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function value(v: string): ReferenceValue {
  return { kind: "value", value: v };
}

function describe(kind: EntryKind, name: string): string {
  return `${KIND_LABEL[kind]} ${name}`;
}
