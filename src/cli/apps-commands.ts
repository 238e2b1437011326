/**
 * `slipway apps ...`: doctl-shaped verbs (reference section 4) over the API's typed client.
 * Apps are named by name or id; `-o table|json|yaml`; `--wait` follows the new deployment.
 */
import { isDeepStrictEqual, type ParseArgsConfig, parseArgs } from "node:util";
import { stringify } from "yaml";
import type { AppJson, Client, DeploymentJson } from "../api/index.js";
import { packSource } from "../build/index.js";
import { isErrorCode } from "../resources/index.js";
import { type AppSpec, createSpecValidator, formatIssue, normalize } from "../spec/index.js";
import { appsLogs, type LogsValues } from "./apps-logs.js";
import { proposeFromSource } from "./apps-propose.js";
import { connect, waitForDeployment } from "./connect.js";
import { type CliIo, UsageError } from "./io.js";
import { jobVerbs } from "./job-commands.js";
import {
  type OutputFormat,
  outputFormat,
  printApps,
  printAs,
  printDeployments,
  printTable,
} from "./output.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | undefined>;

/** One `slipway apps` verb. */
export interface Verb {
  usage: string;
  /** How many positional arguments: exactly N, or [min, max]. */
  args: number | [number, number];
  options?: Options;
  run(io: CliIo, ctx: VerbContext): Promise<number>;
}

/** What a verb's `run` gets besides the I/O. */
export interface VerbContext {
  args: string[];
  values: Values;
  format: OutputFormat;
  /** Connects on first use, so that offline verbs (propose --source) need no server. */
  client(): Promise<Client>;
}

const COMMON: Options = { output: { type: "string", short: "o" }, context: { type: "string" } };
const WAIT: Options = { wait: { type: "boolean" }, "wait-timeout": { type: "string" } };

async function readSpec(io: CliIo, path: string | undefined, appSource = false): Promise<AppSpec | number> {
  if (path === undefined) throw new UsageError("--spec FILE is required (- for standard input)");
  const name = path === "-" ? "<stdin>" : path;
  const bytes = path === "-" ? await io.readStdin() : await io.readFile(path);
  const result = createSpecValidator().validateText(bytes, { appSource });
  for (const w of result.warnings) io.stderr(`warning: ${formatIssue(w, name)}\n`);
  if (!result.valid || result.spec === undefined) {
    for (const e of result.errors) io.stderr(`${formatIssue(e, name)}\n`);
    return 1;
  }
  return result.spec;
}

/** With `--source DIR`: packs and uploads the folder; the body's `source` naming it. */
async function uploadSource(
  io: CliIo,
  client: Client,
  dir: string | undefined,
): Promise<{ source?: { upload: string } }> {
  if (dir === undefined) return {};
  const archive = await packSource(dir);
  const { digest, size_bytes } = await client.uploadSource(archive);
  io.stderr(`uploaded ${dir} (${size_bytes} bytes, ${digest})\n`);
  return { source: { upload: digest } };
}

function showDeployment(io: CliIo, ctx: VerbContext, deployment: DeploymentJson): void {
  printAs(io, ctx.format, deployment, () => printDeployments(io, [deployment]));
}

async function maybeWait(io: CliIo, ctx: VerbContext, app: string, id: string | undefined): Promise<number> {
  if (ctx.values.wait !== true || id === undefined) return 0;
  const timeout = ctx.values["wait-timeout"];
  const timeoutMs = typeof timeout === "string" ? Number(timeout) * 1000 : undefined;
  if (timeoutMs !== undefined && !(timeoutMs > 0))
    throw new UsageError("--wait-timeout must be a number of seconds");
  return waitForDeployment(io, await ctx.client(), app, id, timeoutMs === undefined ? {} : { timeoutMs });
}

/** The ids of an app's deployments; none when the app does not exist yet. */
async function deploymentIds(ctx: VerbContext, app: string): Promise<Set<string>> {
  try {
    const { deployments } = await (await ctx.client()).listDeployments({ params: { app }, query: {} });
    return new Set(deployments.map((d) => d.id));
  } catch (err) {
    if (isErrorCode(err, "not_found")) return new Set();
    throw err;
  }
}

/**
 * Prints the app; with --wait, waits for the deployment its write caused (the first one not in
 * `before`; the App controller creates it within moments) and follows it.
 */
async function showAppAndWait(
  io: CliIo,
  ctx: VerbContext,
  app: AppJson,
  before: Set<string>,
): Promise<number> {
  printAs(io, ctx.format, app, () => printApps(io, [app]));
  if (ctx.values.wait !== true) return 0;
  for (let i = 0; i < 300; i++) {
    const fresh = [...(await deploymentIds(ctx, app.id))].find((id) => !before.has(id));
    if (fresh !== undefined) return maybeWait(io, ctx, app.id, fresh);
    // A write that changed nothing (the same spec and code again, e.g. a second quickstart)
    // causes no deployment: the active one already runs this spec.
    if (i === 50 && before.size > 0) {
      const { app: now } = await (await ctx.client()).getApp({ params: { app: app.id } });
      const active = now.active_deployment;
      const idle = now.in_progress_deployment === undefined && now.pending_deployment === undefined;
      if (idle && active !== undefined && isDeepStrictEqual(active.spec, normalize(now.spec))) {
        io.stderr(
          `${app.spec.name} is unchanged; its active deployment ${active.id} already runs this spec\n`,
        );
        return 0;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  io.stderr(
    `no deployment of ${app.spec.name} appeared within 30 s; see \`slipway apps list-deployments ${app.spec.name}\`\n`,
  );
  return 1;
}

/** `slipway apps VERB APP DEPLOYMENT` for the routes that take one deployment and return it. */
function oneDeploymentVerb(verb: string, route: "getDeployment" | "cancelDeployment"): Verb {
  return {
    usage: `slipway apps ${verb} APP DEPLOYMENT`,
    args: 2,
    run: async (io, ctx) => {
      const [app, id] = ctx.args as [string, string];
      const { deployment } = await (await ctx.client())[route]({ params: { app, deployment: id } });
      showDeployment(io, ctx, deployment);
      return 0;
    },
  };
}

const verbs: Record<string, Verb> = {
  list: {
    usage: "slipway apps list",
    args: 0,
    run: async (io, ctx) => {
      const { apps } = await (await ctx.client()).listApps({ query: {} });
      printAs(io, ctx.format, apps, () => printApps(io, apps));
      return 0;
    },
  },
  get: {
    usage: "slipway apps get APP",
    args: 1,
    run: async (io, ctx) => {
      const { app } = await (await ctx.client()).getApp({ params: { app: ctx.args[0] as string } });
      printAs(io, ctx.format, app, () => printApps(io, [app]));
      return 0;
    },
  },
  create: {
    usage: "slipway apps create --spec FILE [--source DIR] [--upsert] [--wait]",
    args: 0,
    options: { spec: { type: "string" }, source: { type: "string" }, upsert: { type: "boolean" }, ...WAIT },
    run: async (io, ctx) => {
      const dir = ctx.values.source as string | undefined;
      const spec = await readSpec(io, ctx.values.spec as string | undefined, dir !== undefined);
      if (typeof spec === "number") return spec;
      const client = await ctx.client();
      const body = { spec, ...(await uploadSource(io, client, dir)) };
      const before = ctx.values.wait === true ? await deploymentIds(ctx, spec.name) : new Set<string>();
      let app: AppJson;
      try {
        ({ app } = await client.createApp({ body }));
      } catch (err) {
        if (ctx.values.upsert !== true || !isErrorCode(err, "already_exists")) throw err;
        ({ app } = await client.updateApp({ params: { app: spec.name }, body }));
      }
      return showAppAndWait(io, ctx, app, before);
    },
  },
  update: {
    usage: "slipway apps update APP --spec FILE [--source DIR] [--wait]",
    args: 1,
    options: { spec: { type: "string" }, source: { type: "string" }, ...WAIT },
    run: async (io, ctx) => {
      const dir = ctx.values.source as string | undefined;
      // Without --source the app keeps the code it has, so the spec may omit sources then too.
      const spec = await readSpec(io, ctx.values.spec as string | undefined, true);
      if (typeof spec === "number") return spec;
      const name = ctx.args[0] as string;
      const client = await ctx.client();
      const body = { spec, ...(await uploadSource(io, client, dir)) };
      const before = ctx.values.wait === true ? await deploymentIds(ctx, name) : new Set<string>();
      const { app } = await client.updateApp({ params: { app: name }, body });
      return showAppAndWait(io, ctx, app, before);
    },
  },
  delete: {
    usage: "slipway apps delete APP --force",
    args: 1,
    options: { force: { type: "boolean", short: "f" } },
    run: async (io, ctx) => {
      if (ctx.values.force !== true)
        throw new UsageError("slipway apps delete: add --force to delete the app and its deployments");
      const { id } = await (await ctx.client()).deleteApp({ params: { app: ctx.args[0] as string } });
      io.stdout(`deleted app ${id}\n`);
      return 0;
    },
  },
  propose: {
    usage:
      "slipway apps propose (--spec FILE [--app APP] | --source DIR|GIT_URL [--branch B] [--name NAME] [--repo GIT_URL])",
    args: 0,
    options: {
      spec: { type: "string" },
      app: { type: "string" },
      source: { type: "string" },
      branch: { type: "string" },
      name: { type: "string" },
      repo: { type: "string" },
    },
    run: async (io, ctx) => {
      if (typeof ctx.values.source === "string")
        return proposeFromSource(io, {
          source: ctx.values.source,
          branch: ctx.values.branch as string | undefined,
          name: ctx.values.name as string | undefined,
          repo: ctx.values.repo as string | undefined,
          format: ctx.format,
        });
      const spec = await readSpec(io, ctx.values.spec as string | undefined);
      if (typeof spec === "number") return spec;
      const appId = ctx.values.app as string | undefined;
      const proposal = await (await ctx.client()).proposeApp({
        body: appId === undefined ? { spec } : { spec, app_id: appId },
      });
      printAs(io, ctx.format === "table" ? "yaml" : ctx.format, proposal, () => undefined);
      return 0;
    },
  },
  "spec get": {
    usage: "slipway apps spec get APP [--deployment ID]",
    args: 1,
    options: { deployment: { type: "string" } },
    run: async (io, ctx) => {
      const app = ctx.args[0] as string;
      const id = ctx.values.deployment as string | undefined;
      const spec =
        id === undefined
          ? (await (await ctx.client()).getApp({ params: { app } })).app.spec
          : (await (await ctx.client()).getDeployment({ params: { app, deployment: id } })).deployment.spec;
      io.stdout(
        ctx.format === "json" ? `${JSON.stringify(spec, null, 2)}\n` : stringify(spec, { lineWidth: 0 }),
      );
      return 0;
    },
  },
  "create-deployment": {
    usage: "slipway apps create-deployment APP [--force-rebuild] [--wait]",
    args: 1,
    options: { "force-rebuild": { type: "boolean" }, ...WAIT },
    run: async (io, ctx) => {
      const app = ctx.args[0] as string;
      const body = { force_build: ctx.values["force-rebuild"] === true };
      const { deployment } = await (await ctx.client()).createDeployment({ params: { app }, body });
      showDeployment(io, ctx, deployment);
      return maybeWait(io, ctx, app, deployment.id);
    },
  },
  "list-deployments": {
    usage: "slipway apps list-deployments APP",
    args: 1,
    run: async (io, ctx) => {
      const { deployments } = await (await ctx.client()).listDeployments({
        params: { app: ctx.args[0] as string },
        query: {},
      });
      printAs(io, ctx.format, deployments, () => printDeployments(io, deployments));
      return 0;
    },
  },
  logs: {
    usage:
      "slipway apps logs APP [COMPONENT] [--type build|job_invocation] [--job-invocation ID] [--deployment ID] [--follow] [--tail N] [--no-prefix]",
    args: [1, 2],
    options: {
      type: { type: "string" },
      "job-invocation": { type: "string" },
      deployment: { type: "string" },
      follow: { type: "boolean", short: "f" },
      tail: { type: "string" },
      "no-prefix": { type: "boolean" },
    },
    run: async (io, ctx) => {
      const [app, component] = ctx.args as [string, string | undefined];
      return appsLogs(
        io,
        await ctx.client(),
        { app, ...(component === undefined ? {} : { component }), json: ctx.format === "json" },
        ctx.values as LogsValues,
      );
    },
  },
  "list-instances": {
    usage: "slipway apps list-instances APP",
    args: 1,
    run: async (io, ctx) => {
      const { instances } = await (await ctx.client()).listInstances({
        params: { app: ctx.args[0] as string },
      });
      printAs(io, ctx.format, instances, () =>
        printTable(
          io,
          ["Name", "Component", "Deployment", "Phase", "Ready", "Address", "Restarts"],
          instances.map((i) => [
            i.instance_name,
            i.component_name,
            i.deployment_id,
            i.draining ? `${i.phase} (draining)` : i.phase,
            i.ready ? "yes" : "no",
            i.address === undefined ? "" : `${i.address}:${i.port ?? ""}`,
            String(i.restarts),
          ]),
        ),
      );
      return 0;
    },
  },
  "get-deployment": oneDeploymentVerb("get-deployment", "getDeployment"),
  "cancel-deployment": oneDeploymentVerb("cancel-deployment", "cancelDeployment"),
  ...jobVerbs,
  rollback: {
    usage: "slipway apps rollback APP --deployment ID [--wait]",
    args: 1,
    options: { deployment: { type: "string" }, ...WAIT },
    run: async (io, ctx) => {
      const app = ctx.args[0] as string;
      const id = ctx.values.deployment;
      if (typeof id !== "string") throw new UsageError("slipway apps rollback: --deployment ID is required");
      const { deployment } = await (await ctx.client()).rollbackApp({
        params: { app },
        body: { deployment_id: id },
      });
      showDeployment(io, ctx, deployment);
      return maybeWait(io, ctx, app, deployment.id);
    },
  },
  restart: {
    usage: "slipway apps restart APP [--components a,b] [--wait]",
    args: 1,
    options: { components: { type: "string" }, ...WAIT },
    run: async (io, ctx) => {
      const app = ctx.args[0] as string;
      const list = ctx.values.components;
      const body = typeof list === "string" ? { components: list.split(",").filter((c) => c !== "") } : {};
      const { deployment } = await (await ctx.client()).restartApp({ params: { app }, body });
      showDeployment(io, ctx, deployment);
      return maybeWait(io, ctx, app, deployment.id);
    },
  },
};

/** The verbs, for help text. */
export const APPS_USAGE = Object.values(verbs).map((v) => v.usage);

/** `slipway apps VERB ...`. */
export async function appsCommand(io: CliIo, argv: string[]): Promise<number> {
  const twoWord = `${argv[0]} ${argv[1]}`;
  const name = verbs[twoWord] !== undefined ? twoWord : (argv[0] ?? "");
  const verb = verbs[name];
  if (verb === undefined) {
    throw new UsageError(
      `slipway apps: unknown verb "${argv[0] ?? ""}"; verbs: ${Object.keys(verbs).join(", ")}`,
    );
  }
  const rest = argv.slice(name.split(" ").length);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: { ...COMMON, ...verb.options },
  });
  const [min, max] = typeof verb.args === "number" ? [verb.args, verb.args] : verb.args;
  if (positionals.length < min || positionals.length > max)
    throw new UsageError(`usage: ${verb.usage} [-o table|json|yaml] [--context NAME]`);
  const format = outputFormat(values.output as string | undefined);
  if (format === undefined)
    throw new UsageError(`-o must be table, json or yaml, got "${String(values.output)}"`);
  let client: Promise<Client> | undefined;
  const lazy = () => {
    client ??= connect(io, values.context as string | undefined);
    return client;
  };
  return verb.run(io, { args: positionals, values: values as Values, format, client: lazy });
}
