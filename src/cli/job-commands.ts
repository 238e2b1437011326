/**
 * `slipway apps list-job-invocations | get-job-invocation | cancel-job-invocation`, as doctl's
 * `lsji`, `gji` and `cji` (reference section 4).
 */
import type { JobInvocationJson } from "../api/index.js";
import type { Verb } from "./apps-commands.js";
import type { CliIo } from "./io.js";
import { printAs, printTable } from "./output.js";

function printInvocations(io: CliIo, invocations: JobInvocationJson[]): void {
  printTable(
    io,
    ["ID", "Job", "Deployment", "Trigger", "Phase", "Scheduled", "Started", "Completed", "Exit"],
    invocations.map((i) => [
      i.id,
      i.job_name,
      i.deployment_id,
      i.trigger.type,
      i.phase,
      i.scheduled_at,
      i.started_at ?? "",
      i.completed_at ?? "",
      i.exit_code === undefined ? "" : String(i.exit_code),
    ]),
  );
}

function oneInvocationVerb(verb: string, route: "getJobInvocation" | "cancelJobInvocation"): Verb {
  return {
    usage: `slipway apps ${verb} APP INVOCATION`,
    args: 2,
    run: async (io, ctx) => {
      const [app, invocation] = ctx.args as [string, string];
      const { job_invocation } = await (await ctx.client())[route]({ params: { app, invocation } });
      printAs(io, ctx.format, job_invocation, () => printInvocations(io, [job_invocation]));
      return 0;
    },
  };
}

/** The job invocation verbs, merged into the `slipway apps` verb table. */
export const jobVerbs: Record<string, Verb> = {
  "list-job-invocations": {
    usage: "slipway apps list-job-invocations APP [--job-name JOB] [--deployment ID]",
    args: 1,
    options: { "job-name": { type: "string" }, deployment: { type: "string" } },
    run: async (io, ctx) => {
      const job = ctx.values["job-name"];
      const deployment = ctx.values.deployment;
      const { job_invocations } = await (await ctx.client()).listJobInvocations({
        params: { app: ctx.args[0] as string },
        query: {
          ...(typeof job === "string" ? { job_name: job } : {}),
          ...(typeof deployment === "string" ? { deployment } : {}),
        },
      });
      printAs(io, ctx.format, job_invocations, () => printInvocations(io, job_invocations));
      return 0;
    },
  },
  "get-job-invocation": oneInvocationVerb("get-job-invocation", "getJobInvocation"),
  "cancel-job-invocation": oneInvocationVerb("cancel-job-invocation", "cancelJobInvocation"),
};
