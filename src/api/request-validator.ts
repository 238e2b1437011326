/**
 * Request validation compiled from the route table: one Ajv check per route for params, query
 * and body. Every violation becomes a detail of one `invalid_argument` error.
 */
import type { TSchema } from "@sinclair/typebox";
import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import { type ErrorDetail, SlipwayError } from "../resources/index.js";
import type { RouteDef } from "./routes.js";
import { SCHEMA_REF_KEYWORD } from "./schemas.js";

const Ajv = AjvModule.default;

/** The parts of a request that have schemas. */
export type RequestPart = "params" | "query" | "body";

/** Checks one part of a request to one route; throws `invalid_argument` with every violation. */
export type PartChecker = (route: string, part: RequestPart, value: unknown) => void;

function describe(part: RequestPart, error: ErrorObject): ErrorDetail {
  let path: string = part;
  for (const segment of error.instancePath.split("/").slice(1)) {
    const s = segment.replace(/~1/g, "/").replace(/~0/g, "~");
    path += /^\d+$/.test(s) ? `[${s}]` : `.${s}`;
  }
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties") {
    return { path, message: `unknown field ${JSON.stringify(params.additionalProperty)}` };
  }
  if (error.keyword === "required") {
    return { path: `${path}.${String(params.missingProperty)}`, message: "is required" };
  }
  if (error.keyword === "anyOf" || error.keyword === "const")
    return { path, message: "is not one of the allowed values" };
  return { path, message: error.message ?? "is invalid" };
}

/** Compiles the schemas of every route once. */
export function createRequestValidator(routes: Record<string, RouteDef>): PartChecker {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword({ keyword: SCHEMA_REF_KEYWORD, schemaType: "string" });
  const compiled = new Map<string, ValidateFunction>();
  const add = (key: string, schema: TSchema | undefined) => {
    if (schema !== undefined) compiled.set(key, ajv.compile(schema));
  };
  for (const [name, route] of Object.entries(routes)) {
    add(`${name} params`, route.params);
    add(`${name} query`, route.query);
    add(`${name} body`, route.body);
  }
  return (route, part, value) => {
    const check = compiled.get(`${route} ${part}`);
    if (check === undefined || check(value)) return;
    const details = (check.errors ?? [])
      .filter((e) => e.keyword !== "const" || (check.errors ?? []).every((o) => o.keyword !== "anyOf"))
      .map((e) => describe(part, e));
    const first = details[0];
    const message = first === undefined ? `invalid ${part}` : `${first.path}: ${first.message}`;
    throw new SlipwayError("invalid_argument", message, { details });
  };
}
