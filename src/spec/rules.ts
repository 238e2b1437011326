/**
 * The validation rules of reference section 2 that a JSON Schema cannot express: unique names,
 * exactly one source, mutually exclusive pairs, image registry rules, one PRIMARY domain, unique
 * routes, ingress rules that point at real components, job schedules. Each rule reads the spec
 * defensively (it may be schema-invalid) and returns issues; none throws.
 */
import { asList, asMap, asString, type Entry, entries, KIND_LABEL } from "./access.js";
import { checkBindableVariables } from "./bindable.js";
import { checkInactivitySleep } from "./inactivity-sleep.js";
import { instanceSize } from "./instance-sizes.js";
import type { PathSegment } from "./issues.js";
import { originRegexRefusal } from "./origin-regex.js";
import { checkSchedule } from "./schedule.js";
import type { RawIssue } from "./schema-errors.js";
import { suggest } from "./suggest.js";

type Spec = Record<string, unknown>;

/** Options of {@link checkRules}. */
export interface RuleOptions {
  /**
   * The app carries its own code (an uploaded folder or inline files): a component may then have
   * no source of its own and is built from that code. Default false.
   */
  appSource?: boolean;
  /** The least `inactivity_sleep.after_seconds` accepted; default 600 (DigitalOcean's). */
  minInactivitySeconds?: number;
}

/** Runs every semantic rule on a spec that is a map. */
export function checkRules(spec: Spec, options: RuleOptions = {}): RawIssue[] {
  const all = entries(spec);
  return [
    ...uniqueNames(all),
    ...all.flatMap((e) => checkEntry(e, options.appSource === true)),
    ...all.flatMap((e) => checkInactivitySleep(e, options.minInactivitySeconds)),
    ...domains(spec),
    ...routes(spec, all),
    ...ingress(spec, all),
    ...corsPolicies(spec, all),
    ...envLists(spec, all),
    ...checkBindableVariables(spec, all),
  ];
}

function issue(path: PathSegment[], message: string, at: "key" | "value" = "value"): RawIssue {
  return { path, message, at };
}

function uniqueNames(all: Entry[]): RawIssue[] {
  const firstAt = new Map<string, Entry>();
  const out: RawIssue[] = [];
  for (const e of all) {
    if (e.name === undefined) continue;
    const first = firstAt.get(e.name);
    if (first === undefined) firstAt.set(e.name, e);
    else {
      out.push(
        issue(
          [...e.path, "name"],
          `"${e.name}" is already the name of ${first.list}[${first.index}]; names must be unique across all components and databases`,
        ),
      );
    }
  }
  return out;
}

const SOURCE_KEYS = ["git", "github", "gitlab", "bitbucket", "image"] as const;

function checkEntry(e: Entry, appSource: boolean): RawIssue[] {
  if (e.kind === "database") return database(e);
  return [
    ...source(e, appSource),
    ...image(e),
    ...scaling(e),
    ...staticSite(e),
    ...job(e),
    ...ports(e),
    ...logDestinations(e),
  ];
}

const LOG_KINDS = ["papertrail", "datadog", "logtail", "open_search", "endpoint"] as const;

function logDestinations(e: Entry): RawIssue[] {
  const out: RawIssue[] = [];
  asList(e.value.log_destinations).forEach((d, i) => {
    const m = asMap(d);
    if (m === undefined) return;
    const path = [...e.path, "log_destinations", i];
    const kinds = LOG_KINDS.filter((k) => m[k] !== undefined);
    if (kinds.length === 0) out.push(issue(path, `needs one of ${LOG_KINDS.join(", ")}`));
    if (kinds.length > 1) {
      out.push(
        issue(
          [...path, kinds[1] as string],
          `cannot be set together with ${kinds[0]}; a log destination has one kind`,
          "key",
        ),
      );
    }
    const os = asMap(m.open_search);
    if (os?.endpoint !== undefined && os.cluster_name !== undefined) {
      out.push(
        issue([...path, "open_search", "cluster_name"], "cannot be set together with endpoint", "key"),
      );
    }
  });
  return out;
}

function source(e: Entry, appSource: boolean): RawIssue[] {
  const present = SOURCE_KEYS.filter((k) => e.value[k] !== undefined);
  const allowed = e.kind === "static_site" || e.kind === "function" ? SOURCE_KEYS.slice(0, 4) : SOURCE_KEYS;
  if (present.length === 0 && !appSource) {
    return [issue(e.path, `has no source; set one of ${allowed.join(", ")}`)];
  }
  if (present.length > 1) {
    const second = present[1] as string;
    return [
      issue(
        [...e.path, second],
        `cannot be set together with ${present[0]}; a component has exactly one source`,
        "key",
      ),
    ];
  }
  return [];
}

function image(e: Entry): RawIssue[] {
  const img = asMap(e.value.image);
  if (img === undefined) return [];
  const path = [...e.path, "image"];
  const out: RawIssue[] = [];
  const type = asString(img.registry_type);
  const registry = asString(img.registry) ?? "";
  if (type === "DOCR" && registry !== "") {
    out.push(issue([...path, "registry"], "must be empty when registry_type is DOCR"));
  }
  if (type === "DOCKER_HUB" && registry === "") {
    out.push(
      issue(
        [...path, "registry"],
        "is required when registry_type is DOCKER_HUB (the Docker Hub namespace, e.g. library)",
      ),
    );
  }
  if (img.tag !== undefined && img.digest !== undefined) {
    out.push(issue([...path, "digest"], "cannot be set together with tag", "key"));
  }
  const dop = asMap(img.deploy_on_push);
  if (dop?.enabled === true) {
    if (type !== "DOCR")
      out.push(issue([...path, "deploy_on_push"], "is only supported for DOCR images", "key"));
    else if (img.digest !== undefined) {
      out.push(
        issue([...path, "deploy_on_push"], "cannot be used with a digest, which never changes", "key"),
      );
    }
  }
  return out;
}

function scaling(e: Entry): RawIssue[] {
  const out: RawIssue[] = [];
  // Only services and workers have autoscaling; elsewhere the schema reports it as an unknown field.
  const auto = e.kind === "service" || e.kind === "worker" ? asMap(e.value.autoscaling) : undefined;
  const count = e.value.instance_count;
  if (auto !== undefined && count !== undefined) {
    out.push(issue([...e.path, "instance_count"], "cannot be set together with autoscaling", "key"));
  }
  if (auto !== undefined) {
    const min = auto.min_instance_count;
    const max = auto.max_instance_count;
    if (max === undefined) out.push(issue([...e.path, "autoscaling", "max_instance_count"], "is required"));
    if (min === undefined) out.push(issue([...e.path, "autoscaling", "min_instance_count"], "is required"));
    if (typeof min === "number" && typeof max === "number" && min > max) {
      out.push(
        issue(
          [...e.path, "autoscaling", "min_instance_count"],
          `must not be greater than max_instance_count (${max}), got ${min}`,
        ),
      );
    }
  }
  const slug = asString(e.value.instance_size_slug) ?? "apps-s-1vcpu-0.5gb";
  const size = instanceSize(slug);
  // Only sizes marked scalable (the dedicated apps-d-* sizes) may autoscale (reference 1.5).
  if (auto !== undefined && size !== undefined && !size.scalable) {
    out.push(
      issue(
        [...e.path, "autoscaling"],
        `needs a dedicated instance size (apps-d-*); ${slug} cannot autoscale`,
        "key",
      ),
    );
  }
  if (size?.singleInstanceOnly === true && typeof count === "number" && count > 1) {
    out.push(
      issue(
        [...e.path, "instance_count"],
        `${slug} runs a single instance only; choose a size such as apps-s-1vcpu-1gb to run ${count}`,
      ),
    );
  }
  return out;
}

function staticSite(e: Entry): RawIssue[] {
  if (e.kind !== "static_site") return [];
  if (e.value.catchall_document !== undefined && e.value.error_document !== undefined) {
    return [issue([...e.path, "catchall_document"], "cannot be set together with error_document", "key")];
  }
  return [];
}

function job(e: Entry): RawIssue[] {
  if (e.kind !== "job") return [];
  const kind = asString(e.value.kind);
  const schedule = asMap(e.value.schedule);
  if (kind === "SCHEDULED") {
    if (schedule === undefined) return [issue([...e.path, "schedule"], "is required when kind is SCHEDULED")];
    return checkSchedule(schedule, [...e.path, "schedule"]);
  }
  if (schedule !== undefined) {
    return [
      issue(
        [...e.path, "schedule"],
        `is only allowed when kind is SCHEDULED, got kind ${kind ?? "UNSPECIFIED"}`,
        "key",
      ),
    ];
  }
  return [];
}

function ports(e: Entry): RawIssue[] {
  if (e.kind !== "service") return [];
  const out: RawIssue[] = [];
  const seen = new Set<unknown>();
  if (typeof e.value.http_port === "number") seen.add(e.value.http_port);
  asList(e.value.internal_ports).forEach((port, i) => {
    if (typeof port !== "number") return;
    if (seen.has(port)) {
      out.push(issue([...e.path, "internal_ports", i], `port ${port} is already used by this service`));
    }
    seen.add(port);
  });
  return out;
}

function database(e: Entry): RawIssue[] {
  const out: RawIssue[] = [];
  const engine = asString(e.value.engine) ?? "UNSET";
  if (e.value.production === true && asString(e.value.cluster_name) === undefined) {
    out.push(issue([...e.path, "cluster_name"], "is required for a production database"));
  }
  for (const key of ["db_name", "db_user"]) {
    if (e.value[key] !== undefined && engine !== "PG" && engine !== "MYSQL") {
      out.push(
        issue([...e.path, key], `is only supported for PG and MYSQL databases, got engine ${engine}`, "key"),
      );
    }
  }
  return out;
}

function domains(spec: Spec): RawIssue[] {
  const out: RawIssue[] = [];
  let primary: number | undefined;
  const seen = new Map<string, number>();
  asList(spec.domains).forEach((d, i) => {
    const m = asMap(d);
    if (m === undefined) return;
    if (m.type === "PRIMARY") {
      if (primary === undefined) primary = i;
      else
        out.push(
          issue(["domains", i, "type"], `only one domain may be PRIMARY; domains[${primary}] already is`),
        );
    }
    const name = asString(m.domain)?.toLowerCase().replace(/\.$/, "");
    if (name === undefined) return;
    const first = seen.get(name);
    if (first !== undefined)
      out.push(issue(["domains", i, "domain"], `${name} is already listed at domains[${first}]`));
    else seen.set(name, i);
  });
  return out;
}

function routes(spec: Spec, all: Entry[]): RawIssue[] {
  const out: RawIssue[] = [];
  const seen = new Map<string, string>();
  const hasRules = asList(asMap(spec.ingress)?.rules).length > 0;
  for (const e of all) {
    const list = asList(e.value.routes);
    if (list.length === 0) continue;
    if (e.kind === "service" && e.value.http_port === undefined && e.value.internal_ports !== undefined) {
      out.push(
        issue(
          [...e.path, "routes"],
          "an internal service (internal_ports only, no http_port) cannot have routes",
          "key",
        ),
      );
    }
    list.forEach((r, i) => {
      const m = asMap(r);
      const path = asString(m?.path);
      if (path === undefined || hasRules) return;
      const owner = seen.get(path);
      const here = `${e.list}[${e.index}]`;
      if (owner !== undefined) {
        out.push(
          issue(
            [...e.path, "routes", i, "path"],
            `route ${path} is already used by ${owner}; routes must be unique`,
          ),
        );
      } else seen.set(path, here);
    });
  }
  return out;
}

function ingress(spec: Spec, all: Entry[]): RawIssue[] {
  const out: RawIssue[] = [];
  const seen = new Map<string, number>();
  asList(asMap(spec.ingress)?.rules).forEach((r, i) => {
    const rule = asMap(r);
    if (rule === undefined) return;
    const path: PathSegment[] = ["ingress", "rules", i];
    out.push(...ruleMatch(rule, path, seen, i), ...ruleTarget(rule, path, all));
  });
  return out;
}

function ruleMatch(rule: Spec, path: PathSegment[], seen: Map<string, number>, index: number): RawIssue[] {
  const match = asMap(rule.match);
  const p = asMap(match?.path);
  if (match === undefined || p === undefined) {
    return [
      issue(
        match === undefined ? path : [...path, "match"],
        match === undefined ? "needs a match with a path" : "needs a path (prefix or exact)",
      ),
    ];
  }
  const prefix = asString(p.prefix);
  const exact = asString(p.exact);
  const out: RawIssue[] = [];
  if (prefix !== undefined && exact !== undefined) {
    out.push(issue([...path, "match", "path", "exact"], "cannot be set together with prefix", "key"));
  }
  const value = prefix ?? exact;
  const kind = prefix !== undefined ? "prefix" : "exact";
  if (value === undefined) return [issue([...path, "match", "path"], "needs prefix or exact")];
  if (!value.startsWith("/"))
    out.push(issue([...path, "match", "path", kind], `must start with "/", got ${JSON.stringify(value)}`));
  const authority = asString(asMap(match.authority)?.exact) ?? "";
  const key = `${authority}\u0000${kind}\u0000${value}`;
  const first = seen.get(key);
  if (first !== undefined) {
    out.push(
      issue(
        [...path, "match", "path", kind],
        `${kind} ${value} is already matched by ingress.rules[${first}]; rules must be unique`,
      ),
    );
  } else seen.set(key, index);
  return out;
}

function ruleTarget(rule: Spec, path: PathSegment[], all: Entry[]): RawIssue[] {
  const component = asMap(rule.component);
  const redirect = asMap(rule.redirect);
  if (component !== undefined && redirect !== undefined) {
    return [
      issue(
        [...path, "redirect"],
        "cannot be set together with component; a rule routes or redirects",
        "key",
      ),
    ];
  }
  if (component === undefined && redirect === undefined)
    return [issue(path, "needs a component or a redirect")];
  if (redirect !== undefined) {
    const any = ["uri", "authority", "scheme", "port"].some((k) => redirect[k] !== undefined);
    return any ? [] : [issue([...path, "redirect"], "needs at least one of uri, authority, scheme or port")];
  }
  const out: RawIssue[] = [];
  const c = component as Spec;
  if (c.preserve_path_prefix !== undefined && c.rewrite !== undefined) {
    out.push(
      issue([...path, "component", "rewrite"], "cannot be set together with preserve_path_prefix", "key"),
    );
  }
  const name = asString(c.name);
  if (name === undefined) return out;
  const target = all.find((e) => e.name === name);
  const routable = all.filter((e) => ["service", "static_site", "function"].includes(e.kind));
  if (target === undefined) {
    const guess = suggest(
      name,
      routable.flatMap((e) => (e.name === undefined ? [] : [e.name])),
    );
    const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
    out.push(
      issue(
        [...path, "component", "name"],
        `no service, static site or functions component is named "${name}"${hint}`,
      ),
    );
  } else if (!routable.includes(target)) {
    out.push(
      issue(
        [...path, "component", "name"],
        `"${name}" is a ${KIND_LABEL[target.kind]}; only services, static sites and functions take traffic`,
      ),
    );
  } else if (
    target.kind === "service" &&
    target.value.http_port === undefined &&
    target.value.internal_ports !== undefined
  ) {
    out.push(
      issue(
        [...path, "component", "name"],
        `"${name}" is an internal service (no http_port) and cannot take public traffic`,
      ),
    );
  }
  return out;
}

function corsPolicies(spec: Spec, all: Entry[]): RawIssue[] {
  const policies: { path: PathSegment[]; value: unknown }[] = [];
  asList(asMap(spec.ingress)?.rules).forEach((r, i) => {
    policies.push({ path: ["ingress", "rules", i, "cors"], value: asMap(r)?.cors });
  });
  for (const e of all) policies.push({ path: [...e.path, "cors"], value: e.value.cors });
  const out: RawIssue[] = [];
  for (const p of policies) {
    asList(asMap(p.value)?.allow_origins).forEach((o, i) => {
      const m = asMap(o);
      if (m === undefined) return;
      const keys = ["exact", "prefix", "regex"].filter((k) => m[k] !== undefined);
      const at = [...p.path, "allow_origins", i];
      if (keys.length !== 1) {
        out.push(
          issue(
            at,
            keys.length === 0
              ? "needs one of exact, prefix or regex"
              : `takes only one of exact, prefix or regex, got ${keys.join(" and ")}`,
          ),
        );
      }
      const regex = asString(m.regex);
      const why = regex === undefined ? undefined : regexError(regex);
      if (why !== undefined) out.push(issue([...at, "regex"], `is not a valid regular expression: ${why}`));
      const refused = regex === undefined || why !== undefined ? undefined : originRegexRefusal(regex);
      if (refused !== undefined)
        out.push(issue([...at, "regex"], `cannot be served by Slipway's router: ${refused}`));
    });
  }
  return out;
}

/**
 * Why `regex` (RE2 syntax, as DigitalOcean's router takes) does not compile, or undefined. JavaScript
 * stands in for RE2; a leading RE2 flag group such as `(?i)`, which JavaScript lacks, is set aside.
 */
function regexError(regex: string): string | undefined {
  try {
    new RegExp(regex.replace(/^\(\?[imsU]+\)/, ""), "u");
    return undefined;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // V8 says "Invalid regular expression: /SOURCE/u: Reason"; the source is already in the spec.
    const reason = text.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
    return reason.charAt(0).toLowerCase() + reason.slice(1);
  }
}

function envLists(spec: Spec, all: Entry[]): RawIssue[] {
  const lists: { path: PathSegment[]; value: unknown }[] = [{ path: ["envs"], value: spec.envs }];
  for (const e of all) lists.push({ path: [...e.path, "envs"], value: e.value.envs });
  const out: RawIssue[] = [];
  for (const l of lists) {
    const seen = new Map<string, number>();
    asList(l.value).forEach((env, i) => {
      const key = asString(asMap(env)?.key);
      if (key === undefined) return;
      const first = seen.get(key);
      if (first !== undefined)
        out.push(issue([...l.path, i, "key"], `${key} is already defined at envs[${first}]`));
      else seen.set(key, i);
    });
  }
  return out;
}
