/**
 * Inline files: the App resource may carry `files: [{ path, content }]` (a browser editor's
 * save). `validateInlineFiles` checks and normalizes them without touching the disk; see
 * `writeInlineFiles` for materializing the result.
 */
import { normalizeRelativePath } from "./relative-path.js";

/** One inline file as a client sends it. */
export interface InlineFile {
  /** Relative POSIX path inside the source tree, e.g. `src/index.js`. */
  path: string;
  /** The file's content: text, or base64 when `encoding` is `"base64"`. */
  content: string;
  /** How `content` is encoded; default `"utf8"`. */
  encoding?: "utf8" | "base64";
  /** Written with mode 0755 instead of 0644 (scripts a run or build command starts directly). */
  executable?: boolean;
}

/** A validated inline file: normalized path and decoded bytes. */
export interface NormalizedInlineFile {
  path: string;
  content: Buffer;
  executable: boolean;
}

/** Limits for `validateInlineFiles`; every field is optional. */
export interface InlineFileLimits {
  /** Largest file, in bytes after decoding; default 1 MiB. */
  maxFileBytes?: number;
  /** Largest sum of all files, in bytes after decoding; default 8 MiB. */
  maxTotalBytes?: number;
  /** Most files; default 1000. */
  maxFiles?: number;
}

/** The defaults of `InlineFileLimits`. */
export const INLINE_FILE_LIMITS: Required<InlineFileLimits> = {
  maxFileBytes: 1024 * 1024,
  maxTotalBytes: 8 * 1024 * 1024,
  maxFiles: 1000,
};

/** One problem with the inline files; `path` points into the input, e.g. `files[3].path`. */
export interface InlineFileError {
  path: string;
  message: string;
}

/** The outcome of `validateInlineFiles`. */
export type InlineFilesResult =
  | { ok: true; files: NormalizedInlineFile[] }
  | { ok: false; errors: InlineFileError[] };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks inline files and returns them normalized (paths like `./a//b` become `a/b`, content
 * decoded to bytes), or every problem found. Each message starts with the offending input path
 * (`files[2].path`) and quotes the path string. Rejected: a path that is empty, absolute, has a
 * `..` segment, a control character or a backslash, names a folder (`a/`), lies in `.git` (any
 * case, any depth), names the same file as an earlier one after normalization, or is a file that
 * another path uses as a folder; an unknown `encoding`, invalid base64; a file over
 * `maxFileBytes`, all files together over `maxTotalBytes`, more than `maxFiles` files. Sizes
 * count bytes after decoding (UTF-8 for text).
 */
export function validateInlineFiles(
  files: readonly InlineFile[],
  limits: InlineFileLimits = {},
): InlineFilesResult {
  const lim = { ...INLINE_FILE_LIMITS, ...limits };
  const errors: InlineFileError[] = [];
  if (files.length > lim.maxFiles) {
    errors.push({
      path: "files",
      message: `files: ${files.length} files, over the limit of ${lim.maxFiles}`,
    });
    return { ok: false, errors };
  }
  const out: NormalizedInlineFile[] = [];
  const seen = new Map<string, number>();
  let total = 0;
  files.forEach((file, i) => {
    const at = `files[${i}]`;
    const err = (field: string, message: string) =>
      errors.push({ path: `${at}${field}`, message: `${at}${field}: ${message}` });
    const path = checkPath(file.path, (m) => err(".path", m));
    const content = decode(file, (field, m) => err(field, m));
    if (content !== undefined && content.length > lim.maxFileBytes) {
      err(
        ".content",
        `${JSON.stringify(file.path)} is ${content.length} bytes, over the limit of ${lim.maxFileBytes} bytes per file`,
      );
    }
    if (content !== undefined) total += content.length;
    if (path === undefined) return;
    const earlier = seen.get(path);
    if (earlier !== undefined) {
      const first = files[earlier]?.path ?? "";
      err(
        ".path",
        `${JSON.stringify(file.path)} names the same file as files[${earlier}].path (${JSON.stringify(first)})`,
      );
      return;
    }
    seen.set(path, i);
    if (content !== undefined) out.push({ path, content, executable: file.executable === true });
  });
  errors.push(...folderConflicts(files, seen));
  if (total > lim.maxTotalBytes) {
    errors.push({
      path: "files",
      message: `files: ${total} bytes in total, over the limit of ${lim.maxTotalBytes} bytes`,
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files: out };
}

function checkPath(raw: unknown, fail: (message: string) => void): string | undefined {
  if (typeof raw !== "string") return void fail("must be a string");
  if (raw === "") return void fail("must not be empty");
  const quoted = JSON.stringify(raw);
  const normalized = normalizeRelativePath(raw);
  if (!normalized.ok) return void fail(normalized.message);
  if (raw.endsWith("/")) return void fail(`${quoted} names a folder, not a file`);
  if (normalized.path.split("/").some((s) => s.toLowerCase() === ".git")) {
    return void fail(`${quoted} lies in .git; git internals cannot be written`);
  }
  return normalized.path;
}

function decode(file: InlineFile, fail: (field: string, message: string) => void): Buffer | undefined {
  const encoding: unknown = file.encoding ?? "utf8";
  if (typeof file.content !== "string") return void fail(".content", "must be a string");
  if (encoding === "utf8") return Buffer.from(file.content, "utf8");
  if (encoding === "base64") {
    if (!BASE64.test(file.content)) {
      return void fail(".content", `${JSON.stringify(file.path)} is not valid base64`);
    }
    return Buffer.from(file.content, "base64");
  }
  return void fail(".encoding", `must be "utf8" or "base64", got ${JSON.stringify(encoding)}`);
}

/** A path used as a file by one entry and as a folder by another, reported at the file. */
function folderConflicts(files: readonly InlineFile[], seen: ReadonlyMap<string, number>): InlineFileError[] {
  const errors: InlineFileError[] = [];
  for (const [path, i] of seen) {
    const parts = path.split("/");
    for (let n = 1; n < parts.length; n++) {
      const prefix = parts.slice(0, n).join("/");
      const j = seen.get(prefix);
      if (j === undefined) continue;
      errors.push({
        path: `files[${j}].path`,
        message: `files[${j}].path: ${JSON.stringify(files[j]?.path)} is a file, but files[${i}].path (${JSON.stringify(files[i]?.path)}) puts a file inside it`,
      });
    }
  }
  return errors.sort((a, b) => a.path.localeCompare(b.path, "en", { numeric: true }));
}
