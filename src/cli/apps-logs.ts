/**
 * `slipway apps logs APP [COMPONENT]`: doctl's verb. Prints `<component> <time> <text>` per line
 * (`--no-prefix` drops the first two), or the entries as JSON lines with `-o json`.
 */
import type { Client } from "../api/index.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";

/** The options of the logs verb, as parsed. */
export interface LogsValues {
  type?: string;
  "job-invocation"?: string;
  deployment?: string;
  follow?: boolean;
  tail?: string;
  "no-prefix"?: boolean;
}

const TYPES = ["build", "deploy", "run", "run_restarted", "job_invocation"] as const;

/** Runs the verb: streams the entries from the API until the server ends the stream. */
export async function appsLogs(
  io: CliIo,
  client: Client,
  args: { app: string; component?: string; json: boolean },
  values: LogsValues,
): Promise<number> {
  // No --type: the server picks BUILD, or JOB_INVOCATION for a job that ran (ADR 0025).
  const type = values.type?.toLowerCase();
  if (type !== undefined && !(TYPES as readonly string[]).includes(type))
    throw new UsageError(`--type must be one of ${TYPES.join(", ")}, got "${values.type}"`);
  const tail = values.tail;
  if (tail !== undefined && !/^-?\d{1,9}$/.test(tail))
    throw new UsageError(`--tail must be a number, got "${tail}"`);
  const query = {
    ...(type === undefined
      ? {}
      : { type: type.toUpperCase() as "BUILD" | "DEPLOY" | "RUN" | "RUN_RESTARTED" | "JOB_INVOCATION" }),
    ...(values["job-invocation"] === undefined ? {} : { job_invocation: values["job-invocation"] }),
    ...(values.deployment === undefined ? {} : { deployment: values.deployment }),
    ...(args.component === undefined ? {} : { component_name: args.component }),
    ...(values.follow === true ? { follow: "true" as const } : {}),
    ...(tail === undefined ? {} : { tail_lines: tail }),
  };
  for await (const entry of client.stream("getLogs", { params: { app: args.app }, query })) {
    if (args.json) io.stdout(`${JSON.stringify(entry)}\n`);
    else if (values["no-prefix"] === true) io.stdout(`${entry.text}\n`);
    else io.stdout(`${entry.component} ${entry.at} ${entry.text}\n`);
  }
  return 0;
}
