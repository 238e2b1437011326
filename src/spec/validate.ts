/**
 * Validates app specs: the JSON Schema, then every semantic rule, then the warnings. Reports all
 * errors at once, each with its spec path and, for files, its line and column.
 */
import { asMap } from "./access.js";
import { formatPath, type PathSegment, type SpecIssue, sortIssues } from "./issues.js";
import { type ParsedSpec, parseSpec } from "./parse.js";
import { checkRules } from "./rules.js";
import type { AppSpec } from "./schema.js";
import { createSchemaChecker, type RawIssue } from "./schema-errors.js";
import { type Backend, checkWarnings } from "./warnings.js";

/** Options of validation. */
export interface ValidateOptions {
  /** The backend the spec is meant for; decides which fields are reported as not honoured (default "local"). */
  backend?: Backend;
  /** The largest file accepted, in bytes (default 1 MiB); text input only. */
  maxBytes?: number;
  /** The app carries its own code, so components may omit a source (see RuleOptions). Default false. */
  appSource?: boolean;
}

/** The outcome: valid with the spec, or not with errors. Warnings may come either way. */
export interface ValidationResult {
  valid: boolean;
  /** The spec (unwrapped from a deploy template) when valid. */
  spec?: AppSpec;
  /** True when the input was a deploy template (`spec:` wrapper). */
  wrapped: boolean;
  errors: SpecIssue[];
  warnings: SpecIssue[];
}

/** A validator with its schema compiled once. */
export interface SpecValidator {
  /** Validates an already parsed value (e.g. a JSON request body); issues carry no positions. */
  validate(value: unknown, options?: ValidateOptions): ValidationResult;
  /** Parses and validates a file's content (YAML or JSON, string or bytes). */
  validateText(input: string | Uint8Array, options?: ValidateOptions): ValidationResult;
}

/** Options of {@link createSpecValidator}. */
export interface SpecValidatorOptions {
  /** The least `inactivity_sleep.after_seconds` accepted; default 600 (lower only for tests). */
  minInactivitySeconds?: number;
}

/** Compiles the schema and returns a validator; keep one per process and reuse it. */
export function createSpecValidator(validatorOptions: SpecValidatorOptions = {}): SpecValidator {
  const checkSchema = createSchemaChecker();
  const run = (parsed: ParsedSpec, options: ValidateOptions): ValidationResult => {
    const place = (raw: RawIssue): SpecIssue => {
      const pos = parsed.locate(raw.path, raw.at);
      const path = formatPath(raw.path);
      return pos === undefined
        ? { path, message: raw.message }
        : { path, line: pos.line, column: pos.column, message: raw.message };
    };
    const spec = asMap(parsed.value);
    if (spec === undefined) {
      const got = Array.isArray(parsed.value)
        ? "a list"
        : parsed.value === null || parsed.value === undefined
          ? "an empty document"
          : `a ${typeof parsed.value}`;
      const error = place({
        path: [],
        message: `the spec must be a map of fields (name, services, ...), got ${got}`,
        at: "value",
      });
      return { valid: false, wrapped: parsed.wrapped, errors: [error], warnings: [] };
    }
    const tooDeep = findTooDeep(spec);
    if (tooDeep !== undefined) {
      const error = place({
        path: tooDeep,
        message: `nesting is deeper than ${MAX_DEPTH} levels; no app spec field nests so deep`,
        at: "value",
      });
      return { valid: false, wrapped: parsed.wrapped, errors: [error], warnings: [] };
    }
    const errors = sortIssues(
      dedupe(
        [
          ...checkSchema(spec),
          ...checkRules(spec, {
            appSource: options.appSource === true,
            ...(validatorOptions.minInactivitySeconds === undefined
              ? {}
              : { minInactivitySeconds: validatorOptions.minInactivitySeconds }),
          }),
        ].map(place),
      ),
    );
    const warnings = sortIssues(checkWarnings(spec, options.backend ?? "local").map(place));
    if (errors.length > 0) return { valid: false, wrapped: parsed.wrapped, errors, warnings };
    return { valid: true, spec: spec as AppSpec, wrapped: parsed.wrapped, errors, warnings };
  };
  return {
    validate: (value, options = {}) => run({ value, wrapped: false, locate: () => undefined }, options),
    validateText: (input, options = {}) => {
      const parsed = parseSpec(input, options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes });
      if (!parsed.ok) return { valid: false, wrapped: false, errors: parsed.errors, warnings: [] };
      return run(parsed.spec, options);
    },
  };
}

/** The deepest legitimate spec path has 8 levels; anything far deeper is refused before any recursion. */
const MAX_DEPTH = 32;

/** The path of the first value nested deeper than MAX_DEPTH, found without recursion. */
function findTooDeep(root: unknown): PathSegment[] | undefined {
  const stack: { value: unknown; path: PathSegment[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: PathSegment[] };
    if (typeof value !== "object" || value === null) continue;
    if (path.length >= MAX_DEPTH) return path;
    const children: [PathSegment, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    for (const [k, v] of children) stack.push({ value: v, path: [...path, k] });
  }
  return undefined;
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
