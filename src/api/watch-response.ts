/**
 * `?watch=true`: a newline-delimited JSON stream of `{type, object}` events. It starts with an
 * ADDED event for every existing object (so a client that watches right after a write cannot miss
 * it), then follows `store.watch` from the list's resourceVersion, until the client goes away.
 */
import type { Resource } from "../resources/index.js";
import type { Store } from "../store/index.js";

/** Options of `watchResponse`. */
export interface WatchResponseOptions<R extends Resource, J> {
  store: Store;
  kind: R["kind"];
  namespace: string;
  labelSelector?: string;
  /** Objects to leave out (e.g. deployments of an earlier app of the same name). */
  include?: (object: R) => boolean;
  toJson: (object: R) => Promise<J>;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  /** Orders the initial ADDED events; store order when omitted. */
  sort?: (a: R, b: R) => number;
}

/** A streaming Response of watch events; the watch ends when the client disconnects or the stream is canceled. */
export function watchResponse<R extends Resource, J>(options: WatchResponseOptions<R, J>): Response {
  const abort = new AbortController();
  const stop = () => abort.abort();
  if (options.signal.aborted) stop();
  else options.signal.addEventListener("abort", stop, { once: true });
  const encoder = new TextEncoder();
  const include = options.include ?? (() => true);
  const selector = options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = async (type: string, object: R) => {
        if (!include(object)) return;
        const line = JSON.stringify({ type, object: await options.toJson(object) });
        controller.enqueue(encoder.encode(`${line}\n`));
      };
      const pump = async () => {
        const list = await options.store.list<R>(options.kind, { namespace: options.namespace, ...selector });
        const items = options.sort === undefined ? list.items : [...list.items].sort(options.sort);
        for (const item of items) await send("ADDED", item);
        const events = options.store.watch<R>(options.kind, {
          namespace: options.namespace,
          ...selector,
          resourceVersion: list.resourceVersion,
          signal: abort.signal,
        });
        for await (const event of events) {
          if (event.type !== "BOOKMARK") await send(event.type, event.object);
        }
      };
      const finish = (err?: unknown) => {
        try {
          if (err === undefined || abort.signal.aborted) controller.close();
          else controller.error(err);
        } catch {
          // Already closed: the client canceled the stream.
        }
      };
      pump().then(() => finish(), finish);
    },
    cancel: stop,
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "application/x-ndjson", "cache-control": "no-store" },
  });
}
