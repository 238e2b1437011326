/**
 * The subset of RE2 that Slipway accepts in `cors.allow_origins[].regex` (ADR 0022). DigitalOcean
 * takes RE2; Slipway's router (HAProxy 2.6) matches with PCRE2, which backtracks. The subset is
 * the part whose meaning is the same in both for an ASCII Origin header, minus the constructs that
 * could make PCRE2 take exponential time or that HAProxy's config syntax cannot carry:
 * - printable ASCII only, no `'` (the pattern is written single-quoted into haproxy.cfg);
 * - escapes: `\d \D \w \W \s \S \b \B \A \z`, `\n \r \t \f`, `\xHH` up to 7F, and a backslash
 *   before any punctuation; no `\p{..}`, `\C`, `\Q..\E`, octal or back-references;
 * - groups `( )`, `(?: )`, `(?P<name> )`, `(?<name> )` and flags `(?imsU-imsU)` / `(?flags: )`;
 *   no look-around (RE2 has none either);
 * - quantifiers `* + ?` and `{n}`, `{n,}`, `{n,m}` (at most 1000, as RE2), each optionally lazy;
 *   a literal `{` must be written `\{`;
 * - a group holding a quantifier may be made optional (`?`) but not repeated (`*`, `+`, `{n,m}`):
 *   nested repetition is what makes a backtracking engine explode. `[a-z0-9.-]+\.example\.com`
 *   says what `([a-z0-9-]+\.)+example\.com` says.
 */

/** Why `regex` is outside the accepted subset, or undefined when it is inside. */
export function originRegexRefusal(regex: string): string | undefined {
  for (const ch of regex) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code > 0x7e) return "only printable ASCII characters are allowed (write \\xHH)";
    if (ch === "'")
      return "a single quote cannot be used (HAProxy's configuration carries the pattern quoted)";
  }
  const scan = new Scanner(regex);
  return scan.run();
}

const SIMPLE_ESCAPES = new Set([..."dDwWsSbBAznrtf"]);
const CLASS_ESCAPES = new Set([..."dDwWsSnrtf"]);
const MAX_REPEAT = 1000;

/** One open group: whether something inside it is quantified. */
interface Frame {
  quantified: boolean;
}

class Scanner {
  readonly #re: string;
  #i = 0;
  readonly #stack: Frame[] = [{ quantified: false }];
  /** What the last atom was: a group that holds a quantifier, another atom, or nothing. */
  #last: "none" | "atom" | "group-with-repeat" | "quantifier" = "none";

  constructor(re: string) {
    this.#re = re;
  }

  run(): string | undefined {
    while (this.#i < this.#re.length) {
      const why = this.#step();
      if (why !== undefined) return why;
    }
    return this.#stack.length === 1 ? undefined : "unterminated group";
  }

  #step(): string | undefined {
    const ch = this.#re[this.#i] as string;
    switch (ch) {
      case "\\":
        return this.#escape(false) ?? this.#atom();
      case "[":
        return this.#charClass() ?? this.#atom();
      case "(":
        return this.#open();
      case ")": {
        if (this.#stack.length === 1) return `unmatched ")" at offset ${this.#i}`;
        const frame = this.#stack.pop() as Frame;
        if (frame.quantified) (this.#stack.at(-1) as Frame).quantified = true;
        this.#i++;
        this.#last = frame.quantified ? "group-with-repeat" : "atom";
        return undefined;
      }
      case "*":
      case "+":
      case "?":
        return this.#quantifier(ch === "?" ? 1 : Number.POSITIVE_INFINITY, 1);
      case "{":
        return this.#braces();
      case "|":
      case "^":
      case "$":
        this.#i++;
        this.#last = "none";
        return undefined;
      default:
        this.#i++;
        return this.#atom();
    }
  }

  #atom(): undefined {
    this.#last = "atom";
    return undefined;
  }

  /** An escape at #i; inside a character class fewer are allowed. Advances past it. */
  #escape(inClass: boolean): string | undefined {
    const next = this.#re[this.#i + 1];
    if (next === undefined) return "a trailing backslash escapes nothing";
    if (next === "x") {
      const hex = /^[0-7][0-9a-fA-F]/.exec(this.#re.slice(this.#i + 2, this.#i + 4));
      if (hex === null) return `\\x must be followed by two hex digits up to 7F (at offset ${this.#i})`;
      this.#i += 4;
      return undefined;
    }
    const allowed = inClass ? CLASS_ESCAPES.has(next) : SIMPLE_ESCAPES.has(next);
    if (!allowed && /[0-9A-Za-z]/.test(next))
      return `\\${next} is not supported (at offset ${this.#i}); use a character class or \\xHH`;
    this.#i += 2;
    return undefined;
  }

  #charClass(): string | undefined {
    const start = this.#i;
    this.#i++;
    if (this.#re[this.#i] === "^") this.#i++;
    if (this.#re[this.#i] === "]") this.#i++;
    while (this.#i < this.#re.length) {
      const ch = this.#re[this.#i];
      if (ch === "]") {
        this.#i++;
        return undefined;
      }
      if (ch === "\\") {
        const why = this.#escape(true);
        if (why !== undefined) return why;
        continue;
      }
      if (ch === "[") {
        const posix = /^\[:\^?[a-z]+:\]/.exec(this.#re.slice(this.#i));
        if (posix === null) return `a "[" inside a character class must be escaped (at offset ${this.#i})`;
        this.#i += posix[0].length;
        continue;
      }
      this.#i++;
    }
    return `unterminated character class starting at offset ${start}`;
  }

  #open(): string | undefined {
    const rest = this.#re.slice(this.#i);
    const flagsOnly = /^\(\?[imsU]*(?:-[imsU]+)?\)/.exec(rest);
    if (flagsOnly !== null && flagsOnly[0] !== "(?)") {
      this.#i += flagsOnly[0].length;
      this.#last = "none";
      return undefined;
    }
    const opener = /^\((?:\?:|\?[imsU]*(?:-[imsU]+)?:|\?P?<[A-Za-z_][A-Za-z0-9_]*>)?/.exec(rest);
    const text = opener?.[0] ?? "(";
    if (rest.startsWith("(?") && text === "(")
      return `"${rest.slice(0, 4)}" is not supported (at offset ${this.#i}): no look-around, only (?:...), (?P<name>...) and flags`;
    this.#i += text.length;
    this.#stack.push({ quantified: false });
    this.#last = "none";
    return undefined;
  }

  #braces(): string | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#re.slice(this.#i));
    if (m === null) return `a literal "{" must be written \\{ (at offset ${this.#i})`;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
    if (min > MAX_REPEAT || (Number.isFinite(max) && max > MAX_REPEAT))
      return `repetition counts are at most ${MAX_REPEAT}`;
    if (max < min) return `bad repetition {${m[1]}${m[2] ?? ""}}: the maximum is below the minimum`;
    return this.#quantifier(max, m[0].length);
  }

  /** A quantifier of `length` characters at #i allowing at most `max` repetitions. */
  #quantifier(max: number, length: number): string | undefined {
    if (this.#last === "none") return `nothing to repeat at offset ${this.#i}`;
    if (this.#last === "quantifier") return `a quantifier cannot follow another (at offset ${this.#i})`;
    if (this.#last === "group-with-repeat" && max > 1)
      return `a group that repeats something inside it cannot be repeated itself (at offset ${this.#i}): HAProxy's engine backtracks, so nested repetition can take exponential time; write one character class, e.g. [a-z0-9.-]+`;
    (this.#stack.at(-1) as Frame).quantified = true;
    this.#i += length;
    if (this.#re[this.#i] === "?") this.#i++;
    this.#last = "quantifier";
    return undefined;
  }
}
