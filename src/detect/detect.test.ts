import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detect, LOOKED_FOR } from "./detect.js";
import { memoryTree } from "./file-tree.js";
import type { DetectError, Detection } from "./types.js";

function ok(files: Record<string, string>, options = {}): Detection {
  const result = detect(memoryTree(files), options);
  assert.ok(result.ok, JSON.stringify(result));
  return result.value;
}

function failure(files: Record<string, string>, options = {}): DetectError {
  const result = detect(memoryTree(files), options);
  assert.ok(!result.ok, JSON.stringify(result));
  assert.deepEqual(result.error.lookedFor, LOOKED_FOR);
  return result.error;
}

const pkg = (value: unknown): string => JSON.stringify(value);

describe("detect rejects what it cannot build", () => {
  it("rejects an empty tree, listing what it looked for", () => {
    const error = failure({});
    assert.equal(error.code, "undetectable");
    assert.match(
      error.message,
      /no buildable source at the root of the source; looked for Dockerfile, Procfile/,
    );
  });

  it("rejects a tree with only a README", () => {
    assert.equal(failure({ "README.md": "# hello" }).code, "undetectable");
  });

  it("rejects binary junk", () => {
    const junk = String.fromCharCode(0, 255, 254, 1, 2, 3, 0x89, 0x50, 0x4e, 0x47);
    assert.equal(failure({ "blob.bin": junk, "image.png": junk }).code, "undetectable");
  });

  it("names the file, line and column of invalid JSON in package.json", () => {
    const error = failure({ "package.json": '{\n  "name": "x",\n}\n' });
    assert.equal(error.code, "invalid_file");
    assert.match(
      error.message,
      /^package\.json:3:1: invalid JSON: expected a double-quoted property name, found "}" \(at offset 17\)/,
    );
  });

  it("names the position of truncated JSON at its end", () => {
    const error = failure({ "api/package.json": '{"name": ' }, { sourceDir: "api" });
    assert.match(
      error.message,
      /^api\/package\.json:1:10: invalid JSON: expected a value .*, found the end of the file/,
    );
  });

  it("rejects a package.json that is binary junk", () => {
    const error = failure({ "package.json": String.fromCharCode(0, 255, 1) });
    assert.match(error.message, /^package\.json:1:1: invalid JSON/);
  });

  it("rejects a package.json that is not an object", () => {
    assert.match(failure({ "package.json": "[1, 2]" }).message, /package\.json: must be a JSON object/);
  });

  it("rejects a Procfile with no processes, naming the bad lines", () => {
    const error = failure({ Procfile: "# only a comment\nnot a process\n", "requirements.txt": "flask\n" });
    assert.equal(error.code, "invalid_file");
    assert.match(error.message, /^Procfile: declares no process \(line 2 is not "<process>: <command>"\)/);
  });

  it("rejects an empty Procfile", () => {
    assert.match(
      failure({ Procfile: "\n\n", "app.py": "" }).message,
      /Procfile: declares no process \(it is empty\)/,
    );
  });

  it("rejects a Procfile alone, saying a language manifest is needed", () => {
    const error = failure({ Procfile: "web: ./server" });
    assert.equal(error.code, "undetectable");
    assert.match(error.message, /a Procfile alone cannot be built/);
  });

  it("rejects a Node app with nothing to start and nothing to build", () => {
    const error = failure({ "package.json": pkg({ name: "x", main: "missing.js" }) });
    assert.equal(error.code, "no_run_command");
    assert.match(error.message, /add scripts\.start or main to package\.json/);
  });

  it("rejects a Python app with no app module", () => {
    const error = failure({ "requirements.txt": "requests\n" });
    assert.equal(error.code, "no_run_command");
    assert.match(error.message, /gunicorn or uvicorn/);
  });

  it("rejects a go.mod without a module directive", () => {
    assert.match(failure({ "go.mod": "go 1.22\n" }).message, /^go\.mod: has no module directive/);
  });

  it("rejects a source_dir that is missing or climbs out of the tree", () => {
    assert.equal(failure({ "api/package.json": "{}" }, { sourceDir: "web" }).code, "bad_source_dir");
    assert.equal(failure({ "api/package.json": "{}" }, { sourceDir: "../api" }).code, "bad_source_dir");
    assert.equal(
      failure({ "api/package.json": "{}" }, { sourceDir: "api/package.json" }).code,
      "bad_source_dir",
    );
  });

  it("says which directory had nothing when a source_dir is given", () => {
    assert.match(
      failure({ "docs/README.md": "x" }, { sourceDir: "docs" }).message,
      /no buildable source in "docs\/"/,
    );
  });
});

describe("detect Node.js", () => {
  const start = { scripts: { start: "node index.js", build: "tsc" } };

  it("picks the package manager by lockfile", () => {
    const cases: [string, string, string][] = [
      ["package-lock.json", "npm ci", "npm run build"],
      ["yarn.lock", "yarn install --frozen-lockfile", "yarn build"],
      ["pnpm-lock.yaml", "pnpm install --frozen-lockfile", "pnpm run build"],
    ];
    for (const [lock, install, build] of cases) {
      const d = ok({ "package.json": pkg(start), [lock]: "" });
      assert.equal(d.installCommand, install, lock);
      assert.equal(d.buildCommand, build, lock);
      assert.deepEqual(d.notes, [], lock);
    }
  });

  it("uses --immutable for Yarn 2+ and the packageManager field without a lockfile", () => {
    assert.equal(
      ok({ "package.json": pkg(start), "yarn.lock": "", ".yarnrc.yml": "" }).installCommand,
      "yarn install --immutable",
    );
    const d = ok({ "package.json": pkg({ ...start, packageManager: "pnpm@9.1.0" }) });
    assert.equal(d.installCommand, "pnpm install");
    assert.equal(d.runCommand, "pnpm start");
  });

  it("runs main when there is no start script, and says typescript when it sees it", () => {
    const d = ok({
      "package.json": pkg({ main: "dist/index.js" }),
      "dist/index.js": "",
      "tsconfig.json": "{}",
    });
    assert.equal(d.runCommand, "node dist/index.js");
    assert.equal(d.language, "typescript");
  });

  it("starts Next.js with next start when there is no start script", () => {
    const d = ok({
      "package.json": pkg({ scripts: { build: "next build" }, dependencies: { next: "14.2.0" } }),
    });
    assert.equal(d.framework, "next");
    assert.equal(d.runCommand, "npx next start -p $PORT");
    assert.deepEqual(d.kinds, ["service", "worker", "job"]);
  });

  it("names express as the framework of a service", () => {
    const d = ok({
      "package.json": pkg({ scripts: { start: "node app.js" }, dependencies: { express: "4" } }),
    });
    assert.equal(d.framework, "express");
    assert.equal(d.proposedComponent.list, "services");
  });

  it("makes Create React App and Astro builds static sites with their output directories", () => {
    const cra = ok({
      "package.json": pkg({
        scripts: { build: "react-scripts build" },
        dependencies: { "react-scripts": "5" },
      }),
    });
    assert.deepEqual(
      [cra.kinds, cra.outputDir, cra.framework],
      [["static_site"], "build", "create-react-app"],
    );
    const astro = ok({
      "package.json": pkg({ scripts: { build: "astro build" }, devDependencies: { astro: "4" } }),
    });
    assert.equal(astro.outputDir, "dist");
  });

  it("reads the output directory from an unknown build script's flag, or leaves it to the builder", () => {
    const flagged = ok({ "package.json": pkg({ scripts: { build: "mytool --out-dir ./_static" } }) });
    assert.deepEqual([flagged.kinds, flagged.outputDir], [["static_site"], "_static"]);
    const unknown = ok({ "package.json": pkg({ scripts: { build: "mytool" } }) });
    assert.equal(unknown.outputDir, undefined);
    assert.ok(unknown.notes.some((n) => n.includes("_static, dist, public, build")));
  });
});

describe("detect Python", () => {
  it("runs Django's project wsgi module with gunicorn", () => {
    const d = ok({
      "requirements.txt": "Django==5.0\ngunicorn\n",
      "manage.py": "",
      "mysite/wsgi.py": "application = x",
    });
    assert.equal(d.framework, "django");
    assert.equal(d.runCommand, "gunicorn --bind 0.0.0.0:$PORT mysite.wsgi");
  });

  it("runs FastAPI with uvicorn on $PORT, finding the app variable", () => {
    const d = ok({
      "pyproject.toml": '[project]\ndependencies = ["fastapi", "uvicorn"]\n',
      "main.py": "api = FastAPI()\n",
    });
    assert.equal(d.runCommand, "uvicorn main:api --host 0.0.0.0 --port $PORT");
    assert.equal(d.installCommand, "pip install .");
    assert.deepEqual(d.notes, []);
  });

  it("guesses the Flask module from wsgi.py and notes a missing gunicorn", () => {
    const d = ok({
      Pipfile: '[packages]\nflask = "*"\n',
      "wsgi.py": "from app import create\napp = Flask(__name__)\n",
    });
    assert.equal(d.packageManager, "pipenv");
    assert.equal(d.runCommand, "gunicorn --bind 0.0.0.0:$PORT wsgi:app");
    assert.ok(d.notes.includes("gunicorn is not among the dependencies; add it"));
  });

  it("does not take flask-cors for flask", () => {
    const d = ok({ "requirements.txt": "flask-cors\n", "main.py": "print(1)" });
    assert.equal(d.framework, undefined);
    assert.equal(d.runCommand, "python main.py");
  });

  it("uses poetry for a pyproject with [tool.poetry]", () => {
    const d = ok({
      "pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\nflask = "^3"\n',
      "app.py": "",
    });
    assert.equal(d.installCommand, "poetry install --no-root");
    assert.equal(d.runCommand, "gunicorn --bind 0.0.0.0:$PORT app:app");
  });
});

describe("detect Go", () => {
  it("builds the one cmd/<name> main package and names the framework", () => {
    const d = ok({
      "go.mod": "module github.com/acme/shop\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.1\n",
      "cmd/shop/main.go": "package main\n",
      "internal/x.go": "package internal\n",
    });
    assert.equal(d.buildCommand, "go build -o bin/app ./cmd/shop");
    assert.equal(d.framework, "gin");
  });

  it("prefers the main package named like the module among several", () => {
    const d = ok({
      "go.mod": "module example.com/api\n",
      "cmd/tool/main.go": "package main",
      "cmd/api/main.go": "package main",
    });
    assert.equal(d.buildCommand, "go build -o bin/app ./cmd/api");
    assert.match(d.notes.join(), /several main packages \(api, tool\)/);
  });
});

describe("detect order, Dockerfile and Procfile", () => {
  it("lets a Dockerfile win over package.json, keeping the language and the EXPOSEd port", () => {
    const d = ok({
      Dockerfile: "FROM x\nEXPOSE 3000\n",
      "package.json": pkg({ scripts: { start: "node ." } }),
    });
    assert.deepEqual([d.group, d.language, d.httpPort], ["dockerfile", "javascript", 3000]);
    assert.deepEqual(d.proposedComponent.component, {
      name: "web",
      dockerfile_path: "Dockerfile",
      http_port: 3000,
    });
  });

  it("names the Dockerfile path from the repository root under a source_dir", () => {
    const d = ok({ "svc/Dockerfile": "FROM x" }, { sourceDir: "svc" });
    assert.deepEqual(d.proposedComponent.component, {
      name: "svc",
      source_dir: "svc",
      dockerfile_path: "svc/Dockerfile",
      http_port: 8080,
    });
  });

  it("overrides the run command with Procfile web and adds workers and a release job", () => {
    const d = ok({
      "package.json": pkg({ scripts: { start: "node server.js" } }),
      Procfile: "web: node web.js\nworker: node worker.js\nclock: node clock.js\nrelease: node migrate.js\n",
    });
    assert.equal(d.runCommand, "node web.js");
    assert.deepEqual(d.kinds, ["service", "worker", "job"]);
    assert.deepEqual(d.procfile, {
      web: "node web.js",
      worker: "node worker.js",
      others: { clock: "node clock.js", release: "node migrate.js" },
    });
    assert.deepEqual(
      d.otherComponents.map((c) => [
        c.list,
        c.component.name,
        "run_command" in c.component ? c.component.run_command : "",
      ]),
      [
        ["workers", "worker", "node worker.js"],
        ["workers", "clock", "node clock.js"],
        ["jobs", "release", "node migrate.js"],
      ],
    );
  });

  it("keeps the language's start as the web service when the Procfile has only a worker", () => {
    const d = ok({
      "package.json": pkg({ scripts: { start: "node server.js" } }),
      Procfile: "worker: node w.js\n",
    });
    assert.deepEqual(d.kinds, ["service", "worker"]);
    assert.equal(d.runCommand, "npm start");
  });

  it("proposes only a worker when the Procfile has a worker and the language cannot start itself", () => {
    const d = ok({ "requirements.txt": "celery\n", Procfile: "worker: celery -A tasks worker\n" });
    assert.deepEqual(d.kinds, ["worker"]);
    assert.equal(d.proposedComponent.list, "workers");
    assert.equal(d.httpPort, undefined);
  });

  it("prefixes Procfile process names with the component name under a source_dir", () => {
    const d = ok(
      { "api/requirements.txt": "flask", "api/app.py": "", "api/Procfile": "worker: python w.py" },
      { sourceDir: "api" },
    );
    assert.deepEqual(
      [d.proposedComponent.component.name, d.otherComponents[0]?.component.name],
      ["api", "api-worker"],
    );
  });

  it("notes other languages it saw and takes Node.js first", () => {
    const d = ok({
      "package.json": pkg({ scripts: { start: "x" } }),
      "requirements.txt": "flask",
      "app.py": "",
    });
    assert.equal(d.group, "nodejs");
    assert.match(d.notes.join(), /also looks like python/);
  });

  it("makes the component name valid", () => {
    assert.equal(
      ok({ "index.html": "x" }, { componentName: "My_Site!" }).proposedComponent.component.name,
      "my-site",
    );
  });
});
