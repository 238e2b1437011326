/**
 * Kubernetes label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * joined by commas (all must hold).
 */
import { SlipwayError } from "../resources/errors.js";

/** The operator of one requirement. */
export type SelectorOperator = "=" | "!=" | "in" | "notin" | "exists" | "notexists";

/** One requirement of a selector, e.g. `{ key: "tier", operator: "in", values: ["web", "api"] }`. */
export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** One value for `=`/`!=`, one or more for `in`/`notin`, none for `exists`/`notexists`. */
  values: string[];
}

/** A parsed selector: the requirements that must all hold. Empty matches everything. */
export type LabelSelector = readonly SelectorRequirement[];

const KEY_CHAR = /[A-Za-z0-9._/-]/;
const VALUE_CHAR = /[A-Za-z0-9._-]/;

/** A cursor over the selector text that reports errors with their 1-based column. */
class Scanner {
  readonly #text: string;
  #pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  get done(): boolean {
    this.skipSpace();
    return this.#pos >= this.#text.length;
  }

  skipSpace(): void {
    while (this.#text[this.#pos] === " " || this.#text[this.#pos] === "\t") this.#pos++;
  }

  /** Consumes `token` (after spaces) if it is next; `word` requires a non-key character after it. */
  accept(token: string, word = false): boolean {
    this.skipSpace();
    if (!this.#text.startsWith(token, this.#pos)) return false;
    const after = this.#text[this.#pos + token.length];
    if (word && after !== undefined && KEY_CHAR.test(after)) return false;
    this.#pos += token.length;
    return true;
  }

  expect(token: string, what: string): void {
    if (!this.accept(token)) throw this.error(`expected ${what}`);
  }

  /** Reads a run of characters matching `pattern` (possibly empty). */
  run(pattern: RegExp): string {
    this.skipSpace();
    const start = this.#pos;
    while (this.#pos < this.#text.length && pattern.test(this.#text[this.#pos] ?? "")) this.#pos++;
    return this.#text.slice(start, this.#pos);
  }

  error(message: string): SlipwayError {
    const found = this.#pos < this.#text.length ? `'${this.#text[this.#pos]}'` : "end of input";
    const column = this.#pos + 1;
    return new SlipwayError(
      "invalid_argument",
      `labelSelector: ${message} at position ${column}, found ${found}: "${this.#text}"`,
      { details: [{ path: "labelSelector", message, column }] },
    );
  }
}

function readKey(scanner: Scanner): string {
  const key = scanner.run(KEY_CHAR);
  if (key === "") throw scanner.error("expected a label key");
  if (key.length > 317) throw scanner.error("label key too long");
  return key;
}

function readValueList(scanner: Scanner): string[] {
  scanner.expect("(", "'('");
  const values: string[] = [];
  do {
    values.push(scanner.run(VALUE_CHAR));
  } while (scanner.accept(","));
  scanner.expect(")", "',' or ')'");
  return values;
}

function readRequirement(scanner: Scanner): SelectorRequirement {
  if (scanner.accept("!")) return { key: readKey(scanner), operator: "notexists", values: [] };
  const key = readKey(scanner);
  if (scanner.accept("==") || scanner.accept("=")) {
    return { key, operator: "=", values: [scanner.run(VALUE_CHAR)] };
  }
  if (scanner.accept("!=")) return { key, operator: "!=", values: [scanner.run(VALUE_CHAR)] };
  if (scanner.accept("notin", true)) return { key, operator: "notin", values: readValueList(scanner) };
  if (scanner.accept("in", true)) return { key, operator: "in", values: readValueList(scanner) };
  return { key, operator: "exists", values: [] };
}

/**
 * Parses a label selector. An empty or blank string gives an empty selector (matches all).
 * Throws `SlipwayError` `invalid_argument` naming the 1-based position of the first error.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const scanner = new Scanner(text);
  const requirements: SelectorRequirement[] = [];
  if (scanner.done) return requirements;
  for (;;) {
    requirements.push(readRequirement(scanner));
    if (scanner.done) return requirements;
    if (!scanner.accept(",")) throw scanner.error("expected ',' or an operator");
  }
}

function matchesRequirement(req: SelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case "exists":
      return has;
    case "notexists":
      return !has;
    case "=":
      return has && value === req.values[0];
    case "!=":
      return !has || value !== req.values[0];
    case "in":
      return has && value !== undefined && req.values.includes(value);
    case "notin":
      return !has || value === undefined || !req.values.includes(value);
    default: {
      const never: never = req.operator;
      throw new Error(`unknown operator ${String(never)}`);
    }
  }
}

/**
 * True when `labels` satisfy every requirement. As in Kubernetes, `!=` and `notin` also match
 * objects without the key.
 */
export function matchesSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const actual = labels ?? {};
  return selector.every((req) => matchesRequirement(req, actual));
}
