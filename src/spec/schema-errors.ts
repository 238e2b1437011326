/**
 * Checks a value against the app spec's JSON Schema with Ajv and turns Ajv's errors into
 * messages a person can act on: `must be between 1 and 65535, got 70000`,
 * `unknown field "port" (did you mean "http_port"?)`.
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import type { PathSegment } from "./issues.js";
import { describeValue } from "./issues.js";
import { AppSpecSchema } from "./schema.js";
import { suggest } from "./suggest.js";

const Ajv = AjvModule.default;

/** A schema violation before positions are attached. */
export interface RawIssue {
  path: PathSegment[];
  message: string;
  /** Point at the key (unknown fields) rather than the value. */
  at: "key" | "value";
}

/** Compiles the app spec schema once; the returned function checks one value. */
export function createSchemaChecker(): (value: unknown) => RawIssue[] {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowMatchingProperties: true });
  ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  const validate: ValidateFunction = ajv.compile(AppSpecSchema);
  return (value) => {
    if (validate(value)) return [];
    return toIssues(validate.errors ?? [], value);
  };
}

function toIssues(errors: ErrorObject[], root: unknown): RawIssue[] {
  const anyOfPaths = errors.filter((e) => e.keyword === "anyOf").map((e) => `${e.schemaPath}/`);
  const insideAnyOf = (e: ErrorObject) => anyOfPaths.some((p) => e.schemaPath.startsWith(p));
  // A branch of an anyOf failing on type says nothing about the value; the anyOf error speaks for it.
  const typeErrors = new Set(
    errors.filter((e) => e.keyword === "type" && !insideAnyOf(e)).map((e) => e.instancePath),
  );
  const seen = new Set<string>();
  const out: RawIssue[] = [];
  for (const e of errors) {
    if (insideAnyOf(e)) continue;
    // A value of the wrong type fails every other keyword too; its type is the one thing to say.
    if (
      e.keyword !== "type" &&
      typeErrors.has(e.instancePath) &&
      !e.keyword.endsWith("Properties") &&
      e.keyword !== "required"
    )
      continue;
    const issue = toIssue(e, pointerToPath(e.instancePath, root));
    const key = `${issue.path.join("/")}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

/** Splits a JSON pointer into segments, with list indexes as numbers. */
function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === "") return [];
  const path: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      const index = Number(key);
      path.push(index);
      node = node[index];
    } else {
      path.push(key);
      node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

type Schema = Record<string, unknown>;

function toIssue(e: ErrorObject, path: PathSegment[]): RawIssue {
  const parent = (e.parentSchema ?? {}) as Schema;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return { path: [...path, String(params.missingProperty)], message: "is required", at: "value" };
    case "additionalProperties":
      return unknownField(path, String(params.additionalProperty), parent);
    case "type":
      return { path, message: typeMessage(String(params.type), e.data), at: "value" };
    case "enum":
      return { path, message: enumMessage(parent, e.data), at: "value" };
    case "minimum":
    case "maximum":
      return { path, message: rangeMessage(parent, e.data), at: "value" };
    case "minLength":
    case "maxLength":
      return { path, message: lengthMessage(parent, e.data), at: "value" };
    case "pattern": {
      const text =
        typeof parent.patternErrorMessage === "string"
          ? parent.patternErrorMessage
          : `must match ${parent.pattern}`;
      return { path, message: `${text}, got ${describeValue(e.data)}`, at: "value" };
    }
    case "anyOf": {
      const text = typeof parent.errorMessage === "string" ? parent.errorMessage : "has the wrong type";
      return { path, message: `${text}, got ${describeValue(e.data)}`, at: "value" };
    }
    default:
      return { path, message: e.message ?? "is invalid", at: "value" };
  }
}

function unknownField(path: PathSegment[], field: string, parent: Schema): RawIssue {
  const known = Object.keys((parent.properties ?? {}) as Schema);
  const guess = suggest(field, known);
  const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
  return { path: [...path, field], message: `unknown field "${field}"${hint}`, at: "key" };
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a map of fields",
  null: "null",
};

function typeMessage(expected: string, data: unknown): string {
  const want = TYPE_NAMES[expected] ?? expected;
  const quoteHint =
    expected === "string" && (typeof data === "number" || typeof data === "boolean") ? " (quote it)" : "";
  return `must be ${want}, got ${describeValue(data)}${quoteHint}`;
}

function enumMessage(parent: Schema, data: unknown): string {
  const values = (parent.enum ?? []) as unknown[];
  const shown = values.map((v) => (typeof v === "string" ? v : String(v)));
  const list = shown.length > 12 ? `${shown.slice(0, 12).join(", ")}, ...` : shown.join(", ");
  const guess = typeof data === "string" ? suggest(data, shown) : undefined;
  const hint = guess === undefined ? "" : ` (did you mean ${guess}?)`;
  const quoteHint =
    typeof data === "number" && shown.includes(String(data)) ? ` (quote it: "${String(data)}")` : "";
  return `must be one of ${list}, got ${describeValue(data)}${hint}${quoteHint}`;
}

function rangeMessage(parent: Schema, data: unknown): string {
  const min = parent.minimum as number | undefined;
  const max = parent.maximum as number | undefined;
  const got = describeValue(data);
  if (min !== undefined && max !== undefined) {
    return min === max ? `must be ${min}, got ${got}` : `must be between ${min} and ${max}, got ${got}`;
  }
  if (min !== undefined) return `must be at least ${min}, got ${got}`;
  return `must be at most ${max}, got ${got}`;
}

function lengthMessage(parent: Schema, data: unknown): string {
  const min = parent.minLength as number | undefined;
  const max = parent.maxLength as number | undefined;
  const len = typeof data === "string" ? data.length : 0;
  if (min !== undefined && max !== undefined) {
    return `must be ${min} to ${max} characters long, got ${len}`;
  }
  if (min !== undefined)
    return min === 1 ? "must not be empty" : `must be at least ${min} characters long, got ${len}`;
  return `must be at most ${max} characters long, got ${len}`;
}
