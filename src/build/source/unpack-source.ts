/**
 * Unpacks an uploaded gzip'd tarball into an empty folder, refusing anything that could write
 * outside it or exhaust the disk. Entries are checked one by one as the stream is read; the first
 * refused entry stops the read, and the folder is removed.
 */
import {
  closeSync,
  constants,
  createWriteStream,
  fchmodSync,
  mkdirSync,
  openSync,
  symlinkSync,
  type WriteStream,
  writeSync,
} from "node:fs";
import { mkdir, readdir, realpath, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { SlipwayError } from "../../resources/index.js";
import { normalizeRelativePath } from "./relative-path.js";
import { checkTreeLinks, isInside } from "./tree-links.js";

/** Limits of `unpackSource`; every field is optional. */
export interface UnpackLimits {
  /** Most entries (files, folders, links); default 50000. */
  maxEntries?: number;
  /** Most bytes of file content in total; default 512 MiB. */
  maxBytes?: number;
}

/** The defaults of `UnpackLimits`. */
export const UNPACK_LIMITS: Required<UnpackLimits> = { maxEntries: 50_000, maxBytes: 512 * 1024 * 1024 };

/** What `unpackSource` wrote. */
export interface UnpackedSource {
  dir: string;
  entries: number;
  bytes: number;
}

// Tar metadata per entry (pax headers, the header block, padding) that is not file content: the
// decompressed stream may exceed the declared content by this much per entry, and no more.
const META_BYTES = 16 * 1024;
const OVERHEAD_PER_ENTRY = META_BYTES + 1024;
const CHUNK_SLACK = 1024 * 1024;
const SMALL_FILE = 256 * 1024;

/**
 * Unpacks the gzip'd tar `tarball` into `dest` (created; must not exist or be empty). Only files,
 * folders and symbolic links are written: files 0644, or 0755 when any executable bit is set;
 * folders 0755; owners and times are not restored. Refused, with a `invalid_argument` (or
 * `too_large`) SlipwayError naming the entry: an absolute path or one with `..`; a path through
 * a symbolic link or a file; the same path twice; a hard link, device or fifo; a symbolic link
 * whose target is absolute or leads outside (also through other links, checked at the end);
 * more than `maxEntries` entries; file sizes adding up to more than `maxBytes` (checked against
 * each header before its content is read); a decompressed stream longer than its entries
 * account for (a gzip bomb of zeros). On any failure `dest` is removed.
 */
export async function unpackSource(
  tarball: Uint8Array | AsyncIterable<Uint8Array>,
  dest: string,
  limits: UnpackLimits = {},
): Promise<UnpackedSource> {
  const lim = { ...UNPACK_LIMITS, ...limits };
  await mkdir(dest, { recursive: true });
  if ((await readdir(dest)).length > 0)
    throw new SlipwayError("failed_precondition", `unpackSource: ${dest} is not empty`);
  const root = await realpath(dest);
  const state = new UnpackState(root, lim);
  try {
    await state.run(tarball instanceof Uint8Array ? Readable.from([tarball]) : Readable.from(tarball));
    await checkTreeLinks(root, "the upload");
    return { dir: dest, entries: state.entries, bytes: state.bytes };
  } catch (err) {
    await rm(dest, { recursive: true, force: true });
    if (err instanceof SlipwayError) throw err;
    if ((err as NodeJS.ErrnoException).syscall !== undefined) {
      // The disk, not the upload: ENOSPC, EACCES and the like.
      throw new SlipwayError(
        "internal",
        `unpacking the upload into ${dest} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    throw new SlipwayError("invalid_argument", `the upload is not a readable gzip'd tar: ${message}`, {
      cause: err,
    });
  }
}

class UnpackState {
  entries = 0;
  bytes = 0;
  readonly #root: string;
  readonly #limits: Required<UnpackLimits>;
  readonly #dirs = new Set<string>([""]);
  readonly #links = new Set<string>();
  readonly #files = new Set<string>();
  readonly #writes = new Set<WriteStream>();
  /** Small files opened whose entry has not ended; closed here if the read stops early. */
  readonly #smallFds = new Set<number>();
  readonly #pending: Promise<void>[] = [];
  #failure: unknown;
  #wake: () => void = () => {};

  constructor(root: string, limits: Required<UnpackLimits>) {
    this.#root = root;
    this.#limits = limits;
  }

  async run(input: Readable): Promise<void> {
    const parser = new Parser({ strict: true, maxMetaEntrySize: META_BYTES });
    parser.on("entry", (entry: ReadEntry) => {
      try {
        this.#entry(entry);
      } catch (err) {
        this.#fail(err);
        entry.resume();
      }
    });
    const parsed = new Promise<void>((ok, no) => {
      parser.on("end", ok);
      parser.on("error", no);
    });
    parsed.catch((err: unknown) => this.#fail(err));
    const gunzip = pipeline(input, createGunzip(), () => {});
    let read = 0;
    try {
      for await (const chunk of gunzip) {
        read += (chunk as Buffer).length;
        const allowed = this.bytes + (this.entries + 2) * OVERHEAD_PER_ENTRY + CHUNK_SLACK;
        if (read > allowed && this.#failure === undefined) {
          this.#fail(
            tooLarge(
              `the upload unpacks to more data than its ${this.entries} entries hold; it may be a gzip bomb`,
            ),
          );
        }
        if (this.#failure !== undefined) break;
        if (!parser.write(chunk as Buffer)) {
          await new Promise<void>((wake) => {
            this.#wake = wake;
            parser.once("drain", wake);
          });
        }
        if (this.#failure !== undefined) break;
      }
      if (this.#failure === undefined) {
        parser.end();
        await parsed;
      }
    } catch (err) {
      this.#fail(err);
    }
    if (this.#failure !== undefined) {
      for (const w of this.#writes) w.destroy();
      for (const fd of this.#smallFds) closeSync(fd);
      this.#smallFds.clear();
    }
    await Promise.allSettled(this.#pending);
    if (this.#failure !== undefined) throw this.#failure;
  }

  #fail(err: unknown): void {
    this.#failure ??= err;
    this.#wake();
  }

  #entry(entry: ReadEntry): void {
    if (this.#failure !== undefined) return void entry.resume();
    this.entries++;
    const raw = entry.path;
    const quoted = JSON.stringify(raw);
    if (this.entries > this.#limits.maxEntries) {
      throw tooLarge(`the upload has more than ${this.#limits.maxEntries} entries (at ${quoted})`);
    }
    const kind = entryKind(entry.type);
    if (typeof kind === "object") throw refused(`${quoted} ${kind.refused}`);
    const normalized = normalizeRelativePath(raw);
    if (!normalized.ok) {
      if (normalized.problem === "empty" && kind === "dir") return void entry.resume();
      throw refused(normalized.message);
    }
    const path = normalized.path;
    this.#parents(path, quoted);
    const full = join(this.#root, path);
    if (this.#files.has(path) || this.#links.has(path) || (kind !== "dir" && this.#dirs.has(path))) {
      throw refused(`${quoted} appears twice`);
    }
    if (kind === "dir") {
      if (!this.#dirs.has(path)) mkdirSync(full, { mode: 0o755 });
      this.#dirs.add(path);
      return void entry.resume();
    }
    if (kind === "link") {
      const target = entry.linkpath ?? "";
      if (target === "" || isAbsolute(target) || !isInside(this.#root, resolve(dirname(full), target))) {
        throw refused(`${quoted} is a symbolic link to ${JSON.stringify(target)}, outside the source tree`);
      }
      symlinkSync(target, full);
      this.#links.add(path);
      return void entry.resume();
    }
    this.bytes += entry.size;
    if (this.bytes > this.#limits.maxBytes) {
      throw tooLarge(
        `${quoted} (${entry.size} bytes) brings the upload over ${this.#limits.maxBytes} bytes unpacked`,
      );
    }
    this.#writeFile(entry, full, (entry.mode ?? 0o644) & 0o111 ? 0o755 : 0o644);
    this.#files.add(path);
  }

  /** Creates missing parent folders; refuses a parent that is a link or a file. */
  #parents(path: string, quoted: string): void {
    const parts = path.split("/");
    for (let n = 1; n < parts.length; n++) {
      const prefix = parts.slice(0, n).join("/");
      if (this.#links.has(prefix)) throw refused(`${quoted} goes through the symbolic link "${prefix}"`);
      if (this.#files.has(prefix)) throw refused(`${quoted} goes through the file "${prefix}"`);
      if (!this.#dirs.has(prefix)) {
        mkdirSync(join(this.#root, prefix), { mode: 0o755 });
        this.#dirs.add(prefix);
      }
    }
  }

  #writeFile(entry: ReadEntry, full: string, mode: number): void {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const fd = openSync(full, flags, mode);
    try {
      fchmodSync(fd, mode);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (entry.size <= SMALL_FILE) {
      // Most source files are small: buffered and written synchronously, several times faster
      // than a write stream each (see ADR 0011 for the numbers).
      const chunks: Buffer[] = [];
      this.#smallFds.add(fd);
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
      entry.on("end", () => {
        try {
          writeSync(fd, Buffer.concat(chunks));
        } catch (err) {
          this.#fail(err);
        } finally {
          if (this.#smallFds.delete(fd)) closeSync(fd);
        }
      });
      return;
    }
    const out = createWriteStream("", { fd });
    this.#writes.add(out);
    this.#pending.push(
      new Promise<void>((ok) => {
        const settle = (err?: unknown) => {
          this.#writes.delete(out);
          if (err !== undefined && err !== null) this.#fail(err);
          ok();
        };
        out.on("close", () => settle());
        out.on("error", settle);
        entry.pipe(out);
      }),
    );
  }
}

type Kind = "file" | "dir" | "link" | { refused: string };

function entryKind(type: ReadEntry["type"]): Kind {
  switch (type) {
    case "File":
    case "OldFile":
    case "ContiguousFile":
      return "file";
    case "Directory":
      return "dir";
    case "SymbolicLink":
      return "link";
    case "Link":
      return { refused: "is a hard link; uploads may hold files, folders and symbolic links only" };
    case "CharacterDevice":
    case "BlockDevice":
    case "FIFO":
      return {
        refused: `is a ${type === "FIFO" ? "fifo" : "device"}; uploads may hold files, folders and symbolic links only`,
      };
    default:
      return { refused: `has an entry type tar calls ${type}, which uploads may not hold` };
  }
}

function refused(message: string): SlipwayError {
  return new SlipwayError("invalid_argument", `upload refused: ${message}`);
}

function tooLarge(message: string): SlipwayError {
  return new SlipwayError("too_large", `upload refused: ${message}`);
}
