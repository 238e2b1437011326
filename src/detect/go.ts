/**
 * Go detection from go.mod: the module, where `package main` lives (the root or one `cmd/<name>`),
 * and a framework hint from the requirements.
 */
import type { Finding, Probe, ProbeContext } from "./types.js";

const FRAMEWORKS: readonly (readonly [string, string])[] = [
  ["github.com/gin-gonic/gin", "gin"],
  ["github.com/labstack/echo", "echo"],
  ["github.com/gofiber/fiber", "fiber"],
  ["github.com/go-chi/chi", "chi"],
  ["github.com/gorilla/mux", "gorilla"],
];

/** Detects a Go app; `none` without go.mod, `invalid` when go.mod has no `module` directive. */
export function probeGo(ctx: ProbeContext, componentName: string | undefined): Probe {
  if (!ctx.tree.exists("go.mod")) return { kind: "none" };
  const gomod = ctx.tree.read("go.mod") ?? "";
  const module = /^\s*module\s+"?([^\s"]+)"?/m.exec(gomod)?.[1];
  if (module === undefined) {
    const message = `${ctx.show("go.mod")}: has no module directive (a line such as "module example.com/app"); fix the file`;
    return { kind: "invalid", code: "invalid_file", message };
  }
  const finding: Finding = {
    group: "go",
    language: "go",
    packageManager: "go",
    installCommand: "go mod download",
    environmentSlug: "go",
    staticSite: false,
    evidence: [`${ctx.show("go.mod")}: module ${module}`],
    notes: [],
  };
  const framework = FRAMEWORKS.find(([path]) => gomod.includes(path));
  if (framework !== undefined) {
    finding.framework = framework[1];
    finding.evidence.push(`${ctx.show("go.mod")}: requires ${framework[0]}`);
  }
  const main = findMain(ctx, module, componentName);
  if (main === undefined) {
    finding.missingRun = `add a package main (main.go at the root or cmd/<name>/main.go), or a Procfile`;
    return { kind: "found", finding };
  }
  finding.buildCommand = `go build -o bin/app ${main.pkg}`;
  finding.runCommand = "./bin/app";
  finding.evidence.push(`${ctx.show(main.file)}: package main`);
  if (main.choice !== undefined) finding.notes.push(main.choice);
  return { kind: "found", finding };
}

function isMainPackage(ctx: ProbeContext, dir: string): string | undefined {
  const prefix = dir === "" ? "" : `${dir}/`;
  return ctx.tree
    .list(dir)
    .filter((e) => e.type === "file" && e.name.endsWith(".go") && !e.name.endsWith("_test.go"))
    .map((e) => `${prefix}${e.name}`)
    .find((f) => /^\s*package\s+main\b/m.test(ctx.tree.read(f) ?? ""));
}

/**
 * The main package to build: the root if it is one, else the one `cmd/<name>`; among several,
 * the one named like the component or the module's last element, else the first by name.
 */
function findMain(
  ctx: ProbeContext,
  module: string,
  componentName: string | undefined,
): { pkg: string; file: string; choice?: string } | undefined {
  const root = isMainPackage(ctx, "");
  if (root !== undefined) return { pkg: ".", file: root };
  const mains = ctx.tree
    .list("cmd")
    .filter((e) => e.type === "dir")
    .flatMap((e) => {
      const file = isMainPackage(ctx, `cmd/${e.name}`);
      return file === undefined ? [] : [{ name: e.name, file }];
    });
  const wanted = [componentName, module.split("/").pop()];
  const pick = mains.find((m) => wanted.includes(m.name)) ?? mains[0];
  if (pick === undefined) return undefined;
  const found = { pkg: `./cmd/${pick.name}`, file: pick.file };
  if (mains.length === 1) return found;
  const names = mains.map((m) => m.name).join(", ");
  return { ...found, choice: `several main packages (${names}); building cmd/${pick.name}` };
}
