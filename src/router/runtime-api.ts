/**
 * A small client for HAProxy's runtime API (the admin-level stats socket). One command per
 * connection: write it, read until HAProxy closes the socket. HAProxy reports errors as text on
 * an otherwise successful exchange; the helpers recognise them and throw SlipwayError.
 */
import { createConnection } from "node:net";
import { SlipwayError } from "../resources/index.js";
import { slotName } from "./haproxy-config.js";

/** Options of {@link createRuntimeApi}. */
export interface RuntimeApiOptions {
  /** The UNIX socket of `stats socket ... level admin`. */
  socketPath: string;
  /** Gives up on one command after this long. Default 5000 ms. */
  timeoutMs?: number;
}

/** One server slot as `show servers state` reports it. */
export interface ServerState {
  /** The backend (`be_name`). */
  backend: string;
  name: string;
  addr: string;
  port: number;
  /** 0 stopped, 1 starting, 2 running, 3 stopping (HAProxy's srv_op_state). */
  opState: number;
  /** Bit field: 0x01 forced maintenance, 0x08 forced drain, ... (HAProxy's srv_admin_state). */
  adminState: number;
  weight: number;
}

/** The runtime API of one HAProxy process. Slots are 1-based (`s1` ...). */
export interface RuntimeApi {
  /** Sends one raw command and returns HAProxy's whole answer. Throws `unavailable` on socket failures. */
  command(cmd: string): Promise<string>;
  /** Points a slot at an instance (address and port); the slot's state is unchanged. */
  setServer(backend: string, slot: number, addr: string, port: number): Promise<void>;
  /** Puts a slot in service (state ready). */
  enableServer(backend: string, slot: number): Promise<void>;
  /**
   * Marks a slot's health UP at once (`set server ... health up`) instead of after HAProxy's own
   * `rise` checks (about 4 s); its checks still take it down if they fail.
   */
  markServerUp(backend: string, slot: number): Promise<void>;
  /** Sends a slot no new traffic; requests in flight finish. */
  drainServer(backend: string, slot: number): Promise<void>;
  /** Takes a slot out of service (maintenance). */
  disableServer(backend: string, slot: number): Promise<void>;
  /** Sets a slot's weight (0-256). */
  setWeight(backend: string, slot: number, weight: number): Promise<void>;
  /** Appends an entry to a map file named as in the configuration. */
  addMapEntry(map: string, key: string, value: string): Promise<void>;
  /** Removes every entry with `key` from a map; a missing key is `invalid_argument` with HAProxy's text. */
  delMapEntry(map: string, key: string): Promise<void>;
  /** The backend's server slots. */
  showServers(backend: string): Promise<ServerState[]>;
  /**
   * Sends one command with a multi-line payload (`cmd <<` + lines + an empty line), as
   * `set ssl cert` takes a PEM. The payload may not contain an empty line (it would end it).
   */
  commandWithPayload(cmd: string, payload: string): Promise<string>;
}

/** Creates a client; it opens no connection until a command is sent. */
export function createRuntimeApi(options: RuntimeApiOptions): RuntimeApi {
  const command = (cmd: string) => sendCommand(options.socketPath, cmd, options.timeoutMs ?? 5000);
  const silent = async (cmd: string) => expectAnswer(cmd, await command(cmd), /^$/);
  const server = (backend: string, slot: number) => `${backend}/${slotName(slot)}`;
  return {
    command,
    setServer: async (backend, slot, addr, port) => {
      const cmd = `set server ${server(backend, slot)} addr ${addr} port ${port}`;
      expectAnswer(cmd, await command(cmd), /changed|no need to change/i);
    },
    enableServer: (backend, slot) => silent(`set server ${server(backend, slot)} state ready`),
    markServerUp: (backend, slot) => silent(`set server ${server(backend, slot)} health up`),
    drainServer: (backend, slot) => silent(`set server ${server(backend, slot)} state drain`),
    disableServer: (backend, slot) => silent(`set server ${server(backend, slot)} state maint`),
    setWeight: (backend, slot, weight) => silent(`set server ${server(backend, slot)} weight ${weight}`),
    addMapEntry: (map, key, value) => silent(`add map ${map} ${key} ${value}`),
    delMapEntry: (map, key) => silent(`del map ${map} ${key}`),
    commandWithPayload: (cmd, payload) =>
      sendCommand(options.socketPath, cmd, options.timeoutMs ?? 5000, payload),
    showServers: async (backend) => {
      const cmd = `show servers state ${backend}`;
      const answer = await command(cmd);
      expectAnswer(cmd, answer, /^1\n/);
      return parseServersState(answer);
    },
  };
}

function expectAnswer(cmd: string, answer: string, ok: RegExp): void {
  const text = answer.trim();
  if (ok.test(text)) return;
  throw new SlipwayError("invalid_argument", `haproxy refused "${cmd}": ${text || "(no answer)"}`);
}

/**
 * Sends one command over the socket and resolves with everything HAProxy wrote before closing.
 * With `payload`, the command is sent as `cmd <<`, then the payload's lines, then an empty line.
 */
export function sendCommand(
  socketPath: string,
  cmd: string,
  timeoutMs: number,
  payload?: string,
): Promise<string> {
  if (/[\r\n;]/.test(cmd)) {
    return Promise.reject(
      new SlipwayError("invalid_argument", `runtime API command must be one line: ${cmd}`),
    );
  }
  const body = payload?.replace(/\r\n/g, "\n").trimEnd();
  if (body !== undefined && (body === "" || /\n\s*\n/.test(body))) {
    return Promise.reject(
      new SlipwayError("invalid_argument", `runtime API payload for "${cmd}" is empty or has an empty line`),
    );
  }
  const text = body === undefined ? `${cmd}\n` : `${cmd} <<\n${body}\n\n`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(socketPath);
    const fail = (err: Error) => {
      socket.destroy();
      reject(
        new SlipwayError("unavailable", `haproxy runtime API ${socketPath}: ${err.message}`, { cause: err }),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer to "${cmd}" within ${timeoutMs} ms`)));
    socket.on("connect", () => socket.end(text));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", fail);
    socket.on("close", (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

/** Parses `show servers state` (format version 1) into slots, by the names in its header line. */
export function parseServersState(answer: string): ServerState[] {
  const lines = answer.split("\n").filter((l) => l.trim() !== "");
  const header =
    lines
      .find((l) => l.startsWith("# "))
      ?.slice(2)
      .split(" ") ?? [];
  const col = (fields: readonly string[], name: string) => fields[header.indexOf(name)] ?? "";
  return lines
    .filter((l) => l !== "1" && !l.startsWith("#"))
    .map((l) => l.split(" "))
    .map((f) => ({
      backend: col(f, "be_name"),
      name: col(f, "srv_name"),
      addr: col(f, "srv_addr"),
      port: Number(col(f, "srv_port")),
      opState: Number(col(f, "srv_op_state")),
      adminState: Number(col(f, "srv_admin_state")),
      weight: Number(col(f, "srv_uweight")),
    }));
}
