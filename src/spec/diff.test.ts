import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ComponentChange, canonical, diff } from "./diff.js";
import type { AppSpec, ServiceSpec } from "./schema.js";

const github = { repo: "acme/web", branch: "main" };

function base(): AppSpec {
  return {
    name: "shop",
    envs: [{ key: "SHARED", value: "1" }],
    services: [{ name: "web", github, http_port: 8080, envs: [{ key: "A", value: "1" }] }],
    workers: [{ name: "worker", github }],
  };
}

/** `base()` with services[0] changed by `edit`. */
function withWeb(edit: (s: ServiceSpec) => void): AppSpec {
  const spec = base();
  const web = spec.services?.[0];
  assert.ok(web);
  edit(web);
  return spec;
}

function change(before: AppSpec, after: AppSpec, name = "web"): ComponentChange {
  const c = diff(before, after).components.find((x) => x.name === name);
  assert.ok(c, `no change entry for ${name}`);
  return c;
}

describe("diff", () => {
  it("reports every component unchanged for equal specs", () => {
    const d = diff(base(), base());
    assert.deepEqual(
      d.components.map((c) => [c.name, c.change]),
      [
        ["web", "unchanged"],
        ["worker", "unchanged"],
      ],
    );
    assert.deepEqual(d.app, []);
  });

  const rebuilds: [string, (s: ServiceSpec) => void, string][] = [
    ["the source branch", (s) => (s.github = { ...github, branch: "next" }), "github"],
    [
      "the source kind",
      (s) => {
        s.gitlab = github;
        delete s.github;
      },
      "github",
    ],
    ["build_command", (s) => (s.build_command = "make"), "build_command"],
    ["dockerfile_path", (s) => (s.dockerfile_path = "Dockerfile"), "dockerfile_path"],
    ["source_dir", (s) => (s.source_dir = "api"), "source_dir"],
    ["a BUILD_TIME env", (s) => s.envs?.push({ key: "B", value: "2", scope: "BUILD_TIME" }), "envs.B"],
    ["a RUN_AND_BUILD_TIME env value", (s) => (s.envs = [{ key: "A", value: "2" }]), "envs.A"],
  ];
  for (const [what, edit, reason] of rebuilds) {
    it(`rebuilds a component when ${what} changes`, () => {
      const c = change(base(), withWeb(edit));
      assert.equal(c.change, "rebuild");
      assert.ok(c.reasons.includes(reason), `reasons ${JSON.stringify(c.reasons)} lack ${reason}`);
    });
  }

  it("rebuilds every component when an app-level build env changes", () => {
    const after = base();
    after.envs = [{ key: "SHARED", value: "2" }];
    const d = diff(base(), after);
    for (const c of d.components) {
      assert.equal(c.change, "rebuild");
      assert.deepEqual(c.reasons, ["app.envs.SHARED"]);
    }
  });

  it("does not rebuild for an app-level RUN_TIME env", () => {
    const before = base();
    before.envs = [{ key: "R", value: "1", scope: "RUN_TIME" }];
    const after = base();
    after.envs = [{ key: "R", value: "2", scope: "RUN_TIME" }];
    assert.notEqual(change(before, after).change, "rebuild");
    assert.deepEqual(diff(before, after).app, ["envs"]);
  });

  it("rebuilds every component when features change", () => {
    const after = base();
    after.features = ["buildpack-stack=ubuntu-22"];
    assert.deepEqual(change(base(), after, "worker").reasons, ["app.features"]);
    assert.equal(change(base(), after).change, "rebuild");
  });

  const redeploys: [string, (s: ServiceSpec) => void, string][] = [
    [
      "the instance size",
      (s) => {
        s.instance_size_slug = "apps-s-1vcpu-1gb";
      },
      "instance_size_slug",
    ],
    ["a RUN_TIME env", (s) => s.envs?.push({ key: "R", value: "x", scope: "RUN_TIME" }), "envs"],
    ["the health check", (s) => (s.health_check = { http_path: "/up" }), "health_check"],
    ["http_port", (s) => (s.http_port = 3000), "http_port"],
    ["run_command", (s) => (s.run_command = "node x.js"), "run_command"],
  ];
  for (const [what, edit, reason] of redeploys) {
    it(`redeploys without a rebuild when ${what} changes`, () => {
      const c = change(base(), withWeb(edit));
      assert.equal(c.change, "redeploy");
      assert.ok(c.reasons.includes(reason), JSON.stringify(c.reasons));
    });
  }

  it("redeploys when instance_count goes from 1 to 3", () => {
    const before = withWeb((s) => {
      s.instance_size_slug = "apps-s-1vcpu-1gb";
    });
    const after = withWeb((s) => {
      s.instance_size_slug = "apps-s-1vcpu-1gb";
      s.instance_count = 3;
    });
    assert.deepEqual(change(before, after), {
      name: "web",
      list: "services",
      change: "redeploy",
      reasons: ["instance_count"],
    });
  });

  it("treats a deploy_on_push toggle as no change", () => {
    const after = withWeb((s) => {
      s.github = { ...github, deploy_on_push: true };
    });
    assert.equal(change(base(), after).change, "unchanged");
    const image = (enabled: boolean): AppSpec => ({
      name: "shop",
      services: [
        { name: "web", image: { registry_type: "DOCR", repository: "web", deploy_on_push: { enabled } } },
      ],
    });
    assert.equal(change(image(false), image(true)).change, "unchanged");
  });

  it("treats spelled-out defaults as no change", () => {
    const after = withWeb((s) => {
      s.instance_count = 1;
      s.instance_size_slug = "apps-s-1vcpu-0.5gb";
      s.envs = [{ key: "A", value: "1", scope: "RUN_AND_BUILD_TIME", type: "GENERAL" }];
    });
    assert.equal(change(base(), after).change, "unchanged");
  });

  it("ignores key order", () => {
    const reordered: AppSpec = {
      workers: [{ github: { branch: "main", repo: "acme/web" }, name: "worker" }],
      services: [{ envs: [{ value: "1", key: "A" }], http_port: 8080, github, name: "web" }],
      envs: [{ value: "1", key: "SHARED" }],
      name: "shop",
    };
    assert.ok(diff(base(), reordered).components.every((c) => c.change === "unchanged"));
    assert.equal(canonical({ b: 1, a: [{ d: 1, c: 2 }] }), canonical({ a: [{ c: 2, d: 1 }], b: 1 }));
  });

  it("lists added and removed components", () => {
    const after = base();
    after.workers = [];
    after.jobs = [{ name: "migrate", github, kind: "PRE_DEPLOY" }];
    const d = diff(base(), after);
    assert.deepEqual(
      d.components.filter((c) => c.change === "added" || c.change === "removed"),
      [
        { name: "migrate", list: "jobs", change: "added", reasons: [] },
        { name: "worker", list: "workers", change: "removed", reasons: [] },
      ],
    );
  });

  it("rebuilds a component that moves to another list", () => {
    const after = base();
    after.workers = [];
    after.jobs = [{ name: "worker", github }];
    assert.deepEqual(change(base(), after, "worker").reasons, ["kind (workers -> jobs)"]);
  });

  it("lists app-level domains and ingress changes in app, not on components", () => {
    const after = base();
    after.domains = [{ domain: "shop.example.com", type: "PRIMARY" }];
    after.ingress = { rules: [{ match: { path: { prefix: "/" } }, component: { name: "web" } }] };
    const d = diff(base(), after);
    assert.deepEqual(d.app, ["domains", "ingress"]);
    assert.equal(change(base(), after, "worker").change, "unchanged");
  });
});
