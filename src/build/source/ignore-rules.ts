/**
 * Which entries `packSource` leaves out: `.git` and `node_modules` always, plus the patterns of a
 * `.slipwayignore` at the root. Pure.
 */

/** Names left out at every depth, as detection and the source digest hide them. */
export const ALWAYS_IGNORED = [".git", "node_modules"] as const;

/** One parsed `.slipwayignore` line. */
export interface IgnoreRule {
  /** The line as written, for messages. */
  pattern: string;
  regex: RegExp;
  /** Matched against the whole relative path (the pattern had a `/` before its end). */
  anchored: boolean;
  /** Only folders match (the pattern ended with `/`). */
  dirOnly: boolean;
}

/**
 * Parses `.slipwayignore` text: one pattern a line; blank lines and lines starting with `#` are
 * skipped, and so are lines starting with `!` (negation is not supported). A pattern with no `/`
 * except a trailing one matches a name at any depth (`*.log`, `tmp/`); one with a `/` elsewhere
 * matches the path from the root (`/dist`, `docs/build`). `*` and `?` match within one name,
 * `**` matches across folders. A trailing `/` matches folders only. A matched folder is left out
 * with everything in it. This is a subset of `.gitignore`; `.gitignore` itself is not read
 * (its negations and per-folder files would be half-honoured).
 */
export function parseIgnoreRules(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const line of text.split(/\r?\n/)) {
    const pattern = line.trimEnd();
    if (pattern === "" || pattern.startsWith("#") || pattern.startsWith("!")) continue;
    const dirOnly = pattern.endsWith("/");
    const body = pattern.replace(/\/+$/, "");
    const anchored = body.includes("/");
    const glob = body.replace(/^\/+/, "");
    if (glob === "") continue;
    rules.push({ pattern, regex: globToRegex(glob), anchored, dirOnly });
  }
  return rules;
}

function globToRegex(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      out += ".*";
      i++;
      if (glob[i + 1] === "/") {
        out = `${out.slice(0, -2)}(?:.*/)?`;
        i++;
      }
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** True when the entry at `relPath` (POSIX, relative to the root) is left out. */
export function isIgnored(rules: readonly IgnoreRule[], relPath: string, isDir: boolean): boolean {
  const name = relPath.slice(relPath.lastIndexOf("/") + 1);
  if ((ALWAYS_IGNORED as readonly string[]).includes(name)) return true;
  return rules.some((r) => (!r.dirOnly || isDir) && r.regex.test(r.anchored ? relPath : name));
}
