/**
 * The embedded Store on SQLite (better-sqlite3): WAL, synchronous=FULL, one global integer
 * resourceVersion, objects as JSON rows, an append-only events table for watches.
 *
 * Every write runs in one IMMEDIATE transaction together with its event row, so a write whose
 * promise resolved survives a crash. better-sqlite3 is synchronous: a write commits and notifies
 * the watches of this process before any other JavaScript runs, and a watch replays the events
 * table and subscribes in one synchronous step, so no event is missed or seen twice.
 *
 * One process owns a database file: writes from another process are stored and get versions
 * from the same sequence, but this process's watches only see its own writes live.
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { SlipwayError } from "../../resources/errors.js";
import type { NewResource, ObjectKey, Resource } from "../../resources/meta.js";
import { parseLabelSelector } from "../label-selector.js";
import type { DeleteOptions, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from "../store.js";
import { validateContent, validateKey, validateKind, validateNamespace } from "../validate-object.js";
import { decodeContinue, listPage } from "./list-page.js";
import type { WriteOutcome } from "./object-writes.js";
import { createdObject, deletedObject, statusUpdatedObject, updatedObject } from "./object-writes.js";
import type { Statements } from "./schema.js";
import { initializeDatabase, prepareStatements } from "./schema.js";
import type { ChangeEvent, WatchFilter } from "./watch-stream.js";
import { WatchStream } from "./watch-stream.js";

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file; created with its directory's permissions if missing. */
  path: string;
  /** The clock for creation and deletion timestamps; default `() => new Date()`. */
  now?: () => Date;
  /** How many events watches can resume from; default 10000, at least 1. */
  watchHistory?: number;
  /** How long a write waits for another process's lock; default 5000 ms. */
  busyTimeoutMs?: number;
}

/** What the store needs of an open watch. */
type Subscriber = Pick<WatchStream<Resource>, "push" | "end">;

type Mutation = (stored: Resource | undefined) => WriteOutcome;

function storageNamespace(key: ObjectKey): string {
  return key.namespace ?? "";
}

function describeKey(kind: string, key: ObjectKey): string {
  return key.namespace === undefined ? `${kind} ${key.name}` : `${kind} ${key.namespace}/${key.name}`;
}

function notFound(kind: string, key: ObjectKey): SlipwayError {
  return new SlipwayError("not_found", `${describeKey(kind, key)} not found`);
}

function checkVersion(stored: Resource, expected: string | undefined, kind: string): void {
  if (expected === stored.metadata.resourceVersion) return;
  throw new SlipwayError(
    "conflict",
    `${describeKey(kind, stored.metadata)} was modified: resourceVersion ${JSON.stringify(expected)} is not the current ${stored.metadata.resourceVersion}; read it again and retry`,
  );
}

/** The SQLite `Store`. Create it with `openSqliteStore`. */
class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #now: () => Date;
  readonly #watchHistory: number;
  readonly #watches = new Set<Subscriber>();
  readonly #writeTransaction: (kind: string, key: ObjectKey, mutate: Mutation) => [Resource, ChangeEvent?];
  #closed = false;

  constructor(db: Database.Database, now: () => Date, watchHistory: number) {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#now = now;
    this.#watchHistory = watchHistory;
    const transaction = db.transaction((kind: string, key: ObjectKey, mutate: Mutation) =>
      this.#applyWrite(kind, key, mutate),
    );
    this.#writeTransaction = (kind, key, mutate) => transaction.immediate(kind, key, mutate);
  }

  async get<R extends Resource>(kind: R["kind"], key: ObjectKey): Promise<R> {
    this.#checkOpen();
    validateKind(kind);
    validateKey(key);
    const stored = this.#read(kind, key);
    if (stored === undefined) throw notFound(kind, key);
    return stored as R;
  }

  async list<R extends Resource>(kind: R["kind"], options: ListOptions = {}): Promise<ListResult<R>> {
    this.#checkOpen();
    validateKind(kind);
    if (options.namespace !== undefined) validateNamespace(options.namespace);
    const selector = parseLabelSelector(options.labelSelector ?? "");
    const token = options.continue === undefined ? undefined : decodeContinue(options.continue);
    const read = this.#db.transaction(() => {
      if (token !== undefined && token.rv < this.#counter("compacted")) {
        throw new SlipwayError("gone", "the continue token has expired; list again from the start");
      }
      const rv = token?.rv ?? this.#counter("resource_version");
      return listPage(this.#db, {
        kind,
        namespace: options.namespace,
        selector,
        limit: options.limit,
        token,
        rv,
      });
    });
    return read() as ListResult<R>;
  }

  async create<R extends Resource>(object: NewResource<R>): Promise<R> {
    this.#checkOpen();
    validateKind(object.kind);
    validateKey(object.metadata);
    validateContent(object);
    const input = object as NewResource<Resource>;
    return this.#write(object.kind, object.metadata, (stored) => {
      if (stored !== undefined) {
        throw new SlipwayError(
          "already_exists",
          `${describeKey(object.kind, object.metadata)} already exists`,
        );
      }
      return { op: "put", type: "ADDED", object: createdObject(input, randomUUID(), this.#now()) };
    }) as R;
  }

  async update<R extends Resource>(object: R): Promise<R> {
    this.#checkOpen();
    validateKind(object.kind);
    validateKey(object.metadata);
    validateContent(object);
    return this.#write(object.kind, object.metadata, (stored) => {
      if (stored === undefined) throw notFound(object.kind, object.metadata);
      checkVersion(stored, object.metadata.resourceVersion, object.kind);
      return updatedObject(stored, object);
    }) as R;
  }

  async updateStatus<R extends Resource>(object: R): Promise<R> {
    this.#checkOpen();
    validateKind(object.kind);
    validateKey(object.metadata);
    return this.#write(object.kind, object.metadata, (stored) => {
      if (stored === undefined) throw notFound(object.kind, object.metadata);
      checkVersion(stored, object.metadata.resourceVersion, object.kind);
      return statusUpdatedObject(stored, object);
    }) as R;
  }

  async delete<R extends Resource>(kind: R["kind"], key: ObjectKey, options: DeleteOptions = {}): Promise<R> {
    this.#checkOpen();
    validateKind(kind);
    validateKey(key);
    return this.#write(kind, key, (stored) => {
      if (stored === undefined) throw notFound(kind, key);
      if (options.resourceVersion !== undefined) checkVersion(stored, options.resourceVersion, kind);
      return deletedObject(stored, this.#now());
    }) as R;
  }

  watch<R extends Resource>(kind: R["kind"], options: WatchOptions = {}): AsyncIterable<WatchEvent<R>> {
    let filter: WatchFilter | undefined;
    let error: unknown;
    try {
      filter = this.#watchFilter(kind, options);
    } catch (err) {
      error = err;
    }
    const stream = new WatchStream<R>({
      filter: filter ?? { kind, namespace: undefined, selector: [] },
      currentVersion: () => this.#counter("resource_version"),
      bookmarkIntervalMs: options.bookmarkIntervalMs,
      signal: options.signal,
      onEnd: () => this.#watches.delete(stream),
    });
    try {
      if (filter === undefined) throw error;
      this.#subscribe(stream, options.resourceVersion);
    } catch (err) {
      stream.fail(err);
    }
    return stream;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of [...this.#watches]) watch.end();
    this.#db.close();
  }

  #watchFilter(kind: string, options: WatchOptions): WatchFilter {
    this.#checkOpen();
    validateKind(kind);
    if (options.namespace !== undefined) validateNamespace(options.namespace);
    return { kind, namespace: options.namespace, selector: parseLabelSelector(options.labelSelector ?? "") };
  }

  /** Replays the kept events after the requested version, then subscribes: one synchronous step. */
  #subscribe<R extends Resource>(stream: WatchStream<R>, resourceVersion: string | undefined): void {
    if (stream.ended) return;
    const from = this.#watchStart(resourceVersion);
    for (const row of this.#sql.eventsAfter.iterate(stream.kind, from)) {
      stream.push(changeFromRow(stream.kind, row.rv, row.namespace, row.type, row.object, row.old_labels));
    }
    this.#watches.add(stream);
  }

  #watchStart(resourceVersion: string | undefined): number {
    const current = this.#counter("resource_version");
    if (resourceVersion === undefined) return current;
    if (!/^\d+$/.test(resourceVersion)) {
      throw new SlipwayError(
        "invalid_argument",
        `resourceVersion: must be a decimal integer, got ${JSON.stringify(resourceVersion)}`,
      );
    }
    const from = Number(resourceVersion);
    const compacted = this.#counter("compacted");
    if (from < compacted) {
      throw new SlipwayError(
        "gone",
        `resourceVersion ${from} is too old: events up to ${compacted} were discarded; list again and watch from the list's resourceVersion`,
      );
    }
    return from;
  }

  #write(kind: string, key: ObjectKey, mutate: Mutation): Resource {
    let result: [Resource, ChangeEvent?];
    try {
      result = this.#writeTransaction(kind, key, mutate);
    } catch (err) {
      throw storageError(err);
    }
    const [object, change] = result;
    if (change !== undefined) this.#publish(change);
    return object;
  }

  /** Runs inside the write transaction: read, decide, stamp the next version, write row and event. */
  #applyWrite(kind: string, key: ObjectKey, mutate: Mutation): [Resource, ChangeEvent?] {
    const namespace = storageNamespace(key);
    const stored = this.#read(kind, key);
    const outcome = mutate(stored);
    if (outcome.op === "none") return [outcome.object];
    const { object } = outcome;
    const rv = this.#sql.nextVersion.get()?.value;
    if (rv === undefined) throw new SlipwayError("internal", "the resource_version counter is missing");
    object.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(object);
    const labels = JSON.stringify(object.metadata.labels ?? {});
    if (outcome.op === "remove") this.#sql.deleteObject.run(kind, namespace, key.name);
    else if (stored === undefined) {
      this.#sql.insertObject.run(kind, namespace, key.name, object.metadata.uid, rv, labels, json);
    } else this.#sql.replaceObject.run(rv, labels, json, kind, namespace, key.name);
    const type = outcome.op === "remove" ? "DELETED" : outcome.type;
    const oldLabels =
      type === "MODIFIED" && stored !== undefined ? JSON.stringify(stored.metadata.labels ?? {}) : null;
    this.#sql.insertEvent.run(rv, kind, namespace, key.name, type, json, oldLabels);
    this.#trimEvents(rv);
    return [object, changeFromRow(kind, rv, namespace, type, json, oldLabels)];
  }

  #trimEvents(rv: number): void {
    const keepAfter = rv - this.#watchHistory;
    if (keepAfter <= 0) return;
    this.#sql.trimEvents.run(keepAfter);
    this.#sql.raiseCompacted.run(keepAfter);
  }

  #publish(change: ChangeEvent): void {
    for (const watch of this.#watches) watch.push(change);
  }

  #read(kind: string, key: ObjectKey): Resource | undefined {
    const row = this.#sql.getObject.get(kind, storageNamespace(key), key.name);
    return row === undefined ? undefined : (JSON.parse(row.object) as Resource);
  }

  #counter(name: "resource_version" | "compacted"): number {
    return this.#sql.counter.get(name)?.value ?? 0;
  }

  #checkOpen(): void {
    if (this.#closed) throw new SlipwayError("unavailable", "the store is closed");
  }
}

/** SQLite's lock timeouts become `unavailable` (retry later); other SQLite failures `internal`. */
function storageError(err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new SlipwayError("unavailable", "the store is busy (locked by another process); retry", {
      cause: err,
    });
  }
  return SlipwayError.from(err);
}

function changeFromRow(
  kind: string,
  rv: number,
  namespace: string,
  type: ChangeEvent["type"],
  object: string,
  oldLabels: string | null,
): ChangeEvent {
  const parsed = JSON.parse(object) as Resource;
  return {
    rv,
    kind,
    namespace,
    type,
    object,
    labels: parsed.metadata.labels,
    oldLabels: oldLabels === null ? undefined : (JSON.parse(oldLabels) as Record<string, string>),
  };
}

/**
 * Opens (creating if needed) the store in the SQLite file `options.path`. Synchronous: the
 * schema is created and the durability pragmas set before it returns. Throws
 * `invalid_argument` for a bad `watchHistory`.
 *
 * A watch of this store is established when `watch` returns: a write made after that call is
 * delivered even if iteration starts later. A `resourceVersion` ahead of the store is accepted
 * (the watch delivers what comes after it).
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const watchHistory = options.watchHistory ?? 10_000;
  if (!Number.isInteger(watchHistory) || watchHistory < 1) {
    throw new SlipwayError(
      "invalid_argument",
      `watchHistory: must be a positive integer, got ${watchHistory}`,
    );
  }
  const db = new Database(options.path);
  try {
    initializeDatabase(db, options.busyTimeoutMs ?? 5000);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteStore(db, options.now ?? (() => new Date()), watchHistory);
}
