/**
 * Content types of the files static sites ship. A built-in table instead of `mime-types`: a
 * site's build output uses a few dozen extensions, the table is reviewable in one screen, and
 * unknown extensions fall back to `application/octet-stream` (never sniffed, with `nosniff`).
 */
import { extname } from "node:path";

const UTF8 = "; charset=utf-8";

const TYPES: Readonly<Record<string, string>> = {
  ".html": `text/html${UTF8}`,
  ".htm": `text/html${UTF8}`,
  ".css": `text/css${UTF8}`,
  ".js": `text/javascript${UTF8}`,
  ".mjs": `text/javascript${UTF8}`,
  ".cjs": `text/javascript${UTF8}`,
  ".json": `application/json${UTF8}`,
  ".map": `application/json${UTF8}`,
  ".webmanifest": `application/manifest+json${UTF8}`,
  ".txt": `text/plain${UTF8}`,
  ".md": `text/markdown${UTF8}`,
  ".csv": `text/csv${UTF8}`,
  ".xml": `application/xml${UTF8}`,
  ".rss": `application/rss+xml${UTF8}`,
  ".atom": `application/atom+xml${UTF8}`,
  ".svg": `image/svg+xml${UTF8}`,
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".bmp": "image/bmp",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".eot": "application/vnd.ms-fontobject",
  ".wasm": "application/wasm",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".wav": "audio/wav",
};

/** The Content-Type for a file name by its extension (case-insensitive); octet-stream when unknown. */
export function contentTypeOf(fileName: string): string {
  return TYPES[extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

/**
 * Whether a body of this content type is worth compressing: text, JSON, JS, SVG, XML, wasm and
 * uncompressed fonts. Images, video, archives and woff/woff2 are compressed already.
 */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(";")[0]?.trim() ?? "";
  return (
    type.startsWith("text/") ||
    /^application\/(json|manifest\+json|xml|rss\+xml|atom\+xml|wasm|vnd\.ms-fontobject)$/.test(type) ||
    type === "image/svg+xml" ||
    type === "image/x-icon" ||
    type === "image/bmp" ||
    type === "font/ttf" ||
    type === "font/otf"
  );
}
