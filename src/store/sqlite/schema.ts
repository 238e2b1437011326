/**
 * The SQLite schema of the embedded store and its prepared statements.
 *
 * - `counters`: `resource_version`, the one global sequence (every write takes the next value),
 *   and `compacted`, the highest version whose event was trimmed (watches from below it are `gone`).
 * - `objects`: one row per live object, the object as JSON plus indexed key columns; the
 *   namespace of cluster-scoped objects is stored as ''.
 * - `events`: append-only change log, one row per write, trimmed to the last `watchHistory` rows.
 */
import type Database from "better-sqlite3";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
INSERT OR IGNORE INTO counters (name, value) VALUES ('resource_version', 0), ('compacted', 0);
CREATE TABLE IF NOT EXISTS objects (
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  uid TEXT NOT NULL UNIQUE,
  rv INTEGER NOT NULL,
  labels TEXT NOT NULL,
  object TEXT NOT NULL,
  PRIMARY KEY (kind, namespace, name)
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  rv INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
  object TEXT NOT NULL,
  old_labels TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, rv);
`;

/** One row of the `events` table. */
export interface EventRow {
  rv: number;
  namespace: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: string;
  old_labels: string | null;
}

type Db = Database.Database;

/**
 * Sets the durability pragmas (WAL, synchronous=FULL, busy timeout) and creates the schema.
 * Throws when the file holds a newer schema than this code knows.
 */
export function initializeDatabase(db: Db, busyTimeoutMs: number): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  const version = db.pragma("user_version", { simple: true });
  if (typeof version === "number" && version > SCHEMA_VERSION) {
    throw new Error(`store schema version ${version} is newer than this Slipway (${SCHEMA_VERSION})`);
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

/** Prepares the statements the store runs. */
export function prepareStatements(db: Db) {
  return {
    getObject: db.prepare<[string, string, string], { object: string }>(
      "SELECT object FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
    ),
    insertObject: db.prepare<[string, string, string, string, number, string, string]>(
      "INSERT INTO objects (kind, namespace, name, uid, rv, labels, object) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    replaceObject: db.prepare<[number, string, string, string, string, string]>(
      "UPDATE objects SET rv = ?, labels = ?, object = ? WHERE kind = ? AND namespace = ? AND name = ?",
    ),
    deleteObject: db.prepare<[string, string, string]>(
      "DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
    ),
    nextVersion: db.prepare<[], { value: number }>(
      "UPDATE counters SET value = value + 1 WHERE name = 'resource_version' RETURNING value",
    ),
    counter: db.prepare<[string], { value: number }>("SELECT value FROM counters WHERE name = ?"),
    insertEvent: db.prepare<[number, string, string, string, string, string, string | null]>(
      "INSERT INTO events (rv, kind, namespace, name, type, object, old_labels) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    trimEvents: db.prepare<[number]>("DELETE FROM events WHERE rv <= ?"),
    raiseCompacted: db.prepare<[number]>(
      "UPDATE counters SET value = max(value, ?) WHERE name = 'compacted'",
    ),
    eventsAfter: db.prepare<[string, number], EventRow>(
      "SELECT rv, namespace, type, object, old_labels FROM events WHERE kind = ? AND rv > ? ORDER BY rv",
    ),
  };
}

/** The prepared statements of one database. */
export type Statements = ReturnType<typeof prepareStatements>;
