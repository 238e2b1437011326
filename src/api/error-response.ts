/**
 * The one mapping from error codes to HTTP statuses, and the error body `{id, message, details}`.
 */
import { type ErrorCode, SlipwayError } from "../resources/index.js";
import type { ErrorJson } from "./schemas.js";

/** The HTTP status of each error code. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  gone: 410,
  failed_precondition: 412,
  too_large: 413,
  unavailable: 503,
  internal: 500,
};

/** The error code of an HTTP status (the client's inverse of HTTP_STATUS); `internal` when unknown. */
export function codeOfStatus(status: number, id: unknown): ErrorCode {
  if (typeof id === "string" && id in HTTP_STATUS) return id as ErrorCode;
  const found = Object.entries(HTTP_STATUS).find(([, s]) => s === status);
  return (found?.[0] as ErrorCode | undefined) ?? "internal";
}

/** The response for any error. Internal errors keep their message out of the body. */
export function errorResponse(err: unknown): Response {
  const e = SlipwayError.from(err);
  const body: ErrorJson = {
    id: e.code,
    message: e.code === "internal" ? "internal error" : e.message,
    details: e.details.map((d) => ({
      path: d.path,
      message: d.message,
      ...(d.line === undefined ? {} : { line: d.line }),
      ...(d.column === undefined ? {} : { column: d.column }),
    })),
  };
  const headers = new Headers({ "content-type": "application/json" });
  if (e.code === "unauthenticated") headers.set("www-authenticate", 'Bearer realm="slipway"');
  return new Response(JSON.stringify(body), { status: HTTP_STATUS[e.code], headers });
}
