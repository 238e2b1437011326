/**
 * One page of a list from the `objects` table, in (namespace, name) order, with the `continue`
 * token that resumes after its last item.
 *
 * Pages are read from the current data, not from a snapshot: every page reports the
 * resourceVersion of the first page (carried in the token), so a watch started from it after
 * the last page replays every change made during the list; none can be missed, some may be seen
 * twice. A token older than the kept watch history answers `gone` (checked by the store).
 */
import type Database from "better-sqlite3";
import { SlipwayError } from "../../resources/errors.js";
import type { Resource } from "../../resources/meta.js";
import type { LabelSelector } from "../label-selector.js";
import { matchesSelector } from "../label-selector.js";
import type { ListResult } from "../store.js";

/** Where the next page starts: after this key; `rv` is the version the list reports. */
export interface ContinueToken {
  namespace: string;
  name: string;
  rv: number;
}

/** What to list. */
export interface PageQuery {
  kind: string;
  namespace: string | undefined;
  selector: LabelSelector;
  limit: number | undefined;
  token: ContinueToken | undefined;
  /** The resourceVersion to report. */
  rv: number;
}

/** Encodes a continue token (opaque base64url). */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify([token.namespace, token.name, token.rv])).toString("base64url");
}

/** Decodes a continue token; `invalid_argument` when it is not one this store made. */
export function decodeContinue(text: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 3 &&
    typeof parsed[0] === "string" &&
    typeof parsed[1] === "string" &&
    Number.isSafeInteger(parsed[2])
  ) {
    return { namespace: parsed[0], name: parsed[1], rv: parsed[2] as number };
  }
  throw new SlipwayError(
    "invalid_argument",
    "continue: not a continue token of this store; list from the start",
  );
}

function pageSql(query: PageQuery): { sql: string; params: string[] } {
  const where = ["kind = ?"];
  const params = [query.kind];
  if (query.namespace !== undefined) {
    where.push("namespace = ?");
    params.push(query.namespace);
  }
  // Equality requirements narrow the rows in SQL; matchesSelector below still decides every row.
  for (const r of query.selector) {
    if (r.operator !== "=" || r.values.length !== 1 || r.key.includes('"')) continue;
    where.push("json_extract(labels, ?) = ?");
    params.push(`$."${r.key}"`, r.values[0] as string);
  }
  if (query.token !== undefined) {
    where.push("(namespace, name) > (?, ?)");
    params.push(query.token.namespace, query.token.name);
  }
  const sql = `SELECT namespace, name, labels, object FROM objects WHERE ${where.join(" AND ")} ORDER BY namespace, name`;
  return { sql, params };
}

/** Reads one page; `limit` must be a positive integer when set (`invalid_argument`). */
export function listPage(db: Database.Database, query: PageQuery): ListResult<Resource> {
  const { limit } = query;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new SlipwayError("invalid_argument", `limit: must be a positive integer, got ${limit}`);
  }
  const { sql, params } = pageSql(query);
  const rows = db
    .prepare<string[], { namespace: string; name: string; labels: string; object: string }>(sql)
    .iterate(...params);
  const items: Resource[] = [];
  const result: ListResult<Resource> = { items, resourceVersion: String(query.rv) };
  let last: { namespace: string; name: string } | undefined;
  for (const row of rows) {
    if (!matchesSelector(query.selector, JSON.parse(row.labels) as Record<string, string>)) continue;
    if (limit !== undefined && items.length === limit && last !== undefined) {
      result.continue = encodeContinue({ ...last, rv: query.rv });
      break;
    }
    items.push(JSON.parse(row.object) as Resource);
    last = row;
  }
  return result;
}
