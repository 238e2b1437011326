import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createSpecValidator } from "../spec/index.js";
import { detect } from "./detect.js";
import { directoryTree } from "./file-tree.js";
import { proposeSpec } from "./propose-spec.js";
import type { Detection } from "./types.js";

function examplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("no package.json above the test files");
    dir = up;
  }
  return join(dir, "examples");
}

const EXAMPLES = examplesDir();

type Expected = Pick<Detection, "group" | "language" | "kinds"> & Partial<Detection>;

const expected: Record<string, Expected> = {
  "node-express": {
    group: "nodejs",
    language: "javascript",
    packageManager: "npm",
    installCommand: "npm install",
    runCommand: "npm start",
    httpPort: 8080,
    kinds: ["service", "worker", "job"],
  },
  "python-flask": {
    group: "python",
    language: "python",
    framework: "flask",
    packageManager: "pip",
    installCommand: "pip install -r requirements.txt",
    runCommand: "gunicorn --bind 0.0.0.0:$PORT app:app",
    httpPort: 8080,
    kinds: ["service", "worker", "job"],
  },
  "static-site": { group: "static", language: "html", kinds: ["static_site"] },
  "go-hello": {
    group: "go",
    language: "go",
    buildCommand: "go build -o bin/app .",
    runCommand: "./bin/app",
    httpPort: 8080,
    kinds: ["service", "worker", "job"],
  },
  "node-vite-static": {
    group: "nodejs",
    language: "javascript",
    framework: "vite",
    packageManager: "npm",
    buildCommand: "npm run build",
    outputDir: "dist",
    kinds: ["static_site"],
  },
  "procfile-app": {
    group: "python",
    language: "python",
    framework: "flask",
    runCommand: "gunicorn --bind 0.0.0.0:$PORT app:app",
    procfile: { web: "gunicorn --bind 0.0.0.0:$PORT app:app", worker: "python worker.py", others: {} },
    kinds: ["service", "worker"],
  },
  "dockerfile-app": {
    group: "dockerfile",
    language: "unknown",
    httpPort: 8080,
    kinds: ["service", "worker", "job"],
  },
};

describe("detect on the examples", () => {
  for (const [name, want] of Object.entries(expected)) {
    it(`detects examples/${name} as ${want.group}`, () => {
      const result = detect(directoryTree(join(EXAMPLES, name)));
      assert.ok(result.ok, JSON.stringify(result));
      for (const [key, value] of Object.entries(want)) {
        assert.deepEqual(result.value[key as keyof Detection], value, `${name}: ${key}`);
      }
      if (want.runCommand === undefined) assert.equal(result.value.runCommand, undefined);
    });
  }

  it("proposes a Dockerfile service with dockerfile_path for examples/dockerfile-app", () => {
    const result = detect(directoryTree(join(EXAMPLES, "dockerfile-app")));
    assert.ok(result.ok);
    assert.deepEqual(result.value.proposedComponent, {
      list: "services",
      component: { name: "web", dockerfile_path: "Dockerfile", http_port: 8080 },
    });
  });

  it("proposes the web service and a worker for examples/procfile-app", () => {
    const result = detect(directoryTree(join(EXAMPLES, "procfile-app")));
    assert.ok(result.ok);
    assert.equal(result.value.proposedComponent.list, "services");
    assert.deepEqual(result.value.otherComponents, [
      {
        list: "workers",
        component: { name: "worker", environment_slug: "python", run_command: "python worker.py" },
      },
    ]);
  });

  it("detects each half of examples/monorepo through source_dir, and not its root", () => {
    const tree = directoryTree(join(EXAMPLES, "monorepo"));
    const root = detect(tree);
    assert.ok(!root.ok);
    assert.equal(root.error.code, "undetectable");
    const api = detect(tree, { sourceDir: "api" });
    assert.ok(api.ok);
    assert.equal(api.value.group, "nodejs");
    assert.equal(api.value.installCommand, "npm ci");
    assert.deepEqual(api.value.proposedComponent, {
      list: "services",
      component: {
        name: "api",
        source_dir: "api",
        environment_slug: "node-js",
        run_command: "npm start",
        http_port: 8080,
      },
    });
    assert.ok(api.value.evidence.includes("api/package-lock.json: npm"), api.value.evidence.join("; "));
    const web = detect(tree, { sourceDir: "/web/" });
    assert.ok(web.ok);
    assert.equal(web.value.group, "static");
    assert.equal(web.value.proposedComponent.component.source_dir, "web");
  });
});

describe("proposeSpec on the examples", () => {
  const validator = createSpecValidator();
  for (const name of [...Object.keys(expected), "monorepo"]) {
    it(`proposes a valid app spec for examples/${name}`, () => {
      const result = proposeSpec(directoryTree(join(EXAMPLES, name)), {
        appName: name,
        repoCloneUrl: `https://github.com/example/${name}.git`,
      });
      assert.ok(result.ok, JSON.stringify(result));
      const validation = validator.validate(result.value.spec);
      assert.deepEqual(validation.errors, [], JSON.stringify(result.value.spec));
      assert.equal(validation.valid, true);
    });
  }

  it("proposes api/ as a service and web/ as a static site for examples/monorepo, routed by ingress", () => {
    const result = proposeSpec(directoryTree(join(EXAMPLES, "monorepo")), {
      appName: "monorepo",
      repoCloneUrl: "https://github.com/example/monorepo.git",
    });
    assert.ok(result.ok);
    const { spec } = result.value;
    assert.deepEqual(
      spec.services?.map((s) => [s.name, s.source_dir]),
      [["api", "api"]],
    );
    assert.deepEqual(
      spec.static_sites?.map((s) => [s.name, s.source_dir]),
      [["web", "web"]],
    );
    assert.deepEqual(
      spec.ingress?.rules?.map((r) => [r.match?.path?.prefix, r.component?.name]),
      [
        ["/api", "api"],
        ["/", "web"],
      ],
    );
  });
});
