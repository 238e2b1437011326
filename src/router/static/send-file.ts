/**
 * Sends one resolved file with the HTTP semantics static hosting needs: Content-Type, a strong
 * ETag and Last-Modified, 304 for conditional requests, one byte range (206/416), Cache-Control
 * by kind of file, and br/gzip chosen from Accept-Encoding (compressed bodies kept in memory).
 */
import type { Stats } from "node:fs";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { basename } from "node:path";
import { pipeline } from "node:stream/promises";
import { cacheControlFor } from "./cache-policy.js";
import { type CompressedCache, compress } from "./compressed-cache.js";
import { contentTypeOf, isCompressible } from "./content-type.js";
import { chooseEncoding, isNotModified, parseRange } from "./negotiate.js";

/** What {@link sendFile} needs besides the request and response. */
export interface SendFileOptions {
  /** Where compressed bodies are kept. */
  cache: CompressedCache;
  /** Files larger than this are sent uncompressed (compressing reads them whole). */
  maxCompressBytes: number;
  /** 200 for the requested file or the catch-all document, 404 for the error document. */
  status: 200 | 404;
}

/**
 * The strong ETag of a file: its size and mtime in hex. Artifacts are immutable trees published
 * by rename, so size+mtime changes whenever content does, without hashing every file on every
 * start; `-br` / `-gzip` is appended for the compressed representations (RFC 9110 8.8.3).
 */
export function etagOf(stats: Pick<Stats, "size" | "mtimeMs">): string {
  return `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

const MIN_COMPRESS_BYTES = 256;

/** Answers `req` with the file at `path` (already checked to be inside the site). */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  stats: Stats,
  options: SendFileOptions,
): Promise<void> {
  const type = contentTypeOf(path);
  const etag = etagOf(stats);
  const lastModified = new Date(stats.mtimeMs).toUTCString();
  const compressible = isCompressible(type);
  res.setHeader("Content-Type", type);
  res.setHeader("Cache-Control", cacheControlFor(basename(path), type));
  res.setHeader("Last-Modified", lastModified);
  res.setHeader("X-Content-Type-Options", "nosniff");
  if (compressible) res.setHeader("Vary", "Accept-Encoding");
  const encoding =
    compressible && stats.size >= MIN_COMPRESS_BYTES && stats.size <= options.maxCompressBytes
      ? chooseEncoding(req.headers["accept-encoding"])
      : "identity";
  const ok = options.status === 200;
  const etags = [etag, withSuffix(etag, "br"), withSuffix(etag, "gzip")];
  const conditional = {
    "if-none-match": req.headers["if-none-match"],
    "if-modified-since": req.headers["if-modified-since"],
  };
  if (ok && isNotModified(conditional, etags, stats.mtimeMs)) {
    res.setHeader("ETag", encoding === "identity" ? etag : withSuffix(etag, encoding));
    res.writeHead(304).end();
    return;
  }
  const range = ok
    ? parseRange(req.headers.range, stats.size, {
        header: single(req.headers["if-range"]),
        etag,
        lastModified,
      })
    : ({ kind: "whole" } as const);
  if (ok) res.setHeader("Accept-Ranges", "bytes");
  if (range.kind === "unsatisfiable") {
    res.setHeader("Content-Range", `bytes */${stats.size}`);
    res.removeHeader("Cache-Control");
    res.writeHead(416, { "Content-Type": "text/plain; charset=utf-8" }).end("Range not satisfiable.\n");
    return;
  }
  if (range.kind === "partial") {
    res.setHeader("ETag", etag);
    res.setHeader("Content-Range", `bytes ${range.start}-${range.end}/${stats.size}`);
    res.setHeader("Content-Length", range.end - range.start + 1);
    res.writeHead(206);
    await body(req, res, path, range.start, range.end);
    return;
  }
  if (encoding !== "identity") {
    const key = `${path}\0${etag}\0${encoding}`;
    const compressed = await options.cache.get(key, async () => compress(await readFile(path), encoding));
    res.setHeader("ETag", withSuffix(etag, encoding));
    res.setHeader("Content-Encoding", encoding);
    res.setHeader("Content-Length", compressed.length);
    res.writeHead(options.status);
    res.end(req.method === "HEAD" ? undefined : compressed);
    return;
  }
  res.setHeader("ETag", etag);
  res.setHeader("Content-Length", stats.size);
  res.writeHead(options.status);
  await body(req, res, path, 0, stats.size - 1);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function withSuffix(etag: string, suffix: string): string {
  return `${etag.slice(0, -1)}-${suffix}"`;
}

async function body(req: IncomingMessage, res: ServerResponse, path: string, start: number, end: number) {
  if (req.method === "HEAD" || end < start) {
    res.end();
    return;
  }
  await pipeline(createReadStream(path, { start, end }), res);
}
