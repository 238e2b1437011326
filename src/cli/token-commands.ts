/**
 * `slipway token create --user NAME --role owner|member|viewer [--team TEAM]`: creates a token
 * and prints its secret once.
 */
import { parseArgs } from "node:util";
import { connect } from "./connect.js";
import { type CliIo, UsageError } from "./io.js";

const ROLES = ["owner", "member", "viewer"] as const;

/** `slipway token create`. */
export async function tokenCreate(io: CliIo, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      user: { type: "string" },
      role: { type: "string" },
      team: { type: "string" },
      description: { type: "string" },
      context: { type: "string" },
      output: { type: "string", short: "o" },
    },
  });
  const role = values.role as (typeof ROLES)[number] | undefined;
  if (values.user === undefined || role === undefined || !ROLES.includes(role)) {
    throw new UsageError("usage: slipway token create --user NAME --role owner|member|viewer [--team TEAM]");
  }
  const client = await connect(io, values.context);
  const body = {
    user: values.user,
    role,
    ...(values.team === undefined ? {} : { team: values.team }),
    ...(values.description === undefined ? {} : { description: values.description }),
  };
  const created = await client.createToken({ body });
  if (values.output === "json") io.stdout(`${JSON.stringify(created, null, 2)}\n`);
  else io.stdout(`${created.secret}\n`);
  return 0;
}
