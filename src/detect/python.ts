/**
 * Python detection from requirements.txt, Pipfile or pyproject.toml: the package manager, the
 * framework (Django, FastAPI, Flask), and a gunicorn or uvicorn command for the app module found.
 */
import type { Finding, Probe, ProbeContext } from "./types.js";

const MANIFESTS = ["requirements.txt", "Pipfile", "pyproject.toml"] as const;

/** True when the manifest text names the distribution as a dependency (case-insensitive). */
export function dependsOn(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp(`(^|[\\s"'])${escaped}(?![A-Za-z0-9_.-])`, "im").test(text);
}

/** Detects a Python app; `none` without requirements.txt, Pipfile or pyproject.toml. */
export function probePython(ctx: ProbeContext): Probe {
  const manifests = MANIFESTS.filter((m) => ctx.tree.exists(m));
  const first = manifests[0];
  if (first === undefined) return { kind: "none" };
  const text = manifests.map((m) => ctx.tree.read(m) ?? "").join("\n");
  const pm = pythonInstaller(ctx, first);
  const finding: Finding = {
    group: "python",
    language: "python",
    packageManager: pm.name,
    installCommand: pm.install,
    environmentSlug: "python",
    staticSite: false,
    evidence: [`${ctx.show(first)}: Python, installed with ${pm.name}`],
    notes: [],
    missingRun: `add gunicorn or uvicorn and an app module (app.py, wsgi.py, main.py), or a Procfile with a web process`,
  };
  const framework = frameworkOf(ctx, manifests);
  if (framework !== undefined) {
    finding.framework = framework.name;
    finding.evidence.push(framework.evidence);
  }
  return { kind: "found", finding: decideRun(ctx, finding, text) };
}

function pythonInstaller(ctx: ProbeContext, first: string): { name: string; install: string } {
  if (first === "requirements.txt") return { name: "pip", install: "pip install -r requirements.txt" };
  if (first === "Pipfile") {
    return {
      name: "pipenv",
      install: ctx.tree.exists("Pipfile.lock") ? "pipenv install --deploy" : "pipenv install",
    };
  }
  if (/^\[tool\.poetry\]/m.test(ctx.tree.read("pyproject.toml") ?? "")) {
    return { name: "poetry", install: "poetry install --no-root" };
  }
  if (ctx.tree.exists("uv.lock")) return { name: "uv", install: "uv sync --frozen" };
  return { name: "pip", install: "pip install ." };
}

function frameworkOf(ctx: ProbeContext, manifests: string[]): { name: string; evidence: string } | undefined {
  const declaring = (name: string): string | undefined =>
    manifests.find((m) => dependsOn(ctx.tree.read(m) ?? "", name));
  for (const name of ["django", "fastapi", "flask"]) {
    const manifest = declaring(name);
    if (manifest !== undefined) return { name, evidence: `${ctx.show(manifest)}: depends on ${name}` };
    if (name === "django" && ctx.tree.exists("manage.py")) {
      return { name, evidence: `${ctx.show("manage.py")}: Django` };
    }
  }
  return undefined;
}

function decideRun(ctx: ProbeContext, finding: Finding, text: string): Finding {
  const needs = (server: string): string[] =>
    dependsOn(text, server) ? [] : [`${server} is not among the dependencies; add it`];
  if (finding.framework === "fastapi" || (finding.framework === undefined && dependsOn(text, "uvicorn"))) {
    const app = findModule(ctx, ["main.py", "app.py", "api.py", "app/main.py", "src/main.py"], /FastAPI\(/);
    if (app !== undefined) {
      const runCommand = `uvicorn ${app.target} --host 0.0.0.0 --port $PORT`;
      const evidence = [...finding.evidence, `${ctx.show(app.file)}: the ASGI app`];
      return { ...finding, runCommand, evidence, notes: [...finding.notes, ...needs("uvicorn")] };
    }
  }
  const wsgi =
    finding.framework === "django" ? findDjangoWsgi(ctx) : findModule(ctx, wsgiCandidates(ctx), /Flask\(/);
  if (wsgi !== undefined && (finding.framework !== undefined || dependsOn(text, "gunicorn"))) {
    const runCommand = `gunicorn --bind 0.0.0.0:$PORT ${wsgi.target}`;
    const evidence = [...finding.evidence, `${ctx.show(wsgi.file)}: the WSGI app`];
    return { ...finding, runCommand, evidence, notes: [...finding.notes, ...needs("gunicorn")] };
  }
  const script = ["main.py", "app.py"].find((f) => ctx.tree.exists(f));
  if (script !== undefined) {
    return { ...finding, runCommand: `python ${script}`, evidence: [...finding.evidence, ctx.show(script)] };
  }
  return finding;
}

function wsgiCandidates(ctx: ProbeContext): string[] {
  const packages = ctx.tree.list("").filter((e) => e.type === "dir" && !e.name.startsWith("."));
  return ["wsgi.py", "app.py", "main.py", "application.py", ...packages.map((p) => `${p.name}/wsgi.py`)];
}

/** Django's `<project>/wsgi.py`, one level down, as `project.wsgi`. */
function findDjangoWsgi(ctx: ProbeContext): { file: string; target: string } | undefined {
  const dir = ctx.tree
    .list("")
    .find((e) => e.type === "dir" && ctx.tree.exists(`${e.name}/wsgi.py`) && /^[A-Za-z_]\w*$/.test(e.name));
  return dir === undefined ? undefined : { file: `${dir.name}/wsgi.py`, target: `${dir.name}.wsgi` };
}

/**
 * The first existing candidate whose text matches `marker` (else the first existing one), as a
 * `module:variable` target; the variable is the one assigned the app, or a `create_app()` factory.
 */
function findModule(
  ctx: ProbeContext,
  candidates: string[],
  marker: RegExp,
): { file: string; target: string } | undefined {
  const existing = candidates.filter((c) => ctx.tree.read(c) !== undefined);
  const file = existing.find((c) => marker.test(ctx.tree.read(c) ?? "")) ?? existing[0];
  if (file === undefined) return undefined;
  const source = ctx.tree.read(file) ?? "";
  const assigned = new RegExp(`^(\\w+)\\s*(?::[^=]+)?=\\s*${marker.source}`, "m").exec(source)?.[1];
  const variable =
    assigned ??
    (/^application\s*=/m.test(source)
      ? "application"
      : /^def create_app\(/m.test(source)
        ? "create_app()"
        : "app");
  const module = file.replace(/\.py$/, "").replaceAll("/", ".");
  const target = variable.endsWith("()") ? `"${module}:${variable}"` : `${module}:${variable}`;
  return { file, target };
}
