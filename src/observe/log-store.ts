/**
 * Log streams kept on disk: one file per stream (a build, later an instance), one line per entry
 * as `<RFC 3339 time> <text>`. Appends are synchronous writes, so a line a build printed in its
 * first second is on disk before anything else happens, and survives the build failing or the
 * server stopping. Followers in the same process are woken on each append.
 */
import { EventEmitter } from "node:events";
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

/**
 * The log types of DigitalOcean's API (reference 3.3) that Slipway keeps. JOB_INVOCATION streams
 * are named by the JobInvocation (one run of a job).
 */
export type LogType = "BUILD" | "DEPLOY" | "RUN" | "RUN_RESTARTED" | "JOB_INVOCATION";

/** Names one stream: a build's (`name` = the Build's name) or an instance's. */
export interface LogStreamId {
  namespace: string;
  type: LogType;
  name: string;
}

/** One entry. */
export interface LogEntry {
  /** RFC 3339 time the line was appended. */
  at: string;
  text: string;
}

/** Options of {@link LogStore.read} and {@link LogStore.follow}. */
export interface ReadLogOptions {
  /** Only the last N entries that exist when reading starts; default all. */
  tailLines?: number;
}

/** Options of {@link LogStore.follow}. */
export interface FollowLogOptions extends ReadLogOptions {
  /** Ends the follow (the iterator returns). */
  signal: AbortSignal;
  /**
   * Asked whenever the stream has been quiet for `pollMs`; true ends the follow once everything
   * written so far was delivered (e.g. the build finished).
   */
  isDone: () => Promise<boolean>;
  /** Default 500 ms. */
  pollMs?: number;
}

/** Where log lines go and come from. */
export interface LogStore {
  /** Appends one line (a trailing newline is not expected; embedded ones are split). */
  append(id: LogStreamId, text: string): void;
  /** The entries of a stream; none when it does not exist. */
  read(id: LogStreamId, options?: ReadLogOptions): Promise<LogEntry[]>;
  /** The existing entries, then new ones as they are appended, until `isDone` or the signal. */
  follow(id: LogStreamId, options: FollowLogOptions): AsyncIterable<LogEntry>;
  /** A stable reference to the stream (recorded in resources' `logRef`). */
  ref(id: LogStreamId): string;
  /** Closes open files. */
  close(): void;
}

/** Options of {@link createFileLogStore}. */
export interface FileLogStoreOptions {
  /** Folder of the log files (`<namespace>/<type>/<name>.log`). */
  root: string;
  /** Default the system clock. */
  now?: () => Date;
  /** Bytes after which a stream keeps no more lines (one notice says so); default 16 MiB. */
  maxBytes?: number;
}

const SAFE = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const MAX_OPEN_FILES = 64;

function checkName(what: string, value: string): void {
  if (!SAFE.test(value)) throw new Error(`log stream ${what} "${value}" is not a safe file name`);
}

/** Parses one stored line; a line without a time (never written by us) keeps its text. */
function parseLine(line: string): LogEntry {
  const space = line.indexOf(" ");
  return space > 0 ? { at: line.slice(0, space), text: line.slice(space + 1) } : { at: "", text: line };
}

/** Reads `path` from byte `offset`; returns complete lines and the offset after the last one. */
async function readFrom(path: string, offset: number): Promise<{ lines: string[]; offset: number }> {
  const handle = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (handle === undefined) return { lines: [], offset };
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { lines: [], offset };
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return { lines: [], offset };
    const lines = buffer.subarray(0, end).toString("utf8").split("\n");
    return { lines, offset: offset + end + 1 };
  } finally {
    await handle.close();
  }
}

/** A LogStore in files under `options.root`. */
export function createFileLogStore(options: FileLogStoreOptions): LogStore {
  const now = options.now ?? (() => new Date());
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const files = new Map<string, { fd: number; bytes: number; full: boolean }>();
  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  const pathOf = (id: LogStreamId) => {
    checkName("namespace", id.namespace);
    checkName("name", id.name);
    return join(options.root, id.namespace, id.type, `${id.name}.log`);
  };
  const fileOf = (path: string) => {
    let file = files.get(path);
    if (file === undefined) {
      mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
      const fd = openSync(path, "a", 0o600);
      const bytes = fstatSync(fd).size;
      file = { fd, bytes, full: bytes >= maxBytes };
      files.set(path, file);
      // Keep a bounded number of files open: the least recently opened one is closed first.
      for (const [other, open] of files) {
        if (files.size <= MAX_OPEN_FILES) break;
        closeSync(open.fd);
        files.delete(other);
      }
    }
    return file;
  };
  return {
    append(id, text) {
      const path = pathOf(id);
      const file = fileOf(path);
      if (file.full) return;
      const at = now().toISOString();
      let out = text
        .split(/\r?\n/)
        .map((line) => `${at} ${line}\n`)
        .join("");
      if (file.bytes + out.length > maxBytes) {
        out = `${at} [log truncated: this stream keeps at most ${maxBytes} bytes]\n`;
        file.full = true;
      }
      file.bytes += writeSync(file.fd, out);
      appended.emit(path);
    },
    async read(id, readOptions = {}) {
      const { lines } = await readFrom(pathOf(id), 0);
      const tail = readOptions.tailLines;
      return (tail === undefined || tail < 0 ? lines : lines.slice(-tail)).map(parseLine);
    },
    follow(id, followOptions) {
      const path = pathOf(id);
      const pollMs = followOptions.pollMs ?? 500;
      return {
        async *[Symbol.asyncIterator]() {
          const { signal } = followOptions;
          let wake: (() => void) | undefined;
          const onAppend = () => wake?.();
          appended.on(path, onAppend);
          signal.addEventListener("abort", onAppend);
          try {
            const first = await readFrom(path, 0);
            let offset = first.offset;
            const tail = followOptions.tailLines;
            const initial = tail === undefined || tail < 0 ? first.lines : first.lines.slice(-tail);
            for (const line of initial) yield parseLine(line);
            while (!signal.aborted) {
              const woke = await new Promise<boolean>((resolve) => {
                const timer = setTimeout(() => resolve(false), pollMs);
                wake = () => {
                  clearTimeout(timer);
                  resolve(true);
                };
              });
              wake = undefined;
              const next = await readFrom(path, offset);
              offset = next.offset;
              for (const line of next.lines) yield parseLine(line);
              if (!woke && next.lines.length === 0 && (await followOptions.isDone())) {
                // Lines appended between the read and isDone's answer are delivered too.
                const last = await readFrom(path, offset);
                for (const line of last.lines) yield parseLine(line);
                return;
              }
            }
          } finally {
            appended.off(path, onAppend);
            signal.removeEventListener("abort", onAppend);
          }
        },
      };
    },
    ref(id) {
      return `${id.type.toLowerCase()}/${id.namespace}/${id.name}`;
    },
    close() {
      for (const file of files.values()) closeSync(file.fd);
      files.clear();
    },
  };
}
