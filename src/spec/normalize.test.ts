import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_INSTANCE_SIZE } from "./instance-sizes.js";
import { HEALTH_CHECK_DEFAULTS, LIVENESS_CHECK_DEFAULTS, normalize } from "./normalize.js";
import type { AppSpec } from "./schema.js";

const github = { repo: "acme/web", branch: "main" };

function service(spec: AppSpec, index = 0) {
  const s = spec.services?.[index];
  assert.ok(s, `no services[${index}]`);
  return s;
}

describe("normalize", () => {
  it("fills http_port 8080 for a service without one", () => {
    assert.equal(service(normalize({ name: "a1", services: [{ name: "web", github }] })).http_port, 8080);
  });

  it("keeps an explicit http_port", () => {
    const s = service(normalize({ name: "a1", services: [{ name: "web", github, http_port: 3000 }] }));
    assert.equal(s.http_port, 3000);
  });

  it("adds no http_port to an internal-only service and checks its first internal port", () => {
    const s = service(
      normalize({ name: "a1", services: [{ name: "meta", github, internal_ports: [9000] }] }),
    );
    assert.equal(s.http_port, undefined);
    assert.equal(s.health_check?.port, 9000);
    assert.equal(s.routes, undefined);
  });

  it("fills instance_count 1 and the default instance size", () => {
    const out = normalize({
      name: "a1",
      services: [{ name: "web", github }],
      workers: [{ name: "w1", github }],
    });
    assert.equal(service(out).instance_count, 1);
    assert.equal(service(out).instance_size_slug, DEFAULT_INSTANCE_SIZE);
    assert.equal(DEFAULT_INSTANCE_SIZE, "apps-s-1vcpu-0.5gb");
    assert.equal(out.workers?.[0]?.instance_count, 1);
  });

  it("adds no instance_count to an autoscaled component and fills the CPU target 80", () => {
    const s = service(
      normalize({
        name: "a1",
        services: [
          {
            name: "web",
            github,
            instance_size_slug: "apps-d-1vcpu-1gb",
            autoscaling: { min_instance_count: 1, max_instance_count: 3 },
          },
        ],
      }),
    );
    assert.equal(s.instance_count, undefined);
    assert.deepEqual(s.autoscaling?.metrics, { cpu: { percent: 80 } });
  });

  it("fills readiness check defaults with the service's port", () => {
    const s = service(normalize({ name: "a1", services: [{ name: "web", github, http_port: 3000 }] }));
    assert.deepEqual(s.health_check, { ...HEALTH_CHECK_DEFAULTS, port: 3000 });
    assert.deepEqual(HEALTH_CHECK_DEFAULTS, {
      initial_delay_seconds: 0,
      period_seconds: 10,
      timeout_seconds: 1,
      success_threshold: 1,
      failure_threshold: 9,
    });
  });

  it("keeps explicit readiness check values over the defaults", () => {
    const s = service(
      normalize({
        name: "a1",
        services: [{ name: "web", github, health_check: { http_path: "/up", period_seconds: 30, port: 9 } }],
      }),
    );
    assert.equal(s.health_check?.http_path, "/up");
    assert.equal(s.health_check?.period_seconds, 30);
    assert.equal(s.health_check?.port, 9);
    assert.equal(s.health_check?.failure_threshold, 9);
  });

  it("moves the deprecated health_check.path to http_path", () => {
    const s = service(
      normalize({ name: "a1", services: [{ name: "web", github, health_check: { path: "/hc" } }] }),
    );
    assert.equal(s.health_check?.http_path, "/hc");
    assert.equal(s.health_check?.path, undefined);
  });

  it("fills liveness check defaults only when a liveness check is given", () => {
    const without = service(normalize({ name: "a1", services: [{ name: "web", github }] }));
    assert.equal(without.liveness_health_check, undefined);
    const s = service(
      normalize({
        name: "a1",
        services: [{ name: "web", github, liveness_health_check: { http_path: "/l" } }],
      }),
    );
    assert.deepEqual(s.liveness_health_check, { ...LIVENESS_CHECK_DEFAULTS, port: 8080, http_path: "/l" });
    assert.equal(LIVENESS_CHECK_DEFAULTS.failure_threshold, 18);
    assert.equal(LIVENESS_CHECK_DEFAULTS.initial_delay_seconds, 5);
  });

  it("fills termination defaults: drain 15 and grace 120 for services, grace 120 for workers and jobs", () => {
    const out = normalize({
      name: "a1",
      services: [{ name: "web", github, termination: { drain_seconds: 30 } }],
      workers: [{ name: "w1", github }],
      jobs: [{ name: "j1", github }],
    });
    assert.deepEqual(service(out).termination, { drain_seconds: 30, grace_period_seconds: 120 });
    assert.deepEqual(out.workers?.[0]?.termination, { grace_period_seconds: 120 });
    assert.deepEqual(out.jobs?.[0]?.termination, { grace_period_seconds: 120 });
  });

  it("completes job kind UNSPECIFIED or missing to POST_DEPLOY with a 30m timeout", () => {
    const out = normalize({
      name: "a1",
      jobs: [
        { name: "j1", github },
        { name: "j2", github, kind: "UNSPECIFIED" },
        { name: "j3", github, kind: "PRE_DEPLOY", timeout: "5m" },
      ],
    });
    assert.deepEqual(
      out.jobs?.map((j) => [j.kind, j.timeout]),
      [
        ["POST_DEPLOY", "30m"],
        ["POST_DEPLOY", "30m"],
        ["PRE_DEPLOY", "5m"],
      ],
    );
  });

  it("fills the time zone UTC of a scheduled job", () => {
    const out = normalize({
      name: "a1",
      jobs: [{ name: "j1", github, kind: "SCHEDULED", schedule: { cron: "0 * * * *" } }],
    });
    assert.deepEqual(out.jobs?.[0]?.schedule, { cron: "0 * * * *", time_zone: "UTC" });
  });

  it("fills env scope RUN_AND_BUILD_TIME (also for UNSET) and type GENERAL at every level", () => {
    const out = normalize({
      name: "a1",
      envs: [{ key: "A", scope: "UNSET" }],
      services: [{ name: "web", github, envs: [{ key: "B", scope: "RUN_TIME", type: "SECRET" }] }],
      static_sites: [{ name: "site", github, envs: [{ key: "C" }] }],
      functions: [{ name: "fns", github, envs: [{ key: "D" }] }],
    });
    assert.deepEqual(out.envs, [{ key: "A", scope: "RUN_AND_BUILD_TIME", type: "GENERAL" }]);
    assert.deepEqual(service(out).envs, [{ key: "B", scope: "RUN_TIME", type: "SECRET" }]);
    assert.deepEqual(out.static_sites?.[0]?.envs, [
      { key: "C", scope: "RUN_AND_BUILD_TIME", type: "GENERAL" },
    ]);
    assert.deepEqual(out.functions?.[0]?.envs, [{ key: "D", scope: "RUN_AND_BUILD_TIME", type: "GENERAL" }]);
  });

  it("fills static site index and error documents", () => {
    const site = normalize({ name: "a1", static_sites: [{ name: "site", github }] }).static_sites?.[0];
    assert.equal(site?.index_document, "index.html");
    assert.equal(site?.error_document, "404.html");
  });

  it("adds no error_document to a static site with a catchall_document", () => {
    const site = normalize({
      name: "a1",
      static_sites: [{ name: "site", github, catchall_document: "index.html" }],
    }).static_sites?.[0];
    assert.equal(site?.error_document, undefined);
    assert.equal(site?.catchall_document, "index.html");
  });

  it("tags an image latest when it has neither tag nor digest", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const out = normalize({
      name: "a1",
      services: [{ name: "web", image: { registry_type: "DOCR", repository: "web" } }],
      workers: [{ name: "w1", image: { registry_type: "DOCR", repository: "w", digest } }],
    });
    assert.equal(service(out).image?.tag, "latest");
    assert.equal(out.workers?.[0]?.image?.tag, undefined);
    assert.equal(out.workers?.[0]?.image?.digest, digest);
  });

  it("fills redirect code 302 and preserve_path_prefix false on ingress rules", () => {
    const out = normalize({
      name: "a1",
      services: [{ name: "web", github }],
      ingress: {
        rules: [
          { match: { path: { prefix: "/old" } }, redirect: { uri: "/new" } },
          { match: { path: { prefix: "/" } }, component: { name: "web", preserve_path_prefix: "true" } },
          { match: { path: { prefix: "/v" } }, component: { name: "web", rewrite: "/v1" } },
        ],
      },
    });
    const rules = out.ingress?.rules ?? [];
    assert.equal(rules[0]?.redirect?.redirect_code, 302);
    assert.equal(rules[1]?.component?.preserve_path_prefix, true);
    assert.equal(rules[2]?.component?.preserve_path_prefix, undefined);
  });

  it("adds route / to the only public component when there are no routes or rules", () => {
    const out = normalize({
      name: "a1",
      services: [
        { name: "web", github },
        { name: "meta", github, internal_ports: [9000] },
      ],
      workers: [{ name: "w1", github }],
    });
    assert.deepEqual(service(out).routes, [{ path: "/", preserve_path_prefix: false }]);
    assert.equal(service(out, 1).routes, undefined);
  });

  it("adds no route when two components are public, or when ingress rules exist", () => {
    const two = normalize({
      name: "a1",
      services: [{ name: "web", github }],
      static_sites: [{ name: "site", github }],
    });
    assert.equal(service(two).routes, undefined);
    assert.equal(two.static_sites?.[0]?.routes, undefined);
    const ruled = normalize({
      name: "a1",
      services: [{ name: "web", github }],
      ingress: { rules: [{ match: { path: { prefix: "/" } }, component: { name: "web" } }] },
    });
    assert.equal(service(ruled).routes, undefined);
  });

  it("turns archive on maintenance into enabled", () => {
    const out = normalize({ name: "a1", maintenance: { archive: true } });
    assert.deepEqual(out.maintenance, { archive: true, enabled: true });
  });

  it("does not modify its input", () => {
    const input: AppSpec = {
      name: "a1",
      services: [{ name: "web", github, health_check: { path: "/hc" }, envs: [{ key: "A" }] }],
      jobs: [{ name: "j1", github }],
    };
    const copy = structuredClone(input);
    normalize(input);
    assert.deepEqual(input, copy);
  });

  it("is idempotent: normalizing twice equals normalizing once", () => {
    const input: AppSpec = {
      name: "a1",
      envs: [{ key: "A", scope: "UNSET" }],
      services: [
        { name: "web", github, health_check: { path: "/hc" }, liveness_health_check: {} },
        { name: "meta", github, internal_ports: [9000] },
      ],
      static_sites: [{ name: "site", github, catchall_document: "index.html" }],
      workers: [{ name: "w1", image: { registry_type: "DOCR", repository: "w" } }],
      jobs: [{ name: "j1", github, kind: "SCHEDULED", schedule: { cron: "0 * * * *" } }],
      ingress: {
        rules: [
          { match: { path: { prefix: "/" } }, component: { name: "site" } },
          { match: { path: { prefix: "/x" } }, redirect: { uri: "/y" } },
        ],
      },
    };
    const once = normalize(input);
    assert.deepEqual(normalize(once), once);
    const single: AppSpec = { name: "a1", static_sites: [{ name: "site", github }] };
    assert.deepEqual(normalize(normalize(single)), normalize(single));
  });
});
