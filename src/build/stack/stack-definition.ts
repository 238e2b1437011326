/**
 * The stack: a Debian root filesystem with the language runtimes that builds and apps run on.
 * A definition is pure data; its version is a content hash, so any change makes a new stack.
 */
import { createHash } from "node:crypto";

/** What a stack is made of: a Debian suite, a debootstrap variant and the packages apt installs. */
export interface StackDefinition {
  /** Debian suite passed to debootstrap, e.g. `bookworm`. */
  readonly suite: string;
  /** debootstrap `--variant`, e.g. `minbase` (essential packages and apt only). */
  readonly variant: string;
  /** Packages installed with `apt-get install --no-install-recommends` inside the chroot. */
  readonly packages: readonly string[];
}

/**
 * The default stack: Node.js + npm (Debian's 18), Python 3.11 + pip/venv, Go 1.19, git and CA
 * certificates. npm is installed by apt inside the chroot, never through debootstrap's
 * `--include`, which leaves it unconfigured.
 */
export const DEFAULT_STACK: StackDefinition = Object.freeze({
  suite: "bookworm",
  variant: "minbase",
  packages: Object.freeze([
    "ca-certificates",
    "git",
    "golang-go",
    "nodejs",
    "npm",
    "python3",
    "python3-pip",
    "python3-venv",
  ]),
});

/**
 * A short content hash (12 hex digits) of a definition. Package order and duplicates do not
 * matter; anything else (suite, variant, a package added or removed) gives a new version.
 */
export function stackVersion(def: StackDefinition): string {
  const canonical = JSON.stringify({
    suite: def.suite,
    variant: def.variant,
    packages: [...new Set(def.packages)].sort(),
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 12);
}

/** The stack's name and folder name: `<suite>-<version>`, e.g. `bookworm-0123456789ab`. */
export function stackName(def: StackDefinition): string {
  return `${def.suite}-${stackVersion(def)}`;
}

/**
 * Checks a definition up front: a suite and variant of lower-case letters, digits and dashes,
 * and at least one package, each a valid Debian package name. Returns the problems (empty if valid).
 */
export function checkStackDefinition(def: StackDefinition): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]*$/.test(def.suite))
    problems.push(`suite: must be a Debian suite name, got "${def.suite}"`);
  if (!/^[a-z][a-z0-9-]*$/.test(def.variant))
    problems.push(`variant: must be a debootstrap variant, got "${def.variant}"`);
  if (def.packages.length === 0) problems.push("packages: must list at least one package");
  def.packages.forEach((p, i) => {
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p)) problems.push(`packages[${i}]: not a Debian package name: "${p}"`);
  });
  return problems;
}
