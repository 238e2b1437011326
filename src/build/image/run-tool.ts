/**
 * Runs one image tool (buildah, skopeo, umoci) to completion: output split into lines, masked,
 * streamed to a log and kept as a tail for error messages; stdout optionally captured; the whole
 * process group killed when the signal aborts (buildah starts runtimes of its own).
 */
import { spawn } from "node:child_process";
import { createLineSplitter } from "../lifecycle/index.js";

/** Options of {@link runTool}. */
export interface RunToolOptions {
  command: string;
  args: readonly string[];
  /** The child's whole environment. */
  env: Readonly<Record<string, string>>;
  /** Aborting kills the process group (SIGKILL). */
  signal?: AbortSignal;
  /** Applied to every line before it is logged or kept. */
  mask: (line: string) => string;
  /** Receives each masked line of stdout and stderr. */
  log?: (line: string) => void;
  /** Capture stdout as text instead of logging it (for JSON answers). Default false. */
  captureStdout?: boolean;
  /** How many last lines to keep; default 40. */
  tailLines?: number;
}

/** How a tool ended. */
export interface ToolResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** True when the run was ended by `signal`. */
  aborted: boolean;
  /** The last masked lines of output (stdout and stderr, unless stdout was captured). */
  tail: string[];
  /** Stdout, when captured. */
  stdout: string;
}

/** Runs the tool; rejects only when it cannot be started. */
export function runTool(options: RunToolOptions): Promise<ToolResult> {
  const keep = options.tailLines ?? 40;
  const tail: string[] = [];
  const onLine = (line: string) => {
    const masked = options.mask(line);
    options.log?.(masked);
    tail.push(masked);
    if (tail.length > keep) tail.shift();
  };
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ code: null, aborted: true, tail, stdout: "" });
      return;
    }
    const child = spawn(options.command, [...options.args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...options.env },
      detached: true,
    });
    let stdout = "";
    let aborted = false;
    const err = createLineSplitter(onLine);
    const out = createLineSplitter(onLine);
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.stdout.on("data", (c: Buffer) => {
      if (options.captureStdout === true) stdout += c.toString("utf8");
      else out.push(c);
    });
    const kill = () => {
      aborted = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    options.signal?.addEventListener("abort", kill, { once: true });
    child.on("error", (e) => {
      options.signal?.removeEventListener("abort", kill);
      reject(new Error(`cannot start ${options.command}: ${e.message}`, { cause: e }));
    });
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", kill);
      err.flush();
      out.flush();
      resolve({ code, aborted, tail, stdout });
    });
  });
}
