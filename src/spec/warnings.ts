/**
 * Warnings: fields Slipway accepts (so that DigitalOcean specs work unchanged) but cannot honour on
 * the chosen backend, and deprecated fields with their replacements. Never silently dropped.
 */
import { asList, asMap, asString, type Entry, entries } from "./access.js";
import { instanceSize } from "./instance-sizes.js";
import type { PathSegment } from "./issues.js";
import type { RawIssue } from "./schema-errors.js";

/** Where the spec will run; what can be honoured differs. */
export type Backend = "local" | "kubernetes";

/** Feature flags Slipway understands; others are reported. */
export const KNOWN_FEATURES: readonly string[] = [];

function warn(path: PathSegment[], message: string): RawIssue {
  return { path, message, at: "key" };
}

/** Lists the warnings for a spec that is a map. */
export function checkWarnings(spec: Record<string, unknown>, backend: Backend): RawIssue[] {
  const all = entries(spec);
  return [...appWarnings(spec, backend), ...all.flatMap((e) => entryWarnings(e, backend))];
}

function appWarnings(spec: Record<string, unknown>, backend: Backend): RawIssue[] {
  const out: RawIssue[] = [];
  if (spec.vpc !== undefined)
    out.push(warn(["vpc"], "is ignored: Slipway does not attach apps to DigitalOcean VPCs"));
  if (asMap(spec.egress)?.type === "DEDICATED_IP") {
    out.push(
      warn(["egress", "type"], "DEDICATED_IP is not available; apps use the host's addresses for egress"),
    );
  }
  if (spec.region !== undefined && backend === "local") {
    out.push(
      warn(["region"], "is recorded but has no effect: a single Slipway node runs every app in one place"),
    );
  }
  if (spec.enhanced_threat_control_enabled === true) {
    out.push(warn(["enhanced_threat_control_enabled"], "is ignored: Slipway has no L7 DDoS filtering"));
  }
  if (spec.disable_email_obfuscation !== undefined) {
    out.push(
      warn(["disable_email_obfuscation"], "is ignored: Slipway never rewrites e-mail addresses in responses"),
    );
  }
  asList(spec.features).forEach((f, i) => {
    const name = asString(f);
    if (name !== undefined && !KNOWN_FEATURES.includes(name)) {
      out.push({
        path: ["features", i],
        message: `feature "${name}" is not known to Slipway and has no effect`,
        at: "value",
      });
    }
  });
  asList(spec.domains).forEach((d, i) => {
    if (asMap(d)?.zone !== undefined) {
      out.push(
        warn(
          ["domains", i, "zone"],
          "is ignored: Slipway does not manage DNS zones; point the domain at Slipway yourself",
        ),
      );
    }
  });
  const ingress = asMap(spec.ingress);
  for (const key of ["load_balancer", "load_balancer_size"]) {
    if (ingress?.[key] !== undefined)
      out.push(warn(["ingress", key], "is ignored: Slipway's own router carries the traffic"));
  }
  if (asList(spec.alerts).length > 0) {
    out.push(warn(["alerts"], "are stored but not sent: Slipway has no alert destinations yet"));
  }
  return out;
}

function entryWarnings(e: Entry, backend: Backend): RawIssue[] {
  const out: RawIssue[] = [];
  if (e.kind === "function") {
    out.push(
      warn(e.path, "functions components are accepted but not deployed: Slipway has no functions runtime"),
    );
  }
  if (e.kind === "database") {
    out.push(
      warn(
        e.path,
        "databases are not provisioned by Slipway; instances whose run-time envs use its bindable variables (DATABASE_URL, ...) fail to start, so give those values yourself (a SECRET env, for example)",
      ),
    );
  }
  for (const source of ["github", "gitlab", "bitbucket"]) {
    if (asMap(e.value[source])?.deploy_on_push === true) {
      out.push(
        warn(
          [...e.path, source, "deploy_on_push"],
          `is ignored: Slipway receives no push events from ${source}; deploy with the CLI or API`,
        ),
      );
    }
  }
  if (asList(e.value.log_destinations).length > 0) {
    out.push(
      warn(
        [...e.path, "log_destinations"],
        "are not forwarded yet; logs stay available from the CLI, API and console",
      ),
    );
  }
  if (asList(e.value.alerts).length > 0) {
    out.push(warn([...e.path, "alerts"], "are stored but not sent: Slipway has no alert destinations yet"));
  }
  if (e.value.routes !== undefined) out.push(warn([...e.path, "routes"], "is deprecated; use ingress.rules"));
  if (e.value.cors !== undefined)
    out.push(warn([...e.path, "cors"], "is deprecated; use ingress.rules[].cors"));
  if (asMap(asMap(e.value.inactivity_sleep)?.loading_page)?.custom_url !== undefined) {
    out.push(
      warn(
        [...e.path, "inactivity_sleep", "loading_page", "custom_url"],
        "is ignored: Slipway shows its own loading page while a service wakes",
      ),
    );
  }
  if (asMap(e.value.health_check)?.path !== undefined) {
    out.push(warn([...e.path, "health_check", "path"], "is deprecated; use http_path"));
  }
  const slug = asString(e.value.instance_size_slug);
  const size = slug === undefined ? undefined : instanceSize(slug);
  if (size?.deprecatedFor !== undefined) {
    out.push(warn([...e.path, "instance_size_slug"], `${slug} is deprecated; use ${size.deprecatedFor}`));
  }
  if (e.kind === "database" && (e.value.size !== undefined || e.value.num_nodes !== undefined)) {
    out.push(
      warn([...e.path, e.value.size !== undefined ? "size" : "num_nodes"], "is deprecated and ignored"),
    );
  }
  if (
    backend === "local" &&
    asMap(e.value.image)?.registry_credentials !== undefined &&
    asMap(e.value.image)?.registry_type === "DOCR"
  ) {
    out.push(warn([...e.path, "image", "registry_credentials"], "is not used for DOCR images"));
  }
  return out;
}
