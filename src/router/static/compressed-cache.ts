/**
 * Compressed variants of files, made on first request and kept in memory in a least-recently-used
 * cache bounded by total bytes. Keys include the file's ETag, so a changed file is a new entry and
 * the old one ages out.
 */
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Compresses `body` with `encoding`: brotli quality 9 (11 costs ~5x the CPU for ~3% less), gzip level 9. */
export function compress(body: Buffer, encoding: "br" | "gzip"): Promise<Buffer> {
  if (encoding === "gzip") return gz(body, { level: 9 });
  return brotli(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 9,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

/** A byte-bounded LRU of compressed bodies; concurrent misses for one key compress once. */
export class CompressedCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Buffer>();
  readonly #pending = new Map<string, Promise<Buffer>>();
  #bytes = 0;

  /** `maxBytes` bounds the sum of the kept bodies; a body larger than a quarter of it is never kept. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The body cached under `key`, or `make()`'s result (cached when it fits). */
  async get(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Re-inserting moves the key to the end: Map iteration order is the recency order.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const made = make().finally(() => this.#pending.delete(key));
    this.#pending.set(key, made);
    const body = await made;
    this.#store(key, body);
    return body;
  }

  #store(key: string, body: Buffer): void {
    if (body.length > this.#maxBytes / 4 || this.#entries.has(key)) return;
    this.#entries.set(key, body);
    this.#bytes += body.length;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old.length;
    }
  }
}
