/**
 * Node.js detection from package.json: the package manager (by lockfile), the build script, how
 * the app starts, and whether it is a static site built with Vite, Create React App, Astro, ...
 */
import { asRecord, asText, readJson } from "./read-json.js";
import type { Finding, Probe, ProbeContext } from "./types.js";

interface PackageManager {
  name: "npm" | "yarn" | "pnpm";
  install: string;
  /** Runs a package.json script. */
  run: (script: string) => string;
  /** Runs a binary of node_modules/.bin. */
  exec: string;
}

interface Framework {
  dep: string;
  name: string;
  /** Where a static build writes its files, for tools that build static sites. */
  outputDir?: string;
}

// Order matters: the first dependency found names the framework; servers come before static tools.
const FRAMEWORKS: readonly Framework[] = [
  { dep: "next", name: "next" },
  { dep: "@nestjs/core", name: "nestjs" },
  { dep: "express", name: "express" },
  { dep: "fastify", name: "fastify" },
  { dep: "koa", name: "koa" },
  { dep: "hono", name: "hono" },
  { dep: "astro", name: "astro", outputDir: "dist" },
  { dep: "vite", name: "vite", outputDir: "dist" },
  { dep: "react-scripts", name: "create-react-app", outputDir: "build" },
  { dep: "gatsby", name: "gatsby", outputDir: "public" },
  { dep: "@vue/cli-service", name: "vue-cli", outputDir: "dist" },
  { dep: "parcel", name: "parcel", outputDir: "dist" },
  { dep: "@11ty/eleventy", name: "eleventy", outputDir: "_site" },
];

/** Detects a Node.js app from `package.json`; `none` without one, `invalid` when it is not a JSON object. */
export function probeNode(ctx: ProbeContext): Probe {
  if (!ctx.tree.exists("package.json")) return { kind: "none" };
  const parsed = readJson(ctx, "package.json");
  if (!parsed.ok) return { kind: "invalid", code: "invalid_file", message: parsed.message };
  const pkg = asRecord(parsed.value);
  if (pkg === undefined) {
    const message = `${ctx.show("package.json")}: must be a JSON object with name, scripts, ...; fix the file`;
    return { kind: "invalid", code: "invalid_file", message };
  }
  const deps = { ...asRecord(pkg.devDependencies), ...asRecord(pkg.dependencies) };
  const scripts = asRecord(pkg.scripts) ?? {};
  const pm = packageManager(ctx, pkg);
  const framework = FRAMEWORKS.find((f) => f.dep in deps);
  const typescript = ctx.tree.exists("tsconfig.json") || "typescript" in deps;
  const finding: Finding = {
    group: "nodejs",
    language: typescript ? "typescript" : "javascript",
    packageManager: pm.name,
    installCommand: pm.install,
    environmentSlug: "node-js",
    staticSite: false,
    evidence: [`${ctx.show("package.json")}: Node.js`, ...pm.evidence],
    notes: [...pm.notes],
    missingRun: `add scripts.start or main to ${ctx.show("package.json")}, or a Procfile with a web process`,
  };
  if (framework !== undefined) {
    finding.framework = framework.name;
    finding.evidence.push(`${ctx.show("package.json")}: depends on ${framework.dep}`);
  }
  if (asText(scripts.build) !== undefined) {
    finding.buildCommand = pm.run("build");
    finding.evidence.push(`${ctx.show("package.json")}: scripts.build`);
  }
  return { kind: "found", finding: decideRun(ctx, finding, pkg, pm, framework) };
}

/** Fills how the app runs, or turns it into a static site when it only builds. */
function decideRun(
  ctx: ProbeContext,
  finding: Finding,
  pkg: Record<string, unknown>,
  pm: PackageManager,
  framework: Framework | undefined,
): Finding {
  const file = ctx.show("package.json");
  const scripts = asRecord(pkg.scripts) ?? {};
  if (asText(scripts.start) !== undefined) {
    return {
      ...finding,
      runCommand: pm.run("start"),
      evidence: [...finding.evidence, `${file}: scripts.start`],
    };
  }
  if (framework?.name === "next") {
    const runCommand = `${pm.exec} next start -p $PORT`;
    return { ...finding, runCommand, evidence: [...finding.evidence, `${file}: next without scripts.start`] };
  }
  if (framework?.outputDir !== undefined && finding.buildCommand !== undefined) {
    const evidence = [...finding.evidence, `${file}: ${framework.name} builds to ${framework.outputDir}/`];
    return { ...finding, staticSite: true, outputDir: framework.outputDir, evidence };
  }
  const main = asText(pkg.main);
  const mainFile =
    main === undefined ? undefined : [main, `${main}.js`].find((m) => ctx.tree.read(m) !== undefined);
  if (mainFile !== undefined) {
    return { ...finding, runCommand: `node ${mainFile}`, evidence: [...finding.evidence, `${file}: main`] };
  }
  const notes =
    main === undefined ? finding.notes : [...finding.notes, `${file}: main "${main}" does not exist`];
  if (ctx.tree.exists("server.js")) {
    const evidence = [...finding.evidence, `${ctx.show("server.js")} (npm's default start)`];
    return { ...finding, notes, runCommand: "node server.js", evidence };
  }
  if (finding.buildCommand !== undefined) return staticBuild(ctx, { ...finding, notes }, scripts);
  return { ...finding, notes };
}

/** A build script and nothing to run: a static site, its output directory read from the script if it says. */
function staticBuild(ctx: ProbeContext, finding: Finding, scripts: Record<string, unknown>): Finding {
  const build = asText(scripts.build) ?? "";
  const flag = /--(?:out-?dir|dist-dir|output)[=\s]+["']?([^\s"'&;|]+)/i.exec(build);
  const evidence = [...finding.evidence, `${ctx.show("package.json")}: scripts.build and nothing to start`];
  if (flag?.[1] !== undefined) {
    const outputDir = flag[1].replace(/^\.\//, "").replace(/\/$/, "");
    return {
      ...finding,
      staticSite: true,
      outputDir,
      evidence: [...evidence, `scripts.build writes ${outputDir}/`],
    };
  }
  const note =
    "output_dir is not known before the build: the builder takes the first of _static, dist, public, build";
  return { ...finding, staticSite: true, evidence, notes: [...finding.notes, note] };
}

/** The package manager, from the lockfile first, then package.json's `packageManager`, else npm. */
function packageManager(
  ctx: ProbeContext,
  pkg: Record<string, unknown>,
): PackageManager & { evidence: string[]; notes: string[] } {
  const has = (f: string): boolean => ctx.tree.exists(f);
  const lock = ["pnpm-lock.yaml", "yarn.lock", "package-lock.json", "npm-shrinkwrap.json"].find(has);
  const declared = asText(pkg.packageManager)?.split("@")[0];
  const name = lock?.startsWith("pnpm")
    ? "pnpm"
    : lock?.startsWith("yarn")
      ? "yarn"
      : lock
        ? "npm"
        : declared;
  const evidence = lock === undefined ? [] : [`${ctx.show(lock)}: ${name}`];
  if (lock === undefined && (declared === "pnpm" || declared === "yarn")) {
    evidence.push(`${ctx.show("package.json")}: packageManager ${declared}`);
  }
  const notes = lock === undefined ? ["no lockfile: dependency versions are not pinned; commit one"] : [];
  const frozen = lock === undefined ? "" : " --frozen-lockfile";
  if (name === "pnpm") {
    return {
      name,
      install: `pnpm install${frozen}`,
      run: (s) => (s === "start" ? "pnpm start" : `pnpm run ${s}`),
      exec: "pnpm exec",
      evidence,
      notes,
    };
  }
  if (name === "yarn") {
    // Yarn 2+ (a .yarnrc.yml beside the lockfile) renamed --frozen-lockfile to --immutable.
    const flag = lock === undefined ? "" : has(".yarnrc.yml") ? " --immutable" : frozen;
    return { name, install: `yarn install${flag}`, run: (s) => `yarn ${s}`, exec: "yarn", evidence, notes };
  }
  const install = lock === undefined ? "npm install" : "npm ci";
  return {
    name: "npm",
    install,
    run: (s) => (s === "start" ? "npm start" : `npm run ${s}`),
    exec: "npx",
    evidence,
    notes,
  };
}
