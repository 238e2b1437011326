/**
 * Turns an instance's output chunks into lines for `onLine`, per stream.
 */

/** `push` chunks as they arrive; `flush` the unterminated rest when the process has ended. */
export function lineSplitter(onLine: ((stream: "stdout" | "stderr", line: string) => void) | undefined) {
  const partial = { stdout: "", stderr: "" };
  return {
    push: (stream: "stdout" | "stderr", chunk: Buffer) => {
      const text = partial[stream] + chunk.toString();
      const parts = text.split("\n");
      partial[stream] = parts.pop() ?? "";
      for (const line of parts) onLine?.(stream, line);
    },
    flush: () => {
      for (const stream of ["stdout", "stderr"] as const) {
        if (partial[stream] !== "") onLine?.(stream, partial[stream]);
        partial[stream] = "";
      }
    },
  };
}
