// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here are DO bindable variables, not template slots
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AppSpec, normalize } from "../../spec/index.js";
import { appAddress } from "./app-address.js";
import type { ComponentRef, DeploymentFacts } from "./facts.js";
import { formatEnvIssues, type RuntimeEnvInput, resolveRuntimeEnv } from "./runtime-env.js";

const facts: DeploymentFacts = {
  appId: "6f1c2d3e-app",
  appDomain: "shop.apps.test",
  appUrl: "https://shop.apps.test",
  components: {
    api: { commitHash: "a1b2c3", privateUrl: "http://api:8080" },
    admin: { privateUrl: "http://admin:9000" },
    web: { commitHash: "d4e5f6" },
    jobs: { commitHash: "0badc0de" },
  },
};

/** A spec with a public service, an internal-only service, a static site, a worker and a db. */
function shop(extra: Partial<AppSpec> = {}): AppSpec {
  return normalize({
    name: "shop",
    services: [
      { name: "api", git: { repo_clone_url: "https://g.test/a.git" }, routes: [{ path: "/api" }] },
      { name: "admin", git: { repo_clone_url: "https://g.test/a.git" }, internal_ports: [9000] },
    ],
    static_sites: [{ name: "web", git: { repo_clone_url: "https://g.test/a.git" }, routes: [{ path: "/" }] }],
    workers: [{ name: "jobs", git: { repo_clone_url: "https://g.test/a.git" } }],
    databases: [{ name: "db", engine: "PG" }],
    ...extra,
  } as AppSpec);
}

/** `shop()` with `envs` on the component `on` (and app-level `app`). */
function withEnvs(on: string, envs: AppSpec["envs"], app?: AppSpec["envs"]): AppSpec {
  const spec = shop(app === undefined ? {} : { envs: app });
  for (const list of [spec.services, spec.static_sites, spec.workers]) {
    for (const c of list ?? []) if (c.name === on) c.envs = envs ?? [];
  }
  return normalize(spec);
}

const api: ComponentRef = { kind: "service", name: "api" };
const admin: ComponentRef = { kind: "service", name: "admin" };
const worker: ComponentRef = { kind: "worker", name: "jobs" };

function run(input: Omit<RuntimeEnvInput, "facts"> & { facts?: DeploymentFacts }) {
  return resolveRuntimeEnv({ facts, ...input });
}

function envOf(input: Omit<RuntimeEnvInput, "facts">): Record<string, string> {
  const r = run(input);
  if (!r.ok) assert.fail(formatEnvIssues(r.issues));
  return r.env;
}

describe("resolveRuntimeEnv values", () => {
  const cases: { name: string; value: string; on?: ComponentRef; want: string }[] = [
    { name: "plain value", value: "hello", want: "hello" },
    { name: "APP_URL", value: "${APP_URL}/cb", want: "https://shop.apps.test/cb" },
    { name: "APP_DOMAIN", value: "${APP_DOMAIN}", want: "shop.apps.test" },
    { name: "APP_ID", value: "${APP_ID}", want: "6f1c2d3e-app" },
    { name: "spaces inside braces", value: "${ APP_ID }", want: "6f1c2d3e-app" },
    { name: "several references", value: "${APP_DOMAIN}:${_self.PRIVATE_PORT}", want: "shop.apps.test:8080" },
    { name: "a lone $ and $NAME are kept", value: "$HOME costs $5", want: "$HOME costs $5" },
    { name: "_self.COMMIT_HASH", value: "${_self.COMMIT_HASH}", want: "a1b2c3" },
    { name: "_self.PRIVATE_URL", value: "${_self.PRIVATE_URL}", want: "http://api:8080" },
    { name: "_self.PRIVATE_DOMAIN", value: "${_self.PRIVATE_DOMAIN}", want: "api" },
    { name: "_self.PRIVATE_PORT", value: "${_self.PRIVATE_PORT}", want: "8080" },
    { name: "_self.PUBLIC_URL", value: "${_self.PUBLIC_URL}", want: "https://shop.apps.test/api" },
    { name: "_self.PUBLIC_ROUTE_PATH", value: "${_self.PUBLIC_ROUTE_PATH}", want: "/api" },
    { name: "other service PRIVATE_URL", value: "${admin.PRIVATE_URL}", want: "http://admin:9000" },
    { name: "other service PRIVATE_PORT", value: "${admin.PRIVATE_PORT}", want: "9000" },
    { name: "static site PUBLIC_URL at /", value: "${web.PUBLIC_URL}", want: "https://shop.apps.test" },
    { name: "static site COMMIT_HASH", value: "${web.COMMIT_HASH}", want: "d4e5f6" },
    { name: "worker COMMIT_HASH", value: "${jobs.COMMIT_HASH}", want: "0badc0de" },
    { name: "no commit (image source) is empty", value: "[${admin.COMMIT_HASH}]", want: "[]" },
    { name: "worker _self.COMMIT_HASH", value: "${_self.COMMIT_HASH}", on: worker, want: "0badc0de" },
  ];
  for (const c of cases) {
    test(`resolves ${c.name}`, () => {
      const on = c.on ?? api;
      const env = envOf({ spec: withEnvs(on.name, [{ key: "X", value: c.value }]), component: on });
      assert.equal(env.X, c.want);
    });
  }
});

describe("resolveRuntimeEnv unresolvable references", () => {
  const cases: { name: string; value: string; on?: ComponentRef; app?: boolean; want: string }[] = [
    {
      name: "a static site's private URL",
      value: "${web.PRIVATE_URL}",
      want: 'services[0].envs[0].value: ${web.PRIVATE_URL}: component "web" has no private URL (it is a static site)',
    },
    {
      name: "a worker's public URL",
      value: "${jobs.PUBLIC_URL}",
      want: 'services[0].envs[0].value: ${jobs.PUBLIC_URL}: component "jobs" has no public URL (it is a worker)',
    },
    {
      name: "an internal service's public URL",
      value: "${admin.PUBLIC_URL}",
      want: 'services[0].envs[0].value: ${admin.PUBLIC_URL}: component "admin" has no public URL (no ingress rule or route sends requests to it)',
    },
    {
      name: "a database",
      value: "${db.DATABASE_URL}",
      want: 'services[0].envs[0].value: ${db.DATABASE_URL}: databases are not supported: Slipway runs no database "db"; give the value yourself (a SECRET env, for example)',
    },
    {
      name: "a pool",
      value: "${db.pool.DATABASE_URL}",
      want: 'services[0].envs[0].value: ${db.pool.DATABASE_URL}: databases are not supported: Slipway runs no database "db"; give the value yourself (a SECRET env, for example)',
    },
    {
      name: "an unknown component",
      value: "${nope.PRIVATE_URL}",
      want: 'services[0].envs[0].value: ${nope.PRIVATE_URL}: names no component "nope"',
    },
    {
      name: "an unknown variable",
      value: "${HOME}",
      want: "services[0].envs[0].value: ${HOME}: not a bindable variable; use APP_DOMAIN, APP_URL, APP_ID, an app-level env key, or COMPONENT.VARIABLE",
    },
    {
      name: "a variable no kind offers",
      value: "${api.NOPE}",
      want: "services[0].envs[0].value: ${api.NOPE}: not a variable of service api; it offers PRIVATE_DOMAIN, PRIVATE_URL, PRIVATE_PORT, COMMIT_HASH, PUBLIC_ROUTE_PATH, PUBLIC_URL",
    },
    {
      name: "_self in an app-level env",
      value: "${_self.COMMIT_HASH}",
      app: true,
      want: "envs[0].value: ${_self.COMMIT_HASH}: _self only works in a component's envs",
    },
    {
      name: "a service without a private URL in the facts",
      value: "${_self.PRIVATE_URL}",
      on: { kind: "service", name: "api" },
      want: 'services[0].envs[0].value: ${_self.PRIVATE_URL}: component "api" has no private URL in this deployment (it runs no instance)',
    },
  ];
  for (const c of cases) {
    test(`reports ${c.name}`, () => {
      const on = c.on ?? api;
      const env = [{ key: "X", value: c.value }];
      const spec = c.app === true ? withEnvs(on.name, [], env) : withEnvs(on.name, env);
      const noPrivate = c.name.includes("without a private URL");
      const r = run({
        spec,
        component: on,
        ...(noPrivate ? { facts: { ...facts, components: {} } } : {}),
      });
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(formatEnvIssues(r.issues), c.want);
    });
  }

  test("lists every unresolvable reference, sorted by path, each once", () => {
    const spec = withEnvs(
      "api",
      [
        { key: "B", value: "${web.PRIVATE_URL} ${web.PRIVATE_URL}" },
        { key: "A", value: "${db.HOSTNAME}" },
        { key: "C", value: "${SHARED}" },
      ],
      [{ key: "SHARED", value: "${_self.PUBLIC_URL}" }],
    );
    const r = run({ spec, component: api });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.issues.map((i) => [i.path, i.reference]),
      [
        ["envs[0].value", "_self.PUBLIC_URL"],
        ["services[0].envs[0].value", "web.PRIVATE_URL"],
        ["services[0].envs[1].value", "db.HOSTNAME"],
      ],
    );
  });

  test("a BUILD_TIME env's references are not checked at run time", () => {
    const spec = withEnvs("api", [{ key: "X", value: "${db.HOSTNAME}", scope: "BUILD_TIME" }]);
    assert.equal(envOf({ spec, component: api }).X, undefined);
  });
});

describe("resolveRuntimeEnv precedence and scopes", () => {
  test("component envs win over app-level envs by key; others are merged", () => {
    const spec = withEnvs(
      "api",
      [{ key: "SHARED", value: "component" }],
      [
        { key: "SHARED", value: "app" },
        { key: "ONLY_APP", value: "app" },
      ],
    );
    const env = envOf({ spec, component: api });
    assert.equal(env.SHARED, "component");
    assert.equal(env.ONLY_APP, "app");
  });

  const scopes: {
    scope: "RUN_TIME" | "BUILD_TIME" | "RUN_AND_BUILD_TIME" | "UNSET" | undefined;
    visible: boolean;
  }[] = [
    { scope: "RUN_TIME", visible: true },
    { scope: "RUN_AND_BUILD_TIME", visible: true },
    { scope: "UNSET", visible: true },
    { scope: undefined, visible: true },
    { scope: "BUILD_TIME", visible: false },
  ];
  for (const { scope, visible } of scopes) {
    for (const level of ["app", "component"] as const) {
      test(`a ${level}-level ${scope ?? "scope-less"} env is ${visible ? "" : "not "}visible at run time`, () => {
        const env = { key: "V", value: "v", ...(scope === undefined ? {} : { scope }) };
        const spec = level === "app" ? withEnvs("api", [], [env]) : withEnvs("api", [env]);
        assert.equal(envOf({ spec, component: api }).V, visible ? "v" : undefined);
      });
    }
  }

  test("a component BUILD_TIME env hides the app-level env of the same key at run time", () => {
    const spec = withEnvs("api", [{ key: "K", value: "c", scope: "BUILD_TIME" }], [{ key: "K", value: "a" }]);
    assert.equal(envOf({ spec, component: api }).K, undefined);
  });

  test("${KEY} names the app-level env, even when the component overrides the key", () => {
    const spec = withEnvs(
      "api",
      [{ key: "BASE", value: "${BASE}/v2" }],
      [{ key: "BASE", value: "${APP_URL}/api", scope: "BUILD_TIME" }],
    );
    assert.equal(envOf({ spec, component: api }).BASE, "https://shop.apps.test/api/v2");
  });

  test("an app-level ${KEY} from an app-level env is an error", () => {
    const spec = withEnvs(
      "api",
      [],
      [
        { key: "A", value: "a" },
        { key: "B", value: "${A}" },
      ],
    );
    const r = run({ spec, component: api });
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.equal(
        formatEnvIssues(r.issues),
        "envs[1].value: ${A}: an app-level env key can only be used in a component's envs",
      );
  });

  test("an env without a value is empty", () => {
    const env = envOf({ spec: withEnvs("api", [{ key: "EMPTY" }]), component: api });
    assert.equal(env.EMPTY, "");
  });

  test("the env's keys are sorted", () => {
    const spec = withEnvs("api", [
      { key: "Z", value: "1" },
      { key: "A", value: "2" },
    ]);
    assert.deepEqual(Object.keys(envOf({ spec, component: api })), ["A", "PORT", "Z"]);
  });
});

describe("resolveRuntimeEnv PORT", () => {
  test("a service gets PORT from http_port (8080 by default)", () => {
    assert.equal(envOf({ spec: shop(), component: api }).PORT, "8080");
  });

  test("an explicit http_port", () => {
    const spec = shop();
    (spec.services?.[0] ?? assert.fail()).http_port = 3000;
    assert.equal(envOf({ spec, component: api }).PORT, "3000");
  });

  test("an internal-only service gets its first internal port", () => {
    assert.equal(envOf({ spec: shop(), component: admin }).PORT, "9000");
  });

  test("a PORT env wins over http_port", () => {
    const spec = withEnvs("api", [{ key: "PORT", value: "5000", scope: "RUN_TIME" }]);
    assert.equal(envOf({ spec, component: api }).PORT, "5000");
  });

  test("workers get no PORT", () => {
    assert.equal(envOf({ spec: shop(), component: worker }).PORT, undefined);
  });
});

describe("resolveRuntimeEnv secrets and the artifact env", () => {
  test("a decrypted SECRET value passes through, with references resolved", () => {
    const spec = withEnvs("api", [
      { key: "TOKEN", value: "s3cr3t$x", type: "SECRET", scope: "RUN_TIME" },
      { key: "DSN", value: "pg://u:pw@${admin.PRIVATE_DOMAIN}/x", type: "SECRET" },
    ]);
    const env = envOf({ spec, component: api });
    assert.equal(env.TOKEN, "s3cr3t$x");
    assert.equal(env.DSN, "pg://u:pw@admin/x");
  });

  test("a SECRET still encrypted is a bug, not a value", () => {
    const spec = withEnvs("api", [{ key: "T", value: "slipway:v1:0011aabb:n:c", type: "SECRET" }]);
    assert.throws(
      () => run({ spec, component: api }),
      /services\[0\]\.envs\[0\]\.value: the SECRET value is still encrypted/,
    );
  });

  const artifactCases: {
    name: string;
    envs: AppSpec["envs"];
    artifact: Record<string, string>;
    want: Record<string, string | undefined>;
  }[] = [
    {
      name: "the artifact's PATH is kept",
      envs: [],
      artifact: { PATH: "/workspace/.venv/bin:/usr/bin" },
      want: { PATH: "/workspace/.venv/bin:/usr/bin" },
    },
    {
      name: "a spec PATH wins over the artifact's",
      envs: [{ key: "PATH", value: "/opt/bin" }],
      artifact: { PATH: "/workspace/.venv/bin:/usr/bin" },
      want: { PATH: "/opt/bin" },
    },
    {
      name: "a BUILD_TIME spec PATH does not replace the artifact's",
      envs: [{ key: "PATH", value: "/build/bin", scope: "BUILD_TIME" }],
      artifact: { PATH: "/workspace/.venv/bin:/usr/bin" },
      want: { PATH: "/workspace/.venv/bin:/usr/bin" },
    },
    {
      name: "the spec's resolved value wins over the artifact's raw copy",
      envs: [{ key: "CALLBACK", value: "${APP_URL}/cb" }],
      artifact: { CALLBACK: "${APP_URL}/cb" },
      want: { CALLBACK: "https://shop.apps.test/cb" },
    },
    {
      name: "an artifact-only key is kept",
      envs: [],
      artifact: { VIRTUAL_ENV: "/workspace/.venv" },
      want: { VIRTUAL_ENV: "/workspace/.venv" },
    },
  ];
  for (const c of artifactCases) {
    test(c.name, () => {
      const env = envOf({ spec: withEnvs("api", c.envs), component: api, artifactEnv: c.artifact });
      for (const [k, v] of Object.entries(c.want)) assert.equal(env[k], v, k);
    });
  }

  test("the component must be in the spec", () => {
    assert.throws(() => run({ spec: shop(), component: { kind: "worker", name: "api" } }), /no worker "api"/);
  });
});

describe("public routes and the app address", () => {
  test("ingress rules win over routes; rules without authority first; exact paths", () => {
    const spec = shop({
      ingress: {
        rules: [
          {
            match: { path: { prefix: "/x" }, authority: { exact: "other.test" } },
            component: { name: "api" },
          },
          { match: { path: { exact: "/v1/health" } }, component: { name: "api" } },
          { match: { path: { prefix: "" } }, component: { name: "web" } },
          {
            match: { path: { prefix: "/adm" }, authority: { exact: "admin.test" } },
            component: { name: "jobs" },
          },
        ],
      },
    });
    const set = (name: string) => {
      const s = structuredClone(spec);
      const svc = s.services?.[0] ?? assert.fail();
      svc.envs = [{ key: "U", value: `\${${name}.PUBLIC_URL}` }];
      return s;
    };
    assert.equal(envOf({ spec: set("_self"), component: api }).U, "https://shop.apps.test/v1/health");
    assert.equal(envOf({ spec: set("web"), component: api }).U, "https://shop.apps.test");
  });

  test("a rule with only an authority gives that host", () => {
    const spec = shop({
      ingress: {
        rules: [
          {
            match: { path: { prefix: "/a" }, authority: { exact: "api.other.test" } },
            component: { name: "api" },
          },
        ],
      },
    });
    (spec.services?.[0] ?? assert.fail()).envs = [{ key: "U", value: "${_self.PUBLIC_URL}" }];
    const plain = { ...facts, appUrl: "http://shop.apps.test" };
    const r = resolveRuntimeEnv({ spec, component: api, facts: plain });
    assert.deepEqual(r.ok && r.env.U, "http://api.other.test/a");
  });

  test("appAddress uses the PRIMARY domain, else the default one, and http without TLS", () => {
    const withPrimary = shop({
      domains: [
        { domain: "alias.example.com", type: "ALIAS" },
        { domain: "Shop.Example.com.", type: "PRIMARY" },
      ],
    });
    assert.deepEqual(appAddress(withPrimary, { defaultDomain: "shop.apps.test", tls: true }), {
      appDomain: "shop.example.com",
      appUrl: "https://shop.example.com",
    });
    assert.deepEqual(appAddress(shop(), { defaultDomain: "shop.apps.test", tls: false }), {
      appDomain: "shop.apps.test",
      appUrl: "http://shop.apps.test",
    });
  });
});
