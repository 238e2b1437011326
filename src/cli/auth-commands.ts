/**
 * `slipway auth init|switch|list`: named contexts (server URL + token) in the CLI's config file.
 */
import { parseArgs } from "node:util";
import { type Context, readConfig, writeConfig } from "./config.js";
import { type CliIo, UsageError } from "./io.js";
import { describeFetchError } from "./reach.js";

/** `slipway auth init --url URL (--token T | --token-file F) [--context NAME]`: checks the token, saves the context, makes it current. */
export async function authInit(io: CliIo, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      context: { type: "string" },
    },
  });
  if (values.url === undefined)
    throw new UsageError("slipway auth init: --url is required (e.g. http://127.0.0.1:8420)");
  if ((values.token === undefined) === (values["token-file"] === undefined)) {
    throw new UsageError("slipway auth init: give exactly one of --token or --token-file");
  }
  const token =
    values.token ??
    Buffer.from(await io.readFile(values["token-file"] as string))
      .toString("utf8")
      .trim();
  const url = values.url.replace(/\/+$/, "");
  let res: Response;
  try {
    res = await io.fetch(`${url}/v1/apps`, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    io.stderr(`${describeFetchError(url, err)}\n`);
    return 1;
  }
  if (res.status === 401) {
    io.stderr(
      `the server at ${url} refused the token (401); check it or create one with \`slipway token create\`\n`,
    );
    return 1;
  }
  if (!res.ok) {
    io.stderr(`the server at ${url} answered ${res.status}; is it a Slipway server?\n`);
    return 1;
  }
  const name = values.context ?? "default";
  const config = await readConfig(io);
  const context: Context = { name, url, token };
  const contexts = [...config.contexts.filter((c) => c.name !== name), context];
  const path = await writeConfig(io, { currentContext: name, contexts });
  io.stdout(`context "${name}" (${url}) saved to ${path} and made current\n`);
  return 0;
}

/** `slipway auth switch NAME`. */
export async function authSwitch(io: CliIo, argv: string[]): Promise<number> {
  const [name, ...extra] = argv;
  if (name === undefined || extra.length > 0) throw new UsageError("usage: slipway auth switch NAME");
  const config = await readConfig(io);
  if (!config.contexts.some((c) => c.name === name)) {
    const known = config.contexts.map((c) => c.name).join(", ") || "none";
    io.stderr(`no context named "${name}" (known: ${known})\n`);
    return 1;
  }
  await writeConfig(io, { ...config, currentContext: name });
  io.stdout(`now using context "${name}"\n`);
  return 0;
}

/** `slipway auth list`: contexts, the current one marked with `*`. Tokens are never printed. */
export async function authList(io: CliIo, argv: string[]): Promise<number> {
  if (argv.length > 0) throw new UsageError("usage: slipway auth list");
  const config = await readConfig(io);
  for (const c of config.contexts)
    io.stdout(`${c.name === config.currentContext ? "*" : " "} ${c.name}\t${c.url}\n`);
  if (config.contexts.length === 0) io.stdout("no contexts; run `slipway auth init`\n");
  return 0;
}
