/**
 * The CLI's contexts: named servers with their tokens, kept in a YAML file (mode 0600) at
 * `$SLIPWAY_CONFIG`, else `$XDG_CONFIG_HOME/slipway/config.yaml`, else
 * `~/.config/slipway/config.yaml`. `SLIPWAY_URL` and `SLIPWAY_TOKEN` override the file.
 */
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { CliIo } from "./io.js";

/** One server the CLI can talk to. */
export interface Context {
  name: string;
  url: string;
  token: string;
}

/** The config file. */
export interface CliConfig {
  currentContext?: string;
  contexts: Context[];
}

/** Where the config file lives for this environment. */
export function configPath(env: CliIo["env"]): string {
  if (env.SLIPWAY_CONFIG) return env.SLIPWAY_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || "/root", ".config");
  return join(base, "slipway", "config.yaml");
}

/** Reads the config; an absent file is an empty config. A malformed one is an error naming the file. */
export async function readConfig(io: CliIo): Promise<CliConfig> {
  const path = configPath(io.env);
  let text: string;
  try {
    text = Buffer.from(await io.readFile(path)).toString("utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { contexts: [] };
    throw err;
  }
  const raw = (parse(text) ?? {}) as { "current-context"?: unknown; contexts?: unknown };
  const contexts = Array.isArray(raw.contexts) ? raw.contexts : [];
  const valid = contexts.filter(
    (c): c is Context =>
      typeof c === "object" &&
      c !== null &&
      ["name", "url", "token"].every((k) => typeof (c as Record<string, unknown>)[k] === "string"),
  );
  if (valid.length !== contexts.length) throw new Error(`${path}: every context needs name, url and token`);
  const current = typeof raw["current-context"] === "string" ? raw["current-context"] : undefined;
  return current === undefined ? { contexts: valid } : { currentContext: current, contexts: valid };
}

/** Writes the config with mode 0600 (it holds tokens). */
export async function writeConfig(io: CliIo, config: CliConfig): Promise<string> {
  const path = configPath(io.env);
  const doc = { "current-context": config.currentContext, contexts: config.contexts };
  await io.writeFile(path, stringify(doc), 0o600);
  return path;
}

/**
 * The server and token to use: `SLIPWAY_URL`/`SLIPWAY_TOKEN` when set, else the named context,
 * else the current context. Throws a message that says how to configure one when there is none.
 */
export async function resolveServer(
  io: CliIo,
  contextName?: string,
): Promise<{ url: string; token: string }> {
  const config = await readConfig(io);
  const name = contextName ?? config.currentContext;
  const ctx = config.contexts.find((c) => c.name === name);
  if (contextName !== undefined && ctx === undefined) {
    throw new Error(`no context named "${contextName}" in ${configPath(io.env)}; see \`slipway auth list\``);
  }
  const url = io.env.SLIPWAY_URL || ctx?.url;
  const token = io.env.SLIPWAY_TOKEN || ctx?.token;
  if (url === undefined || token === undefined) {
    throw new Error(
      "no Slipway server configured: run `slipway auth init --url URL --token-file FILE`, or set SLIPWAY_URL and SLIPWAY_TOKEN",
    );
  }
  return { url: url.replace(/\/+$/, ""), token };
}
