/**
 * Finds where JSON text first goes wrong, because V8's `JSON.parse` messages name a position only
 * for some errors ("Unexpected token 'x', ... is not valid JSON" has none).
 */

/** The offset of the first syntax error and what was expected there. */
export interface JsonSyntaxError {
  offset: number;
  message: string;
}

type State = "value" | "key" | "after";

/**
 * Scans `text` as JSON (RFC 8259) and returns its first syntax error, or undefined when it is
 * valid. Iterative, so deeply nested input cannot overflow the stack.
 */
export function findJsonError(text: string): JsonSyntaxError | undefined {
  const stack: string[] = [];
  let i = 0;
  let state: State = "value";
  const found = (at: number): string =>
    at >= text.length ? "the end of the file" : JSON.stringify(text[at]);
  const error = (message: string, at = i): JsonSyntaxError => ({
    offset: at,
    message: `${message}, found ${found(at)}`,
  });
  for (;;) {
    while (i < text.length && " \t\n\r".includes(text[i] ?? "")) i++;
    const c = text[i];
    if (state === "key") {
      if (c !== '"') return error("expected a double-quoted property name");
      const end = scanString(text, i);
      if (typeof end !== "number") return end;
      i = end;
      while (i < text.length && " \t\n\r".includes(text[i] ?? "")) i++;
      if (text[i] !== ":") return error('expected ":" after a property name');
      i++;
      state = "value";
    } else if (state === "value") {
      const next = scanValue(text, i, stack);
      if (next === undefined)
        return error("expected a value (object, array, string, number, true, false, null)");
      if (typeof next !== "number") return next;
      i = next;
      state = c === "{" ? "key" : c === "[" ? "value" : "after";
      while (state !== "after" && i < text.length && " \t\n\r".includes(text[i] ?? "")) i++;
      if (state !== "after" && text[i] === (c === "{" ? "}" : "]")) {
        stack.pop();
        i++;
        state = "after";
      }
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined)
        return i >= text.length ? undefined : error("unexpected text after the JSON value");
      const close = top === "{" ? "}" : "]";
      if (c === ",") state = top === "{" ? "key" : "value";
      else if (c === close) stack.pop();
      else return error(`expected "," or "${close}"`);
      i++;
    }
  }
}

/**
 * Scans one value starting at `i` (whitespace skipped). Returns the offset after it; for `{` and
 * `[` the offset after the bracket, pushed on `stack`. An error for a bad string, undefined when
 * nothing here starts a value.
 */
function scanValue(text: string, i: number, stack: string[]): number | JsonSyntaxError | undefined {
  const c = text[i];
  if (c === "{" || c === "[") {
    stack.push(c);
    return i + 1;
  }
  if (c === '"') return scanString(text, i);
  for (const literal of ["true", "false", "null"]) if (text.startsWith(literal, i)) return i + literal.length;
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  number.lastIndex = i;
  return number.exec(text) === null ? undefined : number.lastIndex;
}

/** Scans a string starting at its opening quote; the offset after the closing quote, or an error. */
function scanString(text: string, start: number): number | JsonSyntaxError {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) return { offset: i, message: "a control character must be escaped inside a string" };
    if (code !== 0x5c) continue;
    const esc = text[i + 1] ?? "";
    if (esc === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 5;
    else if ('"\\/bfnrt'.includes(esc) && esc !== "") i += 1;
    else return { offset: i, message: `invalid escape "\\${esc}" in a string` };
  }
  return { offset: text.length, message: "unterminated string, found the end of the file" };
}
