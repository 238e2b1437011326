/**
 * Log entries on the wire: several streams (one per build or job run) merged in arrival order
 * into one NDJSON response, shared by the BUILD and JOB_INVOCATION logs.
 */

/** Merges several async streams into one, in arrival order. */
export async function* merge<T>(streams: AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) => {
    const it = iterators[index] as AsyncIterator<T>;
    pending.set(
      index,
      it.next().then((result) => ({ index, result })),
    );
  };
  for (let i = 0; i < iterators.length; i++) pull(i);
  while (pending.size > 0) {
    const { index, result } = await Promise.race(pending.values());
    if (result.done === true) pending.delete(index);
    else {
      pull(index);
      yield result.value;
    }
  }
}

/**
 * A 200 NDJSON response of the merged `streams`; `abort` ends following streams when the client
 * goes away (and an error after an abort just ends the response).
 */
export function ndjsonResponse(streams: AsyncIterable<unknown>[], abort: AbortController): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for await (const entry of merge(streams))
          controller.enqueue(encoder.encode(`${JSON.stringify(entry)}\n`));
        controller.close();
      } catch (err) {
        if (abort.signal.aborted) controller.close();
        else controller.error(err);
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/x-ndjson" } });
}
