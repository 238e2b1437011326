/**
 * Fills the defaults DigitalOcean fills when it normalizes a spec (reference sections 1 and 2.11),
 * so that everything downstream reads explicit values. A pure function of a valid spec.
 */
import { DEFAULT_INSTANCE_SIZE } from "./instance-sizes.js";
import type {
  AppSpec,
  EnvVarSpec,
  HealthCheckSpec,
  IngressRuleSpec,
  JobSpec,
  LivenessHealthCheckSpec,
  ServiceSpec,
  StaticSiteSpec,
  WorkerSpec,
} from "./schema.js";

/** Readiness check defaults (reference 1.5). */
export const HEALTH_CHECK_DEFAULTS = {
  initial_delay_seconds: 0,
  period_seconds: 10,
  timeout_seconds: 1,
  success_threshold: 1,
  failure_threshold: 9,
} as const;

/** Liveness check defaults (reference 1.5). */
export const LIVENESS_CHECK_DEFAULTS = {
  initial_delay_seconds: 5,
  period_seconds: 10,
  timeout_seconds: 1,
  success_threshold: 1,
  failure_threshold: 18,
} as const;

/** The port a service listens on when the spec names none. */
export const DEFAULT_HTTP_PORT = 8080;

/**
 * Returns a copy of `spec` with defaults filled: http_port 8080 (not for internal-only services),
 * instance_count 1 (unless autoscaled), the default instance size, health-check and termination
 * defaults, job kind POST_DEPLOY and timeout 30m, env scope RUN_AND_BUILD_TIME and type GENERAL,
 * static site documents, image tag `latest`, redirect code 302, CORS origins left as given, and
 * route `/` for the only public component when neither routes nor ingress rules exist.
 * Deprecated `health_check.path` moves to `http_path`. `spec` is not modified.
 */
export function normalize(spec: AppSpec): AppSpec {
  const out = structuredClone(spec);
  if (out.envs) out.envs = out.envs.map(normalizeEnv);
  if (out.services) out.services = out.services.map(normalizeService);
  if (out.static_sites) out.static_sites = out.static_sites.map(normalizeStaticSite);
  if (out.workers) out.workers = out.workers.map(normalizeWorker);
  if (out.jobs) out.jobs = out.jobs.map(normalizeJob);
  for (const f of out.functions ?? []) if (f.envs) f.envs = f.envs.map(normalizeEnv);
  if (out.ingress?.rules) out.ingress.rules = out.ingress.rules.map(normalizeRule);
  if (out.maintenance?.archive === true) out.maintenance.enabled = true;
  addDefaultRoute(out);
  return dropUndefined(out);
}

function normalizeEnv(env: EnvVarSpec): EnvVarSpec {
  const scope = env.scope === undefined || env.scope === "UNSET" ? "RUN_AND_BUILD_TIME" : env.scope;
  return { ...env, scope, type: env.type ?? "GENERAL" };
}

function normalizeCompute<T extends ServiceSpec | WorkerSpec | JobSpec>(c: T): T {
  const out: T = { ...c, instance_size_slug: c.instance_size_slug ?? DEFAULT_INSTANCE_SIZE };
  if (out.envs) out.envs = out.envs.map(normalizeEnv);
  if (!("autoscaling" in out) || out.autoscaling === undefined) {
    out.instance_count = c.instance_count ?? 1;
    return withImageTag(out);
  }
  if (out.autoscaling.metrics === undefined || out.autoscaling.metrics.cpu?.percent === undefined) {
    const metrics = out.autoscaling.metrics;
    const onlyOthers = metrics !== undefined && metrics.cpu === undefined && Object.keys(metrics).length > 0;
    if (!onlyOthers) out.autoscaling = { ...out.autoscaling, metrics: { ...metrics, cpu: { percent: 80 } } };
  }
  return withImageTag(out);
}

function withImageTag<T extends ServiceSpec | WorkerSpec | JobSpec>(c: T): T {
  if (c.image && c.image.tag === undefined && c.image.digest === undefined)
    return { ...c, image: { ...c.image, tag: "latest" } };
  return c;
}

function normalizeService(s: ServiceSpec): ServiceSpec {
  const out = normalizeCompute(s);
  const internalOnly = s.http_port === undefined && s.internal_ports !== undefined;
  if (!internalOnly) out.http_port = s.http_port ?? DEFAULT_HTTP_PORT;
  out.protocol = s.protocol ?? "HTTP";
  const port = out.http_port ?? s.internal_ports?.[0];
  out.health_check = normalizeHealthCheck(s.health_check, port);
  if (s.liveness_health_check) out.liveness_health_check = normalizeLiveness(s.liveness_health_check, port);
  out.termination = { drain_seconds: 15, grace_period_seconds: 120, ...s.termination };
  if (s.routes)
    out.routes = s.routes.map((r) => ({ ...r, preserve_path_prefix: asBool(r.preserve_path_prefix) }));
  return out;
}

function normalizeHealthCheck(h: HealthCheckSpec | undefined, port: number | undefined): HealthCheckSpec {
  const { path, ...rest } = h ?? {};
  const http_path = rest.http_path ?? path;
  return {
    ...HEALTH_CHECK_DEFAULTS,
    ...(port === undefined ? {} : { port }),
    ...rest,
    ...(http_path === undefined ? {} : { http_path }),
  };
}

function normalizeLiveness(h: LivenessHealthCheckSpec, port: number | undefined): LivenessHealthCheckSpec {
  return { ...LIVENESS_CHECK_DEFAULTS, ...(port === undefined ? {} : { port }), ...h };
}

function normalizeStaticSite(s: StaticSiteSpec): StaticSiteSpec {
  const out: StaticSiteSpec = { ...s, index_document: s.index_document ?? "index.html" };
  if (s.catchall_document === undefined) out.error_document = s.error_document ?? "404.html";
  if (s.envs) out.envs = s.envs.map(normalizeEnv);
  if (s.routes)
    out.routes = s.routes.map((r) => ({ ...r, preserve_path_prefix: asBool(r.preserve_path_prefix) }));
  return out;
}

function normalizeWorker(w: WorkerSpec): WorkerSpec {
  const out = normalizeCompute(w);
  out.termination = { grace_period_seconds: 120, ...w.termination };
  if (w.liveness_health_check)
    out.liveness_health_check = normalizeLiveness(w.liveness_health_check, undefined);
  return out;
}

function normalizeJob(j: JobSpec): JobSpec {
  const out = normalizeCompute(j);
  out.kind = j.kind === undefined || j.kind === "UNSPECIFIED" ? "POST_DEPLOY" : j.kind;
  out.timeout = j.timeout ?? "30m";
  out.termination = { grace_period_seconds: 120, ...j.termination };
  if (out.kind === "SCHEDULED" && out.schedule)
    out.schedule = { ...out.schedule, time_zone: out.schedule.time_zone ?? "UTC" };
  return out;
}

function normalizeRule(r: IngressRuleSpec): IngressRuleSpec {
  const out: IngressRuleSpec = { ...r };
  if (r.component) {
    out.component = { ...r.component };
    if (r.component.rewrite === undefined)
      out.component.preserve_path_prefix = asBool(r.component.preserve_path_prefix);
  }
  if (r.redirect) out.redirect = { ...r.redirect, redirect_code: r.redirect.redirect_code ?? 302 };
  return out;
}

/** godo types preserve_path_prefix as bool, the OpenAPI description as "true"/"false". */
function asBool(v: boolean | "true" | "false" | undefined): boolean {
  return v === true || v === "true";
}

function addDefaultRoute(spec: AppSpec): void {
  if ((spec.ingress?.rules?.length ?? 0) > 0) return;
  const publicServices = (spec.services ?? []).filter((s) => s.http_port !== undefined);
  const candidates = [...publicServices, ...(spec.static_sites ?? [])];
  const anyRoutes = candidates.some((c) => (c.routes?.length ?? 0) > 0);
  const only = candidates[0];
  if (!anyRoutes && candidates.length === 1 && only !== undefined) {
    only.routes = [{ path: "/", preserve_path_prefix: false }];
  }
}

function dropUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
