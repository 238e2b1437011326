import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSpecValidator } from "../spec/index.js";
import { memoryTree } from "./file-tree.js";
import { proposeSpec } from "./propose-spec.js";

const validator = createSpecValidator();
const repo = { repoCloneUrl: "https://github.com/example/app.git" };

describe("proposeSpec", () => {
  it("proposes a valid spec with a service, workers and a pre-deploy job from a Procfile", () => {
    const result = proposeSpec(
      memoryTree({
        "requirements.txt": "flask\ngunicorn\n",
        "app.py": "app = Flask(__name__)",
        Procfile: "web: gunicorn app:app\nworker: python w.py\nrelease: python migrate.py\n",
      }),
      { appName: "My Shop", ...repo, branch: "prod" },
    );
    assert.ok(result.ok, JSON.stringify(result));
    const { spec } = result.value;
    assert.equal(spec.name, "my-shop");
    assert.deepEqual(spec.services?.[0]?.git, { repo_clone_url: repo.repoCloneUrl, branch: "prod" });
    assert.deepEqual(spec.jobs?.[0]?.kind, "PRE_DEPLOY");
    assert.equal(spec.ingress, undefined);
    assert.deepEqual(validator.validate(spec).errors, []);
  });

  it("detects each top-level directory of a monorepo, skipping hidden and undetectable ones", () => {
    const result = proposeSpec(
      memoryTree({
        "api/go.mod": "module example.com/api\n",
        "api/main.go": "package main\n",
        "web/package.json": JSON.stringify({
          scripts: { build: "vite build" },
          devDependencies: { vite: "5" },
        }),
        "worker/requirements.txt": "celery\n",
        "worker/Procfile": "worker: celery -A tasks worker\n",
        "docs/README.md": "# docs",
        ".github/workflows/ci.yml": "on: push",
      }),
      { appName: "mono", ...repo },
    );
    assert.ok(result.ok, JSON.stringify(result));
    const { spec, detections } = result.value;
    assert.deepEqual(
      detections.map((d) => [d.sourceDir, d.detection.group]),
      [
        ["api", "go"],
        ["web", "nodejs"],
        ["worker", "python"],
      ],
    );
    assert.deepEqual(
      spec.workers?.map((w) => [w.name, w.source_dir]),
      [["worker-worker", "worker"]],
    );
    assert.deepEqual(spec.static_sites?.[0]?.output_dir, "dist");
    assert.deepEqual(validator.validate(spec).errors, []);
  });

  it("gives duplicate component names a suffix", () => {
    const result = proposeSpec(
      memoryTree({
        "package.json": JSON.stringify({ scripts: { start: "node s.js" } }),
        Procfile: "web-2: node a.js\nweb: node s.js\nworker: node b.js\n",
      }),
      { appName: "dupes", ...repo },
    );
    assert.ok(result.ok);
    const names = [...(result.value.spec.services ?? []), ...(result.value.spec.workers ?? [])].map(
      (c) => c.name,
    );
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(validator.validate(result.value.spec).errors, []);
  });

  it("fails on a broken file in a monorepo directory rather than dropping it", () => {
    const result = proposeSpec(memoryTree({ "web/index.html": "x", "api/package.json": "{" }), {
      appName: "m",
      ...repo,
    });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "invalid_file");
    assert.match(result.error.message, /^api\/package\.json:1:2: invalid JSON/);
  });

  it("fails on an empty tree, naming the directories it also tried", () => {
    const result = proposeSpec(memoryTree({ "docs/a.md": "x" }), { appName: "m", ...repo });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "undetectable");
    assert.match(result.error.message, /at the root of the source nor in docs\/; looked for Dockerfile/);
    assert.ok(result.error.lookedFor.length > 0);
  });
});
