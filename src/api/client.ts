/**
 * The typed API client the CLI uses: one method per route of the route table, its input and
 * output typed from the route's schemas. Errors come back as `SlipwayError`s with the server's
 * code and details.
 */
import { type ErrorDetail, SlipwayError } from "../resources/index.js";
import { codeOfStatus } from "./error-response.js";
import {
  fillPath,
  type InputOf,
  type RawBodyRoute,
  type ResponseOf,
  type RouteDef,
  type RouteName,
  type Routes,
  routes,
  type StreamRoute,
  type WatchableRoute,
  type WatchItemOf,
} from "./routes.js";

/** Options of `createClient`. */
export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:8080` (no trailing path). */
  baseUrl: string;
  /** A bearer token; requests are sent without Authorization when omitted. */
  token?: string;
  /** The fetch to use; default the global `fetch`. */
  fetch?: typeof fetch;
}

/** One watch event. */
export interface WatchEventOf<T> {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: T;
}

/** The client: a method per route, plus `watch` for list routes that support `?watch=true`. */
export type Client = {
  [K in Exclude<RouteName, StreamRoute | RawBodyRoute>]: (
    input: InputOf<Routes[K]>,
  ) => Promise<ResponseOf<Routes[K]>>;
} & {
  /** Uploads a source folder's .tar.gz (POST /v1/sources). */
  uploadSource(archive: Uint8Array): Promise<ResponseOf<Routes["createSource"]>>;
  /** Reads an NDJSON route line by line until `signal` aborts or the server ends the stream. */
  stream<K extends StreamRoute>(
    name: K,
    input: InputOf<Routes[K]>,
    signal?: AbortSignal,
  ): AsyncIterable<ResponseOf<Routes[K]>>;
  /** Streams the events of a list route until `signal` aborts or the server ends the stream. */
  watch<K extends WatchableRoute>(
    name: K,
    input: InputOf<Routes[K]>,
    signal?: AbortSignal,
  ): AsyncIterable<WatchEventOf<WatchItemOf<Routes[K]>>>;
};

interface LooseInput {
  params?: Record<string, string> | undefined;
  query?: Record<string, string | undefined> | undefined;
  body?: unknown;
}

async function failure(response: Response): Promise<SlipwayError> {
  const text = await response.text();
  let body: { id?: unknown; message?: unknown; details?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not one of our error bodies (a proxy's page, say): keep the status.
  }
  const message =
    typeof body.message === "string" ? body.message : `HTTP ${response.status}: ${text.slice(0, 200)}`;
  const details = Array.isArray(body.details) ? (body.details as ErrorDetail[]) : [];
  return new SlipwayError(codeOfStatus(response.status, body.id), message, { details });
}

async function* lines(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== "") yield line;
      newline = buffered.indexOf("\n");
    }
  }
  if (buffered.trim() !== "") yield buffered.trim();
}

/** Creates a client. Nothing is sent until a method is called. */
export function createClient(options: ClientOptions): Client {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, "");
  const send = async (
    route: RouteDef,
    input: LooseInput,
    extraQuery: Record<string, string>,
    signal?: AbortSignal,
  ) => {
    const url = new URL(base + fillPath(route.path, input.params));
    for (const [k, v] of Object.entries({ ...input.query, ...extraQuery }))
      if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const init: RequestInit = { method: route.method, headers };
    if (route.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(input.body ?? {});
    }
    if (signal !== undefined) init.signal = signal;
    const response = await doFetch(url, init);
    if (!response.ok) throw await failure(response);
    return response;
  };
  const client: Record<string, unknown> = {};
  for (const [name, route] of Object.entries(routes) as [RouteName, RouteDef][]) {
    client[name] = async (input: LooseInput = {}) => (await send(route, input, {})).json();
  }
  client.uploadSource = async (archive: Uint8Array) => {
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": "application/gzip",
    };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const url = new URL(base + routes.createSource.path);
    const response = await doFetch(url, { method: "POST", headers, body: archive });
    if (!response.ok) throw await failure(response);
    return response.json();
  };
  client.stream = async function* (name: RouteName, input: LooseInput, signal?: AbortSignal) {
    try {
      const response = await send(routes[name], input, {}, signal);
      if (response.body === null) return;
      for await (const line of lines(response.body)) yield JSON.parse(line);
    } catch (err) {
      if (signal?.aborted !== true) throw err;
    }
  };
  client.watch = async function* (name: RouteName, input: LooseInput, signal?: AbortSignal) {
    try {
      const response = await send(routes[name], input, { watch: "true" }, signal);
      if (response.body === null) return;
      for await (const line of lines(response.body)) yield JSON.parse(line);
    } catch (err) {
      // Aborting is how a caller stops watching: end the stream quietly.
      if (signal?.aborted !== true) throw err;
    }
  };
  return client as Client;
}
